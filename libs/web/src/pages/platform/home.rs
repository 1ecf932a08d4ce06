//! Pages anyone may see: the platform's front page, a tenant's home, the theme switch, assets.

use maud::html;
use pitlane_domain::brand::ThemePreference;
use poem::{
    IntoResponse, Request, Response, handler,
    http::{StatusCode, header},
    web::{
        Data, Form, Redirect,
        cookie::{Cookie, SameSite},
    },
};
use serde::Deserialize;

use super::{
    errors::{error_page, service_error_page},
    forms::{csrf_errors, local_path},
    layout::{CSS, JS, PageCtx, THEME_COOKIE, page},
};
use crate::{state::AppState, tenant::TenantScope};

#[handler]
pub fn stylesheet() -> Response {
    asset(CSS, "text/css; charset=utf-8")
}

#[handler]
pub fn script() -> Response {
    asset(JS, "text/javascript; charset=utf-8")
}

fn asset(body: &'static str, content_type: &'static str) -> Response {
    Response::builder()
        .content_type(content_type)
        .header(header::CACHE_CONTROL, "public, max-age=31536000, immutable")
        .body(body)
}

#[handler]
pub fn platform_home(req: &Request) -> Response {
    let ctx = PageCtx::from_request(req);
    page(
        &ctx,
        "Workshop software",
        None,
        html! {
            h1 { "Pitlane" }
            p { "Workshop management for auto repair chains: bookings, repair orders, mechanics, parts and payments." }
            div class="card" {
                h2 { "Go to your workshop" }
                form class="stack" method="get" action="/go" {
                    div class="field" {
                        label for="f-slug" { "Workshop address" }
                        span class="hint" id="f-slug-hint" { "The name in your workshop's Pitlane address, such as demo." }
                        input id="f-slug" name="slug" type="text" required aria-describedby="f-slug-hint" autocomplete="organization";
                    }
                    div { button class="button" type="submit" { "Continue" } }
                }
                p class="muted" { "Trying Pitlane? " a href="/t/demo/signin" { "Sign in to the demo workshop" } "." }
                p { a class="button" href="/signup" { "Sign up your workshop" } " — free for " (pitlane_tenancy::TRIAL_DAYS) " days." }
                p { "Work for several workshops? " a href="/signin" { "Sign in once and choose" } "." }
            }
        },
    )
    .into_response()
}

#[derive(Deserialize)]
pub struct GoQuery {
    #[serde(default)]
    slug: String,
}

/// The front page's "go to your workshop" box.
#[handler]
pub fn go(poem::web::Query(q): poem::web::Query<GoQuery>) -> Response {
    match pitlane_domain::text::Slug::parse(&q.slug) {
        Ok(slug) => Redirect::see_other(format!("/t/{slug}/signin")).into_response(),
        Err(_) => Redirect::see_other("/").into_response(),
    }
}

#[handler]
pub async fn tenant_home(
    req: &Request,
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
) -> Response {
    let ctx = PageCtx::from_request(req);
    let branches = match pitlane_tenancy::branches::public_list(&state.store, &scope.ctx()).await {
        Ok(rows) => rows,
        Err(err) => return service_error_page(&ctx, err),
    };
    let name = scope.tenant.name.clone();
    page(
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
    .into_response()
}

#[derive(Deserialize)]
pub struct ThemeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    theme: String,
    #[serde(default)]
    back: String,
}

/// The day/night switch without JavaScript: remembers the choice in a cookie and goes back.
#[handler]
pub fn set_theme(req: &Request, Form(form): Form<ThemeForm>) -> Response {
    let ctx = PageCtx::from_request(req);
    if !csrf_errors(req, &form.csrf).is_empty() {
        return error_page(
            &ctx,
            StatusCode::FORBIDDEN,
            "Form expired",
            "Please go back, reload the page and try again.",
        );
    }
    let Ok(theme) = ThemePreference::parse(&form.theme) else {
        return error_page(
            &ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            "Unknown theme",
            "Choose Day, Night or Auto.",
        );
    };
    let mut cookie = Cookie::new_with_str(THEME_COOKIE, theme.as_str());
    cookie.set_path("/");
    cookie.set_same_site(SameSite::Lax);
    cookie.set_max_age(std::time::Duration::from_secs(365 * 24 * 60 * 60));
    req.cookie().add(cookie);
    Redirect::see_other(local_path(&form.back, &ctx.link("/"))).into_response()
}
