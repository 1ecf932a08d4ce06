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
    IntoResponse, Request, Route, get, handler, post,
    session::Session,
    web::{Data, Path, Query, Redirect},
};
use serde::Deserialize;
use uuid::Uuid;

use crate::pages::kit::{
    PageResult, Pairs, Staff,
    forms::{Field, checkbox_group, csrf_input, error_summary, status_for},
    page, table_region,
};
use crate::{links::site_of, tenant::TenantScope};
use pitlane_app::state::AppState;

pub fn routes(routes: Route) -> Route {
    routes
        .at("/portal/account", get(account))
        .at("/portal/account/verify-email", post(resend_verification))
        .at(
            "/portal/account/sign-out-everywhere",
            post(sign_out_everywhere),
        )
        .at("/portal/settings/api-keys", get(keys_list).post(create_key))
        .at("/portal/settings/api-keys/:id/revoke", post(revoke_key))
        .at("/portal/audit", get(audit_log))
}

fn when(at: Option<DateTime<Utc>>) -> String {
    at.map_or_else(
        || "—".to_owned(),
        |t| t.format("%Y-%m-%d %H:%M UTC").to_string(),
    )
}

/// The keys and the form for a new one; `secret` is the key just made, shown only this once.
async fn keys_page(
    staff: &Staff,
    state: &AppState,
    form: &Pairs,
    errors: &FieldErrors,
    secret: Option<String>,
) -> PageResult {
    let ctx = &staff.ctx;
    let keys = api_keys::list(&state.store, &staff.actor).await?;
    let grantable: Vec<(String, String)> = Permission::ALL
        .iter()
        .filter(|p| staff.actor.can(**p))
        .map(|p| (p.key().to_owned(), format!("{} ({})", p.label(), p.key())))
        .collect();
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
                    (table_region("API keys", html! {
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
                    }))
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
    Ok((status_for(errors), body).into_response())
}

#[handler]
async fn keys_list(staff: Staff, state: Data<&AppState>) -> PageResult {
    keys_page(&staff, &state, &Pairs::default(), &FieldErrors::new(), None).await
}

/// The new key's form as a service input; a date that does not parse is the form's mistake.
fn key_input(form: &Pairs) -> Result<KeyInput, ServiceError> {
    let expires_at = match form.get("expires_at").trim() {
        "" => None,
        raw => match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
            Ok(day) => day.and_hms_opt(23, 59, 59).map(|t| t.and_utc()),
            Err(_) => {
                return Err(
                    FieldErrors::single("expires_at", "must be a date such as 2027-01-31").into(),
                );
            }
        },
    };
    Ok(KeyInput {
        name: form.get("name").to_owned(),
        permissions: form.all("permissions"),
        expires_at,
    })
}

/// Not `submit`: the new key's secret is shown on this answer only, never in a URL, a log or
/// the session.
#[handler]
async fn create_key(staff: Staff, state: Data<&AppState>, form: Pairs) -> PageResult {
    let created = match key_input(&form) {
        Ok(input) => api_keys::create(&state.store, &staff.actor, input).await,
        Err(err) => Err(err),
    };
    match created {
        Ok(created) => {
            keys_page(
                &staff,
                &state,
                &Pairs::default(),
                &FieldErrors::new(),
                Some(created.secret),
            )
            .await
        }
        Err(ServiceError::Invalid(errors) | ServiceError::Conflict(errors)) => {
            keys_page(&staff, &state, &form, &errors, None).await
        }
        Err(other) => Err(other.into()),
    }
}

#[handler]
async fn revoke_key(staff: Staff, state: Data<&AppState>, Path(id): Path<Uuid>) -> PageResult {
    api_keys::revoke(&state.store, &staff.actor, id).await?;
    Ok(Redirect::see_other(staff.ctx.link("/portal/settings/api-keys")).into_response())
}

// ---- Audit log ----

#[derive(Deserialize, Default)]
struct AuditQuery {
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
async fn audit_log(
    staff: Staff,
    state: Data<&AppState>,
    Query(q): Query<AuditQuery>,
) -> PageResult {
    let ctx = &staff.ctx;
    let mut errors = FieldErrors::new();
    let filter = Filter {
        action: Some(q.action.clone()),
        actor: Some(q.actor.clone()),
        since: day(&q.since, "since", &mut errors, false),
        until: day(&q.until, "until", &mut errors, true),
    };
    let page_of = audit::list(&state.store, &staff.actor, &filter, q.before, 100).await?;
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
        ctx,
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
            (table_region("Audit log", html! {
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
            }))
            @if page_of.items.is_empty() { p class="muted" { "Nothing matches." } }
            @if let Some(next) = next { p { a href=(next) { "Older entries" } } }
        },
    );
    Ok(body.into_response())
}

// ---- The person's own account ----

#[handler]
async fn account(staff: Staff, req: &Request, state: Data<&AppState>) -> PageResult {
    let ctx = &staff.ctx;
    let Some(auth) = &ctx.auth else {
        return Err(ServiceError::Unauthenticated.into());
    };
    let verified = pitlane_identity::account::is_verified(&state.identity, &staff.actor).await?;
    let sent = req.uri().query() == Some("sent");
    Ok(page(ctx, "Your account", Some("account"), html! {
        h1 { "Your account" }
        @if sent { div class="notice success" role="status" { "We sent a new verification link to " (auth.email) "." } }
        dl {
            dt { "Name" } dd { (auth.name) }
            dt { "E-mail" } dd { (auth.email) " " @if verified { "(verified)" } @else { "(not verified yet)" } }
            dt { "Role" } dd { (staff.actor.role.label()) }
        }
        @if !verified {
            form method="post" action=(ctx.link("/portal/account/verify-email")) {
                (csrf_input(ctx))
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
                (csrf_input(ctx))
                button class="button danger" type="submit" { "Sign out everywhere" }
            }
        }
    }).into_response())
}

#[handler]
async fn resend_verification(
    staff: Staff,
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
) -> PageResult {
    let site = site_of(&state.config, &scope);
    pitlane_identity::account::resend_verification(&state.identity, &staff.actor, &site).await?;
    Ok(Redirect::see_other(staff.ctx.link("/portal/account?sent")).into_response())
}

#[handler]
async fn sign_out_everywhere(
    staff: Staff,
    session: &Session,
    state: Data<&AppState>,
) -> PageResult {
    pitlane_identity::sign_out_everywhere(&state.identity, &staff.actor).await?;
    session.purge();
    Ok(Redirect::see_other(staff.ctx.link("/signin?notice=signed-out-everywhere")).into_response())
}
