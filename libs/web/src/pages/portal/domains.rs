//! Settings → Custom domains: add a host, publish the TXT record shown, check it, remove it.

use maud::html;
use pitlane_domain::{FieldErrors, ServiceError};
use pitlane_store::entity::tenant_domain;
use pitlane_tenancy::domains;
use poem::{
    IntoResponse, Request, Response, handler,
    http::StatusCode,
    web::{Data, Path, Redirect},
};
use uuid::Uuid;

use super::{
    errors::{service_error_page, sign_in_redirect},
    forms::{Field, Pairs, csrf_errors, csrf_input, error_summary},
    layout::{PageCtx, page},
};
use crate::state::AppState;

fn domains_page(
    ctx: &PageCtx,
    rows: &[tenant_domain::Model],
    typed: &str,
    errors: &FieldErrors,
    notice: Option<&str>,
) -> Response {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let body = page(
        ctx,
        "Custom domains",
        Some("settings"),
        html! {
            p { a href=(ctx.link("/portal/settings")) { "← Settings" } }
            h1 { "Custom domains" }
            p { "Serve your booking and repair pages on your own address, such as service.your-garage.com. Point the host at Pitlane (a CNAME), then prove it is yours with the TXT record shown: until then the address shows nothing and no message links to it." }
            @if let Some(notice) = notice { div class="notice success" role="status" { (notice) } }
            (error_summary(errors, &[("host", "Host"), ("csrf", "Form")]))
            @if rows.is_empty() { p class="muted" { "No custom domains yet." } }
            @for d in rows {
                @let (name, value) = domains::challenge(d);
                section class="card" aria-label=(d.host) {
                    h2 { (d.host) }
                    @if d.verified_at.is_some() {
                        p { strong { "Verified" } " — serves your pages." }
                    } @else {
                        p { strong { "Not verified yet" } " — publish this TXT record at your DNS provider, then check:" }
                    }
                    dl {
                        dt { "Record name" } dd { code { (name) } }
                        dt { "Type" } dd { code { "TXT" } }
                        dt { "Value" } dd { code { (value) } }
                    }
                    @if let Some(error) = &d.check_error { p class="muted" { "Last check: " (error) } }
                    div class="actions" {
                        form method="post" action=(ctx.link(&format!("/portal/settings/domains/{}/verify", d.id))) {
                            (csrf_input(ctx))
                            button class="button" type="submit" { "Check now" }
                        }
                        form method="post" action=(ctx.link(&format!("/portal/settings/domains/{}/remove", d.id))) {
                            (csrf_input(ctx))
                            button class="button secondary" type="submit" { "Remove" }
                        }
                    }
                }
            }
            h2 { "Add a domain" }
            form class="stack" method="post" action=(ctx.link("/portal/settings/domains")) novalidate {
                (csrf_input(ctx))
                (Field::new("host", "Host", typed).hint("For example service.your-garage.com").required().render(errors))
                div { button class="button" type="submit" { "Add" } }
            }
        },
    );
    (status, body).into_response()
}

async fn show(
    ctx: &PageCtx,
    state: &AppState,
    typed: &str,
    errors: &FieldErrors,
    notice: Option<&str>,
) -> Response {
    let Some(auth) = &ctx.auth else {
        return sign_in_redirect(ctx);
    };
    match domains::list(&state.store, &auth.actor).await {
        Ok(rows) => domains_page(ctx, &rows, typed, errors, notice),
        Err(err) => service_error_page(ctx, err),
    }
}

#[handler]
pub async fn list(req: &Request, state: Data<&AppState>) -> Response {
    let ctx = PageCtx::from_request(req);
    let notice = match req.uri().query() {
        Some("verified") => Some("Verified: the domain now serves your pages."),
        Some("added") => Some("Added. Publish the TXT record below, then check."),
        Some("removed") => Some("Removed."),
        _ => None,
    };
    show(&ctx, &state, "", &FieldErrors::new(), notice).await
}

/// One ending for the three forms: back to the list with a notice, or the list again
/// with the message (and what was typed).
async fn finish(
    ctx: &PageCtx,
    state: &AppState,
    typed: &str,
    outcome: Result<&str, ServiceError>,
) -> Response {
    match outcome {
        Ok(notice) => {
            if let Some(auth) = &ctx.auth {
                state.tenants.invalidate(auth.actor.tenant_id);
            }
            Redirect::see_other(ctx.link(&format!("/portal/settings/domains?{notice}")))
                .into_response()
        }
        Err(ServiceError::Invalid(errors) | ServiceError::Conflict(errors)) => {
            show(ctx, state, typed, &errors, None).await
        }
        Err(err) => service_error_page(ctx, err),
    }
}

#[handler]
pub async fn add(req: &Request, state: Data<&AppState>, body: String) -> Response {
    let ctx = PageCtx::from_request(req);
    let Some(auth) = ctx.auth.clone() else {
        return sign_in_redirect(&ctx);
    };
    let pairs = Pairs::parse(&body);
    let csrf = csrf_errors(req, pairs.get("csrf"));
    if !csrf.is_empty() {
        return show(&ctx, &state, pairs.get("host"), &csrf, None).await;
    }
    let base = state.config.base_domain.as_deref();
    let outcome = domains::add(&state.store, &auth.actor, pairs.get("host"), base)
        .await
        .map(|_| "added");
    finish(&ctx, &state, pairs.get("host"), outcome).await
}

/// What the buttons on a domain do.
enum DomainAction {
    Verify,
    Remove,
}

async fn act(
    req: &Request,
    state: &AppState,
    id: Uuid,
    body: &str,
    action: DomainAction,
) -> Response {
    let ctx = PageCtx::from_request(req);
    let Some(auth) = ctx.auth.clone() else {
        return sign_in_redirect(&ctx);
    };
    let csrf = csrf_errors(req, Pairs::parse(body).get("csrf"));
    if !csrf.is_empty() {
        return show(&ctx, state, "", &csrf, None).await;
    }
    let outcome = match action {
        DomainAction::Verify => domains::verify(&state.store, state.dns.as_ref(), &auth.actor, id)
            .await
            .map(|_| "verified"),
        DomainAction::Remove => domains::remove(&state.store, &auth.actor, id)
            .await
            .map(|()| "removed"),
    };
    finish(&ctx, state, "", outcome).await
}

#[handler]
pub async fn verify(
    req: &Request,
    state: Data<&AppState>,
    Path(id): Path<Uuid>,
    body: String,
) -> Response {
    act(req, &state, id, &body, DomainAction::Verify).await
}

#[handler]
pub async fn remove(
    req: &Request,
    state: Data<&AppState>,
    Path(id): Path<Uuid>,
    body: String,
) -> Response {
    act(req, &state, id, &body, DomainAction::Remove).await
}
