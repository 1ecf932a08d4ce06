//! API keys, the audit log, and the signed-in person's own account (verification, signing
//! out everywhere).

use chrono::{DateTime, NaiveDate, Utc};
use maud::html;
use pitlane_domain::{
    FieldErrors, ServiceError,
    permissions::{Permission, PermissionSet},
};
use pitlane_identity::{
    api_keys::{self, KeyInput},
    audit::{self, Filter},
};
use poem::{
    IntoResponse, Request, Response, handler,
    http::StatusCode,
    session::Session,
    web::{Data, Path, Query, Redirect},
};
use serde::Deserialize;
use uuid::Uuid;

use super::{
    errors::{expired_form, service_error_page, sign_in_redirect},
    forms::{Field, Pairs, checkbox_group, csrf_errors, csrf_input, error_summary},
    layout::{PageCtx, page},
};
use crate::{links::site_of, session::Auth, state::AppState, tenant::TenantScope};

fn when(at: Option<DateTime<Utc>>) -> String {
    at.map_or_else(
        || "—".to_owned(),
        |t| t.format("%Y-%m-%d %H:%M UTC").to_string(),
    )
}

async fn keys_page(
    ctx: &PageCtx,
    state: &AppState,
    auth: &Auth,
    form: &Pairs,
    errors: &FieldErrors,
    secret: Option<String>,
) -> Response {
    let keys = match api_keys::list(&state.store, &auth.actor).await {
        Ok(rows) => rows,
        Err(err) => return service_error_page(ctx, err),
    };
    let grantable: Vec<(String, String)> = Permission::ALL
        .iter()
        .filter(|p| auth.actor.can(**p))
        .map(|p| (p.key().to_owned(), format!("{} ({})", p.label(), p.key())))
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let body = page(
        ctx,
        "API keys",
        Some("settings"),
        html! {
            p { a href=(ctx.link("/portal/settings")) { "← Settings" } }
            h1 { "API keys" }
            p { "Programs use a key as " code { "Authorization: Bearer …" } " on " a href="/api/docs" { "the API" } ". A key can do only what its permissions allow, and never more than your own role." }
            @if let Some(secret) = &secret {
                div class="notice success" role="status" {
                    p { strong { "Copy the key now: it is shown only this once." } }
                    p class="secret" data-secret { (secret) }
                }
            }
            section class="card" aria-labelledby="keys-heading" {
                h2 id="keys-heading" { "Keys" }
                @if keys.is_empty() { p class="muted" { "No keys yet." } }
                @else {
                    table {
                        thead { tr { th scope="col" { "Name" } th scope="col" { "Permissions" } th scope="col" { "Expires" } th scope="col" { "Last used" } th scope="col" { "Status" } th scope="col" { span class="visually-hidden" { "Actions" } } } }
                        tbody {
                            @for k in &keys {
                                tr {
                                    td { (k.name) }
                                    td { (PermissionSet::from_stored(&k.permissions).keys().join(", ")) }
                                    td { (when(k.expires_at)) }
                                    td { (when(k.last_used_at)) }
                                    td { @if k.revoked_at.is_some() { "Revoked" } @else if k.expires_at.is_some_and(|e| e <= Utc::now()) { "Expired" } @else { "Active" } }
                                    td {
                                        @if k.revoked_at.is_none() {
                                            form method="post" action=(ctx.link(&format!("/portal/settings/api-keys/{}/revoke", k.id))) {
                                                (csrf_input(ctx))
                                                button class="link-button" type="submit" { "Revoke" span class="visually-hidden" { " " (k.name) } }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            section class="card" aria-labelledby="new-key-heading" {
                h2 id="new-key-heading" { "New key" }
                (error_summary(errors, &[("name", "Name"), ("permissions", "Permissions"), ("expires_at", "Expires"), ("csrf", "Form")]))
                form class="stack" method="post" action=(ctx.link("/portal/settings/api-keys")) novalidate {
                    (csrf_input(ctx))
                    (Field::new("name", "Name", form.get("name")).hint("What uses it, such as “Accounting export”.").required().render(errors))
                    (checkbox_group("permissions", "Permissions", &grantable, &form.all("permissions"), errors))
                    (Field::new("expires_at", "Expires on (optional)", form.get("expires_at")).kind("date").render(errors))
                    div { button class="button" type="submit" { "Create the key" } }
                }
            }
        },
    );
    (status, body).into_response()
}

#[handler]
pub async fn keys_list(req: &Request, state: Data<&AppState>) -> Response {
    let ctx = PageCtx::from_request(req);
    match ctx.auth.clone() {
        Some(auth) => {
            keys_page(
                &ctx,
                &state,
                &auth,
                &Pairs(Vec::new()),
                &FieldErrors::new(),
                None,
            )
            .await
        }
        None => sign_in_redirect(&ctx),
    }
}

#[handler]
pub async fn create_key(req: &Request, state: Data<&AppState>, body: String) -> Response {
    let ctx = PageCtx::from_request(req);
    let Some(auth) = ctx.auth.clone() else {
        return sign_in_redirect(&ctx);
    };
    let pairs = Pairs::parse(&body);
    let csrf = csrf_errors(req, pairs.get("csrf"));
    if !csrf.is_empty() {
        return keys_page(&ctx, &state, &auth, &pairs, &csrf, None).await;
    }
    let expires_at = match pairs.get("expires_at").trim() {
        "" => None,
        raw => match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
            Ok(day) => day.and_hms_opt(23, 59, 59).map(|t| t.and_utc()),
            Err(_) => {
                let errors = FieldErrors::single("expires_at", "must be a date such as 2027-01-31");
                return keys_page(&ctx, &state, &auth, &pairs, &errors, None).await;
            }
        },
    };
    let input = KeyInput {
        name: pairs.get("name").to_owned(),
        permissions: pairs.all("permissions"),
        expires_at,
    };
    match api_keys::create(&state.store, &auth.actor, input).await {
        // The secret is rendered in this response only: never in a URL, a log or the session.
        Ok(created) => {
            keys_page(
                &ctx,
                &state,
                &auth,
                &Pairs(Vec::new()),
                &FieldErrors::new(),
                Some(created.secret),
            )
            .await
        }
        Err(ServiceError::Invalid(errors) | ServiceError::Conflict(errors)) => {
            keys_page(&ctx, &state, &auth, &pairs, &errors, None).await
        }
        Err(other) => service_error_page(&ctx, other),
    }
}

#[handler]
pub async fn revoke_key(
    req: &Request,
    state: Data<&AppState>,
    Path(id): Path<Uuid>,
    body: String,
) -> Response {
    let ctx = PageCtx::from_request(req);
    let Some(auth) = ctx.auth.clone() else {
        return sign_in_redirect(&ctx);
    };
    if !csrf_errors(req, Pairs::parse(&body).get("csrf")).is_empty() {
        return expired_form(&ctx);
    }
    match api_keys::revoke(&state.store, &auth.actor, id).await {
        Ok(_) => Redirect::see_other(ctx.link("/portal/settings/api-keys")).into_response(),
        Err(err) => service_error_page(&ctx, err),
    }
}

// ---- Audit log ----

#[derive(Deserialize, Default)]
pub struct AuditQuery {
    #[serde(default)]
    action: String,
    #[serde(default)]
    actor: String,
    #[serde(default)]
    since: String,
    #[serde(default)]
    until: String,
    #[serde(default)]
    before: Option<Uuid>,
}

fn day(raw: &str, field: &str, errors: &mut FieldErrors, end: bool) -> Option<DateTime<Utc>> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        Ok(d) => {
            let d = if end { d.succ_opt().unwrap_or(d) } else { d };
            d.and_hms_opt(0, 0, 0).map(|t| t.and_utc())
        }
        Err(_) => {
            errors.add(field, "must be a date such as 2026-11-21");
            None
        }
    }
}

#[handler]
pub async fn audit_log(
    req: &Request,
    state: Data<&AppState>,
    Query(q): Query<AuditQuery>,
) -> Response {
    let ctx = PageCtx::from_request(req);
    let Some(auth) = ctx.auth.clone() else {
        return sign_in_redirect(&ctx);
    };
    let mut errors = FieldErrors::new();
    let filter = Filter {
        action: Some(q.action.clone()),
        actor: Some(q.actor.clone()),
        since: day(&q.since, "since", &mut errors, false),
        until: day(&q.until, "until", &mut errors, true),
    };
    let page_of = match audit::list(&state.store, &auth.actor, &filter, q.before, 100).await {
        Ok(p) => p,
        Err(err) => return service_error_page(&ctx, err),
    };
    let next = page_of.next.map(|id| {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("action", &q.action)
            .append_pair("actor", &q.actor)
            .append_pair("since", &q.since)
            .append_pair("until", &q.until)
            .append_pair("before", &id.to_string())
            .finish();
        format!("{}?{query}", ctx.link("/portal/audit"))
    });
    let body = page(
        &ctx,
        "Audit log",
        Some("audit"),
        html! {
            h1 { "Audit log" }
            p class="muted" { "Every sign-in, role and membership change, API key change and settings change, newest first. Entries cannot be changed or deleted." }
            (error_summary(&errors, &[("since", "From"), ("until", "Until")]))
            form class="filters" method="get" action=(ctx.link("/portal/audit")) {
                (Field::new("action", "Action", &q.action).hint("Such as sign_in.failed, or member. for every membership change").render(&errors))
                (Field::new("actor", "Who", &q.actor).render(&errors))
                (Field::new("since", "From", &q.since).kind("date").render(&errors))
                (Field::new("until", "Until", &q.until).kind("date").render(&errors))
                div { button class="button" type="submit" { "Filter" } }
            }
            table {
                thead { tr { th scope="col" { "When" } th scope="col" { "Who" } th scope="col" { "Action" } th scope="col" { "About" } th scope="col" { "Details" } th scope="col" { "Address" } } }
                tbody {
                    @for e in &page_of.items {
                        tr {
                            td { (e.at.format("%Y-%m-%d %H:%M:%S UTC")) }
                            td { (e.actor) }
                            td { code { (e.action) } }
                            td { (e.subject.as_deref().unwrap_or("—")) }
                            td { (e.detail) }
                            td { (e.ip.as_deref().unwrap_or("—")) }
                        }
                    }
                }
            }
            @if page_of.items.is_empty() { p class="muted" { "Nothing matches." } }
            @if let Some(next) = next { p { a href=(next) { "Older entries" } } }
        },
    );
    body.into_response()
}

// ---- The person's own account ----

#[handler]
pub async fn account(req: &Request, state: Data<&AppState>) -> Response {
    let ctx = PageCtx::from_request(req);
    let Some(auth) = ctx.auth.clone() else {
        return sign_in_redirect(&ctx);
    };
    let verified = match pitlane_identity::account::is_verified(&state.identity, &auth.actor).await
    {
        Ok(v) => v,
        Err(err) => return service_error_page(&ctx, err),
    };
    let sent = req.uri().query() == Some("sent");
    page(&ctx, "Your account", Some("account"), html! {
        h1 { "Your account" }
        @if sent { div class="notice success" role="status" { "We sent a new verification link to " (auth.email) "." } }
        dl {
            dt { "Name" } dd { (auth.name) }
            dt { "E-mail" } dd { (auth.email) " " @if verified { "(verified)" } @else { "(not verified yet)" } }
            dt { "Role" } dd { (auth.actor.role.label()) }
        }
        @if !verified {
            form method="post" action=(ctx.link("/portal/account/verify-email")) {
                (csrf_input(&ctx))
                button class="button" type="submit" { "Send me a new verification link" }
            }
        }
        section class="card" aria-labelledby="two-factor-heading" {
            h2 id="two-factor-heading" { "Two-factor sign-in" }
            p { a href=(ctx.link("/portal/account/two-factor")) { "Set up or change two-factor sign-in" } }
        }
        section class="card" aria-labelledby="sessions-heading" {
            h2 id="sessions-heading" { "Sessions" }
            p { "Lost a phone, or signed in on a shared computer? Sign out on every device, this one included." }
            form method="post" action=(ctx.link("/portal/account/sign-out-everywhere")) {
                (csrf_input(&ctx))
                button class="button danger" type="submit" { "Sign out everywhere" }
            }
        }
    }).into_response()
}

#[handler]
pub async fn resend_verification(
    req: &Request,
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
    body: String,
) -> Response {
    let ctx = PageCtx::from_request(req);
    let Some(auth) = ctx.auth.clone() else {
        return sign_in_redirect(&ctx);
    };
    if !csrf_errors(req, Pairs::parse(&body).get("csrf")).is_empty() {
        return expired_form(&ctx);
    }
    let site = site_of(&state.config, &scope);
    match pitlane_identity::account::resend_verification(&state.identity, &auth.actor, &site).await
    {
        Ok(()) => Redirect::see_other(ctx.link("/portal/account?sent")).into_response(),
        Err(err) => service_error_page(&ctx, err),
    }
}

#[handler]
pub async fn sign_out_everywhere(
    req: &Request,
    session: &Session,
    state: Data<&AppState>,
    body: String,
) -> Response {
    let ctx = PageCtx::from_request(req);
    let Some(auth) = ctx.auth.clone() else {
        return sign_in_redirect(&ctx);
    };
    if !csrf_errors(req, Pairs::parse(&body).get("csrf")).is_empty() {
        return expired_form(&ctx);
    }
    match pitlane_identity::sign_out_everywhere(&state.identity, &auth.actor).await {
        Ok(()) => {
            session.purge();
            Redirect::see_other(ctx.link("/signin?notice=signed-out-everywhere")).into_response()
        }
        Err(err) => service_error_page(&ctx, err),
    }
}
