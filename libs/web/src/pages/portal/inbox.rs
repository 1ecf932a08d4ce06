//! Conversations with customers: the staff inbox (unread first, assignment, replies). It
//! updates live; without JavaScript a reload shows the same.

use maud::html;
use pitlane_domain::{FieldErrors, ServiceError, permissions::Permission};
use pitlane_frontdesk::conversations;
use poem::{
    IntoResponse, Route, get, handler, post,
    web::{Data, Path, Query},
};
use serde::Deserialize;
use uuid::Uuid;

use crate::pages::kit::{
    PageResult, Pairs, Staff,
    chat::messages,
    forms::{csrf_input, error_summary, select, status_for, textarea},
    page, submit, table_region,
};
use crate::{links::site_of, tenant::TenantScope};
use pitlane_app::state::AppState;

pub fn routes(routes: Route) -> Route {
    routes
        .at("/portal/inbox", get(list))
        .at("/portal/inbox/:id", get(show))
        .at("/portal/inbox/:id/reply", post(reply))
        .at("/portal/inbox/:id/assign", post(assign))
}

const LABELS: &[(&str, &str)] = &[("body", "Message"), ("csrf", "Form")];

#[derive(Deserialize, Default)]
pub struct InboxQuery {
    #[serde(default)]
    unread: Option<String>,
}

#[handler]
async fn list(staff: Staff, state: Data<&AppState>, Query(q): Query<InboxQuery>) -> PageResult {
    let (ctx, actor) = (&staff.ctx, &staff.actor);
    let unread_only = q.unread.is_some();
    let rows = conversations::inbox(&state.frontdesk, actor, unread_only, 100).await?;
    let staff_names = conversations::assignable(&state.frontdesk, actor).await?;
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
        ctx,
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
                    (table_region("Conversations", html! {
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
                    }))
                }
            }
        },
    );
    Ok(body.into_response())
}

async fn thread_page(
    staff: &Staff,
    state: &AppState,
    id: Uuid,
    typed: &str,
    errors: &FieldErrors,
) -> PageResult {
    let (ctx, actor) = (&staff.ctx, &staff.actor);
    let t = conversations::thread(&state.frontdesk, actor, id).await?;
    // Opening a conversation reads it.
    if t.conversation.unread_for_staff > 0 {
        conversations::mark_read(&state.frontdesk, actor, id).await?;
    }
    let can_write = actor.can(Permission::CustomersWrite);
    let staff_names = conversations::assignable(&state.frontdesk, actor).await?;
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
        ctx,
        &t.customer.name,
        Some("inbox"),
        html! {
            p { a href=(ctx.link("/portal/inbox")) { "← Inbox" } }
            h1 { "Conversation with " a href=(ctx.link(&format!("/portal/customers/{}", t.customer.id))) { (t.customer.name) } }
            @if can_write {
                form class="toolbar" method="post" action=(ctx.link(&format!("{base}/assign"))) {
                    (csrf_input(ctx))
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
                    (csrf_input(ctx))
                    (textarea("body", "Reply", typed, errors))
                    p class="hint" { "The customer sees it on their page and gets it by text (if they agreed) or e-mail." }
                    div { button class="button" type="submit" { "Send" } }
                }
            }
        },
    );
    Ok((status_for(errors), body).into_response())
}

#[handler]
async fn show(staff: Staff, state: Data<&AppState>, Path(id): Path<Uuid>) -> PageResult {
    thread_page(&staff, &state, id, "", &FieldErrors::new()).await
}

#[handler]
async fn reply(
    staff: Staff,
    Data(state): Data<&AppState>,
    Data(scope): Data<&TenantScope>,
    Path(id): Path<Uuid>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    let fd = &state.frontdesk;
    let site = site_of(&state.config, scope);
    let site = &site;
    submit(
        &staff.ctx,
        form,
        |p| async move {
            conversations::reply(fd, &staff.actor, id, p.get("body"), site).await?;
            Ok(format!("/portal/inbox/{id}"))
        },
        |p, errors| async move { thread_page(staff, state, id, p.get("body"), &errors).await },
    )
    .await
}

#[handler]
async fn assign(
    staff: Staff,
    Data(state): Data<&AppState>,
    Path(id): Path<Uuid>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    let fd = &state.frontdesk;
    submit(
        &staff.ctx,
        form,
        |p| async move {
            conversations::assign(fd, &staff.actor, id, p.id("to")).await?;
            Ok(format!("/portal/inbox/{id}"))
        },
        |_, errors| async move { Err(ServiceError::Invalid(errors).into()) },
    )
    .await
}
