//! The staff portal: the dashboard and the tenant's brand settings.

use maud::html;
use pitlane_domain::{FieldErrors, ServiceError, brand::Color};
use pitlane_tenancy::brand::{BrandInput, update_brand};
use poem::{
    IntoResponse, Response, Route, get, handler,
    web::{Data, Query},
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
        .at("/portal", get(dashboard))
        .at("/portal/settings", get(settings).post(save_settings))
}

#[handler]
async fn dashboard(staff: Staff, state: Data<&AppState>) -> PageResult {
    let ctx = &staff.ctx;
    let Some(auth) = ctx.auth.as_ref() else {
        return Err(ServiceError::Unauthenticated.into());
    };
    // Everything the dashboard shows, in one transaction.
    let glance = pitlane_workshop::dashboard::glance(&state.workshop, &staff.actor).await?;
    let branches = glance.branches;
    let unread = glance.unread_conversations;
    let open_orders = glance.open_orders;
    let low_stock = glance.low_stock;
    // Owners are told where the workshop stands with its plan (trial ending, payment failed).
    let plan_banner = ctx
        .tenant()
        .filter(|_| state.billing.gateway.is_some())
        .filter(|_| {
            staff
                .actor
                .can(pitlane_domain::permissions::Permission::BillingManage)
        })
        .and_then(|t| pitlane_billing::subscriptions::Standing::of(t, chrono::Utc::now()).banner());
    let body = html! {
        @if let Some(banner) = &plan_banner {
            div class="notice" role="status" data-plan-banner {
                (banner) " " a href=(ctx.link("/portal/settings/payments")) { "Go to the plan" }
            }
        }
        h1 { "Hello, " (auth.name) }
        p class="muted" { "You are signed in as " (staff.actor.role.label()) "." }
        @if let Some(unread) = unread {
            section class="card" aria-labelledby="today-heading" {
                h2 id="today-heading" { "Front desk" }
                p {
                    a href=(ctx.link("/portal/calendar")) { "Today's calendar" } " · "
                    a href=(ctx.link("/portal/inbox?unread=1")) {
                        @match unread { 0 => "No unread conversations", 1 => "1 unread conversation", n => (format!("{n} unread conversations")) }
                    }
                    " · " a href=(ctx.link("/portal/appointments/new")) { "New appointment" }
                }
            }
        }
        @if open_orders.is_some() || low_stock.is_some() {
            section class="card" aria-labelledby="floor-heading" {
                h2 id="floor-heading" { "Workshop" }
                p {
                    @if let Some(n) = open_orders {
                        a href=(ctx.link("/portal/repair-orders")) { @match n { 1 => "1 open repair order", n => (format!("{n} open repair orders")) } }
                    }
                    @if let Some(low) = low_stock {
                        " · " a href=(ctx.link("/portal/inventory")) { @match low { 0 => "No parts low on stock", 1 => "1 part low on stock", n => (format!("{n} parts low on stock")) } }
                    }
                }
            }
        }
        section class="card" aria-labelledby="branches-heading" {
            h2 id="branches-heading" { "Branches" }
            (table_region("Branches", html! {
                table {
                    thead { tr { th scope="col" { "Name" } th scope="col" { "City" } th scope="col" { "Time zone" } th scope="col" { "Phone" } } }
                    tbody {
                        @for b in &branches {
                            tr {
                                td { (b.name) }
                                td { (b.city.as_deref().unwrap_or("—")) }
                                td { (b.time_zone) }
                                td { (b.phone.as_deref().unwrap_or("—")) }
                            }
                        }
                    }
                }
            }))
        }
    };
    Ok(page(ctx, "Dashboard", Some("dashboard"), body).into_response())
}

#[derive(Deserialize, Default)]
struct SettingsQuery {
    #[serde(default)]
    saved: Option<String>,
}

/// The brand form; `form` holds its fields (`name`, `primary_color`, `accent_color`,
/// `logo_url`, `default_theme`), as stored or as typed.
fn settings_page(ctx: &PageCtx, form: &Pairs, errors: &FieldErrors, saved: bool) -> Response {
    let color_field = |name: &'static str, label: &'static str, value: &str| {
        let error = errors.message_for(name);
        let id = format!("f-{name}");
        let picker_value = Color::parse(value)
            .map(|c| c.to_string())
            .unwrap_or_else(|_| "#000000".into());
        html! {
            div class="field" {
                label for=(id) { (label) }
                span class="hint" id=(format!("{id}-hint")) { "A hex colour such as #1f6feb. Text on it is chosen for contrast automatically." }
                div class="color-row" {
                    input type="color" value=(picker_value) data-color-for=(id) aria-label=(format!("{label} picker")) tabindex="-1";
                    input id=(id) name=(name) type="text" value=(value) required pattern="#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?"
                        aria-invalid=[error.map(|_| "true")] aria-describedby=[describedby(&id, true, error.is_some())];
                }
                @if let Some(error) = error { span class="error" id=(format!("{id}-error")) { (error) } }
            }
        }
    };
    let theme_error = errors.message_for("default_theme");
    let body = html! {
        h1 { "Brand settings" }
        p { a href=(ctx.link("/portal/settings/front-desk")) { "Front desk: services, bays, closures, online booking" } }
        p { a href=(ctx.link("/portal/settings/workshop")) { "Workshop: labour rates, tax, parts markup, canned jobs, inspection checklists" } }
        p { a href=(ctx.link("/portal/settings/payments")) { "Payments and plan: Stripe, card payments, your Pitlane plan" } }
        p { a href=(ctx.link("/portal/settings/messages")) { "Message settings: sender name, reply-to, test e-mail" } }
        p { a href=(ctx.link("/portal/settings/api-keys")) { "API keys for programs that use the workshop's data" } }
        p { a href=(ctx.link("/portal/settings/security")) { "Sign-in security: single sign-on, two-factor" } }
        p { a href=(ctx.link("/portal/settings/domains")) { "Custom domains: your pages on your own address" } }
        @if saved { div class="notice success" role="status" { "Saved. Your pages now use the new brand." } }
        (error_summary(errors, &[
            ("name", "Workshop name"),
            ("primary_color", "Primary colour"),
            ("accent_color", "Accent colour"),
            ("logo_url", "Logo address"),
            ("default_theme", "Default theme"),
            ("csrf", "Form"),
        ]))
        div class="grid" {
            form class="stack" method="post" action=(ctx.link("/portal/settings")) novalidate {
                (csrf_input(ctx))
                (Field::new("name", "Workshop name", form.get("name")).required().autocomplete("organization").render(errors))
                (color_field("primary_color", "Primary colour", form.get("primary_color")))
                (color_field("accent_color", "Accent colour", form.get("accent_color")))
                (Field::new("logo_url", "Logo address", form.get("logo_url")).kind("url")
                    .hint("Optional. An https:// link to a PNG, JPEG or SVG logo.").render(errors))
                div class="field" {
                    label for="f-default_theme" { "Default theme for visitors" }
                    select id="f-default_theme" name="default_theme" aria-invalid=[theme_error.map(|_| "true")]
                        aria-describedby=[describedby("f-default_theme", false, theme_error.is_some())] {
                        @for (value, label) in [("system", "Follow the visitor's device"), ("light", "Day"), ("dark", "Night")] {
                            option value=(value) selected[form.get("default_theme") == value] { (label) }
                        }
                    }
                    @if let Some(error) = theme_error { span class="error" id="f-default_theme-error" { (error) } }
                }
                div { button class="button" type="submit" { "Save brand" } }
            }
            aside class="card" aria-label="Preview" {
                h2 { "Preview" }
                p { span class="swatch" { "Primary button" } }
                p { span class="accent-swatch" { "Accent" } }
                p { a href="#main" { "A link in your colour" } }
            }
        }
    };
    (
        status_for(errors),
        page(ctx, "Brand settings", Some("settings"), body),
    )
        .into_response()
}

#[handler]
async fn settings(
    staff: Staff,
    state: Data<&AppState>,
    Query(q): Query<SettingsQuery>,
) -> PageResult {
    let current = pitlane_tenancy::brand::editable_brand(&state.store, &staff.actor).await?;
    let form = Pairs(vec![
        ("name".to_owned(), current.name),
        ("primary_color".to_owned(), current.primary_color),
        ("accent_color".to_owned(), current.accent_color),
        ("logo_url".to_owned(), current.logo_url.unwrap_or_default()),
        ("default_theme".to_owned(), current.default_theme),
    ]);
    Ok(settings_page(
        &staff.ctx,
        &form,
        &FieldErrors::new(),
        q.saved.is_some(),
    ))
}

#[handler]
async fn save_settings(staff: Staff, Data(state): Data<&AppState>, form: Pairs) -> PageResult {
    let staff = &staff;
    submit(
        &staff.ctx,
        form,
        |p| async move {
            let input = BrandInput {
                name: p.get("name").to_owned(),
                primary_color: p.get("primary_color").to_owned(),
                accent_color: p.get("accent_color").to_owned(),
                logo_url: Some(p.get("logo_url").to_owned()),
                default_theme: p.get("default_theme").to_owned(),
            };
            update_brand(&state.store, &staff.actor, input).await?;
            state.tenants.invalidate(staff.actor.tenant_id);
            Ok("/portal/settings?saved=1".to_owned())
        },
        |p, errors| async move { Ok(settings_page(&staff.ctx, &p, &errors, false)) },
    )
    .await
}
