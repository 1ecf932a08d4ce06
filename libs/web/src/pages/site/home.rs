//! The workshop's front page: booking, the customer's account, its locations.

use maud::html;
use pitlane_app::AppState;
use poem::{IntoResponse, Route, get, handler, web::Data};

use crate::{
    pages::kit::{PageCtx, PageResult, page},
    tenant::TenantScope,
};

pub fn routes(routes: Route) -> Route {
    routes.at("/", get(tenant_home))
}

#[handler]
async fn tenant_home(
    ctx: PageCtx,
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
) -> PageResult {
    let branches = pitlane_tenancy::branches::public_list(&state.store, &scope.ctx()).await?;
    let name = scope.tenant.name.clone();
    Ok(page(
        &ctx,
        "Welcome",
        None,
        html! {
            h1 { "Welcome to " (name) }
            p { a class="button" href=(scope.link("/book")) { "Book a visit" } }
            p { "Booked already? The link in your confirmation opens your booking to change it. " a href=(scope.link("/account")) { "Your account" } " shows your visits and messages." }
            h2 { "Our locations" }
            div class="grid" {
                @for b in &branches {
                    section class="card" aria-label=(b.name) {
                        h3 { (b.name) }
                        address {
                            @for line in [&b.address_line1, &b.address_line2].into_iter().flatten() { (line) br; }
                            @if let Some(city) = &b.city { (b.postal_code.as_deref().unwrap_or("")) " " (city) br; }
                            @if let Some(phone) = &b.phone { a href=(format!("tel:{}", phone.replace(' ', ""))) { (phone) } }
                        }
                        p class="muted" { "Opening hours (" (b.time_zone) "): " (pitlane_tenancy::branches::hours_of(b).summary()) }
                    }
                }
            }
            p { a href=(scope.link("/signin")) { "Staff sign-in" } }
        },
    )
    .into_response())
}
