//! The front desk's calendar (a day or a week, by bay or by mechanic, live), an
//! appointment's page (move, change status, check in), and booking for a customer.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use maud::{Markup, html};
use pitlane_domain::{
    FieldErrors, ServiceError,
    appointment::AppointmentStatus,
    ids::{AppointmentId, CustomerId, VehicleId},
    permissions::Permission,
    schedule::Slot,
};
use pitlane_frontdesk::{
    appointments::{
        self, AppointmentInput, AppointmentView, Arrival, Calendar, SlotRequest, describe_time,
    },
    availability::{local_today, zone},
    catalogue, customers,
    customers::CustomerQuery,
};
use pitlane_store::entity::branch;
use poem::{
    IntoResponse, Route, get, handler, post,
    web::{Data, Path, Query},
};
use serde::Deserialize;
use uuid::Uuid;

use crate::pages::kit::{
    PageCtx, PageResult, Pairs, Returned, Staff,
    forms::{Field, csrf_input, error_summary, query_link, select, status_for, textarea},
    page, submit, table_region,
};
use crate::{links::site_of, tenant::TenantScope};
use pitlane_app::state::AppState;

pub fn routes(routes: Route) -> Route {
    routes
        .at("/portal/calendar", get(calendar))
        .at("/portal/appointments", post(create))
        .at("/portal/appointments/new", get(new_form))
        .at("/portal/appointments/:id", get(appointment))
        .at("/portal/appointments/:id/move", post(move_appointment))
        .at("/portal/appointments/:id/status", post(change_status))
}

const LABELS: &[(&str, &str)] = &[
    ("starts_at", "Time"),
    ("bay_id", "Bay"),
    ("mechanic_id", "Mechanic"),
    ("service_id", "Service"),
    ("branch_id", "Branch"),
    ("customer_id", "Customer"),
    ("vehicle_id", "Vehicle"),
    ("notes", "Notes"),
    ("status", "Status"),
    ("mileage", "Mileage"),
    ("key_location", "Keys"),
    ("csrf", "Form"),
];

#[derive(Deserialize, Default)]
pub struct CalendarQuery {
    #[serde(default)]
    branch_id: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    view: String,
    #[serde(default)]
    by: String,
}

/// A time on a branch's clock, for staff lists that span branches.
pub fn on_clock(time_zone: &str, at: DateTime<Utc>) -> String {
    let tz: chrono_tz::Tz = time_zone.parse().unwrap_or(chrono_tz::UTC);
    at.with_timezone(&tz)
        .format("%a %-d %b %Y, %H:%M")
        .to_string()
}

fn status_of(a: &AppointmentView) -> AppointmentStatus {
    AppointmentStatus::parse(&a.appointment.status).unwrap_or(AppointmentStatus::Cancelled)
}

fn local_range(b: &branch::Model, a: &AppointmentView) -> String {
    let tz = zone(b);
    format!(
        "{}–{}",
        a.appointment.starts_at.with_timezone(&tz).format("%H:%M"),
        a.appointment.ends_at.with_timezone(&tz).format("%H:%M")
    )
}

fn block(ctx: &PageCtx, b: &branch::Model, a: &AppointmentView) -> Markup {
    let status = status_of(a);
    html! {
        li class="appt" data-status=(status.key()) {
            a href=(ctx.link(&format!("/portal/appointments/{}", a.appointment.id))) {
                strong { (local_range(b, a)) } " " (a.customer_name)
            }
            br;
            span class="muted" { (a.service_name) @if let Some(v) = &a.vehicle { " · " (v) } " · " (status.label()) }
        }
    }
}

/// The calendar's body: a table per day, a row per bay (or mechanic), the appointments in it.
fn board(ctx: &PageCtx, cal: &Calendar, by_mechanic: bool) -> Markup {
    let tz = zone(&cal.branch);
    let rows: Vec<(Uuid, String)> = if by_mechanic {
        cal.mechanics.clone()
    } else {
        cal.bays.iter().map(|b| (b.id, b.name.clone())).collect()
    };
    let shown: Vec<&AppointmentView> = cal
        .appointments
        .iter()
        .filter(|a| status_of(a).holds_time() || status_of(a) == AppointmentStatus::NoShow)
        .collect();
    let on = |day: NaiveDate, row: Uuid| -> Vec<&AppointmentView> {
        shown
            .iter()
            .filter(|a| a.appointment.starts_at.with_timezone(&tz).date_naive() == day)
            .filter(|a| {
                if by_mechanic {
                    a.appointment.mechanic_id == row
                } else {
                    a.appointment.bay_id == row
                }
            })
            .copied()
            .collect()
    };
    if cal.days > 1 {
        // A week: one table, a column per day, so the week reads at a glance.
        let days: Vec<NaiveDate> = (0..cal.days)
            .map(|o| cal.from + Duration::days(o.into()))
            .collect();
        return html! {
            (table_region("The week", html! {
                table class="calendar week" {
                    caption class="visually-hidden" { "Appointments by " @if by_mechanic { "mechanic" } @else { "bay" } " and day" }
                    thead { tr {
                        th scope="col" { @if by_mechanic { "Mechanic" } @else { "Bay" } }
                        @for d in &days { th scope="col" { (d.format("%a %-d %b")) } }
                    } }
                    tbody {
                        @for (id, name) in &rows {
                            tr {
                                th scope="row" { (name) }
                                @for d in &days {
                                    td { ul class="appts" { @for a in on(*d, *id) { (block(ctx, &cal.branch, a)) } } }
                                }
                            }
                        }
                    }
                }
            }))
        };
    }
    html! {
        @for offset in 0..cal.days {
            @let day = cal.from + Duration::days(offset.into());
            @let today: Vec<&&AppointmentView> = shown.iter().filter(|a| a.appointment.starts_at.with_timezone(&tz).date_naive() == day).collect();
            section class="card day" aria-label=(day.format("%A %-d %B %Y").to_string()) {
                h2 { (day.format("%A %-d %B")) span class="muted" { " · " (today.len()) " booked" } }
                (table_region(&day.format("%A %-d %B").to_string(), html! {
                    table class="calendar" {
                        thead { tr { th scope="col" { @if by_mechanic { "Mechanic" } @else { "Bay" } } th scope="col" { "Appointments" } } }
                        tbody {
                            @for (id, name) in &rows {
                                tr {
                                    th scope="row" { (name) }
                                    td {
                                        @let mine: Vec<&&&AppointmentView> = today.iter().filter(|a| if by_mechanic { a.appointment.mechanic_id == *id } else { a.appointment.bay_id == *id }).collect();
                                        @if mine.is_empty() { span class="muted" { "Free" } }
                                        ul class="appts" { @for a in mine { (block(ctx, &cal.branch, a)) } }
                                    }
                                }
                            }
                        }
                    }
                }))
            }
        }
    }
}

#[handler]
async fn calendar(
    staff: Staff,
    state: Data<&AppState>,
    Query(q): Query<CalendarQuery>,
) -> PageResult {
    let (ctx, actor) = (&staff.ctx, &staff.actor);
    let branches = pitlane_tenancy::branches::overview(&state.store, actor, 500).await?;
    let Some(branch) = branches
        .iter()
        .find(|b| b.id.to_string() == q.branch_id)
        .or(branches.first())
    else {
        return Err(ServiceError::NotFound.into());
    };
    let today = local_today(&branch.time_zone);
    let date = NaiveDate::parse_from_str(&q.date, "%Y-%m-%d").unwrap_or(today);
    let week = q.view == "week";
    let by_mechanic = q.by == "mechanic";
    let from = if week {
        date - Duration::days(
            chrono::Datelike::weekday(&date)
                .num_days_from_monday()
                .into(),
        )
    } else {
        date
    };
    let days = if week { 7 } else { 1 };
    let cal = appointments::calendar(&state.frontdesk, actor, branch.id, from, days).await?;
    let waiting = &cal.waiting;
    let step = Duration::days(days.into());
    let nav = |d: NaiveDate| {
        ctx.link(&query_link(
            "/portal/calendar",
            &[
                ("branch_id", branch.id.to_string()),
                ("date", d.to_string()),
                ("view", q.view.clone()),
                ("by", q.by.clone()),
            ],
        ))
    };
    let options = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, l)| ((*k).to_owned(), (*l).to_owned()))
            .collect()
    };
    let none = FieldErrors::new();
    let body = page(
        ctx,
        "Calendar",
        Some("calendar"),
        html! {
            h1 { "Calendar" }
            p { a href=(ctx.link("/portal/calendar/feeds")) { "Subscribe in your calendar app" } }
            form class="toolbar" method="get" action=(ctx.link("/portal/calendar")) {
                (select("branch_id", "Branch", &branches.iter().map(|b| (b.id.to_string(), b.name.clone())).collect::<Vec<_>>(), &branch.id.to_string(), &none))
                (Field::new("date", "Date", &date.to_string()).kind("date").render(&none))
                (select("view", "Show", &options(&[("day", "Day"), ("week", "Week")]), if week { "week" } else { "day" }, &none))
                (select("by", "Rows", &options(&[("bay", "By bay"), ("mechanic", "By mechanic")]), if by_mechanic { "mechanic" } else { "bay" }, &none))
                div { button class="button" type="submit" { "Show" } }
            }
            p class="week-nav" {
                a href=(nav(from - step)) { "← Previous" } " · "
                a href=(nav(today)) { "Today" } " · "
                a href=(nav(from + step)) { "Next →" }
                @if actor.can(Permission::AppointmentsWrite) {
                    " · " a class="button secondary" href=(ctx.link("/portal/appointments/new")) { "New appointment" }
                }
            }
            p class="muted" { "Times are " (branch.time_zone) "." }
            div id="live-notice" class="notice" role="status" hidden { "The calendar changed. " a href=(ctx.path) { "Show the latest" } }
            div id="calendar-board" data-live="calendar" data-refresh=(ctx.path) {
            @if !waiting.is_empty() {
                section class="card" aria-labelledby="waiting-heading" id="waiting" {
                    h2 id="waiting-heading" { "Waiting for confirmation (" (waiting.len()) ")" }
                    p class="muted" { "Booked online; the customer hears from you once you confirm." }
                    ul class="appts" {
                        @for a in waiting {
                            li class="appt" data-status="requested" {
                                a href=(ctx.link(&format!("/portal/appointments/{}", a.appointment.id))) {
                                    strong { (describe_time(&cal.branch, a.appointment.starts_at)) } " " (a.customer_name)
                                }
                                br;
                                span class="muted" { (a.service_name) @if let Some(v) = &a.vehicle { " · " (v) } }
                            }
                        }
                    }
                }
            }
                (board(ctx, &cal, by_mechanic))
            }
        },
    );
    Ok(body.into_response())
}

/// The appointment's page; `view` is the form that came back with errors, if one did.
async fn detail_page(
    staff: &Staff,
    state: &AppState,
    id: AppointmentId,
    view: Returned,
) -> PageResult {
    let (ctx, actor) = (&staff.ctx, &staff.actor);
    let detail = appointments::get(&state.frontdesk, actor, id).await?;
    let a = &detail.view.appointment;
    let b = &detail.branch;
    let tz = zone(b);
    let day = a.starts_at.with_timezone(&tz).date_naive();
    let cal = appointments::calendar(&state.frontdesk, actor, b.id, day, 1).await?;
    let status = status_of(&detail.view);
    let can_write = actor.can(Permission::AppointmentsWrite);
    let errors_for = |form: &str| view.errors_of(form);
    let typed = |form: &str, name: &str, fallback: String| -> String {
        if view.is(form) {
            view.pairs.get(name).to_owned()
        } else {
            fallback
        }
    };
    let base = format!("/portal/appointments/{id}");
    let mut bays: Vec<(String, String)> = vec![(String::new(), "Keep / any suitable".into())];
    bays.extend(cal.bays.iter().map(|x| (x.id.to_string(), x.name.clone())));
    let mut mechanics: Vec<(String, String)> = vec![(String::new(), "Keep / any suitable".into())];
    mechanics.extend(
        cal.mechanics
            .iter()
            .map(|(i, n)| (i.to_string(), n.clone())),
    );
    let next_states: Vec<AppointmentStatus> = AppointmentStatus::ALL
        .into_iter()
        // Checking in takes the mileage; a visit goes into the workshop as a repair order.
        .filter(|s| {
            status.can_become(*s)
                && !matches!(
                    s,
                    AppointmentStatus::CheckedIn | AppointmentStatus::Converted
                )
        })
        .collect();
    let local_start = a
        .starts_at
        .with_timezone(&tz)
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let body = page(
        ctx,
        "Appointment",
        Some("calendar"),
        html! {
            p { a href=(ctx.link(&query_link("/portal/calendar", &[("branch_id", b.id.to_string()), ("date", day.to_string())]))) { "← Calendar" } }
            h1 { (detail.view.service_name) " for " (detail.view.customer_name) }
            (error_summary(&view.errors, LABELS))
            section class="card" {
                dl class="facts" {
                    dt { "When" } dd { (describe_time(b, a.starts_at)) " – " (a.ends_at.with_timezone(&tz).format("%H:%M")) }
                    dt { "Customer" } dd { a href=(ctx.link(&format!("/portal/customers/{}", a.customer_id))) { (detail.view.customer_name) } }
                    @if let Some(v) = &detail.view.vehicle { dt { "Vehicle" } dd { @if let Some(vid) = a.vehicle_id { a href=(ctx.link(&format!("/portal/vehicles/{vid}"))) { (v) } } } }
                    dt { "Bay" } dd { (detail.view.bay_name) }
                    dt { "Mechanic" } dd { (detail.view.mechanic_name) }
                    dt { "Status" } dd { strong data-status=(status.key()) { (status.label()) } }
                    dt { "Booked" } dd { (a.source) }
                    @if let Some(n) = &a.notes { dt { "Notes" } dd { (n) } }
                    @if let Some(m) = a.arrival_mileage { dt { "Mileage at arrival" } dd { (m) } }
                    @if let Some(k) = &a.key_location { dt { "Keys" } dd { (k) } }
                }
            }
            @if can_write && !next_states.is_empty() {
                section class="card" aria-labelledby="status-heading" {
                    h2 id="status-heading" { "Status" }
                    div class="actions" {
                        @for s in &next_states {
                            form method="post" action=(ctx.link(&format!("{base}/status"))) {
                                (csrf_input(ctx))
                                input type="hidden" name="status" value=(s.key());
                                button class=(if *s == AppointmentStatus::Cancelled || *s == AppointmentStatus::NoShow { "button danger" } else { "button secondary" }) type="submit" { "Mark " (s.label().to_lowercase()) }
                            }
                        }
                    }
                }
            }
            @if can_write && status.can_become(AppointmentStatus::CheckedIn) {
                section class="card" aria-labelledby="checkin-heading" {
                    h2 id="checkin-heading" { "Check in" }
                    form class="stack" method="post" action=(ctx.link(&format!("{base}/status"))) novalidate {
                        (csrf_input(ctx))
                        input type="hidden" name="status" value="checked_in";
                        (Field::new("mileage", "Mileage", &typed("checkin", "mileage", String::new())).kind("number").render(errors_for("checkin")))
                        (Field::new("correction_reason", "Reason, if lower than before", &typed("checkin", "correction_reason", String::new())).render(errors_for("checkin")))
                        (Field::new("key_location", "Keys", &typed("checkin", "key_location", String::new())).hint("Such as: hook 12").render(errors_for("checkin")))
                        div { button class="button" type="submit" { "Check in" } }
                    }
                }
            }
            @if a.vehicle_id.is_some()
                && matches!(status, AppointmentStatus::Confirmed | AppointmentStatus::CheckedIn)
                && actor.can(Permission::RepairOrdersWrite) {
                section class="card" aria-labelledby="ro-heading" {
                    h2 id="ro-heading" { "Repair order" }
                    p { "Open the repair order for this visit: estimate, inspection and the mechanics' jobs." }
                    form class="stack" method="post" action=(ctx.link("/portal/repair-orders")) novalidate {
                        (csrf_input(ctx))
                        input type="hidden" name="appointment_id" value=(a.id);
                        @if a.arrival_mileage.is_none() {
                            (Field::new("mileage_in", "Mileage in", &typed("ro", "mileage_in", String::new())).kind("number").render(errors_for("ro")))
                        }
                        div { button class="button" type="submit" { "Open repair order" } }
                    }
                }
            }
            @if can_write && status.is_open() {
                section class="card" aria-labelledby="move-heading" {
                    h2 id="move-heading" { "Move" }
                    form class="stack" method="post" action=(ctx.link(&format!("{base}/move"))) novalidate {
                        (csrf_input(ctx))
                        (Field::new("starts_at", &format!("New start ({})", b.time_zone), &typed("move", "starts_at", local_start)).kind("datetime-local").required().render(errors_for("move")))
                        (select("bay_id", "Bay", &bays, view.pairs.get("bay_id"), errors_for("move")))
                        (select("mechanic_id", "Mechanic", &mechanics, view.pairs.get("mechanic_id"), errors_for("move")))
                        div { button class="button" type="submit" { "Move" } }
                    }
                }
            }
            section class="card" aria-labelledby="history-heading" {
                h2 id="history-heading" { "History" }
                ol {
                    @for e in &detail.events {
                        li { (e.at.with_timezone(&tz).format("%Y-%m-%d %H:%M")) " · " (AppointmentStatus::label_for(&e.status)) @if let Some(d) = &e.detail { " · " (d) } @if let Some(by) = &e.by_name { " · " (by) } }
                    }
                }
            }
        },
    );
    Ok((status_for(&view.errors), body).into_response())
}

/// The appointment's page again with one of its forms' errors (`form` names the form).
pub async fn appointment_again(
    staff: &Staff,
    state: &AppState,
    id: AppointmentId,
    form: &'static str,
    pairs: Pairs,
    errors: FieldErrors,
) -> PageResult {
    detail_page(staff, state, id, Returned::new(form, pairs, errors)).await
}

#[handler]
async fn appointment(
    staff: Staff,
    state: Data<&AppState>,
    Path(id): Path<AppointmentId>,
) -> PageResult {
    detail_page(&staff, &state, id, Returned::default()).await
}

/// A local date-time as typed into a `datetime-local` field, at the branch's clock.
fn local_time(raw: &str, b: &branch::Model) -> Result<DateTime<Utc>, FieldErrors> {
    let bad = || FieldErrors::single("starts_at", "give a date and time such as 2027-03-31 09:30");
    let naive = NaiveDateTime::parse_from_str(raw.trim(), "%Y-%m-%dT%H:%M").map_err(|_| bad())?;
    naive
        .and_local_timezone(zone(b))
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| {
            FieldErrors::single(
                "starts_at",
                "that time does not exist on the branch's clock (the clocks change); choose another",
            )
        })
}

#[handler]
async fn move_appointment(
    staff: Staff,
    Data(state): Data<&AppState>,
    Data(scope): Data<&TenantScope>,
    Path(id): Path<AppointmentId>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    let fd = &state.frontdesk;
    let site = site_of(&state.config, scope);
    let site = &site;
    submit(
        &staff.ctx,
        form,
        |p| async move {
            let actor = &staff.actor;
            let d = appointments::get(fd, actor, id).await?;
            let at = local_time(p.get("starts_at"), &d.branch)?;
            appointments::reschedule(
                fd,
                actor,
                id,
                at,
                p.id("bay_id"),
                p.id("mechanic_id"),
                site,
            )
            .await?;
            Ok(format!("/portal/appointments/{id}"))
        },
        |p, errors| async move {
            detail_page(staff, state, id, Returned::new("move", p, errors)).await
        },
    )
    .await
}

#[handler]
async fn change_status(
    staff: Staff,
    Data(state): Data<&AppState>,
    Data(scope): Data<&TenantScope>,
    Path(id): Path<AppointmentId>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    let fd = &state.frontdesk;
    let site = site_of(&state.config, scope);
    let site = &site;
    submit(
        &staff.ctx,
        form,
        |p| async move {
            let mut e = FieldErrors::new();
            let mileage = p.mileage("mileage", &mut e);
            let next = AppointmentStatus::parse(p.get("status"))
                .ok_or_else(|| FieldErrors::single("status", "choose a status"))?;
            if !e.is_empty() {
                return Err(e.into());
            }
            let arrival = Arrival {
                mileage,
                correction_reason: p.optional("correction_reason"),
                key_location: p.optional("key_location"),
            };
            appointments::change_status(fd, &staff.actor, id, next, arrival, site).await?;
            Ok(format!("/portal/appointments/{id}"))
        },
        |p, errors| async move {
            let form = if p.get("status") == "checked_in" {
                "checkin"
            } else {
                "status"
            };
            detail_page(staff, state, id, Returned::new(form, p, errors)).await
        },
    )
    .await
}

async fn new_page(staff: &Staff, state: &AppState, p: &Pairs, errors: &FieldErrors) -> PageResult {
    let (ctx, actor) = (&staff.ctx, &staff.actor);
    let fd = &state.frontdesk;
    let none = FieldErrors::new();
    let customer = match p.id("customer_id") {
        Some(id) => Some(customers::history(fd, actor, CustomerId(id)).await?),
        None => None,
    };
    let Some(history) = customer else {
        // First, whose appointment it is.
        let q = p.get("q");
        let found = if q.trim().is_empty() {
            Vec::new()
        } else {
            customers::list(
                fd,
                actor,
                CustomerQuery {
                    q: Some(q.to_owned()),
                    limit: 20,
                    ..Default::default()
                },
            )
            .await?
            .items
        };
        let body = page(
            ctx,
            "New appointment",
            Some("calendar"),
            html! {
                h1 { "New appointment" }
                form class="toolbar" method="get" action=(ctx.link("/portal/appointments/new")) role="search" {
                    (Field::new("q", "Find the customer", q).hint("Name, phone, e-mail, plate or VIN").kind("search").render(&none))
                    div { button class="button" type="submit" { "Find" } }
                }
                @if !q.trim().is_empty() {
                    @if found.is_empty() { p { "Nobody found. " a href=(ctx.link("/portal/customers")) { "Add a new customer" } " first." } }
                    ul { @for c in &found { li { a href=(ctx.link(&format!("/portal/appointments/new?customer_id={}", c.id))) { (c.name) } " · " (c.phone.as_deref().unwrap_or("")) " " (c.email.as_deref().unwrap_or("")) } } }
                }
            },
        );
        return Ok(body.into_response());
    };
    let branches = pitlane_tenancy::branches::overview(&state.store, actor, 500).await?;
    let services = catalogue::list_for(fd, actor).await?;
    let services: Vec<_> = services.into_iter().filter(|s| s.active).collect();
    let branch = branches
        .iter()
        .find(|b| Some(b.id) == p.id("branch_id"))
        .or(branches.first());
    let service = services.iter().find(|s| Some(s.id) == p.id("service_id"));
    let from = branch.map(|b| {
        let today = local_today(&b.time_zone);
        NaiveDate::parse_from_str(p.get("from"), "%Y-%m-%d")
            .ok()
            .filter(|d| *d >= today)
            .unwrap_or(today)
    });
    let slots: Vec<Slot> = match (branch, service) {
        (Some(b), Some(s)) => {
            appointments::free_slots(
                fd,
                actor,
                SlotRequest {
                    service_id: s.id,
                    branch_id: Some(b.id),
                    from,
                    days: Some(7),
                },
            )
            .await?
            .slots
        }
        _ => Vec::new(),
    };
    let c = &history.customer;
    let branch_options: Vec<(String, String)> = branches
        .iter()
        .map(|b| (b.id.to_string(), b.name.clone()))
        .collect();
    let service_options: Vec<(String, String)> = services
        .iter()
        .map(|s| {
            (
                s.id.to_string(),
                format!("{} ({} min)", s.name, s.duration_minutes),
            )
        })
        .collect();
    let mut vehicle_options: Vec<(String, String)> = vec![(String::new(), "No vehicle".into())];
    vehicle_options.extend(
        history
            .vehicles
            .iter()
            .map(|v| (v.id.to_string(), pitlane_frontdesk::vehicles::describe(v))),
    );
    let chosen_branch = branch.map(|b| b.id.to_string()).unwrap_or_default();
    let chosen_service = service.map(|s| s.id.to_string()).unwrap_or_default();
    let body = page(
        ctx,
        "New appointment",
        Some("calendar"),
        html! {
            h1 { "New appointment for " (c.name) }
            (error_summary(errors, LABELS))
            form class="stack card" method="get" action=(ctx.link("/portal/appointments/new")) {
                input type="hidden" name="customer_id" value=(c.id);
                div class="grid-3" {
                    (select("branch_id", "Branch", &branch_options, &chosen_branch, &none))
                    (select("service_id", "Service", &service_options, &chosen_service, &none))
                    (Field::new("from", "From", &from.map(|d| d.to_string()).unwrap_or_default()).kind("date").render(&none))
                }
                div { button class="button secondary" type="submit" { "Show free times" } }
            }
            @if let (Some(b), Some(s)) = (branch, service) {
                form class="stack card" method="post" action=(ctx.link("/portal/appointments")) novalidate {
                    (csrf_input(ctx))
                    input type="hidden" name="customer_id" value=(c.id);
                    input type="hidden" name="branch_id" value=(b.id);
                    input type="hidden" name="service_id" value=(s.id);
                    input type="hidden" name="from" value=(from.map(|d| d.to_string()).unwrap_or_default());
                    (time_choices(&b.time_zone, &slots, p.get("starts_at"), errors, html! {}))
                    (select("vehicle_id", "Vehicle", &vehicle_options, p.get("vehicle_id"), errors))
                    (textarea("notes", "Notes (optional)", p.get("notes"), errors))
                    div { button class="button" type="submit" { "Book" } }
                }
            }
        },
    );
    Ok((status_for(errors), body).into_response())
}

/// Free times as one radio group per day, in the branch's clock; `extra` ends the group
/// (links to other weeks, say).
pub fn time_choices(
    time_zone: &str,
    slots: &[Slot],
    chosen: &str,
    errors: &FieldErrors,
    extra: Markup,
) -> Markup {
    let tz: chrono_tz::Tz = time_zone.parse().unwrap_or(chrono_tz::UTC);
    let mut days: Vec<(NaiveDate, Vec<DateTime<Utc>>)> = Vec::new();
    for s in slots {
        let day = s.span.start.with_timezone(&tz).date_naive();
        match days.last_mut() {
            Some((d, v)) if *d == day => {
                if v.last() != Some(&s.span.start) {
                    v.push(s.span.start);
                }
            }
            _ => days.push((day, vec![s.span.start])),
        }
    }
    let error = errors.message_for("starts_at");
    html! {
        fieldset class="field slots" id="f-starts_at" aria-describedby=[error.map(|_| "f-starts_at-error")] {
            legend { "Time (" (time_zone) ")" }
            @if let Some(e) = error { span class="error" id="f-starts_at-error" { (e) } }
            @if days.is_empty() { p class="muted" { "No free times in these 7 days; try a later week." } }
            @for (day, starts) in &days {
                div class="slot-day" role="group" aria-label=(day.format("%A %-d %B").to_string()) {
                    h3 { (day.format("%A %-d %B")) }
                    div class="slot-times" {
                        @for start in starts {
                            @let value = start.to_rfc3339();
                            label class="slot" { input type="radio" name="starts_at" value=(value) checked[value == chosen]; " " (start.with_timezone(&tz).format("%H:%M")) }
                        }
                    }
                }
            }
            (extra)
        }
    }
}

#[handler]
async fn new_form(
    staff: Staff,
    state: Data<&AppState>,
    Query(q): Query<Vec<(String, String)>>,
) -> PageResult {
    new_page(&staff, &state, &Pairs(q), &FieldErrors::new()).await
}

#[handler]
async fn create(
    staff: Staff,
    Data(state): Data<&AppState>,
    Data(scope): Data<&TenantScope>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    let fd = &state.frontdesk;
    let site = site_of(&state.config, scope);
    let site = &site;
    submit(
        &staff.ctx,
        form,
        |p| async move {
            let starts_at = match p.get("starts_at") {
                "" => None,
                raw => DateTime::parse_from_rfc3339(raw)
                    .ok()
                    .map(|t| t.with_timezone(&Utc)),
            };
            let input = AppointmentInput {
                branch_id: p.id("branch_id").unwrap_or_default(),
                service_id: p.id("service_id").unwrap_or_default(),
                customer_id: CustomerId(p.id("customer_id").unwrap_or_default()),
                vehicle_id: p.id("vehicle_id").map(VehicleId),
                starts_at,
                bay_id: None,
                mechanic_id: None,
                notes: p.optional("notes"),
            };
            let a = appointments::book(fd, &staff.actor, input, site).await?;
            Ok(format!("/portal/appointments/{}", a.id))
        },
        |p, errors| async move { new_page(staff, state, &p, &errors).await },
    )
    .await
}
