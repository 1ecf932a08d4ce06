//! Conversations with customers: the staff inbox (unread first, assignment, replies) and the
//! customer's own chat on the workshop's site. Both update live; without JavaScript a reload
//! shows the same.

use maud::{Markup, html};
use pitlane_domain::{
    FieldErrors, ServiceError,
    permissions::{Permission, Role},
};
use pitlane_frontdesk::conversations::{self, Thread};
use pitlane_store::entity::conversation_message;
use poem::{
    IntoResponse, Request, Response, handler,
    web::{Data, Path, Query, Redirect},
};
use serde::Deserialize;
use uuid::Uuid;

use super::{
    customers::staff,
    errors::{expired_form, service_error_page, sign_in_redirect},
    forms::{csrf_input, error_summary, select, signed_in_post, status_for, textarea},
    layout::{PageCtx, page},
};
use crate::{links::site_of, state::AppState, tenant::TenantScope};

const LABELS: &[(&str, &str)] = &[("body", "Message"), ("csrf", "Form")];

#[derive(Deserialize, Default)]
pub struct InboxQuery {
    #[serde(default)]
    unread: Option<String>,
}

/// The messages of a conversation, oldest first; `ours` says which direction is the reader's.
fn messages(items: &[conversation_message::Model], ours: &str) -> Markup {
    html! {
        ol class="chat" aria-label="Messages" {
            @if items.is_empty() { li class="muted" { "No messages yet." } }
            @for m in items {
                li class=(if m.direction == ours { "bubble ours" } else { "bubble theirs" }) id=(format!("msg-{}", m.id)) {
                    p { (m.body) }
                    p class="muted" {
                        (m.author_name.as_deref().unwrap_or(""))
                        " · " (m.created_at.format("%Y-%m-%d %H:%M UTC"))
                        @if m.channel == "sms" { " · by text" }
                    }
                }
            }
        }
    }
}

#[handler]
pub async fn list(req: &Request, state: Data<&AppState>, Query(q): Query<InboxQuery>) -> Response {
    let ctx = PageCtx::from_request(req);
    let actor = match staff(&ctx) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let unread_only = q.unread.is_some();
    let loaded = async {
        Ok::<_, ServiceError>((
            conversations::inbox(&state.frontdesk, actor, unread_only, 100).await?,
            conversations::assignable(&state.frontdesk, actor).await?,
        ))
    }
    .await;
    let (rows, staff_names) = match loaded {
        Ok(l) => l,
        Err(err) => return service_error_page(&ctx, err),
    };
    let name_of = |id: Option<Uuid>| -> String {
        match id {
            None => "—".into(),
            Some(id) if id == actor.membership_id.0 => "You".into(),
            Some(id) => staff_names
                .iter()
                .find(|(m, _)| *m == id)
                .map_or_else(|| "A former member".into(), |(_, n)| n.clone()),
        }
    };
    let body = page(
        &ctx,
        "Inbox",
        Some("inbox"),
        html! {
            h1 { "Inbox" }
            p {
                @if unread_only { a href=(ctx.link("/portal/inbox")) { "Show all" } }
                @else { a href=(ctx.link("/portal/inbox?unread=1")) { "Show unread only" } }
            }
            div id="live-notice" class="notice" role="status" hidden { "New messages. " a href=(ctx.path) { "Show them" } }
            div id="inbox-list" data-live="conversations" data-refresh=(ctx.path) {
                @if rows.is_empty() { p class="muted" { "No conversations." } }
                @else {
                    table {
                        thead { tr { th scope="col" { "Customer" } th scope="col" { "Last message" } th scope="col" { "When" } th scope="col" { "Unread" } th scope="col" { "Assigned" } } }
                        tbody {
                            @for r in &rows {
                                tr data-unread=(r.conversation.unread_for_staff) {
                                    td { a href=(ctx.link(&format!("/portal/inbox/{}", r.conversation.id))) { (r.customer_name) } }
                                    td { (r.conversation.last_message_preview) }
                                    td { (r.conversation.last_message_at.format("%Y-%m-%d %H:%M UTC")) }
                                    td { @if r.conversation.unread_for_staff > 0 { strong { (r.conversation.unread_for_staff) " new" } } }
                                    td { (name_of(r.conversation.assigned_to)) }
                                }
                            }
                        }
                    }
                }
            }
        },
    );
    body.into_response()
}

async fn thread_page(
    req: &Request,
    state: &AppState,
    id: Uuid,
    typed: &str,
    errors: &FieldErrors,
) -> Response {
    let ctx = PageCtx::from_request(req);
    let actor = match staff(&ctx) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let t = match conversations::thread(&state.frontdesk, actor, id).await {
        Ok(t) => t,
        Err(err) => return service_error_page(&ctx, err),
    };
    // Opening a conversation reads it.
    if t.conversation.unread_for_staff > 0
        && let Err(err) = conversations::mark_read(&state.frontdesk, actor, id).await
    {
        return service_error_page(&ctx, err);
    }
    let can_write = actor.can(Permission::CustomersWrite);
    let staff_names = match conversations::assignable(&state.frontdesk, actor).await {
        Ok(s) => s,
        Err(err) => return service_error_page(&ctx, err),
    };
    let mut choices: Vec<(String, String)> = vec![(String::new(), "Nobody".into())];
    choices.extend(staff_names.iter().map(|(id, name)| {
        let label = if *id == actor.membership_id.0 {
            format!("{name} (you)")
        } else {
            name.clone()
        };
        (id.to_string(), label)
    }));
    let assigned = t
        .conversation
        .assigned_to
        .map(|id| id.to_string())
        .unwrap_or_default();
    let base = format!("/portal/inbox/{id}");
    let body = page(
        &ctx,
        &t.customer.name,
        Some("inbox"),
        html! {
            p { a href=(ctx.link("/portal/inbox")) { "← Inbox" } }
            h1 { "Conversation with " a href=(ctx.link(&format!("/portal/customers/{}", t.customer.id))) { (t.customer.name) } }
            @if can_write {
                form class="toolbar" method="post" action=(ctx.link(&format!("{base}/assign"))) {
                    (csrf_input(&ctx))
                    (select("to", "Assigned to", &choices, &assigned, &FieldErrors::new()))
                    div { button class="button secondary" type="submit" { "Assign" } }
                }
            }
            div id="thread" data-live="conversations" data-refresh=(ctx.link(&base)) {
                (messages(&t.messages, "out"))
            }
            @if can_write {
                (error_summary(errors, LABELS))
                form class="stack" method="post" action=(ctx.link(&format!("{base}/reply"))) novalidate {
                    (csrf_input(&ctx))
                    (textarea("body", "Reply", typed, errors))
                    p class="hint" { "The customer sees it on their page and gets it by text (if they agreed) or e-mail." }
                    div { button class="button" type="submit" { "Send" } }
                }
            }
        },
    );
    (status_for(errors), body).into_response()
}

#[handler]
pub async fn show(req: &Request, state: Data<&AppState>, Path(id): Path<Uuid>) -> Response {
    thread_page(req, &state, id, "", &FieldErrors::new()).await
}

#[handler]
pub async fn reply(
    req: &Request,
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
    Path(id): Path<Uuid>,
    body: String,
) -> Response {
    let fd = &state.frontdesk;
    let site = site_of(&state.config, &scope);
    let site = &site;
    signed_in_post(
        req,
        &body,
        |actor, p| async move {
            conversations::reply(fd, &actor, id, p.get("body"), site).await?;
            Ok(format!("/portal/inbox/{id}"))
        },
        |p, errors| async move { thread_page(req, &state, id, p.get("body"), &errors).await },
    )
    .await
}

#[handler]
pub async fn assign(
    req: &Request,
    state: Data<&AppState>,
    Path(id): Path<Uuid>,
    body: String,
) -> Response {
    let fd = &state.frontdesk;
    signed_in_post(
        req,
        &body,
        |actor, p| async move {
            conversations::assign(fd, &actor, id, p.id("to")).await?;
            Ok(format!("/portal/inbox/{id}"))
        },
        |_, _| async { expired_form(&PageCtx::from_request(req)) },
    )
    .await
}

fn customer_chat(ctx: &PageCtx, t: &Thread, typed: &str, errors: &FieldErrors) -> Markup {
    let workshop = ctx.tenant().map(|t| t.name.clone()).unwrap_or_default();
    html! {
        p { a href=(ctx.link("/account")) { "← Your account" } }
        h1 { "Messages with " (workshop) }
        div id="thread" data-live="conversations" data-refresh=(ctx.link("/account/messages")) {
            (messages(&t.messages, "in"))
        }
        (error_summary(errors, LABELS))
        form class="stack" method="post" action=(ctx.link("/account/messages")) novalidate {
            (csrf_input(ctx))
            (textarea("body", "Your message", typed, errors))
            div { button class="button" type="submit" { "Send" } }
        }
    }
}

async fn customer_page(
    req: &Request,
    state: &AppState,
    typed: &str,
    errors: &FieldErrors,
) -> Response {
    let ctx = PageCtx::from_request(req);
    let Some(auth) = &ctx.auth else {
        return sign_in_redirect(&ctx);
    };
    // Staff talk to customers from the inbox; this page is the customers'.
    if !auth.actor.role.is(Role::Customer) {
        return Redirect::see_other(ctx.link("/portal/inbox")).into_response();
    }
    let t = match conversations::mine(&state.frontdesk, &auth.actor).await {
        Ok(t) => t,
        Err(err) => return service_error_page(&ctx, err),
    };
    let body = page(
        &ctx,
        "Messages",
        None,
        customer_chat(&ctx, &t, typed, errors),
    );
    (status_for(errors), body).into_response()
}

#[handler]
pub async fn customer_messages(req: &Request, state: Data<&AppState>) -> Response {
    customer_page(req, &state, "", &FieldErrors::new()).await
}

#[handler]
pub async fn customer_write(req: &Request, state: Data<&AppState>, body: String) -> Response {
    let fd = &state.frontdesk;
    signed_in_post(
        req,
        &body,
        |actor, p| async move {
            conversations::customer_writes(fd, &actor, p.get("body")).await?;
            Ok("/account/messages".to_owned())
        },
        |p, errors| async move { customer_page(req, &state, p.get("body"), &errors).await },
    )
    .await
}
