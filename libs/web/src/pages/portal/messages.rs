//! The portal's messages: the delivery state of every e-mail and SMS (dead letters with their
//! last error and a retry button), and the sender settings with a test send.

use maud::{Markup, html};
use pitlane_domain::{FieldErrors, ServiceError, messages::Channel};
use pitlane_notify::service::{self, STATUSES, SenderSettings};
use poem::{
    IntoResponse, Request, Response, handler,
    http::StatusCode,
    web::{Data, Form, Path, Query, Redirect},
};
use serde::Deserialize;
use uuid::Uuid;

use super::{
    errors::{expired_form, service_error_page, sign_in_redirect},
    forms::{Field, csrf_errors, csrf_input, error_summary},
    layout::{PageCtx, page},
};
use crate::state::AppState;

#[derive(Deserialize, Default)]
pub struct ListQuery {
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
pub async fn list(req: &Request, state: Data<&AppState>, Query(q): Query<ListQuery>) -> Response {
    let ctx = PageCtx::from_request(req);
    let Some(auth) = ctx.auth.as_ref() else {
        return sign_in_redirect(&ctx);
    };
    if q.view.as_deref() == Some("received") {
        return received(&ctx, &state, auth).await;
    }
    let status = q.status.as_deref().filter(|s| !s.is_empty());
    let page_rows =
        match service::list_messages(&state.store, &auth.actor, status, q.cursor, 50).await {
            Ok(page) => page,
            Err(err) => return service_error_page(&ctx, err),
        };
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
                                        (csrf_input(&ctx))
                                        button class="button" type="submit" { "Send again" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if let Some(next) = page_rows.next {
                p { a href=(ctx.link(&format!("/portal/messages?status={}&cursor={next}", status.unwrap_or("")))) { "Next page" } }
            }
        }
    };
    page(
        &ctx,
        "Messages",
        Some("messages"),
        live_region(body, "messages"),
    )
    .into_response()
}

/// Marks a page's content as following live updates on `topic` (app.js subscribes).
pub fn live_region(content: Markup, topic: &str) -> Markup {
    html! { div data-live=(topic) { (content) } }
}

async fn received(ctx: &PageCtx, state: &AppState, auth: &crate::session::Auth) -> Response {
    let rows = match service::received_sms(&state.store, &auth.actor, 100).await {
        Ok(rows) => rows,
        Err(err) => return service_error_page(ctx, err),
    };
    let body = html! {
        h1 { "Received SMS" }
        p class="muted" { "What customers texted to your number, newest first. STOP and START replies are honoured automatically: nothing is texted to a number that opted out." }
        p { a href=(ctx.link("/portal/messages")) { "All sent messages" } }
        @if rows.is_empty() {
            p { "No SMS received yet." }
        } @else {
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
        }
    };
    page(ctx, "Received SMS", Some("messages"), body).into_response()
}

#[derive(Deserialize, Default)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

#[handler]
pub async fn retry(
    req: &Request,
    state: Data<&AppState>,
    Path(id): Path<Uuid>,
    Form(form): Form<CsrfOnly>,
) -> Response {
    let ctx = PageCtx::from_request(req);
    let Some(auth) = ctx.auth.as_ref() else {
        return sign_in_redirect(&ctx);
    };
    if !csrf_errors(req, &form.csrf).is_empty() {
        return expired_form(&ctx);
    }
    match service::retry_message(&state.store, &state.live, &auth.actor, id).await {
        Ok(()) => Redirect::see_other(ctx.link("/portal/messages?retried=1")).into_response(),
        Err(err) => service_error_page(&ctx, err),
    }
}

#[derive(Deserialize, Default)]
pub struct SenderForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    sender_name: String,
    #[serde(default)]
    reply_to: String,
    #[serde(default)]
    sms_sender: String,
}

#[derive(Deserialize, Default)]
pub struct TestForm {
    #[serde(default)]
    csrf: String,
    #[serde(default, alias = "sms_to")]
    to: String,
    /// `sms` for the SMS test; e-mail otherwise.
    #[serde(default)]
    channel: String,
}

#[derive(Deserialize, Default)]
pub struct SettingsQuery {
    #[serde(default)]
    saved: Option<String>,
    #[serde(default)]
    sent_to: Option<String>,
}

struct SettingsView<'a> {
    sender: &'a SenderForm,
    test: &'a TestForm,
    /// The SMS test form's number, kept when the e-mail test is the one sent back.
    test_sms: &'a TestForm,
    sms_provider: bool,
    errors: &'a FieldErrors,
    workshop_name: &'a str,
    notice: Option<Markup>,
}

fn settings_page(ctx: &PageCtx, view: SettingsView<'_>, status: StatusCode) -> Response {
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
                (Field::new("sender_name", "Sender name", &view.sender.sender_name)
                    .hint(&format!("What customers see as the sender. Leave empty to use \u{201c}{}\u{201d}.", view.workshop_name))
                    .render(view.errors))
                (Field::new("reply_to", "Reply-to address", &view.sender.reply_to).kind("email").autocomplete("email")
                    .hint("Where customers' replies go, such as your front desk. Optional.").render(view.errors))
                (Field::new("sms_sender", "SMS number", &view.sender.sms_sender).kind("tel")
                    .hint("The number your SMS come from and customers reply to, such as +44 7700 900123. Leave empty to use the platform's number.").render(view.errors))
                div { button class="button" type="submit" { "Save sender" } }
            }
            form class="stack card" method="post" action=(ctx.link("/portal/settings/messages/test")) novalidate {
                h2 { "Send a test e-mail" }
                p class="muted" { "Check your sender setup: the test uses your sender name, reply-to address and brand." }
                (csrf_input(ctx))
                (Field::new("to", "Send the test to", &view.test.to).kind("email").required().autocomplete("email").render(view.errors))
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
                (Field::new("sms_to", "Send the test SMS to", &view.test_sms.to).kind("tel").required().autocomplete("tel")
                    .hint("With + and the country code, or a number in your first branch's country.").render(view.errors))
                div { button class="button" type="submit" { "Send test SMS" } }
            }
        }
    };
    (
        status,
        page(ctx, "Message settings", Some("settings"), body),
    )
        .into_response()
}

fn sender_form(s: &SenderSettings) -> SenderForm {
    SenderForm {
        sender_name: s.sender_name.clone().unwrap_or_default(),
        reply_to: s.reply_to.clone().unwrap_or_default(),
        sms_sender: s
            .sms_sender
            .as_deref()
            .and_then(|n| pitlane_domain::phone::PhoneE164::parse(n, None).ok())
            .map(|n| n.international())
            .unwrap_or_default(),
        ..SenderForm::default()
    }
}

#[handler]
pub async fn settings(
    req: &Request,
    state: Data<&AppState>,
    Query(q): Query<SettingsQuery>,
) -> Response {
    let ctx = PageCtx::from_request(req);
    let Some(auth) = ctx.auth.as_ref() else {
        return sign_in_redirect(&ctx);
    };
    let current = match service::sender_settings(&state.store, &auth.actor).await {
        Ok(s) => s,
        Err(err) => return service_error_page(&ctx, err),
    };
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
    let test = TestForm {
        to: auth.email.clone(),
        ..TestForm::default()
    };
    settings_page(
        &ctx,
        SettingsView {
            sender: &sender_form(&current),
            test: &test,
            test_sms: &TestForm::default(),
            sms_provider: state.config.notify.sms_provider.is_some(),
            errors: &FieldErrors::new(),
            workshop_name: &current.workshop_name,
            notice,
        },
        StatusCode::OK,
    )
}

#[handler]
pub async fn save_sender(
    req: &Request,
    state: Data<&AppState>,
    Form(form): Form<SenderForm>,
) -> Response {
    let ctx = PageCtx::from_request(req);
    let Some(auth) = ctx.auth.as_ref() else {
        return sign_in_redirect(&ctx);
    };
    let test = TestForm {
        to: auth.email.clone(),
        ..TestForm::default()
    };
    let workshop = ctx.tenant().map(|t| t.name.clone()).unwrap_or_default();
    let show = |errors: &FieldErrors, status| {
        settings_page(
            &ctx,
            SettingsView {
                sender: &form,
                test: &test,
                test_sms: &TestForm::default(),
                sms_provider: state.config.notify.sms_provider.is_some(),
                errors,
                workshop_name: &workshop,
                notice: None,
            },
            status,
        )
    };
    let csrf = csrf_errors(req, &form.csrf);
    if !csrf.is_empty() {
        return show(&csrf, StatusCode::FORBIDDEN);
    }
    let input = service::SenderInput {
        sender_name: &form.sender_name,
        reply_to: &form.reply_to,
        sms_sender: &form.sms_sender,
    };
    match service::update_sender(&state.store, &state.config.notify, &auth.actor, input).await {
        Ok(_) => Redirect::see_other(ctx.link("/portal/settings/messages?saved=1")).into_response(),
        Err(ServiceError::Invalid(errors)) => show(&errors, StatusCode::UNPROCESSABLE_ENTITY),
        Err(err) => service_error_page(&ctx, err),
    }
}

#[handler]
pub async fn send_test(
    req: &Request,
    state: Data<&AppState>,
    Form(form): Form<TestForm>,
) -> Response {
    let ctx = PageCtx::from_request(req);
    let Some(auth) = ctx.auth.as_ref() else {
        return sign_in_redirect(&ctx);
    };
    let current = match service::sender_settings(&state.store, &auth.actor).await {
        Ok(s) => s,
        Err(err) => return service_error_page(&ctx, err),
    };
    let sms = form.channel == "sms";
    let own_email = TestForm {
        to: auth.email.clone(),
        ..TestForm::default()
    };
    let (email_form, sms_form) = if sms {
        (&own_email, &form)
    } else {
        (&form, &TestForm::default())
    };
    let show = |errors: &FieldErrors, status| {
        settings_page(
            &ctx,
            SettingsView {
                sender: &sender_form(&current),
                test: email_form,
                test_sms: sms_form,
                sms_provider: state.config.notify.sms_provider.is_some(),
                errors,
                workshop_name: &current.workshop_name,
                notice: None,
            },
            status,
        )
    };
    let csrf = csrf_errors(req, &form.csrf);
    if !csrf.is_empty() {
        return show(&csrf, StatusCode::FORBIDDEN);
    }
    let channel = if sms { Channel::Sms } else { Channel::Email };
    match service::send_test(
        &state.store,
        &state.outbox,
        &state.live,
        &auth.actor,
        channel,
        &auth.name,
        &form.to,
    )
    .await
    {
        Ok(_) => {
            let to: String =
                url::form_urlencoded::byte_serialize(form.to.trim().as_bytes()).collect();
            Redirect::see_other(ctx.link(&format!("/portal/settings/messages?sent_to={to}")))
                .into_response()
        }
        Err(ServiceError::Invalid(errors)) => {
            // The SMS form's field has its own name, so its message shows beside it.
            let errors = if sms {
                errors.renamed("to", "sms_to")
            } else {
                errors
            };
            show(&errors, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(err) => service_error_page(&ctx, err),
    }
}
