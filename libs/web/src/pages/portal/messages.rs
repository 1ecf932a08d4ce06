//! The portal's messages: the delivery state of every e-mail and SMS (dead letters with their
//! last error and a retry button), and the sender settings with a test send.

use maud::{Markup, html};
use pitlane_domain::{FieldErrors, ServiceError, messages::Channel};
use pitlane_notify::service::{self, STATUSES, SenderSettings};
use poem::{
    IntoResponse, Response, Route, get, handler, post,
    web::{Data, Path, Query, Redirect},
};
use serde::Deserialize;
use uuid::Uuid;

use crate::pages::kit::{
    PageCtx, PageResult, Pairs, Staff,
    forms::{Field, csrf_input, error_summary, status_for},
    page, submit, table_region,
};
use pitlane_app::state::AppState;

pub fn routes(routes: Route) -> Route {
    routes
        .at("/portal/messages", get(list))
        .at("/portal/messages/:id/retry", post(retry))
        .at("/portal/settings/messages", get(settings).post(save_sender))
        .at("/portal/settings/messages/test", post(send_test))
}

#[derive(Deserialize, Default)]
struct ListQuery {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    cursor: Option<Uuid>,
    #[serde(default)]
    retried: Option<String>,
    /// `received`: the SMS customers sent.
    #[serde(default)]
    view: Option<String>,
}

fn status_label(status: &str) -> &'static str {
    match status {
        "pending" => "Waiting",
        "queued" => "Queued",
        "sending" => "Sending",
        "sent" => "Sent",
        "dead" => "Failed",
        "suppressed" => "Not sent (opted out)",
        "cancelled" => "Cancelled",
        _ => "Unknown",
    }
}

fn kind_label(kind: &str) -> &'static str {
    pitlane_domain::messages::MessageKind::parse(kind).map_or("Message", |k| k.label())
}

#[handler]
async fn list(staff: Staff, state: Data<&AppState>, Query(q): Query<ListQuery>) -> PageResult {
    if q.view.as_deref() == Some("received") {
        return received(&staff, &state).await;
    }
    let ctx = &staff.ctx;
    let status = q.status.as_deref().filter(|s| !s.is_empty());
    let page_rows =
        service::list_messages(&state.store, &staff.actor, status, q.cursor, 50).await?;
    let body = html! {
        h1 { "Messages" }
        p id="live-notice" class="notice" role="status" hidden { "New messages have arrived. " a href=(ctx.path) { "Show them" } }
        @if q.retried.is_some() { div class="notice success" role="status" { "The message is back in line and will be sent in a moment." } }
        p class="muted" { "Every e-mail and SMS your workshop sends, and how its delivery went. A failed message can be sent again once the problem is fixed." }
        p { a href=(ctx.link("/portal/messages?view=received")) { "SMS customers sent you" } " · " a href=(ctx.link("/portal/settings/templates")) { "Templates" } " · " a href=(ctx.link("/portal/settings/messages")) { "Message settings" } }
        form method="get" action=(ctx.link("/portal/messages")) class="inline-form" {
            label for="f-status" { "Show" }
            select id="f-status" name="status" {
                option value="" selected[status.is_none()] { "All messages" }
                @for s in STATUSES {
                    option value=(s) selected[status == Some(s)] { (status_label(s)) }
                }
            }
            button class="button secondary" type="submit" { "Filter" }
        }
        @if page_rows.items.is_empty() {
            p { "No messages here yet." }
        } @else {
            (table_region("Sent messages", html! {
                table {
                    thead { tr {
                        th scope="col" { "Message" } th scope="col" { "To" } th scope="col" { "State" }
                        th scope="col" { "Tries" } th scope="col" { "Last error" } th scope="col" { span class="visually-hidden" { "Actions" } }
                    } }
                    tbody {
                        @for m in &page_rows.items {
                            tr id=(format!("m-{}", m.id)) data-message-id=(m.id) data-status=(m.status) {
                                td { (kind_label(&m.kind)) " · " (m.channel) br; span class="muted" { (m.created_at.format("%Y-%m-%d %H:%M UTC")) } }
                                td { (m.recipient) }
                                td data-status-cell {
                                    (status_label(&m.status))
                                    @if let Some(report) = &m.delivery_status { br; span class="muted" { "Carrier: " (report) } }
                                }
                                td { (m.attempts) }
                                td { (m.last_error.as_deref().unwrap_or("—")) }
                                td {
                                    @if m.status == "dead" {
                                        form method="post" action=(ctx.link(&format!("/portal/messages/{}/retry", m.id))) {
                                            (csrf_input(ctx))
                                            button class="button" type="submit" { "Send again" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }))
            @if let Some(next) = page_rows.next {
                p { a href=(ctx.link(&format!("/portal/messages?status={}&cursor={next}", status.unwrap_or("")))) { "Next page" } }
            }
        }
    };
    Ok(page(
        ctx,
        "Messages",
        Some("messages"),
        live_region(body, "messages"),
    )
    .into_response())
}

/// Marks a page's content as following live updates on `topic` (app.js subscribes).
pub fn live_region(content: Markup, topic: &str) -> Markup {
    html! { div data-live=(topic) { (content) } }
}

async fn received(staff: &Staff, state: &AppState) -> PageResult {
    let ctx = &staff.ctx;
    let rows = service::received_sms(&state.store, &staff.actor, 100).await?;
    let body = html! {
        h1 { "Received SMS" }
        p class="muted" { "What customers texted to your number, newest first. STOP and START replies are honoured automatically: nothing is texted to a number that opted out." }
        p { a href=(ctx.link("/portal/messages")) { "All sent messages" } }
        @if rows.is_empty() {
            p { "No SMS received yet." }
        } @else {
            (table_region("Received SMS", html! {
                table {
                    thead { tr { th scope="col" { "From" } th scope="col" { "Message" } th scope="col" { "Received" } } }
                    tbody {
                        @for r in &rows {
                            tr {
                                td { (r.from) }
                                td {
                                    (r.body)
                                    @if let Some(k) = &r.keyword { " " span class="badge" { (k.to_uppercase()) } }
                                }
                                td { (r.received_at.format("%Y-%m-%d %H:%M UTC")) }
                            }
                        }
                    }
                }
            }))
        }
    };
    Ok(page(ctx, "Received SMS", Some("messages"), body).into_response())
}

#[handler]
async fn retry(staff: Staff, state: Data<&AppState>, Path(id): Path<Uuid>) -> PageResult {
    service::retry_message(&state.store, &state.live, &staff.actor, id).await?;
    Ok(Redirect::see_other(staff.ctx.link("/portal/messages?retried=1")).into_response())
}

/// The address a test form sends to: `to` on the e-mail form, `sms_to` on the SMS one.
fn test_to(form: &Pairs) -> &str {
    match form.get("to") {
        "" => form.get("sms_to"),
        to => to,
    }
}

#[derive(Deserialize, Default)]
struct SettingsQuery {
    #[serde(default)]
    saved: Option<String>,
    #[serde(default)]
    sent_to: Option<String>,
}

struct SettingsView<'a> {
    /// The sender form's fields (`sender_name`, `reply_to`, `sms_sender`), stored or typed.
    sender: &'a Pairs,
    /// The e-mail test form's address.
    test_to: &'a str,
    /// The SMS test form's number, kept when the SMS test is the one sent back.
    test_sms_to: &'a str,
    sms_provider: bool,
    errors: &'a FieldErrors,
    workshop_name: &'a str,
    notice: Option<Markup>,
}

fn settings_page(ctx: &PageCtx, view: SettingsView<'_>) -> Response {
    let body = html! {
        h1 { "Message settings" }
        @if let Some(notice) = view.notice { (notice) }
        (error_summary(view.errors, &[
            ("sender_name", "Sender name"),
            ("reply_to", "Reply-to address"),
            ("sms_sender", "SMS number"),
            ("to", "Send the test to"),
            ("sms_to", "Send the test SMS to"),
            ("csrf", "Form"),
        ]))
        div class="grid" {
            form class="stack card" method="post" action=(ctx.link("/portal/settings/messages")) novalidate {
                h2 { "Sender" }
                (csrf_input(ctx))
                (Field::new("sender_name", "Sender name", view.sender.get("sender_name"))
                    .hint(&format!("What customers see as the sender. Leave empty to use \u{201c}{}\u{201d}.", view.workshop_name))
                    .render(view.errors))
                (Field::new("reply_to", "Reply-to address", view.sender.get("reply_to")).kind("email").autocomplete("email")
                    .hint("Where customers' replies go, such as your front desk. Optional.").render(view.errors))
                (Field::new("sms_sender", "SMS number", view.sender.get("sms_sender")).kind("tel")
                    .hint("The number your SMS come from and customers reply to, such as +44 7700 900123. Leave empty to use the platform's number.").render(view.errors))
                div { button class="button" type="submit" { "Save sender" } }
            }
            form class="stack card" method="post" action=(ctx.link("/portal/settings/messages/test")) novalidate {
                h2 { "Send a test e-mail" }
                p class="muted" { "Check your sender setup: the test uses your sender name, reply-to address and brand." }
                (csrf_input(ctx))
                (Field::new("to", "Send the test to", view.test_to).kind("email").required().autocomplete("email").render(view.errors))
                div { button class="button" type="submit" { "Send test e-mail" } }
            }
            form class="stack card" method="post" action=(ctx.link("/portal/settings/messages/test")) novalidate {
                h2 { "Send a test SMS" }
                p class="muted" {
                    "Check your SMS setup with a text to your own phone."
                    @if !view.sms_provider { " This server has no SMS provider yet, so the text is written to its sms folder instead." }
                }
                (csrf_input(ctx))
                input type="hidden" name="channel" value="sms";
                (Field::new("sms_to", "Send the test SMS to", view.test_sms_to).kind("tel").required().autocomplete("tel")
                    .hint("With + and the country code, or a number in your first branch's country.").render(view.errors))
                div { button class="button" type="submit" { "Send test SMS" } }
            }
        }
    };
    (
        status_for(view.errors),
        page(ctx, "Message settings", Some("settings"), body),
    )
        .into_response()
}

fn sender_form(s: &SenderSettings) -> Pairs {
    let sms_sender = s
        .sms_sender
        .as_deref()
        .and_then(|n| pitlane_domain::phone::PhoneE164::parse(n, None).ok())
        .map(|n| n.international())
        .unwrap_or_default();
    Pairs(vec![
        (
            "sender_name".to_owned(),
            s.sender_name.clone().unwrap_or_default(),
        ),
        (
            "reply_to".to_owned(),
            s.reply_to.clone().unwrap_or_default(),
        ),
        ("sms_sender".to_owned(), sms_sender),
    ])
}

#[handler]
async fn settings(
    staff: Staff,
    state: Data<&AppState>,
    Query(q): Query<SettingsQuery>,
) -> PageResult {
    let ctx = &staff.ctx;
    let email = ctx.auth.as_ref().map_or("", |a| a.email.as_str());
    let current = service::sender_settings(&state.store, &staff.actor).await?;
    let notice = if q.saved.is_some() {
        Some(
            html! { div class="notice success" role="status" { "Saved. New messages use these settings." } },
        )
    } else {
        q.sent_to.as_ref().map(|to| {
            html! {
                div class="notice success" role="status" {
                    (if to.contains('@') { "Test e-mail" } else { "Test SMS" }) " queued for " (to) ". It should arrive within a minute; "
                    a href=(ctx.link("/portal/messages")) { "follow its delivery" } "."
                }
            }
        })
    };
    Ok(settings_page(
        ctx,
        SettingsView {
            sender: &sender_form(&current),
            test_to: email,
            test_sms_to: "",
            sms_provider: state.config.notify.sms_provider.is_some(),
            errors: &FieldErrors::new(),
            workshop_name: &current.workshop_name,
            notice,
        },
    ))
}

#[handler]
async fn save_sender(staff: Staff, Data(state): Data<&AppState>, form: Pairs) -> PageResult {
    let staff = &staff;
    submit(
        &staff.ctx,
        form,
        |p| async move {
            let input = service::SenderInput {
                sender_name: p.get("sender_name"),
                reply_to: p.get("reply_to"),
                sms_sender: p.get("sms_sender"),
            };
            service::update_sender(&state.store, &state.config.notify, &staff.actor, input).await?;
            Ok("/portal/settings/messages?saved=1".to_owned())
        },
        |p, errors| async move {
            let ctx = &staff.ctx;
            let workshop = ctx.tenant().map(|t| t.name.clone()).unwrap_or_default();
            Ok(settings_page(
                ctx,
                SettingsView {
                    sender: &p,
                    test_to: ctx.auth.as_ref().map_or("", |a| a.email.as_str()),
                    test_sms_to: "",
                    sms_provider: state.config.notify.sms_provider.is_some(),
                    errors: &errors,
                    workshop_name: &workshop,
                    notice: None,
                },
            ))
        },
    )
    .await
}

#[handler]
async fn send_test(staff: Staff, Data(state): Data<&AppState>, form: Pairs) -> PageResult {
    let staff = &staff;
    let Some(auth) = staff.ctx.auth.as_ref() else {
        return Err(ServiceError::Unauthenticated.into());
    };
    let current = &service::sender_settings(&state.store, &staff.actor).await?;
    let sms = form.get("channel") == "sms";
    submit(
        &staff.ctx,
        form,
        |p| async move {
            let channel = if sms { Channel::Sms } else { Channel::Email };
            let to = test_to(&p);
            service::send_test(
                &state.store,
                &state.outbox,
                &state.live,
                &staff.actor,
                channel,
                &auth.name,
                to,
            )
            .await
            // The SMS form's field has its own name, so its message shows beside it.
            .map_err(|err| {
                if sms {
                    err.renamed("to", "sms_to")
                } else {
                    err
                }
            })?;
            let to: String = url::form_urlencoded::byte_serialize(to.trim().as_bytes()).collect();
            Ok(format!("/portal/settings/messages?sent_to={to}"))
        },
        |p, errors| async move {
            // The form sent back keeps what was typed; the other one shows what it always does.
            let (email_to, sms_to) = if sms {
                (auth.email.as_str(), test_to(&p))
            } else {
                (test_to(&p), "")
            };
            Ok(settings_page(
                &staff.ctx,
                SettingsView {
                    sender: &sender_form(current),
                    test_to: email_to,
                    test_sms_to: sms_to,
                    sms_provider: state.config.notify.sms_provider.is_some(),
                    errors: &errors,
                    workshop_name: &current.workshop_name,
                    notice: None,
                },
            ))
        },
    )
    .await
}
