//! The portal's messages: the delivery state of every e-mail and SMS (dead letters with their
//! last error and a retry button), and the sender settings with a test send.

use maud::{Markup, html};
use pitlane_domain::{FieldErrors, ServiceError};
use pitlane_notify::service::{self, STATUSES, SenderSettings};
use poem::{
    IntoResponse, Request, Response, handler,
    http::StatusCode,
    web::{Data, Form, Path, Query, Redirect},
};
use serde::Deserialize;
use uuid::Uuid;

use super::{
    errors::{service_error_page, sign_in_redirect},
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
    let status = q.status.as_deref().filter(|s| !s.is_empty());
    let page_rows =
        match service::list_messages(&state.store, &auth.actor, status, q.cursor, 50).await {
            Ok(page) => page,
            Err(err) => return service_error_page(&ctx, err),
        };
    let body = html! {
        h1 { "Messages" }
        @if q.retried.is_some() { div class="notice success" role="status" { "The message is back in line and will be sent in a moment." } }
        p class="muted" { "Every e-mail and SMS your workshop sends, and how its delivery went. A failed message can be sent again once the problem is fixed." }
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
                        tr data-message-id=(m.id) data-status=(m.status) {
                            td { (kind_label(&m.kind)) " · " (m.channel) br; span class="muted" { (m.created_at.format("%Y-%m-%d %H:%M UTC")) } }
                            td { (m.recipient) }
                            td { (status_label(&m.status)) }
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
    page(&ctx, "Messages", Some("messages"), body).into_response()
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
        return service_error_page(
            &ctx,
            ServiceError::Forbidden("the form expired; reload the page and try again"),
        );
    }
    match service::retry_message(&state.store, &auth.actor, id).await {
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
}

#[derive(Deserialize, Default)]
pub struct TestForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    to: String,
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
            ("to", "Send the test to"),
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
                div { button class="button" type="submit" { "Save sender" } }
            }
            form class="stack card" method="post" action=(ctx.link("/portal/settings/messages/test")) novalidate {
                h2 { "Send a test e-mail" }
                p class="muted" { "Check your sender setup: the test uses your sender name, reply-to address and brand." }
                (csrf_input(ctx))
                (Field::new("to", "Send the test to", &view.test.to).kind("email").required().autocomplete("email").render(view.errors))
                div { button class="button" type="submit" { "Send test e-mail" } }
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
                    "Test e-mail queued for " (to) ". It should arrive within a minute; "
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
    match service::update_sender(&state.store, &auth.actor, &form.sender_name, &form.reply_to).await
    {
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
    let show = |errors: &FieldErrors, status| {
        settings_page(
            &ctx,
            SettingsView {
                sender: &sender_form(&current),
                test: &form,
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
    match service::send_test_email(
        &state.store,
        &state.outbox,
        &auth.actor,
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
        Err(ServiceError::Invalid(errors)) => show(&errors, StatusCode::UNPROCESSABLE_ENTITY),
        Err(err) => service_error_page(&ctx, err),
    }
}
