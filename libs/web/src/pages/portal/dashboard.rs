//! The staff portal: the dashboard (today, the week against its goal, the floor, mechanics,
//! money and what needs attention, refreshed live) and the tenant's brand settings.

use maud::{Markup, html};
use pitlane_domain::{
    FieldErrors, ServiceError, brand::Color, money::format_amount, permissions::Permission,
    repair_order::RepairOrderStatus, text::CurrencyCode,
};
use pitlane_tenancy::brand::{BrandInput, update_brand};
use poem::{
    IntoResponse, Response, Route, get, handler, post,
    web::{Data, Query},
};
use serde::Deserialize;

use crate::pages::kit::{
    PageCtx, PageResult, Pairs, Staff,
    forms::{Field, csrf_input, describedby, error_summary, query_link, select, status_for},
    page, submit, table_region,
};
use pitlane_app::state::AppState;

pub fn routes(routes: Route) -> Route {
    routes
        .at("/portal", get(dashboard))
        .at("/portal/goal", post(save_goal))
        .at("/portal/digest", post(save_digest))
        .at("/portal/settings", get(settings).post(save_settings))
}

#[derive(Deserialize, Default)]
struct DashboardQuery {
    #[serde(default)]
    branch_id: Option<String>,
    #[serde(default)]
    saved: Option<String>,
}

/// A tile: a heading that links to the list behind it, and what it says.
fn tile(key: &str, title: &str, href: &str, content: Markup) -> Markup {
    html! {
        div class="tile" data-tile=(key) {
            h3 { a href=(href) { (title) } }
            (content)
        }
    }
}

fn hours(milli: i64) -> String {
    format!("{} h", pitlane_domain::quantity::format_quantity(milli))
}

#[handler]
async fn dashboard(
    staff: Staff,
    state: Data<&AppState>,
    Query(q): Query<DashboardQuery>,
) -> PageResult {
    let ctx = &staff.ctx;
    let Some(auth) = ctx.auth.as_ref() else {
        return Err(ServiceError::Unauthenticated.into());
    };
    let branch_id = q
        .branch_id
        .as_deref()
        .filter(|s| !s.is_empty())
        .and_then(|s| uuid::Uuid::try_parse(s).ok());
    // Everything the dashboard shows, in one transaction.
    let d = pitlane_reports::dashboard::glance(&state.reports, &staff.actor, branch_id).await?;
    let currency = CurrencyCode::parse(&d.currency)
        .unwrap_or_else(|_| CurrencyCode::parse("EUR").expect("EUR"));
    let money = |minor: i64| format_amount(minor, &currency);
    let can = |p: Permission| staff.actor.can(p);
    // Owners are told where the workshop stands with its plan (trial ending, payment failed).
    let plan_banner = ctx
        .tenant()
        .filter(|_| state.billing.gateway.is_some())
        .filter(|_| can(Permission::BillingManage))
        .and_then(|t| pitlane_billing::subscriptions::Standing::of(t, chrono::Utc::now()).banner());
    let here_query = d.branch.as_ref().map(|b| b.id.to_string()).unwrap_or_default();
    let here = query_link("/portal", &[("branch_id", here_query.clone())]);
    let report = |kind: &str, preset: &str| {
        ctx.link(&query_link(
            &format!("/portal/reports/{kind}"),
            &[("preset", preset.to_owned()), ("branch_id", here_query.clone())],
        ))
    };
    // The branch shown by name: the one chosen, or the only one the reader sees.
    let where_label = d
        .branch
        .as_ref()
        .or(if d.branches.len() == 1 { d.branches.first() } else { None })
        .map_or("All branches", |b| b.name.as_str());
    let mut branch_options = vec![(String::new(), "All branches".to_owned())];
    branch_options.extend(d.branches.iter().map(|b| (b.id.to_string(), b.name.clone())));
    let digest = d.digest;
    let goal_branch = d.branch.clone().or_else(|| (d.branches.len() == 1).then(|| d.branches[0].clone()));
    let body = html! {
        @if let Some(banner) = &plan_banner {
            div class="notice" role="status" data-plan-banner {
                (banner) " " a href=(ctx.link("/portal/settings/payments")) { "Go to the plan" }
            }
        }
        h1 { "Dashboard" }
        p class="muted" { "Hello, " (auth.name) ". " (where_label) ", " (d.today.format("%A %-d %B %Y")) "." }
        @if q.saved.as_deref() == Some("1") { div class="notice success" role="status" { "The weekly goal is saved." } }
        @if d.branches.len() > 1 {
            form class="report-filters" method="get" action=(ctx.link("/portal")) {
                (select("branch_id", "Branch", &branch_options, &here_query, &FieldErrors::new()))
                div { button class="button" type="submit" { "Show" } }
            }
        }
        // Refreshed in place when an invoice, payment, repair order, appointment or
        // conversation changes anywhere in the workshop.
        div id="dashboard-live" data-live="workshop" data-refresh=(ctx.link(&here)) {
            span hidden data-live="calendar" {}
            span hidden data-live="conversations" {}
            @if let Some(t) = &d.takings {
                section aria-labelledby="today-heading" {
                    h2 id="today-heading" { "Today" }
                    div class="tiles" {
                        (tile("car-count", "Car count", &report("car-count", "today"), html! { div class="figure" { (t.today.cars) } div class="compare" { (t.today.invoices) " invoices" } }))
                        (tile("sales", "Sales", &report("sales", "today"), html! { div class="figure" { (money(t.today.net_sales())) } div class="compare" { "Net of tax and credit notes" } }))
                        (tile("gross-profit", "Gross profit", &report("profit", "today"), html! { div class="figure" { (money(t.today.gross_profit())) } }))
                        (tile("average-repair-order", "Average repair order", &report("car-count", "today"), html! { div class="figure" { (t.today.average_repair_order().map_or_else(|| "—".to_owned(), money)) } }))
                    }
                    div class="tiles" {
                        (tile("week", "This week", &report("sales", "week"), html! {
                            div class="figure" { (money(t.week.net_sales())) }
                            @if t.weekly_goal > 0 {
                                @let share = (t.week.net_sales().max(0) * 100 / t.weekly_goal).min(999);
                                progress max=(t.weekly_goal) value=(t.week.net_sales().clamp(0, t.weekly_goal)) aria-label="Progress to the weekly goal" {}
                                div class="compare" { (share) " % of the goal of " (money(t.weekly_goal)) }
                            } @else {
                                div class="compare" { "No weekly goal set." }
                            }
                        }))
                        (tile("payments-today", "Payments today", &report("receivables", "today"), html! {
                            div class="figure" { (money(t.today.payments_minor)) }
                            @if t.payments_today.is_empty() { div class="compare" { "None yet." } }
                            ul { @for (method, amount) in &t.payments_today { li { (method) ": " (money(*amount)) } } }
                        }))
                        @if let Some(u) = &d.unpaid {
                            (tile("unpaid", "Unpaid invoices", &ctx.link("/portal/invoices"), html! {
                                div class="figure" { (money(u.total)) }
                                div class="compare" { (u.invoices) " unpaid" }
                                @if let Some((number, due, id)) = &u.oldest {
                                    div class="compare" { "Oldest: " a href=(ctx.link(&format!("/portal/invoices/{id}"))) { (number) } ", due " (pitlane_reports::dashboard::day_at(d.branch.as_ref().or(d.branches.first()), *due).format("%-d %b %Y")) }
                                }
                            }))
                        }
                    }
                }
            }
            @if d.appointments.is_some() || d.board.is_some() {
                section aria-labelledby="floor-heading" {
                    h2 id="floor-heading" { "The floor" }
                    div class="tiles" {
                        @if let Some(a) = &d.appointments {
                            (tile("appointments", "Appointments today", &ctx.link("/portal/calendar"), html! {
                                div class="figure" { (a.arrived) " arrived" }
                                div class="compare" { (a.due) " still due · " (a.no_shows) " no-shows" }
                            }))
                        }
                        @if let Some(b) = &d.board {
                            (tile("board", "Cars on the board", &ctx.link(&query_link("/portal/repair-orders", &[("branch_id", here_query.clone())])), html! {
                                div class="figure" { (b.open()) }
                                ul { @for (status, n) in &b.by_status {
                                    li { a href=(ctx.link(&query_link("/portal/repair-orders", &[("status", status.key().to_owned()), ("branch_id", here_query.clone())]))) { (status.label()) } ": " (n) }
                                } }
                            }))
                            (tile("waiting", "Waiting", &ctx.link(&query_link("/portal/repair-orders", &[("status", "sent_for_approval".to_owned()), ("branch_id", here_query.clone())])), html! {
                                div class="figure" { (b.count(RepairOrderStatus::SentForApproval)) " for approval" }
                                div class="compare" {
                                    a href=(ctx.link(&query_link("/portal/repair-orders", &[("status", "waiting_for_parts".to_owned()), ("branch_id", here_query.clone())]))) { (b.count(RepairOrderStatus::WaitingForParts)) " for parts" }
                                    " · " (b.overdue) " overdue"
                                }
                            }))
                        }
                    }
                }
            }
            @if let Some(mechanics) = &d.mechanics {
                section aria-labelledby="work-heading" {
                    h2 id="work-heading" { "Mechanics today" }
                    @if mechanics.is_empty() {
                        p class="muted" { "No mechanics yet." }
                    } @else {
                        (table_region("Mechanics today", html! {
                            table {
                                thead { tr { th scope="col" { "Mechanic" } th scope="col" { "Now" } th scope="col" class="num" { "Billed today" } } }
                                tbody { @for m in mechanics {
                                    tr { th scope="row" { (m.name) } td { @if m.clocked_in { "On the clock" } @else { "Off the clock" } } td class="num" { (hours(m.billed_today_milli)) } }
                                } }
                            }
                        }))
                        p { a href=(report("technicians", "today")) { "Productivity and efficiency" } }
                    }
                }
            }
            @if d.low_stock.is_some() || d.unread_conversations.is_some() || d.dead_letters.is_some() || plan_banner.is_some() {
                section aria-labelledby="attention-heading" {
                    h2 id="attention-heading" { "Needs attention" }
                    div class="tiles" {
                        @if let Some(n) = d.unread_conversations {
                            (tile("unread", "Unread conversations", &ctx.link("/portal/inbox?unread=1"), html! { div class="figure" { (n) } }))
                        }
                        @if let Some(n) = d.low_stock {
                            (tile("low-stock", "Parts low on stock", &ctx.link("/portal/inventory"), html! { div class="figure" { (n) } }))
                        }
                        @if let Some(n) = d.dead_letters {
                            (tile("dead-letters", "Messages that failed", &ctx.link("/portal/messages?status=dead"), html! { div class="figure" { (n) } }))
                        }
                        @if let Some(banner) = &plan_banner {
                            (tile("plan", "Your plan", &ctx.link("/portal/settings/payments"), html! { p { (banner) } }))
                        }
                    }
                }
            }
        }
        @if can(Permission::SettingsManage) {
            @if let Some(b) = &goal_branch {
                section class="card no-print" aria-labelledby="goal-heading" {
                    h2 id="goal-heading" { "Weekly sales goal for " (b.name) }
                    form method="post" action=(ctx.link("/portal/goal")) novalidate {
                        (csrf_input(ctx))
                        input type="hidden" name="branch_id" value=(b.id);
                        (Field::new("weekly_goal", "Net sales a week", &pitlane_domain::money::plain_amount(b.weekly_sales_goal_minor, &currency))
                            .hint("Monday to Sunday, net of tax. Empty or 0: no goal.").render(&FieldErrors::new()))
                        div { button class="button secondary" type="submit" { "Save the goal" } }
                    }
                }
            }
        }
        @if let Some(digest) = digest {
            section class="card no-print" aria-labelledby="digest-heading" {
                h2 id="digest-heading" { "This dashboard by e-mail" }
                @if q.saved.as_deref() == Some("digest") { div class="notice success" role="status" { "Saved." } }
                form method="post" action=(ctx.link("/portal/digest")) {
                    (csrf_input(ctx))
                    (select("digest", "Send me a summary", &pitlane_reports::digest::Digest::ALL.iter().map(|d| (d.key().to_owned(), d.label().to_owned())).collect::<Vec<_>>(), digest.key(), &FieldErrors::new()))
                    p class="hint" { "Yesterday's (or last week's) figures and how the floor stands, at the workshop's morning hour." }
                    div { button class="button secondary" type="submit" { "Save" } }
                }
            }
            p { a href=(ctx.link("/portal/reports")) { "All reports" } }
        }
    };
    Ok(page(ctx, "Dashboard", Some("dashboard"), body).into_response())
}

#[handler]
async fn save_digest(staff: Staff, Data(state): Data<&AppState>, form: Pairs) -> PageResult {
    let staff = &staff;
    submit(
        &staff.ctx,
        form,
        |p| async move {
            pitlane_reports::digest::choose(&state.reports, &staff.actor, p.get("digest")).await?;
            Ok("/portal?saved=digest".to_owned())
        },
        |_, errors| async move {
            Err(ServiceError::Invalid(errors).into())
        },
    )
    .await
}

#[handler]
async fn save_goal(staff: Staff, Data(state): Data<&AppState>, form: Pairs) -> PageResult {
    let staff = &staff;
    let branch = form.id("branch_id");
    submit(
        &staff.ctx,
        form,
        |p| async move {
            let branch = branch.ok_or_else(|| FieldErrors::single("branch_id", "no such branch"))?;
            pitlane_reports::dashboard::set_weekly_goal(
                &state.reports,
                &staff.actor,
                branch,
                &pitlane_reports::dashboard::GoalInput {
                    weekly_goal: p.get("weekly_goal").to_owned(),
                },
            )
            .await?;
            Ok(format!("/portal?branch_id={branch}&saved=1"))
        },
        |p, errors| async move {
            let body = html! {
                h1 { "Weekly sales goal" }
                (error_summary(&errors, &[("weekly_goal", "Net sales a week"), ("branch_id", "Branch")]))
                form method="post" action=(staff.ctx.link("/portal/goal")) novalidate {
                    (csrf_input(&staff.ctx))
                    input type="hidden" name="branch_id" value=(p.get("branch_id"));
                    (Field::new("weekly_goal", "Net sales a week", p.get("weekly_goal")).render(&errors))
                    div { button class="button" type="submit" { "Save the goal" } }
                }
            };
            Ok((status_for(&errors), page(&staff.ctx, "Weekly sales goal", Some("dashboard"), body)).into_response())
        },
    )
    .await
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
        p { a href=(ctx.link("/portal/settings/roadside")) { "Roadside help: which branches drive out, their area, prices and escalation; which mechanics drive out" } }
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
