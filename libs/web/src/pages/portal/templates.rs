//! The portal's template editor: every message kind on e-mail and SMS, each editable with
//! its variables listed, previewed with sample data in the workshop's brand before saving,
//! and reset to the built-in wording.

use maud::html;
use pitlane_domain::{
    FieldErrors, ServiceError,
    messages::{COMMON_VARIABLES, Channel, MessageKind},
};
use pitlane_notify::{Composed, templates};
use poem::{
    IntoResponse, Request, Response, handler,
    http::StatusCode,
    web::{Data, Form, Path, Query, Redirect},
};
use serde::Deserialize;

use super::{
    errors::{expired_form, service_error_page, sign_in_redirect},
    forms::{Field, csrf_errors, csrf_input, describedby, error_summary},
    layout::{PageCtx, page},
};
use crate::state::AppState;

fn channel_label(channel: Channel) -> &'static str {
    match channel {
        Channel::Email => "E-mail",
        Channel::Sms => "SMS",
    }
}

#[handler]
pub async fn list(req: &Request, state: Data<&AppState>) -> Response {
    let ctx = PageCtx::from_request(req);
    let Some(auth) = ctx.auth.as_ref() else {
        return sign_in_redirect(&ctx);
    };
    let all = match templates::list(&state.store, &auth.actor).await {
        Ok(all) => all,
        Err(err) => return service_error_page(&ctx, err),
    };
    let body = html! {
        h1 { "Message templates" }
        p class="muted" { "The wording of every message your workshop sends. Until you change one, the built-in wording is used." }
        table {
            thead { tr { th scope="col" { "Message" } th scope="col" { "Channel" } th scope="col" { "Wording" } th scope="col" { span class="visually-hidden" { "Actions" } } } }
            tbody {
                @for t in &all {
                    tr {
                        td { (t.kind.label()) }
                        td { (channel_label(t.channel)) }
                        td { @if t.custom { "Your own" } @else { span class="muted" { "Built-in" } } }
                        td { a href=(ctx.link(&format!("/portal/settings/templates/{}/{}", t.kind.as_str(), t.channel.as_str()))) { "Edit" span class="visually-hidden" { " " (t.kind.label()) " " (channel_label(t.channel)) } } }
                    }
                }
            }
        }
    };
    page(&ctx, "Message templates", Some("settings"), body).into_response()
}

#[derive(Deserialize, Default)]
pub struct TemplateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    body: String,
    /// `preview` shows the result without saving.
    #[serde(default)]
    action: String,
}

#[derive(Deserialize, Default)]
pub struct EditQuery {
    #[serde(default)]
    saved: Option<String>,
    #[serde(default)]
    reset: Option<String>,
}

fn key(kind: &str, channel: &str) -> Option<(MessageKind, Channel)> {
    Some((MessageKind::parse(kind)?, Channel::parse(channel)?))
}

struct EditView<'a> {
    kind: MessageKind,
    channel: Channel,
    form: &'a TemplateForm,
    custom: bool,
    errors: &'a FieldErrors,
    preview: Option<Composed>,
    notice: Option<&'a str>,
}

fn edit_page(ctx: &PageCtx, view: EditView<'_>, status: StatusCode) -> Response {
    let EditView {
        kind,
        channel,
        form,
        custom,
        errors,
        preview,
        notice,
    } = view;
    let path = format!(
        "/portal/settings/templates/{}/{}",
        kind.as_str(),
        channel.as_str()
    );
    let title = format!("{} · {}", kind.label(), channel_label(channel));
    let body_error = errors.message_for("body");
    let variables: Vec<&str> = COMMON_VARIABLES
        .iter()
        .chain(kind.variables())
        .copied()
        .collect();
    let body = html! {
        p { a href=(ctx.link("/portal/settings/templates")) { "All templates" } }
        h1 { (title) }
        @if let Some(notice) = notice { div class="notice success" role="status" { (notice) } }
        (error_summary(errors, &[("subject", "Subject"), ("body", "Text"), ("csrf", "Form")]))
        div class="grid" {
            form class="stack card" method="post" action=(ctx.link(&path)) novalidate {
                (csrf_input(ctx))
                @if channel == Channel::Email {
                    (Field::new("subject", "Subject", &form.subject).required().render(errors))
                }
                div class="field" {
                    label for="f-body" { "Text" }
                    span class="hint" id="f-body-hint" {
                        "Variables, written like {{ name }}: "
                        @for (i, v) in variables.iter().enumerate() {
                            @if i > 0 { ", " }
                            code { "{{ " (v) " }}" }
                        }
                        @if channel == Channel::Sms { ". At most 1,600 characters; 160 fit one SMS." }
                    }
                    textarea id="f-body" name="body" rows="10" required
                        aria-invalid=[body_error.map(|_| "true")]
                        aria-describedby=[describedby("f-body", true, body_error.is_some())] { (form.body) }
                    @if let Some(error) = body_error { span class="error" id="f-body-error" { (error) } }
                }
                div class="actions" {
                    button class="button secondary" type="submit" name="action" value="preview" { "Preview" }
                    button class="button" type="submit" name="action" value="save" { "Save template" }
                }
            }
            section class="card" aria-labelledby="preview-title" {
                h2 id="preview-title" { "Preview with sample data" }
                @match &preview {
                    Some(p) => {
                        @if let Some(subject) = &p.subject { p { strong { "Subject: " } (subject) } }
                        @if let Some(html) = &p.html {
                            // The attribute escaping maud applies is what srcdoc expects.
                            iframe class="mail-preview" title="E-mail preview" sandbox="" srcdoc=(html) {}
                        } @else {
                            pre class="sms-preview" { (p.text) }
                            p class="muted" { (p.text.chars().count()) " characters" }
                        }
                    }
                    None => p class="muted" { "Fix the template to see its preview." }
                }
            }
        }
        @if custom {
            form method="post" action=(ctx.link(&format!("{path}/reset"))) {
                (csrf_input(ctx))
                button class="link-button" type="submit" { "Go back to the built-in wording" }
            }
        }
    };
    (status, page(ctx, &title, Some("settings"), body)).into_response()
}

async fn preview_of(
    state: &AppState,
    auth: &crate::session::Auth,
    kind: MessageKind,
    channel: Channel,
    form: &TemplateForm,
) -> Result<Composed, ServiceError> {
    templates::preview(
        &state.store,
        &auth.actor,
        kind,
        channel,
        Some(form.subject.as_str()).filter(|_| channel == Channel::Email),
        &form.body,
    )
    .await
}

#[handler]
pub async fn edit(
    req: &Request,
    state: Data<&AppState>,
    Path((kind, channel)): Path<(String, String)>,
    Query(q): Query<EditQuery>,
) -> Response {
    let ctx = PageCtx::from_request(req);
    let Some(auth) = ctx.auth.as_ref() else {
        return sign_in_redirect(&ctx);
    };
    let Some((kind, channel)) = key(&kind, &channel) else {
        return service_error_page(&ctx, ServiceError::NotFound);
    };
    let current = match templates::get(&state.store, &auth.actor, kind, channel).await {
        Ok(t) => t,
        Err(err) => return service_error_page(&ctx, err),
    };
    let form = TemplateForm {
        subject: current.subject.clone().unwrap_or_default(),
        body: current.body.clone(),
        ..TemplateForm::default()
    };
    let preview = preview_of(&state, auth, kind, channel, &form).await.ok();
    let notice = if q.saved.is_some() {
        Some("Saved. New messages use this wording.")
    } else if q.reset.is_some() {
        Some("Back to the built-in wording.")
    } else {
        None
    };
    edit_page(
        &ctx,
        EditView {
            kind,
            channel,
            form: &form,
            custom: current.custom,
            errors: &FieldErrors::new(),
            preview,
            notice,
        },
        StatusCode::OK,
    )
}

#[handler]
pub async fn save(
    req: &Request,
    state: Data<&AppState>,
    Path((kind, channel)): Path<(String, String)>,
    Form(form): Form<TemplateForm>,
) -> Response {
    let ctx = PageCtx::from_request(req);
    let Some(auth) = ctx.auth.as_ref() else {
        return sign_in_redirect(&ctx);
    };
    let Some((kind, channel)) = key(&kind, &channel) else {
        return service_error_page(&ctx, ServiceError::NotFound);
    };
    let custom = templates::get(&state.store, &auth.actor, kind, channel)
        .await
        .map(|t| t.custom)
        .unwrap_or(false);
    let show = |errors: &FieldErrors, preview: Option<Composed>, status| {
        edit_page(
            &ctx,
            EditView {
                kind,
                channel,
                form: &form,
                custom,
                errors,
                preview,
                notice: None,
            },
            status,
        )
    };
    let csrf = csrf_errors(req, &form.csrf);
    if !csrf.is_empty() {
        return show(&csrf, None, StatusCode::FORBIDDEN);
    }
    let subject = Some(form.subject.as_str()).filter(|_| channel == Channel::Email);
    if form.action == "preview" {
        return match preview_of(&state, auth, kind, channel, &form).await {
            Ok(preview) => show(&FieldErrors::new(), Some(preview), StatusCode::OK),
            Err(ServiceError::Invalid(errors)) => {
                show(&errors, None, StatusCode::UNPROCESSABLE_ENTITY)
            }
            Err(err) => service_error_page(&ctx, err),
        };
    }
    match templates::save(
        &state.store,
        &auth.actor,
        kind,
        channel,
        subject,
        &form.body,
    )
    .await
    {
        Ok(_) => Redirect::see_other(ctx.link(&format!(
            "/portal/settings/templates/{}/{}?saved=1",
            kind.as_str(),
            channel.as_str()
        )))
        .into_response(),
        Err(ServiceError::Invalid(errors)) => show(&errors, None, StatusCode::UNPROCESSABLE_ENTITY),
        Err(err) => service_error_page(&ctx, err),
    }
}

#[derive(Deserialize, Default)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

#[handler]
pub async fn reset(
    req: &Request,
    state: Data<&AppState>,
    Path((kind, channel)): Path<(String, String)>,
    Form(form): Form<CsrfForm>,
) -> Response {
    let ctx = PageCtx::from_request(req);
    let Some(auth) = ctx.auth.as_ref() else {
        return sign_in_redirect(&ctx);
    };
    let Some((kind, channel)) = key(&kind, &channel) else {
        return service_error_page(&ctx, ServiceError::NotFound);
    };
    if !csrf_errors(req, &form.csrf).is_empty() {
        return expired_form(&ctx);
    }
    match templates::reset(&state.store, &auth.actor, kind, channel).await {
        Ok(_) => Redirect::see_other(ctx.link(&format!(
            "/portal/settings/templates/{}/{}?reset=1",
            kind.as_str(),
            channel.as_str()
        )))
        .into_response(),
        Err(err) => service_error_page(&ctx, err),
    }
}
