//! Front-desk settings on one page: the service catalogue, bays, branch closures and how
//! online booking works (auto-confirm, cut-off, reminders). A service has its own page to edit.

use chrono::NaiveDate;
use maud::{Markup, html};
use pitlane_domain::{FieldErrors, ServiceError, money::format_amount, text::CurrencyCode};
use pitlane_frontdesk::{
    booking::{self, BookingSettings},
    catalogue::{self, ServiceInput},
    resources::{self, BayInput},
};
use pitlane_store::entity::service;
use poem::{
    IntoResponse, Request, Response, handler,
    web::{Data, Path},
};
use uuid::Uuid;

use super::{
    customers::staff,
    errors::{expired_form, service_error_page},
    forms::{
        Field, Pairs, csrf_input, error_summary, select, signed_in_post, status_for, textarea,
    },
    layout::{PageCtx, page},
};
use crate::state::AppState;

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

#[derive(Default)]
struct Returned {
    form: &'static str,
    pairs: Pairs,
    errors: FieldErrors,
}

fn amount(minor: Option<i64>, currency: &str) -> String {
    match (minor, CurrencyCode::parse(currency)) {
        (Some(m), Ok(c)) => format_amount(m, &c),
        _ => String::new(),
    }
}

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

fn service_pairs(s: &service::Model, currency: &str) -> Pairs {
    let flag = |b: bool| if b { "yes" } else { "" }.to_owned();
    Pairs(vec![
        ("name".into(), s.name.clone()),
        (
            "description".into(),
            s.description.clone().unwrap_or_default(),
        ),
        ("duration_minutes".into(), s.duration_minutes.to_string()),
        ("price_from".into(), amount(s.price_from_minor, currency)),
        ("price_to".into(), amount(s.price_to_minor, currency)),
        ("bay_kind".into(), s.bay_kind.clone().unwrap_or_default()),
        ("skill".into(), s.skill.clone().unwrap_or_default()),
        ("bookable_online".into(), flag(s.bookable_online)),
        ("active".into(), flag(s.active)),
    ])
}

async fn settings_page(req: &Request, state: &AppState, r: Returned) -> Response {
    let ctx = PageCtx::from_request(req);
    let actor = match staff(&ctx) {
        Ok(a) => a,
        Err(resp) => return resp,
    };
    // Only those who may change these see the forms.
    if let Err(err) = actor.require(pitlane_domain::permissions::Permission::SettingsManage) {
        return service_error_page(&ctx, err);
    }
    let fd = &state.frontdesk;
    let loaded = async {
        Ok::<_, ServiceError>((
            catalogue::list_for(fd, actor).await?,
            resources::bays(fd, actor, None).await?,
            resources::closures(fd, actor, None).await?,
            booking::settings_for(fd, actor).await?,
            pitlane_tenancy::branches::overview(&state.store, actor, 500).await?,
        ))
    }
    .await;
    let (services, bays, closures, settings, branches) = match loaded {
        Ok(l) => l,
        Err(err) => return service_error_page(&ctx, err),
    };
    let currency = ctx.tenant().map(|t| t.currency.clone()).unwrap_or_default();
    let none = FieldErrors::new();
    let errs = |form: &str| if r.form == form { &r.errors } else { &none };
    let empty = Pairs::default();
    let typed = |form: &str| if r.form == form { &r.pairs } else { &empty };
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
    let new_service = if r.form == "service" {
        Pairs(r.pairs.0.clone())
    } else {
        Pairs(vec![
            ("duration_minutes".into(), "60".into()),
            ("bookable_online".into(), "yes".into()),
            ("active".into(), "yes".into()),
        ])
    };
    let booking_form = if r.form == "booking" {
        Pairs(r.pairs.0.clone())
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
        &ctx,
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
                    (csrf_input(&ctx))
                    label class="check" { input type="checkbox" name="auto_confirm" value="yes" checked[booking_form.get("auto_confirm") == "yes"]; " Confirm online bookings at once (otherwise they wait for you as requests)" }
                    (Field::new("cutoff_hours", "Customers may change or cancel until (hours before)", booking_form.get("cutoff_hours")).kind("number").render(errs("booking")))
                    (Field::new("reminder_minutes", "Reminders (minutes before, separated by spaces)", booking_form.get("reminder_minutes")).hint("1440 is a day; 120 is two hours").render(errs("booking")))
                    div { button class="button" type="submit" { "Save" } }
                }
            }
            section class="card" aria-labelledby="services-heading" {
                h2 id="services-heading" { "Services" }
                table {
                    thead { tr { th scope="col" { "Service" } th scope="col" { "Minutes" } th scope="col" { "Price" } th scope="col" { "Online" } th scope="col" { "Offered" } } }
                    tbody {
                        @for s in &services {
                            tr {
                                td { a href=(ctx.link(&format!("{PATH}/services/{}", s.id))) { (s.name) } }
                                td { (s.duration_minutes) }
                                td { (amount(s.price_from_minor, &currency)) @if s.price_to_minor.is_some() { " – " (amount(s.price_to_minor, &currency)) } }
                                td { @if s.bookable_online { "Yes" } @else { "No" } }
                                td { @if s.active { "Yes" } @else { "No" } }
                            }
                        }
                    }
                }
                details open[r.form == "service"] {
                    summary { "Add a service" }
                    (error_summary(errs("service"), LABELS))
                    form class="stack" method="post" action=(ctx.link(&format!("{PATH}/services"))) novalidate {
                        (csrf_input(&ctx))
                        (service_fields(&new_service, errs("service")))
                        div { button class="button" type="submit" { "Add the service" } }
                    }
                }
            }
            section class="card" aria-labelledby="bays-heading" {
                h2 id="bays-heading" { "Bays" }
                table {
                    thead { tr { th scope="col" { "Bay" } th scope="col" { "Kind" } th scope="col" { "Branch" } th scope="col" { "In use" } } }
                    tbody { @for b in &bays { tr { td { (b.name) } td { (b.kind) } td { (branch_name(b.branch_id)) } td { @if b.active { "Yes" } @else { "No" } } } } }
                }
                (error_summary(errs("bay"), LABELS))
                form class="stack" method="post" action=(ctx.link(&format!("{PATH}/bays"))) novalidate {
                    (csrf_input(&ctx))
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
                                (csrf_input(&ctx))
                                button class="link-button" type="submit" { "Remove" span class="visually-hidden" { " the closure from " (c.starts_on) } }
                            }
                        }
                    }
                }
                (error_summary(errs("closure"), LABELS))
                form class="stack" method="post" action=(ctx.link(&format!("{PATH}/closures"))) novalidate {
                    (csrf_input(&ctx))
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
    (status_for(&r.errors), body).into_response()
}

#[handler]
pub async fn show(req: &Request, state: Data<&AppState>) -> Response {
    settings_page(req, &state, Returned::default()).await
}

fn date(p: &Pairs, name: &str, errors: &mut FieldErrors) -> Option<NaiveDate> {
    let parsed = NaiveDate::parse_from_str(p.get(name).trim(), "%Y-%m-%d").ok();
    if parsed.is_none() {
        errors.add(name, "give a date such as 2027-12-24");
    }
    parsed
}

/// The settings page's forms: the action, then back to the page or the form's errors.
async fn settings_action(
    req: &Request,
    state: &AppState,
    body: &str,
    form: &'static str,
) -> Response {
    let fd = &state.frontdesk;
    signed_in_post(
        req,
        body,
        |actor, p| async move {
            let outcome: Result<(), ServiceError> = match form {
                "service" => match service_input(&p) {
                    Ok(input) => catalogue::create(fd, &actor, input).await.map(|_| ()),
                    Err(e) => Err(e.into()),
                },
                "bay" => resources::create_bay(
                    fd,
                    &actor,
                    BayInput {
                        branch_id: p.id("bay_branch_id").unwrap_or_default(),
                        name: p.get("bay_name").to_owned(),
                        kind: p.get("kind").to_owned(),
                        active: true,
                    },
                )
                .await
                .map(|_| ()),
                "closure" => {
                    let mut e = FieldErrors::new();
                    let starts = date(&p, "starts_on", &mut e);
                    let ends = date(&p, "ends_on", &mut e);
                    match (starts, ends) {
                        (Some(s), Some(en)) => resources::add_closure(
                            fd,
                            &actor,
                            p.id("closure_branch_id").unwrap_or_default(),
                            s,
                            en,
                            p.get("reason"),
                        )
                        .await
                        .map(|_| ()),
                        _ => Err(e.into()),
                    }
                }
                _ => {
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
                                &actor,
                                BookingSettings {
                                    auto_confirm: p.get("auto_confirm") == "yes",
                                    cutoff_hours,
                                    reminder_minutes,
                                },
                            )
                            .await
                            .map(|_| ())
                        }
                        _ => {
                            if e.is_empty() {
                                e.add("cutoff_hours", "give the cut-off in hours");
                            }
                            Err(e.into())
                        }
                    }
                }
            };
            outcome.map(|()| PATH.to_owned())
        },
        |pairs, mut errors| async move {
            // The bay and closure forms share the page with the service form: their fields
            // carry a prefix, so each id on the page is unique.
            let prefix = match form {
                "bay" => Some("bay_"),
                "closure" => Some("closure_"),
                _ => None,
            };
            if let Some(prefix) = prefix {
                for e in &mut errors.0 {
                    if e.field == "branch_id" || (form == "bay" && e.field == "name") {
                        e.field = format!("{prefix}{}", e.field);
                    }
                }
            }
            settings_page(
                req,
                state,
                Returned {
                    form,
                    pairs,
                    errors,
                },
            )
            .await
        },
    )
    .await
}

#[handler]
pub async fn add_service(req: &Request, state: Data<&AppState>, body: String) -> Response {
    settings_action(req, &state, &body, "service").await
}

#[handler]
pub async fn add_bay(req: &Request, state: Data<&AppState>, body: String) -> Response {
    settings_action(req, &state, &body, "bay").await
}

#[handler]
pub async fn add_closure(req: &Request, state: Data<&AppState>, body: String) -> Response {
    settings_action(req, &state, &body, "closure").await
}

#[handler]
pub async fn save_booking(req: &Request, state: Data<&AppState>, body: String) -> Response {
    settings_action(req, &state, &body, "booking").await
}

#[handler]
pub async fn remove_closure(
    req: &Request,
    state: Data<&AppState>,
    Path(id): Path<Uuid>,
    body: String,
) -> Response {
    let fd = &state.frontdesk;
    signed_in_post(
        req,
        &body,
        |actor, _| async move {
            resources::remove_closure(fd, &actor, id).await?;
            Ok(PATH.to_owned())
        },
        |_, _| async { expired_form(&PageCtx::from_request(req)) },
    )
    .await
}

async fn service_page(
    req: &Request,
    state: &AppState,
    id: Uuid,
    typed: Option<&Pairs>,
    errors: &FieldErrors,
) -> Response {
    let ctx = PageCtx::from_request(req);
    let actor = match staff(&ctx) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let s = match catalogue::get(&state.frontdesk, actor, id).await {
        Ok(s) => s,
        Err(err) => return service_error_page(&ctx, err),
    };
    let currency = ctx.tenant().map(|t| t.currency.clone()).unwrap_or_default();
    let form = typed
        .cloned()
        .unwrap_or_else(|| service_pairs(&s, &currency));
    let body = page(
        &ctx,
        &s.name,
        Some("settings"),
        html! {
            p { a href=(ctx.link(PATH)) { "← Front-desk settings" } }
            h1 { (s.name) }
            (error_summary(errors, LABELS))
            form class="stack card" method="post" action=(ctx.link(&format!("{PATH}/services/{id}"))) novalidate {
                (csrf_input(&ctx))
                (service_fields(&form, errors))
                div { button class="button" type="submit" { "Save" } }
            }
        },
    );
    (status_for(errors), body).into_response()
}

#[handler]
pub async fn show_service(req: &Request, state: Data<&AppState>, Path(id): Path<Uuid>) -> Response {
    service_page(req, &state, id, None, &FieldErrors::new()).await
}

#[handler]
pub async fn update_service(
    req: &Request,
    state: Data<&AppState>,
    Path(id): Path<Uuid>,
    body: String,
) -> Response {
    let fd = &state.frontdesk;
    signed_in_post(
        req,
        &body,
        |actor, p| async move {
            catalogue::update(fd, &actor, id, service_input(&p)?).await?;
            Ok(PATH.to_owned())
        },
        |p, errors| async move { service_page(req, &state, id, Some(&p), &errors).await },
    )
    .await
}
