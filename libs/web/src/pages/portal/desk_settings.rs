//! Front-desk settings on one page: the service catalogue, bays, branch closures and how
//! online booking works (auto-confirm, cut-off, reminders). A service has its own page to edit.

use chrono::NaiveDate;
use maud::{Markup, html};
use pitlane_domain::{FieldErrors, ServiceError};
use pitlane_frontdesk::{
    booking::{self, BookingSettings},
    catalogue::{self, ServiceInput},
    resources::{self, BayInput},
};
use pitlane_store::entity::service;
use poem::{
    IntoResponse, Route, get, handler, post,
    web::{Data, Path},
};
use uuid::Uuid;

use crate::pages::kit::{
    PageCtx, PageResult, Pairs, Returned, Staff,
    forms::{Field, csrf_input, error_summary, select, status_for, textarea},
    page, submit, table_region,
};
use pitlane_app::state::AppState;

pub fn routes(routes: Route) -> Route {
    routes
        .at("/portal/settings/front-desk", get(show))
        .at("/portal/settings/front-desk/services", post(add_service))
        .at(
            "/portal/settings/front-desk/services/:id",
            get(show_service).post(update_service),
        )
        .at("/portal/settings/front-desk/bays", post(add_bay))
        .at("/portal/settings/front-desk/closures", post(add_closure))
        .at(
            "/portal/settings/front-desk/closures/:id/delete",
            post(remove_closure),
        )
        .at("/portal/settings/front-desk/booking", post(save_booking))
}

const LABELS: &[(&str, &str)] = &[
    ("name", "Name"),
    ("description", "Description"),
    ("duration_minutes", "Duration"),
    ("price_from", "Price from"),
    ("price_to", "Price to"),
    ("bay_kind", "Bay kind"),
    ("skill", "Skill"),
    ("kind", "Kind of bay"),
    ("branch_id", "Branch"),
    ("bay_branch_id", "Branch"),
    ("bay_name", "Name"),
    ("closure_branch_id", "Branch"),
    ("starts_on", "First day"),
    ("ends_on", "Last day"),
    ("reason", "Reason"),
    ("cutoff_hours", "Cut-off"),
    ("reminder_minutes", "Reminders"),
    ("csrf", "Form"),
];

const PATH: &str = "/portal/settings/front-desk";

fn service_fields(p: &Pairs, errors: &FieldErrors) -> Markup {
    html! {
        (Field::new("name", "Name", p.get("name")).required().render(errors))
        (textarea("description", "Description (shown on the booking page)", p.get("description"), errors))
        div class="grid-3" {
            (Field::new("duration_minutes", "Duration (minutes)", p.get("duration_minutes")).kind("number").required().render(errors))
            (Field::new("price_from", "Price from", p.get("price_from")).hint("Such as 89.00").render(errors))
            (Field::new("price_to", "Price to (optional)", p.get("price_to")).render(errors))
            (Field::new("bay_kind", "Needs a bay of kind", p.get("bay_kind")).hint("Such as lift; empty: any bay").render(errors))
            (Field::new("skill", "Needs the skill", p.get("skill")).hint("Such as alignment; empty: any mechanic").render(errors))
        }
        label class="check" { input type="checkbox" name="bookable_online" value="yes" checked[p.get("bookable_online") == "yes"]; " Customers can book it online" }
        label class="check" { input type="checkbox" name="active" value="yes" checked[p.get("active") == "yes"]; " Offered" }
    }
}

fn service_input(p: &Pairs) -> Result<ServiceInput, FieldErrors> {
    let mut errors = FieldErrors::new();
    let duration = p
        .parsed::<i32>(
            "duration_minutes",
            "write the duration in whole minutes",
            &mut errors,
        )
        .unwrap_or(0);
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(ServiceInput {
        name: p.get("name").to_owned(),
        description: p.optional("description"),
        duration_minutes: duration,
        price_from: p.optional("price_from"),
        price_to: p.optional("price_to"),
        bay_kind: p.optional("bay_kind"),
        skill: p.optional("skill"),
        bookable_online: p.get("bookable_online") == "yes",
        active: p.get("active") == "yes",
    })
}

fn service_pairs(ctx: &PageCtx, s: &service::Model) -> Pairs {
    let flag = |b: bool| if b { "yes" } else { "" }.to_owned();
    // As the form carries an amount: without the currency, so it reads back as typed.
    let amount = |minor: Option<i64>| {
        minor
            .and_then(|m| ctx.money(m))
            .map(|m| m.plain())
            .unwrap_or_default()
    };
    Pairs(vec![
        ("name".into(), s.name.clone()),
        (
            "description".into(),
            s.description.clone().unwrap_or_default(),
        ),
        ("duration_minutes".into(), s.duration_minutes.to_string()),
        ("price_from".into(), amount(s.price_from_minor)),
        ("price_to".into(), amount(s.price_to_minor)),
        ("bay_kind".into(), s.bay_kind.clone().unwrap_or_default()),
        ("skill".into(), s.skill.clone().unwrap_or_default()),
        ("bookable_online".into(), flag(s.bookable_online)),
        ("active".into(), flag(s.active)),
    ])
}

async fn settings_page(staff: &Staff, state: &AppState, r: Returned) -> PageResult {
    let (ctx, actor) = (&staff.ctx, &staff.actor);
    // Only those who may change these see the forms.
    actor.require(pitlane_domain::permissions::Permission::SettingsManage)?;
    let fd = &state.frontdesk;
    let services = catalogue::list_for(fd, actor).await?;
    let bays = resources::bays(fd, actor, None).await?;
    let closures = resources::closures(fd, actor, None).await?;
    let settings = booking::settings_for(fd, actor).await?;
    let branches = pitlane_tenancy::branches::overview(&state.store, actor, 500).await?;
    let errs = |form: &str| r.errors_of(form);
    let empty = Pairs::default();
    let typed = |form: &str| r.typed(form).unwrap_or(&empty);
    let branch_options: Vec<(String, String)> = branches
        .iter()
        .map(|b| (b.id.to_string(), b.name.clone()))
        .collect();
    let branch_name = |id: Uuid| {
        branches
            .iter()
            .find(|b| b.id == id)
            .map_or_else(String::new, |b| b.name.clone())
    };
    let new_service = r.typed("service").cloned().unwrap_or_else(|| {
        Pairs(vec![
            ("duration_minutes".into(), "60".into()),
            ("bookable_online".into(), "yes".into()),
            ("active".into(), "yes".into()),
        ])
    });
    let booking_form = if let Some(typed) = r.typed("booking") {
        typed.clone()
    } else {
        Pairs(vec![
            (
                "auto_confirm".into(),
                if settings.auto_confirm { "yes" } else { "" }.into(),
            ),
            ("cutoff_hours".into(), settings.cutoff_hours.to_string()),
            (
                "reminder_minutes".into(),
                settings
                    .reminder_minutes
                    .iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
        ])
    };
    let body = page(
        ctx,
        "Front-desk settings",
        Some("settings"),
        html! {
            p { a href=(ctx.link("/portal/settings")) { "← Settings" } }
            h1 { "Front-desk settings" }
            section class="card" aria-labelledby="booking-heading" {
                h2 id="booking-heading" { "Online booking" }
                p { "Your booking page: " a href=(ctx.link("/book")) { "Book a visit" } }
                (error_summary(errs("booking"), LABELS))
                form class="stack" method="post" action=(ctx.link(&format!("{PATH}/booking"))) novalidate {
                    (csrf_input(ctx))
                    label class="check" { input type="checkbox" name="auto_confirm" value="yes" checked[booking_form.get("auto_confirm") == "yes"]; " Confirm online bookings at once (otherwise they wait for you as requests)" }
                    (Field::new("cutoff_hours", "Customers may change or cancel until (hours before)", booking_form.get("cutoff_hours")).kind("number").render(errs("booking")))
                    (Field::new("reminder_minutes", "Reminders (minutes before, separated by spaces)", booking_form.get("reminder_minutes")).hint("1440 is a day; 120 is two hours").render(errs("booking")))
                    div { button class="button" type="submit" { "Save" } }
                }
            }
            section class="card" aria-labelledby="services-heading" {
                h2 id="services-heading" { "Services" }
                (table_region("Services", html! {
                    table {
                        thead { tr { th scope="col" { "Service" } th scope="col" { "Minutes" } th scope="col" { "Price" } th scope="col" { "Online" } th scope="col" { "Offered" } } }
                        tbody {
                            @for s in &services {
                                tr {
                                    td { a href=(ctx.link(&format!("{PATH}/services/{}", s.id))) { (s.name) } }
                                    td { (s.duration_minutes) }
                                    td {
                                        @if let Some(from) = s.price_from_minor.and_then(|m| ctx.money(m)) { (from) }
                                        @if let Some(to) = s.price_to_minor { " – " @if let Some(to) = ctx.money(to) { (to) } }
                                    }
                                    td { @if s.bookable_online { "Yes" } @else { "No" } }
                                    td { @if s.active { "Yes" } @else { "No" } }
                                }
                            }
                        }
                    }
                }))
                details open[r.is("service")] {
                    summary { "Add a service" }
                    (error_summary(errs("service"), LABELS))
                    form class="stack" method="post" action=(ctx.link(&format!("{PATH}/services"))) novalidate {
                        (csrf_input(ctx))
                        (service_fields(&new_service, errs("service")))
                        div { button class="button" type="submit" { "Add the service" } }
                    }
                }
            }
            section class="card" aria-labelledby="bays-heading" {
                h2 id="bays-heading" { "Bays" }
                (table_region("Bays", html! {
                    table {
                        thead { tr { th scope="col" { "Bay" } th scope="col" { "Kind" } th scope="col" { "Branch" } th scope="col" { "In use" } } }
                        tbody { @for b in &bays { tr { td { (b.name) } td { (b.kind) } td { (branch_name(b.branch_id)) } td { @if b.active { "Yes" } @else { "No" } } } } }
                    }
                }))
                (error_summary(errs("bay"), LABELS))
                form class="stack" method="post" action=(ctx.link(&format!("{PATH}/bays"))) novalidate {
                    (csrf_input(ctx))
                    div class="grid-3" {
                        (select("bay_branch_id", "Branch", &branch_options, typed("bay").get("bay_branch_id"), errs("bay")))
                        (Field::new("bay_name", "Name", typed("bay").get("bay_name")).hint("Such as Bay 3").render(errs("bay")))
                        (Field::new("kind", "Kind of bay", typed("bay").get("kind")).hint("Such as lift, alignment, tyre").render(errs("bay")))
                    }
                    div { button class="button secondary" type="submit" { "Add the bay" } }
                }
            }
            section class="card" aria-labelledby="closures-heading" {
                h2 id="closures-heading" { "Closures and holidays" }
                @if closures.is_empty() { p class="muted" { "None planned." } }
                ul {
                    @for c in &closures {
                        li {
                            (branch_name(c.branch_id)) ": " (c.starts_on) " – " (c.ends_on) " · " (c.reason) " "
                            form class="inline" method="post" action=(ctx.link(&format!("{PATH}/closures/{}/delete", c.id))) {
                                (csrf_input(ctx))
                                button class="link-button" type="submit" { "Remove" span class="visually-hidden" { " the closure from " (c.starts_on) } }
                            }
                        }
                    }
                }
                (error_summary(errs("closure"), LABELS))
                form class="stack" method="post" action=(ctx.link(&format!("{PATH}/closures"))) novalidate {
                    (csrf_input(ctx))
                    div class="grid-3" {
                        (select("closure_branch_id", "Branch", &branch_options, typed("closure").get("closure_branch_id"), errs("closure")))
                        (Field::new("starts_on", "First day", typed("closure").get("starts_on")).kind("date").render(errs("closure")))
                        (Field::new("ends_on", "Last day", typed("closure").get("ends_on")).kind("date").render(errs("closure")))
                    }
                    (Field::new("reason", "Reason", typed("closure").get("reason")).hint("Such as Public holiday").render(errs("closure")))
                    div { button class="button secondary" type="submit" { "Add the closure" } }
                }
            }
        },
    );
    Ok((status_for(&r.errors), body).into_response())
}

#[handler]
async fn show(staff: Staff, state: Data<&AppState>) -> PageResult {
    settings_page(&staff, &state, Returned::default()).await
}

fn date(p: &Pairs, name: &str, errors: &mut FieldErrors) -> Option<NaiveDate> {
    let parsed = NaiveDate::parse_from_str(p.get(name).trim(), "%Y-%m-%d").ok();
    if parsed.is_none() {
        errors.add(name, "give a date such as 2027-12-24");
    }
    parsed
}

/// The bay and closure forms share the page with the service form: their fields carry a
/// prefix, so each id on the page is unique; the service's messages name the fields without it.
fn prefixed(prefix: &str, fields: &[&str], mut errors: FieldErrors) -> FieldErrors {
    for e in &mut errors.0 {
        if fields.contains(&e.field.as_str()) {
            e.field = format!("{prefix}{}", e.field);
        }
    }
    errors
}

#[handler]
async fn add_service(staff: Staff, Data(state): Data<&AppState>, form: Pairs) -> PageResult {
    let staff = &staff;
    let fd = &state.frontdesk;
    submit(
        &staff.ctx,
        form,
        |p| async move {
            catalogue::create(fd, &staff.actor, service_input(&p)?).await?;
            Ok(PATH.to_owned())
        },
        |p, errors| async move {
            settings_page(staff, state, Returned::new("service", p, errors)).await
        },
    )
    .await
}

#[handler]
async fn add_bay(staff: Staff, Data(state): Data<&AppState>, form: Pairs) -> PageResult {
    let staff = &staff;
    let fd = &state.frontdesk;
    submit(
        &staff.ctx,
        form,
        |p| async move {
            resources::create_bay(
                fd,
                &staff.actor,
                BayInput {
                    branch_id: p.id("bay_branch_id").unwrap_or_default(),
                    name: p.get("bay_name").to_owned(),
                    kind: p.get("kind").to_owned(),
                    active: true,
                },
            )
            .await?;
            Ok(PATH.to_owned())
        },
        |p, errors| async move {
            let errors = prefixed("bay_", &["branch_id", "name"], errors);
            settings_page(staff, state, Returned::new("bay", p, errors)).await
        },
    )
    .await
}

#[handler]
async fn add_closure(staff: Staff, Data(state): Data<&AppState>, form: Pairs) -> PageResult {
    let staff = &staff;
    let fd = &state.frontdesk;
    submit(
        &staff.ctx,
        form,
        |p| async move {
            let mut e = FieldErrors::new();
            let starts = date(&p, "starts_on", &mut e);
            let ends = date(&p, "ends_on", &mut e);
            let (Some(starts), Some(ends)) = (starts, ends) else {
                return Err(e.into());
            };
            resources::add_closure(
                fd,
                &staff.actor,
                p.id("closure_branch_id").unwrap_or_default(),
                starts,
                ends,
                p.get("reason"),
            )
            .await?;
            Ok(PATH.to_owned())
        },
        |p, errors| async move {
            let errors = prefixed("closure_", &["branch_id"], errors);
            settings_page(staff, state, Returned::new("closure", p, errors)).await
        },
    )
    .await
}

#[handler]
async fn save_booking(staff: Staff, Data(state): Data<&AppState>, form: Pairs) -> PageResult {
    let staff = &staff;
    let fd = &state.frontdesk;
    submit(
        &staff.ctx,
        form,
        |p| async move {
            let mut e = FieldErrors::new();
            let cutoff = p.parsed("cutoff_hours", "write whole hours", &mut e);
            let reminders: Result<Vec<i64>, _> = p
                .get("reminder_minutes")
                .split([' ', ','])
                .filter(|s| !s.is_empty())
                .map(str::parse)
                .collect();
            if reminders.is_err() {
                e.add(
                    "reminder_minutes",
                    "write minutes as whole numbers, such as 1440 120",
                );
            }
            match (cutoff, reminders) {
                (Some(cutoff_hours), Ok(reminder_minutes)) if e.is_empty() => {
                    booking::update_settings(
                        fd,
                        &staff.actor,
                        BookingSettings {
                            auto_confirm: p.get("auto_confirm") == "yes",
                            cutoff_hours,
                            reminder_minutes,
                        },
                    )
                    .await?;
                    Ok(PATH.to_owned())
                }
                _ => {
                    if e.is_empty() {
                        e.add("cutoff_hours", "give the cut-off in hours");
                    }
                    Err(e.into())
                }
            }
        },
        |p, errors| async move {
            settings_page(staff, state, Returned::new("booking", p, errors)).await
        },
    )
    .await
}

#[handler]
async fn remove_closure(
    staff: Staff,
    Data(state): Data<&AppState>,
    Path(id): Path<Uuid>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    let fd = &state.frontdesk;
    submit(
        &staff.ctx,
        form,
        |_| async move {
            resources::remove_closure(fd, &staff.actor, id).await?;
            Ok(PATH.to_owned())
        },
        |_, errors| async move { Err(ServiceError::Invalid(errors).into()) },
    )
    .await
}

async fn service_page(
    staff: &Staff,
    state: &AppState,
    id: Uuid,
    typed: Option<&Pairs>,
    errors: &FieldErrors,
) -> PageResult {
    let ctx = &staff.ctx;
    let s = catalogue::get(&state.frontdesk, &staff.actor, id).await?;
    let form = typed.cloned().unwrap_or_else(|| service_pairs(ctx, &s));
    let body = page(
        ctx,
        &s.name,
        Some("settings"),
        html! {
            p { a href=(ctx.link(PATH)) { "← Front-desk settings" } }
            h1 { (s.name) }
            (error_summary(errors, LABELS))
            form class="stack card" method="post" action=(ctx.link(&format!("{PATH}/services/{id}"))) novalidate {
                (csrf_input(ctx))
                (service_fields(&form, errors))
                div { button class="button" type="submit" { "Save" } }
            }
        },
    );
    Ok((status_for(errors), body).into_response())
}

#[handler]
async fn show_service(staff: Staff, state: Data<&AppState>, Path(id): Path<Uuid>) -> PageResult {
    service_page(&staff, &state, id, None, &FieldErrors::new()).await
}

#[handler]
async fn update_service(
    staff: Staff,
    Data(state): Data<&AppState>,
    Path(id): Path<Uuid>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    let fd = &state.frontdesk;
    submit(
        &staff.ctx,
        form,
        |p| async move {
            catalogue::update(fd, &staff.actor, id, service_input(&p)?).await?;
            Ok(PATH.to_owned())
        },
        |p, errors| async move { service_page(staff, state, id, Some(&p), &errors).await },
    )
    .await
}
