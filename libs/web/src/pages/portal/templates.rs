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
    IntoResponse, Response, Route, get, handler, post,
    web::{Data, Path, Query, Redirect},
};
use serde::Deserialize;

use crate::pages::kit::{
    PageCtx, PageResult, Pairs, Staff,
    forms::{Field, csrf_input, describedby, error_summary, status_for},
    page, submit, table_region,
};
use pitlane_app::state::AppState;

pub fn routes(routes: Route) -> Route {
    routes
        .at("/portal/settings/templates", get(list))
        .at(
            "/portal/settings/templates/:kind/:channel",
            get(edit).post(save),
        )
        .at(
            "/portal/settings/templates/:kind/:channel/reset",
            post(reset),
        )
}

fn channel_label(channel: Channel) -> &'static str {
    match channel {
        Channel::Email => "E-mail",
        Channel::Sms => "SMS",
    }
}

#[handler]
async fn list(staff: Staff, state: Data<&AppState>) -> PageResult {
    let ctx = &staff.ctx;
    let all = templates::list(&state.store, &staff.actor).await?;
    let body = html! {
        h1 { "Message templates" }
        p class="muted" { "The wording of every message your workshop sends. Until you change one, the built-in wording is used." }
        (table_region("Message templates", html! {
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
        }))
    };
    Ok(page(ctx, "Message templates", Some("settings"), body).into_response())
}

#[derive(Deserialize, Default)]
struct EditQuery {
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
    /// The template's `subject` and `body`, stored or typed.
    form: &'a Pairs,
    custom: bool,
    errors: &'a FieldErrors,
    preview: Option<Composed>,
    notice: Option<&'a str>,
}

fn edit_page(ctx: &PageCtx, view: EditView<'_>) -> Response {
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
                    (Field::new("subject", "Subject", form.get("subject")).required().render(errors))
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
                        aria-describedby=[describedby("f-body", true, body_error.is_some())] { (form.get("body")) }
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
    (
        status_for(errors),
        page(ctx, &title, Some("settings"), body),
    )
        .into_response()
}

async fn preview_of(
    state: &AppState,
    staff: &Staff,
    kind: MessageKind,
    channel: Channel,
    form: &Pairs,
) -> Result<Composed, ServiceError> {
    templates::preview(
        &state.store,
        &staff.actor,
        kind,
        channel,
        Some(form.get("subject")).filter(|_| channel == Channel::Email),
        form.get("body"),
    )
    .await
}

#[handler]
async fn edit(
    staff: Staff,
    state: Data<&AppState>,
    Path((kind, channel)): Path<(String, String)>,
    Query(q): Query<EditQuery>,
) -> PageResult {
    let (kind, channel) = key(&kind, &channel).ok_or(ServiceError::NotFound)?;
    let current = templates::get(&state.store, &staff.actor, kind, channel).await?;
    let form = Pairs(vec![
        (
            "subject".to_owned(),
            current.subject.clone().unwrap_or_default(),
        ),
        ("body".to_owned(), current.body.clone()),
    ]);
    let preview = preview_of(&state, &staff, kind, channel, &form).await.ok();
    let notice = if q.saved.is_some() {
        Some("Saved. New messages use this wording.")
    } else if q.reset.is_some() {
        Some("Back to the built-in wording.")
    } else {
        None
    };
    Ok(edit_page(
        &staff.ctx,
        EditView {
            kind,
            channel,
            form: &form,
            custom: current.custom,
            errors: &FieldErrors::new(),
            preview,
            notice,
        },
    ))
}

/// Saves the template, or (`action=preview`) shows it with sample data without saving.
#[handler]
async fn save(
    staff: Staff,
    Data(state): Data<&AppState>,
    Path((kind, channel)): Path<(String, String)>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    let (kind, channel) = key(&kind, &channel).ok_or(ServiceError::NotFound)?;
    let custom = templates::get(&state.store, &staff.actor, kind, channel)
        .await
        .map(|t| t.custom)
        .unwrap_or(false);
    let show = |form: &Pairs, errors: &FieldErrors, preview: Option<Composed>| {
        edit_page(
            &staff.ctx,
            EditView {
                kind,
                channel,
                form,
                custom,
                errors,
                preview,
                notice: None,
            },
        )
    };
    if form.get("action") == "preview" {
        return match preview_of(state, staff, kind, channel, &form).await {
            Ok(preview) => Ok(show(&form, &FieldErrors::new(), Some(preview))),
            Err(ServiceError::Invalid(errors)) => Ok(show(&form, &errors, None)),
            Err(err) => Err(err.into()),
        };
    }
    submit(
        &staff.ctx,
        form,
        |p| async move {
            let subject = Some(p.get("subject")).filter(|_| channel == Channel::Email);
            templates::save(
                &state.store,
                &staff.actor,
                kind,
                channel,
                subject,
                p.get("body"),
            )
            .await?;
            Ok(format!(
                "/portal/settings/templates/{}/{}?saved=1",
                kind.as_str(),
                channel.as_str()
            ))
        },
        |p, errors| async move { Ok(show(&p, &errors, None)) },
    )
    .await
}

#[handler]
async fn reset(
    staff: Staff,
    state: Data<&AppState>,
    Path((kind, channel)): Path<(String, String)>,
) -> PageResult {
    let (kind, channel) = key(&kind, &channel).ok_or(ServiceError::NotFound)?;
    templates::reset(&state.store, &staff.actor, kind, channel).await?;
    Ok(Redirect::see_other(staff.ctx.link(&format!(
        "/portal/settings/templates/{}/{}?reset=1",
        kind.as_str(),
        channel.as_str()
    )))
    .into_response())
}
