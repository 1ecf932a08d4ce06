//! The workshop's branded booking page: branch → service → a free time → vehicle → contact.
//! Guests confirm with a one-time code; signed-in customers book at once. The link in every
//! confirmation opens the booking again to add it to a calendar, move it, cancel it before the
//! cut-off, or check in on the day. Works without JavaScript.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use maud::{Markup, html};
use pitlane_domain::{
    FieldErrors, ServiceError, appointment::AppointmentStatus, ids::VehicleId, money::Money,
    permissions::Role, schedule::Slot, text::CurrencyCode,
};
use pitlane_frontdesk::{
    appointments::{Arrival, describe_time},
    availability::zone,
    booking::{self, BookingRequest, Managed},
    catalogue,
};
use pitlane_store::entity::{branch, service};
use poem::{
    IntoResponse, Request, Response, Route, get, handler,
    http::{StatusCode, header},
    post,
    web::{Data, Query, Redirect},
};
use serde::Deserialize;
use uuid::Uuid;

use crate::pages::kit::{
    PageCtx, PageResult, Pairs,
    errors::error_page,
    forms::{Field, csrf_input, error_summary, one_time_code_form, query_link, status_for},
    page, submit,
};
use crate::{links::site_of, tenant::TenantScope};
use pitlane_app::state::AppState;

pub fn routes(routes: Route) -> Route {
    routes
        .at("/book", get(start_form).post(book))
        .at("/book/code", get(code_form).post(confirm))
        .at("/book/manage", get(manage))
        .at("/book/manage/move", post(move_booking))
        .at("/book/manage/cancel", post(cancel_booking))
        .at("/book/manage/check-in", post(check_in))
        .at("/book/manage/calendar.ics", get(calendar_file))
}

/// How many days of free times one page shows.
const DAYS_SHOWN: u32 = 7;

const LABELS: &[(&str, &str)] = &[
    ("branch_id", "Location"),
    ("service_id", "Service"),
    ("starts_at", "Time"),
    ("name", "Your name"),
    ("email", "E-mail"),
    ("phone", "Mobile phone"),
    ("make", "Make"),
    ("model", "Model"),
    ("plate", "Number plate"),
    ("vin", "VIN"),
    ("notes", "Anything we should know"),
    ("code_by", "Code"),
    ("code", "Code"),
    ("csrf", "Form"),
    ("mileage", "Mileage"),
    ("key_location", "Keys"),
];

/// The signed-in customer, if the visitor is one (staff book from the portal).
fn customer_actor(ctx: &PageCtx) -> Option<&pitlane_domain::Actor> {
    ctx.auth
        .as_ref()
        .map(|a| &a.actor)
        .filter(|a| a.role.is(Role::Customer))
}

fn price(s: &service::Model, currency: &str) -> Option<String> {
    let currency = CurrencyCode::parse(currency).ok()?;
    let money = |minor: i64| Money::new(minor, currency.clone());
    match (s.price_from_minor, s.price_to_minor) {
        (Some(from), Some(to)) if to > from => Some(format!("{} – {}", money(from), money(to))),
        (Some(from), _) => Some(format!("from {}", money(from))),
        _ => None,
    }
}

fn today_at(b: &branch::Model) -> NaiveDate {
    Utc::now().with_timezone(&zone(b)).date_naive()
}

/// The first day shown: what the visitor asked for, never before today.
fn first_day(raw: &str, b: &branch::Model) -> NaiveDate {
    let today = today_at(b);
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .filter(|d| *d >= today && *d <= today + Duration::days(366))
        .unwrap_or(today)
}

/// Free times, a group per day, with links to the weeks around them.
fn slot_picker(
    ctx: &PageCtx,
    b: &branch::Model,
    slots: &[Slot],
    chosen: &str,
    from: NaiveDate,
    week_link: &dyn Fn(NaiveDate) -> String,
    errors: &FieldErrors,
) -> Markup {
    let earlier = (from - Duration::days(DAYS_SHOWN.into())).max(today_at(b));
    let nav = html! {
        p class="week-nav" {
            @if from > today_at(b) {
                a href=(ctx.link(&week_link(earlier))) { "← Earlier times" }
                " · "
            }
            a href=(ctx.link(&week_link(from + Duration::days(DAYS_SHOWN.into())))) { "Later times →" }
        }
    };
    crate::pages::portal::calendar::time_choices(&b.time_zone, slots, chosen, errors, nav)
}

struct BookView {
    form: Pairs,
    errors: FieldErrors,
}

async fn book_page(
    ctx: &PageCtx,
    state: &AppState,
    scope: &TenantScope,
    view: BookView,
) -> PageResult {
    let tenant = scope.ctx();
    let loaded = async {
        Ok::<_, ServiceError>((
            pitlane_tenancy::branches::public_list(&state.store, &tenant).await?,
            catalogue::list(&state.store, &tenant, true).await?,
        ))
    }
    .await;
    let (branches, services) = loaded?;
    let form = &view.form;
    let branch = branches
        .iter()
        .find(|b| b.id.to_string() == form.get("branch_id"))
        .or(if branches.len() == 1 {
            branches.first()
        } else {
            None
        });
    let service = services
        .iter()
        .find(|s| s.id.to_string() == form.get("service_id"));
    let from = branch.map(|b| first_day(form.get("from"), b));
    let slots = match (branch, service, from) {
        (Some(b), Some(s), Some(from)) => {
            match booking::public_slots(&state.frontdesk, &tenant, b.id, s.id, from, DAYS_SHOWN)
                .await
            {
                Ok(slots) => Some(slots),
                Err(err) => return Err(err.into()),
            }
        }
        _ => None,
    };
    let me = match customer_actor(ctx) {
        Some(actor) => match booking::me(&state.frontdesk, actor).await {
            Ok((me, vehicles, _)) => Some((me, vehicles)),
            Err(err) => return Err(err.into()),
        },
        None => None,
    };
    let workshop = &scope.tenant;
    let chosen_branch = branch.map(|b| b.id.to_string()).unwrap_or_default();
    let chosen_service = service.map(|s| s.id.to_string()).unwrap_or_default();
    let week_link = |day: NaiveDate| {
        query_link(
            "/book",
            &[
                ("branch_id", chosen_branch.clone()),
                ("service_id", chosen_service.clone()),
                ("from", day.to_string()),
            ],
        )
    };
    let value = |name: &str, fallback: Option<&str>| -> String {
        let typed = form.get(name);
        if typed.is_empty() && form.get("csrf").is_empty() {
            fallback.unwrap_or_default().to_owned()
        } else {
            typed.to_owned()
        }
    };
    let body = page(
        ctx,
        "Book a visit",
        None,
        html! {
            h1 { "Book a visit at " (workshop.name) }
            (error_summary(&view.errors, LABELS))
            @if services.is_empty() {
                p { "Online booking is not open yet. Please call us." }
            } @else {
                form class="stack card" method="get" action=(ctx.link("/book")) {
                    h2 { "1. What and where" }
                    @if branches.len() > 1 {
                        (crate::pages::kit::forms::select("branch_id", "Location", &branches.iter().map(|b| (b.id.to_string(), b.name.clone())).collect::<Vec<_>>(), &chosen_branch, &view.errors))
                    } @else if let Some(b) = branch {
                        input type="hidden" name="branch_id" value=(b.id);
                        p { "At " strong { (b.name) } }
                    }
                    fieldset class="field" id="f-service_id" {
                        legend { "Service" }
                        @for s in &services {
                            label class="check service-choice" {
                                input type="radio" name="service_id" value=(s.id) checked[s.id.to_string() == chosen_service] required;
                                " " strong { (s.name) } " · about " (s.duration_minutes) " min"
                                @if let Some(p) = price(s, &workshop.currency) { " · " (p) }
                                @if let Some(d) = &s.description { br; span class="muted" { (d) } }
                            }
                        }
                    }
                    div { button class="button" type="submit" { "Show free times" } }
                }
                @if let (Some(b), Some(s), Some(slots), Some(from)) = (branch, service, &slots, from) {
                    form class="stack card" method="post" action=(ctx.link("/book")) novalidate {
                        (csrf_input(ctx))
                        input type="hidden" name="branch_id" value=(b.id);
                        input type="hidden" name="service_id" value=(s.id);
                        input type="hidden" name="from" value=(from);
                        h2 { "2. When" }
                        (slot_picker(ctx, b, slots, form.get("starts_at"), from, &week_link, &view.errors))
                        h2 { "3. Your vehicle" }
                        @if let Some((_, vehicles)) = &me {
                            @if !vehicles.is_empty() {
                                fieldset class="field" id="f-vehicle_id" {
                                    legend { "Which vehicle?" }
                                    @for v in vehicles {
                                        label class="check" {
                                            input type="radio" name="vehicle_id" value=(v.id) checked[form.get("vehicle_id") == v.id.to_string() || (form.get("vehicle_id").is_empty() && Some(v) == vehicles.first())];
                                            " " (pitlane_frontdesk::vehicles::describe(v))
                                        }
                                    }
                                    label class="check" {
                                        input type="radio" name="vehicle_id" value="other" checked[form.get("vehicle_id") == "other"];
                                        " Another vehicle (fill in below)"
                                    }
                                }
                            }
                        }
                        div class="grid-3" {
                            (Field::new("make", "Make", form.get("make")).hint("Such as Toyota").render(&view.errors))
                            (Field::new("model", "Model", form.get("model")).render(&view.errors))
                            (Field::new("plate", "Number plate", form.get("plate")).autocomplete("off").render(&view.errors))
                        }
                        h2 { "4. Your details" }
                        (Field::new("name", "Your name", &value("name", me.as_ref().map(|(c, _)| c.name.as_str()))).autocomplete("name").required().render(&view.errors))
                        (Field::new("email", "E-mail", &value("email", me.as_ref().and_then(|(c, _)| c.email.as_deref()))).kind("email").autocomplete("email").render(&view.errors))
                        (Field::new("phone", "Mobile phone", &value("phone", me.as_ref().and_then(|(c, _)| c.phone.as_deref()))).kind("tel").autocomplete("tel").hint("For texts about this visit, if you want them").render(&view.errors))
                        div class="field" {
                            label for="f-notes" { "Anything we should know (optional)" }
                            textarea id="f-notes" name="notes" rows="3" maxlength="1000" { (form.get("notes")) }
                            @if let Some(e) = view.errors.message_for("notes") { span class="error" { (e) } }
                        }
                        @if me.is_none() {
                            fieldset class="field" id="f-code_by" aria-describedby="f-code_by-hint" {
                                legend { "Send my confirmation code by" }
                                span class="hint" id="f-code_by-hint" { "We send a 6-digit code to make sure the address is yours." }
                                @for (v, l) in [("email", "E-mail"), ("sms", "Text message")] {
                                    label class="check" {
                                        input type="radio" name="code_by" value=(v) checked[form.get("code_by") == v || (form.get("code_by").is_empty() && v == "email")];
                                        " " (l)
                                    }
                                }
                                @if let Some(e) = view.errors.message_for("code_by") { span class="error" { (e) } }
                            }
                        }
                        label class="check" {
                            input type="checkbox" name="marketing" value="yes" checked[form.get("marketing") == "yes"];
                            " Send me offers and service reminders from " (workshop.name) " (you can stop them at any time)"
                        }
                        div { button class="button" type="submit" { @if me.is_some() { "Book" } @else { "Continue" } } }
                    }
                }
            }
            @if customer_actor(ctx).is_none() {
                p class="muted" { "Been here before? " a href=(ctx.link("/account/signin")) { "Sign in" } " to book with your saved vehicles." }
            }
        },
    );
    Ok((status_for(&view.errors), body).into_response())
}

#[handler]
async fn start_form(
    ctx: PageCtx,
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
    Query(q): Query<Vec<(String, String)>>,
) -> PageResult {
    book_page(
        &ctx,
        &state,
        &scope,
        BookView {
            form: Pairs(q),
            errors: FieldErrors::new(),
        },
    )
    .await
}

fn request_of(pairs: &Pairs) -> Result<BookingRequest, FieldErrors> {
    let mut errors = FieldErrors::new();
    let id = |name: &str, errors: &mut FieldErrors, message: &str| {
        Uuid::try_parse(pairs.get(name)).unwrap_or_else(|_| {
            errors.add(name, message);
            Uuid::nil()
        })
    };
    let branch_id = id("branch_id", &mut errors, "choose a location");
    let service_id = id("service_id", &mut errors, "choose a service");
    let starts_at = match pairs.get("starts_at") {
        "" => None,
        raw => match DateTime::parse_from_rfc3339(raw) {
            Ok(t) => Some(t.with_timezone(&Utc)),
            Err(_) => {
                errors.add("starts_at", "choose one of the times shown");
                None
            }
        },
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(BookingRequest {
        branch_id,
        service_id,
        starts_at,
        name: pairs.get("name").to_owned(),
        email: pairs.optional("email"),
        phone: pairs.optional("phone"),
        vehicle_id: pairs.get("vehicle_id").parse::<VehicleId>().ok(),
        make: pairs.optional("make"),
        model: pairs.optional("model"),
        plate: pairs.optional("plate"),
        notes: pairs.optional("notes"),
        code_by: pairs.get("code_by").to_owned(),
        marketing: pairs.get("marketing") == "yes",
    })
}

/// A booking: a signed-in customer's is made at once; a guest's waits for the code sent to
/// them. Both go on to pages of their own (the guest's code page, the booking's own link).
#[handler]
async fn book(
    req: &Request,
    ctx: PageCtx,
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
    form: Pairs,
) -> PageResult {
    let (ctx, state, scope) = (&ctx, state.0, scope.0);
    let outcome = async {
        let request = request_of(&form)?;
        let site = site_of(&state.config, scope);
        match customer_actor(ctx) {
            Some(actor) => booking::book_as_customer(&state.frontdesk, actor, request, &site)
                .await
                .map(|booked| format!("{}&booked=1", booked.manage_link)),
            None => booking::start_guest(
                &state.frontdesk,
                &scope.ctx(),
                request,
                crate::client_ip::client_ip(req).as_deref(),
            )
            .await
            .map(|pending| scope.link(&format!("/book/code?id={}", pending.id))),
        }
    }
    .await;
    match outcome {
        // The booking's own link is absolute, so this is not `submit`'s redirect.
        Ok(next) => Ok(Redirect::see_other(next).into_response()),
        Err(ServiceError::Invalid(errors) | ServiceError::Conflict(errors)) => {
            book_page(ctx, state, scope, BookView { form, errors }).await
        }
        Err(err) => Err(err.into()),
    }
}

#[derive(Deserialize)]
pub struct CodeQuery {
    #[serde(default)]
    id: String,
}

async fn code_page(
    ctx: &PageCtx,
    state: &AppState,
    scope: &TenantScope,
    id: &str,
    errors: &FieldErrors,
) -> PageResult {
    let id = Uuid::try_parse(id).map_err(|_| ServiceError::NotFound)?;
    let (request, sent_to) = booking::pending(&state.frontdesk, &scope.ctx(), id).await?;
    let branches = pitlane_tenancy::branches::public_list(&state.store, &scope.ctx())
        .await
        .unwrap_or_default();
    let start =
        request.starts_at.map(
            |t| match branches.iter().find(|b| b.id == request.branch_id) {
                Some(b) => describe_time(b, t),
                None => t.format("%Y-%m-%d %H:%M UTC").to_string(),
            },
        );
    let body = page(
        ctx,
        "Confirm your booking",
        None,
        html! {
            h1 { "Confirm your booking" }
            p { "We sent a 6-digit code to " strong { (sent_to) } ". It works for 15 minutes." }
            @if let Some(start) = start { p class="muted" { "Your time is held for you once the code is entered: " (start) "." } }
            (error_summary(errors, LABELS))
            (one_time_code_form(ctx, "/book/code", id, "Confirm the booking", errors))
            p { a href=(ctx.link("/book")) { "Start again" } }
        },
    );
    Ok((status_for(errors), body).into_response())
}

#[handler]
async fn code_form(
    ctx: PageCtx,
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
    Query(q): Query<CodeQuery>,
) -> PageResult {
    code_page(&ctx, &state, &scope, &q.id, &FieldErrors::new()).await
}

#[handler]
async fn confirm(
    ctx: PageCtx,
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
    form: Pairs,
) -> PageResult {
    let id = Uuid::try_parse(form.get("id")).map_err(|_| ServiceError::NotFound)?;
    let site = site_of(&state.config, &scope);
    match booking::confirm_guest(&state.frontdesk, &scope.ctx(), id, form.get("code"), &site).await
    {
        // The booking's own link is absolute, so this is not `submit`'s redirect.
        Ok(booked) => {
            Ok(Redirect::see_other(format!("{}&booked=1", booked.manage_link)).into_response())
        }
        Err(ServiceError::Invalid(errors) | ServiceError::Conflict(errors)) => {
            code_page(&ctx, &state, &scope, form.get("id"), &errors).await
        }
        Err(err) => Err(err.into()),
    }
}

#[derive(Deserialize)]
pub struct ManageQuery {
    #[serde(default)]
    token: String,
    #[serde(default)]
    booked: Option<String>,
    #[serde(default)]
    from: String,
    #[serde(default)]
    done: Option<String>,
}

struct ManageView<'a> {
    token: &'a str,
    from: &'a str,
    notice: Option<&'a str>,
    form: Pairs,
    errors: FieldErrors,
}

async fn manage_page(
    ctx: &PageCtx,
    state: &AppState,
    scope: &TenantScope,
    view: ManageView<'_>,
) -> PageResult {
    let tenant = scope.ctx();
    let managed = match booking::by_token(&state.frontdesk, &tenant, view.token).await {
        Ok(m) => m,
        Err(ServiceError::Invalid(errors)) => {
            return Ok(error_page(
                ctx,
                StatusCode::GONE,
                "This link has expired",
                &errors.to_string(),
            ));
        }
        Err(err) => return Err(err.into()),
    };
    let b = &managed.detail.branch;
    let from = first_day(view.from, b);
    let slots = if managed.changeable {
        booking::slots_for_token(&state.frontdesk, &tenant, view.token, from, DAYS_SHOWN).await?
    } else {
        Vec::new()
    };
    let token = view.token.to_owned();
    let week_link = |day: NaiveDate| {
        query_link(
            "/book/manage",
            &[("token", token.clone()), ("from", day.to_string())],
        )
    };
    let body = page(
        ctx,
        "Your booking",
        None,
        manage_body(ctx, &managed, &view, &slots, from, &week_link),
    );
    Ok((status_for(&view.errors), body).into_response())
}

fn manage_body(
    ctx: &PageCtx,
    m: &Managed,
    view: &ManageView<'_>,
    slots: &[Slot],
    from: NaiveDate,
    week_link: &dyn Fn(NaiveDate) -> String,
) -> Markup {
    let a = &m.detail.view.appointment;
    let b = &m.detail.branch;
    let status = AppointmentStatus::parse(&a.status).unwrap_or(AppointmentStatus::Cancelled);
    let ics = query_link(
        "/book/manage/calendar.ics",
        &[("token", view.token.to_owned())],
    );
    html! {
        h1 { "Your booking" }
        @if let Some(notice) = view.notice { div class="notice success" role="status" { (notice) } }
        (error_summary(&view.errors, LABELS))
        section class="card" aria-labelledby="booking-heading" {
            h2 id="booking-heading" { (m.detail.view.service_name) }
            dl class="facts" {
                dt { "When" } dd { (describe_time(b, a.starts_at)) }
                dt { "Where" } dd { (b.name) @for line in [&b.address_line1, &b.city].into_iter().flatten() { ", " (line) } }
                @if let Some(v) = &m.detail.view.vehicle { dt { "Vehicle" } dd { (v) } }
                dt { "Status" } dd { strong data-status=(status.key()) { (status.label()) } }
            }
            @if status == AppointmentStatus::Requested {
                p { "The workshop will confirm your time shortly; you will get an e-mail when they do." }
            }
            @if status.holds_time() {
                p { a class="button secondary" href=(ctx.link(&ics)) download="appointment.ics" { "Add to my calendar" } }
            }
        }
        @if m.can_check_in {
            section class="card" aria-labelledby="checkin-heading" {
                h2 id="checkin-heading" { "Check in" }
                p { "Arrived? Tell us the mileage and where you left the keys, and we'll take it from here." }
                form class="stack" method="post" action=(ctx.link("/book/manage/check-in")) novalidate {
                    (csrf_input(ctx))
                    input type="hidden" name="token" value=(view.token);
                    (Field::new("mileage", "Mileage (optional)", view.form.get("mileage")).kind("number").render(&view.errors))
                    (Field::new("key_location", "Where are the keys?", view.form.get("key_location")).hint("Such as: key box, slot 4").required().render(&view.errors))
                    div { button class="button" type="submit" { "Check in" } }
                }
            }
        }
        @if m.changeable {
            section class="card" aria-labelledby="move-heading" {
                h2 id="move-heading" { "Change the time" }
                p class="muted" { "You can change or cancel online until " (describe_time(b, m.cutoff)) "." }
                form class="stack" method="post" action=(ctx.link("/book/manage/move")) novalidate {
                    (csrf_input(ctx))
                    input type="hidden" name="token" value=(view.token);
                    (slot_picker(ctx, b, slots, view.form.get("starts_at"), from, week_link, &view.errors))
                    div { button class="button" type="submit" { "Move my booking" } }
                }
            }
            section class="card" aria-labelledby="cancel-heading" {
                h2 id="cancel-heading" { "Cancel" }
                form method="post" action=(ctx.link("/book/manage/cancel")) {
                    (csrf_input(ctx))
                    input type="hidden" name="token" value=(view.token);
                    button class="button danger" type="submit" { "Cancel my booking" }
                }
            }
        } @else if status.is_open() {
            p { "Online changes closed at " (describe_time(b, m.cutoff)) ". To change this booking, please call us"
                @if let Some(phone) = &b.phone { " on " a href=(format!("tel:{}", phone.replace(' ', ""))) { (phone) } } "." }
        }
        p { a href=(ctx.link("/book")) { "Book another visit" } }
    }
}

#[handler]
async fn manage(
    ctx: PageCtx,
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
    Query(q): Query<ManageQuery>,
) -> PageResult {
    let notice = match (q.booked.is_some(), q.done.as_deref()) {
        (true, _) => Some(
            "Booked. We have sent you a confirmation; keep this page's link to change your booking.",
        ),
        (_, Some("moved")) => Some("Your booking is moved. We have sent you the new time."),
        (_, Some("cancelled")) => Some("Your booking is cancelled."),
        (_, Some("checked_in")) => Some("You are checked in. Thank you!"),
        _ => None,
    };
    manage_page(
        &ctx,
        &state,
        &scope,
        ManageView {
            token: &q.token,
            from: &q.from,
            notice,
            form: Pairs(Vec::new()),
            errors: FieldErrors::new(),
        },
    )
    .await
}

/// What the customer asked to do from their link.
enum Change {
    Move,
    Cancel,
    CheckIn,
}

async fn change(
    ctx: &PageCtx,
    state: &AppState,
    scope: &TenantScope,
    form: Pairs,
    what: Change,
) -> PageResult {
    let token = form.get("token").to_owned();
    submit(
        ctx,
        form,
        |p| async move {
            let site = site_of(&state.config, scope);
            let fd = &state.frontdesk;
            let tenant = scope.ctx();
            let token = p.get("token");
            let done = match what {
                Change::Move => {
                    let at = DateTime::parse_from_rfc3339(p.get("starts_at")).map_err(|_| {
                        FieldErrors::single("starts_at", "choose one of the times shown")
                    })?;
                    booking::reschedule_by_token(fd, &tenant, token, at.into(), &site).await?;
                    "moved"
                }
                Change::Cancel => {
                    booking::cancel_by_token(fd, &tenant, token, &site).await?;
                    "cancelled"
                }
                Change::CheckIn => {
                    let mut errors = FieldErrors::new();
                    let mileage = p.mileage("mileage", &mut errors);
                    if !errors.is_empty() {
                        return Err(errors.into());
                    }
                    let arrival = Arrival {
                        mileage,
                        correction_reason: None,
                        key_location: p.optional("key_location"),
                    };
                    booking::check_in_by_token(fd, &tenant, token, arrival, &site).await?;
                    "checked_in"
                }
            };
            Ok(query_link(
                "/book/manage",
                &[("token", token.to_owned()), ("done", done.into())],
            ))
        },
        |form, errors| async move {
            let from = form.get("from").to_owned();
            let view = ManageView {
                token: &token,
                from: &from,
                notice: None,
                form,
                errors,
            };
            manage_page(ctx, state, scope, view).await
        },
    )
    .await
}

#[handler]
async fn move_booking(
    ctx: PageCtx,
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
    form: Pairs,
) -> PageResult {
    change(&ctx, &state, &scope, form, Change::Move).await
}

#[handler]
async fn cancel_booking(
    ctx: PageCtx,
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
    form: Pairs,
) -> PageResult {
    change(&ctx, &state, &scope, form, Change::Cancel).await
}

#[handler]
async fn check_in(
    ctx: PageCtx,
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
    form: Pairs,
) -> PageResult {
    change(&ctx, &state, &scope, form, Change::CheckIn).await
}

#[handler]
async fn calendar_file(
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
    Query(q): Query<ManageQuery>,
) -> PageResult {
    let site = site_of(&state.config, &scope);
    let ics = booking::calendar_for_token(&state.frontdesk, &scope.ctx(), &q.token, &site).await?;
    Ok(Response::builder()
        .content_type("text/calendar; charset=utf-8")
        .header(
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"appointment.ics\"",
        )
        .body(ics))
}
