//! A vehicle's or a customer's repair history (`pitlane_reports::history`): every repair
//! order with its work and every invoice, on a page that prints, and as a tagged PDF.

use maud::html;
use pitlane_domain::ids::{CustomerId, VehicleId};
use pitlane_reports::{
    history::{self, History, Subject},
    text,
};
use poem::{
    IntoResponse, Response, Route, get, handler,
    web::{Data, Path},
};

use super::reports::{pdf_file, table_markup};
use crate::pages::kit::{PageError, PageResult, Staff, page, table_region};
use crate::tenant::TenantScope;
use pitlane_app::state::AppState;

pub fn routes(routes: Route) -> Route {
    routes
        .at("/portal/vehicles/:id/history", get(vehicle_history))
        .at("/portal/vehicles/:id/history/pdf", get(vehicle_pdf))
        .at("/portal/customers/:id/history", get(customer_history))
        .at("/portal/customers/:id/history/pdf", get(customer_pdf))
}

/// Where the subject's own page is, and the history's.
fn paths(subject: Subject) -> (String, String) {
    let own = match subject {
        Subject::Vehicle(id) => format!("/portal/vehicles/{id}"),
        Subject::Customer(id) => format!("/portal/customers/{id}"),
    };
    let history = format!("{own}/history");
    (own, history)
}

async fn show(staff: &Staff, state: &AppState, subject: Subject) -> PageResult {
    let h = history::of(&state.reports, &staff.actor, subject).await?;
    let ctx = &staff.ctx;
    let currency = text::currency(&h.currency);
    let (own, base) = paths(subject);
    let body = html! {
        p class="no-print" { a href=(ctx.link(&own)) { "← Back" } }
        h1 { (h.title) }
        @if !h.facts.is_empty() {
            dl class="facts" {
                @for (label, value) in &h.facts { dt { (label) } dd { (value) } }
            }
        }
        p class="no-print" {
            a class="button secondary" href=(ctx.link(&format!("{base}/pdf"))) { "Download as PDF" }
            " Or print this page: the menus are left off the paper."
        }
        @for t in &h.tables {
            section class="card report-section" aria-labelledby=(format!("h-{}", t.key)) {
                h2 id=(format!("h-{}", t.key)) { (t.title) }
                p class="muted" { (t.description) }
                (table_region(&t.title, table_markup(t, &currency)))
            }
        }
    };
    Ok(page(ctx, &h.title, Some("customers"), body).into_response())
}

fn pdf_of(h: &History, scope: &TenantScope) -> Response {
    pdf_file(
        pitlane_reports::print::history(h, pitlane_reports::print::Letterhead::of(&scope.tenant)),
        &history::history_file_name(h.subject),
    )
}

#[handler]
async fn vehicle_history(
    staff: Staff,
    Data(state): Data<&AppState>,
    Path(id): Path<VehicleId>,
) -> PageResult {
    show(&staff, state, Subject::Vehicle(id)).await
}

#[handler]
async fn customer_history(
    staff: Staff,
    Data(state): Data<&AppState>,
    Path(id): Path<CustomerId>,
) -> PageResult {
    show(&staff, state, Subject::Customer(id)).await
}

#[handler]
async fn vehicle_pdf(
    staff: Staff,
    Data(state): Data<&AppState>,
    Data(scope): Data<&TenantScope>,
    Path(id): Path<VehicleId>,
) -> Result<Response, PageError> {
    let h = history::of(&state.reports, &staff.actor, Subject::Vehicle(id)).await?;
    Ok(pdf_of(&h, scope))
}

#[handler]
async fn customer_pdf(
    staff: Staff,
    Data(state): Data<&AppState>,
    Data(scope): Data<&TenantScope>,
    Path(id): Path<CustomerId>,
) -> Result<Response, PageError> {
    let h = history::of(&state.reports, &staff.actor, Subject::Customer(id)).await?;
    Ok(pdf_of(&h, scope))
}
