//! The mechanic's side of the portal, made for a phone in the workshop: "my jobs" with the
//! time clock, the job board to apply from, and earnings per pay period.

use chrono::{Duration, NaiveDate};
use maud::{Markup, html};
use pitlane_domain::{
    FieldErrors,
    labour::{ClockAction, ClockState, PayScheme},
    permissions::Permission,
    quantity::format_quantity,
};
use pitlane_workshop::{earnings, jobs};
use poem::{
    IntoResponse, Route, get, handler, post,
    web::{Data, Path, Query},
};
use serde::Deserialize;
use uuid::Uuid;

use crate::pages::kit::{
    PageResult, Pairs, Staff,
    forms::{csrf_input, error_summary, query_link, status_for},
    layout::PageCtx,
    page, submit, table_region,
};
use crate::{links::site_of, tenant::TenantScope};
use pitlane_app::state::AppState;

pub fn routes(routes: Route) -> Route {
    routes
        .at("/portal/my-jobs", get(my_jobs))
        .at("/portal/my-jobs/:id/clock", post(clock))
        .at("/portal/job-board", get(job_board))
        .at("/portal/job-board/:id/apply", post(apply))
        .at("/portal/earnings", get(earnings_page))
}

const LABELS: &[(&str, &str)] = &[
    ("action", "Clock"),
    ("job_id", "Job"),
    ("status", "Repair order"),
    ("note", "Note"),
    ("csrf", "Form"),
];

fn hours(d: Duration) -> String {
    let minutes = d.num_minutes();
    format!("{}:{:02}", minutes / 60, minutes % 60)
}

fn job_card(ctx: &PageCtx, c: &jobs::JobCard, actions: Markup) -> Markup {
    html! {
        article class="job-card" id=(format!("job-{}", c.job.id)) data-status=(c.job.status) {
            h2 { (c.job.title) }
            p { (c.vehicle) " · " (c.number()) }
            p class="muted" {
                "Billed " (format_quantity(c.billed_milli)) " h · clocked " (hours(c.clocked))
                @if let Some(skill) = &c.job.skill { " · " (skill) }
            }
            (actions)
            p { a href=(ctx.link(&format!("/portal/repair-orders/{}", c.order.id))) { "Open the repair order" } }
        }
    }
}

/// The reader's jobs with the clock.
#[handler]
async fn my_jobs(staff: Staff, state: Data<&AppState>) -> PageResult {
    my_jobs_page(&staff, &state, &FieldErrors::new()).await
}

async fn my_jobs_page(staff: &Staff, state: &AppState, errors: &FieldErrors) -> PageResult {
    let ctx = &staff.ctx;
    let cards = jobs::my_jobs(&state.workshop, &staff.actor).await?;
    let clock_button = |c: &jobs::JobCard, action: &str, label: &str, class: &str| {
        html! {
            form method="post" action=(ctx.link(&format!("/portal/my-jobs/{}/clock", c.job.id))) {
                (csrf_input(ctx))
                input type="hidden" name="action" value=(action);
                button class=(class) type="submit" { (label) span class="visually-hidden" { ": " (c.job.title) } }
            }
        }
    };
    let body = page(
        ctx,
        "My jobs",
        Some("my-jobs"),
        html! {
            h1 { "My jobs" }
            p { a href=(ctx.link("/portal/calendar/feeds")) { "Your appointments in your phone's calendar" } }
            (error_summary(errors, LABELS))
            div id="my-jobs" data-live="workshop" data-refresh=(ctx.link("/portal/my-jobs")) {
                @if cards.is_empty() {
                    p { "No jobs for you right now. " a href=(ctx.link("/portal/job-board")) { "See the job board" } "." }
                }
                @for c in &cards {
                    @let actions = match c.clock_state() {
                        ClockState::NotStarted => html! { div class="actions" { (clock_button(c, "start", "Start", "button")) } },
                        ClockState::Running => html! { div class="actions" {
                            strong { "Running" }
                            (clock_button(c, "pause", "Pause", "button secondary"))
                            (clock_button(c, "finish", "Finish", "button"))
                        } },
                        ClockState::Paused => html! { div class="actions" {
                            (clock_button(c, "start", "Resume", "button"))
                            (clock_button(c, "finish", "Finish", "button secondary"))
                        } },
                        ClockState::Finished => html! { p { strong { "Finished" } } },
                    };
                    (job_card(ctx, c, actions))
                }
            }
            p { a href=(ctx.link("/portal/job-board")) { "Job board" } " · " a href=(ctx.link("/portal/earnings")) { "My earnings" } " · " a href=(ctx.link("/portal/reports/technicians")) { "My productivity" } }
        },
    );
    Ok((status_for(errors), body).into_response())
}

#[handler]
async fn clock(
    staff: Staff,
    Data(state): Data<&AppState>,
    Data(scope): Data<&TenantScope>,
    Path(id): Path<Uuid>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    let site = site_of(&state.config, scope);
    let ws = &state.workshop;
    submit(
        &staff.ctx,
        form,
        |p| async move {
            let action = match p.get("action") {
                "start" => ClockAction::Start,
                "pause" => ClockAction::Pause,
                "finish" => ClockAction::Finish,
                _ => {
                    return Err(
                        FieldErrors::single("action", "choose start, pause or finish").into(),
                    );
                }
            };
            jobs::clock_job(ws, &staff.actor, id, action, &site).await?;
            Ok(format!("/portal/my-jobs#job-{id}"))
        },
        |_, errors| async move { my_jobs_page(staff, state, &errors).await },
    )
    .await
}

/// The open jobs the reader may apply for (all of them, for an advisor).
#[handler]
async fn job_board(staff: Staff, state: Data<&AppState>) -> PageResult {
    job_board_page(&staff, &state, &FieldErrors::new()).await
}

async fn job_board_page(staff: &Staff, state: &AppState, errors: &FieldErrors) -> PageResult {
    let (ctx, actor) = (&staff.ctx, &staff.actor);
    let cards = jobs::board(&state.workshop, actor).await?;
    let may_apply = actor.can(Permission::JobsWork) && !actor.can(Permission::RepairOrdersWrite);
    let body = page(
        ctx,
        "Job board",
        Some("my-jobs"),
        html! {
            h1 { "Job board" }
            (error_summary(errors, LABELS))
            div id="job-board" data-live="workshop" data-refresh=(ctx.link("/portal/job-board")) {
                @if cards.is_empty() { p { "No open jobs on the board." } }
                @for c in &cards {
                    @let actions = if c.applied {
                        html! { p { strong { "You applied" } } }
                    } else if may_apply {
                        html! {
                            form class="stack" method="post" action=(ctx.link(&format!("/portal/job-board/{}/apply", c.job.id))) {
                                (csrf_input(ctx))
                                div class="field" {
                                    label for=(format!("note-{}", c.job.id)) { "Note for the advisor (optional)" }
                                    input id=(format!("note-{}", c.job.id)) name="note" type="text";
                                }
                                div { button class="button" type="submit" { "Apply" span class="visually-hidden" { " for " (c.job.title) } } }
                            }
                        }
                    } else {
                        html! {}
                    };
                    (job_card(ctx, c, actions))
                }
            }
        },
    );
    Ok((status_for(errors), body).into_response())
}

#[handler]
async fn apply(
    staff: Staff,
    Data(state): Data<&AppState>,
    Path(id): Path<Uuid>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    let ws = &state.workshop;
    submit(
        &staff.ctx,
        form,
        |p| async move {
            jobs::apply(ws, &staff.actor, id, p.optional("note").as_deref()).await?;
            Ok("/portal/job-board".to_owned())
        },
        |_, errors| async move { job_board_page(staff, state, &errors).await },
    )
    .await
}

#[derive(Deserialize, Default)]
pub struct EarningsQuery {
    #[serde(default)]
    day: Option<NaiveDate>,
}

/// Earnings for a pay period: the reader's own, or everyone's for those who manage staff.
#[handler]
async fn earnings_page(
    staff: Staff,
    state: Data<&AppState>,
    Query(q): Query<EarningsQuery>,
) -> PageResult {
    let ctx = &staff.ctx;
    let ((start, end), rows) = earnings::for_period(&state.workshop, &staff.actor, q.day).await?;
    let link =
        |day: NaiveDate| ctx.link(&query_link("/portal/earnings", &[("day", day.to_string())]));
    let per_hour = |rate: i64, hour: &str| {
        ctx.money(rate)
            .map(|rate| format!("{rate} per {hour} hour"))
            .unwrap_or_default()
    };
    let scheme = |s: &PayScheme| match s {
        PayScheme::Hourly { rate } => per_hour(*rate, "clocked"),
        PayScheme::FlatRate { rate } => per_hour(*rate, "billed"),
        PayScheme::Commission { share } => format!(
            "{}% of labour sold",
            (*share * rust_decimal::Decimal::from(100)).normalize()
        ),
    };
    let body = page(
        ctx,
        "Earnings",
        Some("my-jobs"),
        html! {
            h1 { "Earnings" }
            nav class="week-nav" aria-label="Pay periods" {
                a href=(link(start - Duration::days(1))) { "← Earlier" }
                strong { (start.format("%-d %b %Y")) " – " ((end - Duration::days(1)).format("%-d %b %Y")) }
                a href=(link(end)) { "Later →" }
            }
            (table_region("Earnings", html! {
                table {
                    thead { tr {
                        th scope="col" { "Mechanic" } th scope="col" { "Pay" } th scope="col" { "Clocked" }
                        th scope="col" { "Billed hours" } th scope="col" { "Efficiency" }
                        th scope="col" { "Roadside" } th scope="col" { "Earned" }
                    } }
                    tbody {
                        @for e in &rows {
                            tr {
                                td { (e.name) }
                                td { (scheme(&e.scheme)) }
                                td { (hours(e.work.clocked)) }
                                td { (e.work.billed_hours.normalize()) }
                                td { @if let Some(x) = e.efficiency { ((x * rust_decimal::Decimal::from(100)).round().normalize()) "%" } @else { "—" } }
                                td {
                                    @if e.roadside_jobs == 0 { "—" } @else {
                                        (e.roadside_jobs) " · "
                                        @if let Some(share) = ctx.money(e.roadside_commission) { (share) }
                                    }
                                }
                                td { strong { @if let Some(earned) = ctx.money(e.earned) { (earned) } } }
                            }
                        }
                    }
                }
            }))
            @if rows.is_empty() { p class="muted" { "Nobody clocked time in this period." } }
            p class="muted" { "Efficiency is billed hours ÷ clocked hours. Hours count jobs finished in the period; a roadside job counts from setting off to its end, and its share of the call-out is earned." }
        },
    );
    Ok(body.into_response())
}
