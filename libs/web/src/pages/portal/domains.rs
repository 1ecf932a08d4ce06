//! Settings → Custom domains: add a host, publish the TXT record shown, check it, remove it.

use maud::html;
use pitlane_domain::FieldErrors;
use pitlane_store::entity::tenant_domain;
use pitlane_tenancy::domains;
use poem::{
    IntoResponse, Request, Response, Route, get, handler, post,
    web::{Data, Path},
};
use uuid::Uuid;

use crate::pages::kit::{
    PageCtx, PageResult, Pairs, Staff,
    forms::{Field, csrf_input, error_summary, status_for},
    page, submit,
};
use pitlane_app::state::AppState;

pub fn routes(routes: Route) -> Route {
    routes
        .at("/portal/settings/domains", get(list).post(add))
        .at("/portal/settings/domains/:id/verify", post(verify))
        .at("/portal/settings/domains/:id/remove", post(remove))
}

fn domains_page(
    ctx: &PageCtx,
    rows: &[tenant_domain::Model],
    typed: &str,
    errors: &FieldErrors,
    notice: Option<&str>,
) -> Response {
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
    (status_for(errors), body).into_response()
}

async fn show(
    staff: &Staff,
    state: &AppState,
    typed: &str,
    errors: &FieldErrors,
    notice: Option<&str>,
) -> PageResult {
    let rows = domains::list(&state.store, &staff.actor).await?;
    Ok(domains_page(&staff.ctx, &rows, typed, errors, notice))
}

#[handler]
async fn list(staff: Staff, req: &Request, state: Data<&AppState>) -> PageResult {
    let notice = match req.uri().query() {
        Some("verified") => Some("Verified: the domain now serves your pages."),
        Some("added") => Some("Added. Publish the TXT record below, then check."),
        Some("removed") => Some("Removed."),
        _ => None,
    };
    show(&staff, &state, "", &FieldErrors::new(), notice).await
}

/// What the forms do.
enum DomainAction {
    Add,
    Verify(Uuid),
    Remove(Uuid),
}

/// One way for the three forms: back to the list with a notice, or the list again with the
/// message (and what was typed).
async fn act(staff: Staff, state: &AppState, form: Pairs, action: DomainAction) -> PageResult {
    let staff = &staff;
    let typed = form.get("host").to_owned();
    let typed = typed.as_str();
    submit(
        &staff.ctx,
        form,
        |p| async move {
            let actor = &staff.actor;
            let notice = match action {
                DomainAction::Add => {
                    let base = state.config.base_domain.as_deref();
                    domains::add(&state.store, actor, p.get("host"), base).await?;
                    "added"
                }
                DomainAction::Verify(id) => {
                    domains::verify(&state.store, state.dns.as_ref(), actor, id).await?;
                    "verified"
                }
                DomainAction::Remove(id) => {
                    domains::remove(&state.store, actor, id).await?;
                    "removed"
                }
            };
            state.tenants.invalidate(actor.tenant_id);
            Ok(format!("/portal/settings/domains?{notice}"))
        },
        |_, errors| async move { show(staff, state, typed, &errors, None).await },
    )
    .await
}

#[handler]
async fn add(staff: Staff, state: Data<&AppState>, form: Pairs) -> PageResult {
    act(staff, &state, form, DomainAction::Add).await
}

#[handler]
async fn verify(
    staff: Staff,
    state: Data<&AppState>,
    Path(id): Path<Uuid>,
    form: Pairs,
) -> PageResult {
    act(staff, &state, form, DomainAction::Verify(id)).await
}

#[handler]
async fn remove(
    staff: Staff,
    state: Data<&AppState>,
    Path(id): Path<Uuid>,
    form: Pairs,
) -> PageResult {
    act(staff, &state, form, DomainAction::Remove(id)).await
}
