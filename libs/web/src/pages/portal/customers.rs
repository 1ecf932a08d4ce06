//! The front desk's customer pages: search, a customer's card (contact, consent, notes,
//! vehicles, visits), merge, export and erasure, and a vehicle's history. Everything goes
//! through the same front-desk services as the API.

use chrono::NaiveDate;
use maud::{Markup, html};
use pitlane_domain::{
    Actor, FieldErrors,
    appointment::AppointmentStatus,
    ids::{CustomerId, VehicleId},
};
use pitlane_frontdesk::{
    customers::{self, ConsentChange, CustomerInput, CustomerQuery, CustomerSort},
    privacy,
    vehicles::{self, VehicleInput},
};
use pitlane_store::entity::{customer, vehicle};
use poem::{
    IntoResponse, Response, Route, get, handler,
    http::header,
    post,
    web::{Data, Path, Query},
};
use serde::Deserialize;
use uuid::Uuid;

use super::calendar::on_clock;
use crate::pages::kit::{
    PageResult, Pairs, Returned, Staff,
    forms::{Field, csrf_input, error_summary, query_link, select, status_for, textarea},
    page, submit, table_region,
};
use pitlane_app::state::AppState;

pub fn routes(routes: Route) -> Route {
    routes
        .at("/portal/customers", get(list).post(create))
        .at("/portal/customers/:id", get(show).post(update))
        .at("/portal/customers/:id/consent", post(save_consent))
        .at("/portal/customers/:id/notes", post(add_note))
        .at(
            "/portal/customers/:id/conversation",
            post(open_conversation),
        )
        .at("/portal/customers/:id/vehicles", post(add_vehicle))
        .at("/portal/customers/:id/merge", post(merge))
        .at("/portal/customers/:id/erase", post(erase))
        .at("/portal/customers/:id/export", get(export))
        .at("/portal/customers/:id/data", get(data_page))
        .at(
            "/portal/vehicles/:id",
            get(show_vehicle).post(update_vehicle),
        )
        .at("/portal/vehicles/:id/mileage", post(record_mileage))
}

const LABELS: &[(&str, &str)] = &[
    ("name", "Name"),
    ("email", "E-mail"),
    ("phone", "Phone"),
    ("company", "Company"),
    ("address", "Address"),
    ("tags", "Tags"),
    ("body", "Note"),
    ("vin", "VIN"),
    ("plate", "Number plate"),
    ("make", "Make"),
    ("model", "Model"),
    ("year", "Year"),
    ("engine", "Engine"),
    ("plate_region", "Plate region"),
    ("mileage", "Mileage"),
    ("next_service_on", "Next service date"),
    ("next_service_mileage", "Next service mileage"),
    ("source", "How consent was given"),
    ("duplicate", "Duplicate"),
    ("confirm", "Confirmation"),
    ("branch_id", "Branch"),
    ("mileage_in", "Mileage in"),
    ("concern", "What the customer says"),
    ("vehicle_id", "Vehicle"),
    ("customer_id", "Customer"),
    ("csrf", "Form"),
];

/// How a visit's time reads: on the clock of the branch it was at.
async fn visit_clock(
    state: &AppState,
    actor: &Actor,
) -> impl Fn(&pitlane_store::entity::appointment::Model) -> String + use<> {
    let zones: std::collections::HashMap<Uuid, String> =
        pitlane_tenancy::branches::overview(&state.store, actor, 500)
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|b| (b.id, b.time_zone))
            .collect();
    move |a| {
        on_clock(
            zones.get(&a.branch_id).map_or("UTC", String::as_str),
            a.starts_at,
        )
    }
}

fn tags_text(c: &customer::Model) -> String {
    customers::tags_of(c).join(", ")
}

fn customer_input(p: &Pairs) -> CustomerInput {
    CustomerInput {
        name: p.get("name").to_owned(),
        email: p.optional("email"),
        phone: p.optional("phone"),
        company: p.optional("company"),
        address: p.optional("address"),
        tags: p
            .get("tags")
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect(),
    }
}

fn customer_fields(p: &Pairs, errors: &FieldErrors) -> Markup {
    html! {
        (Field::new("name", "Name", p.get("name")).required().autocomplete("off").render(errors))
        div class="grid-2" {
            (Field::new("email", "E-mail", p.get("email")).kind("email").autocomplete("off").render(errors))
            (Field::new("phone", "Phone", p.get("phone")).kind("tel").autocomplete("off").hint("National or +international").render(errors))
        }
        (Field::new("company", "Company (optional)", p.get("company")).render(errors))
        (textarea("address", "Address (optional)", p.get("address"), errors))
        (Field::new("tags", "Tags (optional)", p.get("tags")).hint("Comma-separated, such as fleet, vip").render(errors))
    }
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    tag: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    cursor: String,
}

async fn list_page(
    staff: &Staff,
    state: &AppState,
    q: &ListQuery,
    new: &Pairs,
    errors: &FieldErrors,
) -> PageResult {
    let (ctx, actor) = (&staff.ctx, &staff.actor);
    let sort = CustomerSort::parse(Some(&q.sort))?;
    let found = customers::list(
        &state.frontdesk,
        actor,
        CustomerQuery {
            q: Some(q.q.clone()).filter(|s| !s.trim().is_empty()),
            tag: Some(q.tag.clone()).filter(|s| !s.trim().is_empty()),
            sort,
            cursor: Some(q.cursor.clone()).filter(|s| !s.is_empty()),
            limit: 50,
        },
    )
    .await?;
    let can_write = actor.can(pitlane_domain::permissions::Permission::CustomersWrite);
    let next = found.next_cursor.as_ref().map(|c| {
        ctx.link(&query_link(
            "/portal/customers",
            &[
                ("q", q.q.clone()),
                ("tag", q.tag.clone()),
                ("sort", q.sort.clone()),
                ("cursor", c.clone()),
            ],
        ))
    });
    let sorts = [
        ("name", "Name A–Z"),
        ("-name", "Name Z–A"),
        ("-created", "Newest first"),
        ("created", "Oldest first"),
    ]
    .map(|(k, l)| (k.to_owned(), l.to_owned()));
    let body = page(
        ctx,
        "Customers",
        Some("customers"),
        html! {
            h1 { "Customers" }
            @if actor.can(pitlane_domain::permissions::Permission::SettingsManage) {
                p { a href=(ctx.link("/portal/campaigns")) { "Send a campaign to customers who agreed to offers" } }
            }
            form class="toolbar" method="get" action=(ctx.link("/portal/customers")) role="search" {
                div class="field" {
                    label for="f-q" { "Search" }
                    span class="hint" id="f-q-hint" { "Name, e-mail, phone, plate or VIN — any part" }
                    input id="f-q" name="q" type="search" value=(q.q) aria-describedby="f-q-hint";
                }
                (Field::new("tag", "Tag", &q.tag).render(&FieldErrors::new()))
                (select("sort", "Order", &sorts, if q.sort.is_empty() { "name" } else { &q.sort }, &FieldErrors::new()))
                div { button class="button" type="submit" { "Search" } }
            }
            section class="card" aria-labelledby="results-heading" {
                h2 id="results-heading" { @if q.q.trim().is_empty() { "All customers" } @else { "Customers matching “" (q.q.trim()) "”" } }
                @if found.items.is_empty() { p class="muted" { "No customers found." } }
                @else {
                    (table_region("Customers", html! {
                        table {
                            thead { tr { th scope="col" { "Name" } th scope="col" { "E-mail" } th scope="col" { "Phone" } th scope="col" { "Tags" } } }
                            tbody {
                                @for c in &found.items {
                                    tr {
                                        td { a href=(ctx.link(&format!("/portal/customers/{}", c.id))) { (c.name) } @if let Some(co) = &c.company { br; span class="muted" { (co) } } }
                                        td { (c.email.as_deref().unwrap_or("")) }
                                        td { (c.phone.as_deref().unwrap_or("")) }
                                        td { (tags_text(c)) }
                                    }
                                }
                            }
                        }
                    }))
                }
                @if let Some(next) = next { p { a href=(next) { "Next page →" } } }
            }
            @if can_write {
                section class="card" aria-labelledby="new-heading" {
                    h2 id="new-heading" { "New customer" }
                    (error_summary(errors, LABELS))
                    form class="stack" method="post" action=(ctx.link("/portal/customers")) novalidate {
                        (csrf_input(ctx))
                        (customer_fields(new, errors))
                        fieldset class="field checks" {
                            legend { "The customer agrees to" }
                            @for (name, label) in [("email_consent", "E-mails about their visits"), ("sms_consent", "Text messages about their visits"), ("marketing_consent", "Offers and service reminders")] {
                                label class="check" { input type="checkbox" name=(name) value="yes" checked[new.get(name) == "yes"]; " " (label) }
                            }
                        }
                        div { button class="button" type="submit" { "Add the customer" } }
                    }
                }
            }
        },
    );
    Ok((status_for(errors), body).into_response())
}

#[handler]
async fn list(staff: Staff, state: Data<&AppState>, Query(q): Query<ListQuery>) -> PageResult {
    list_page(&staff, &state, &q, &Pairs::default(), &FieldErrors::new()).await
}

fn consent_of(p: &Pairs, source: &str) -> ConsentChange {
    let given = |name: &str| (p.get(name) == "yes").then_some(true);
    ConsentChange {
        email: given("email_consent"),
        sms: given("sms_consent"),
        marketing: given("marketing_consent"),
        source: source.to_owned(),
    }
}

#[handler]
async fn create(staff: Staff, Data(state): Data<&AppState>, form: Pairs) -> PageResult {
    let staff = &staff;
    let fd = &state.frontdesk;
    submit(
        &staff.ctx,
        form,
        |p| async move {
            let consent = consent_of(&p, "at the front desk");
            let any =
                consent.email.is_some() || consent.sms.is_some() || consent.marketing.is_some();
            let c = customers::create(fd, &staff.actor, customer_input(&p), any.then_some(consent))
                .await?;
            Ok(format!("/portal/customers/{}", c.id))
        },
        |p, errors| async move {
            list_page(staff, state, &ListQuery::default(), &p, &errors).await
        },
    )
    .await
}

fn consent_line(
    label: &str,
    at: Option<chrono::DateTime<chrono::Utc>>,
    how: Option<&str>,
) -> Markup {
    html! {
        li {
            strong { (label) ": " }
            @match at {
                Some(at) => { "yes, since " (at.format("%Y-%m-%d")) @if let Some(how) = how { " (" (how) ")" } }
                None => { "no" }
            }
        }
    }
}

fn contact_pairs(c: &customer::Model) -> Pairs {
    Pairs(vec![
        ("name".into(), c.name.clone()),
        ("email".into(), c.email.clone().unwrap_or_default()),
        ("phone".into(), c.phone.clone().unwrap_or_default()),
        ("company".into(), c.company.clone().unwrap_or_default()),
        ("address".into(), c.address.clone().unwrap_or_default()),
        ("tags".into(), tags_text(c)),
    ])
}

fn vehicle_fields(p: &Pairs, errors: &FieldErrors) -> Markup {
    let units = [("km", "Kilometres"), ("mi", "Miles")].map(|(k, l)| (k.to_owned(), l.to_owned()));
    html! {
        (Field::new("vin", "VIN (optional)", p.get("vin")).hint("17 characters; make and year are read from it").autocomplete("off").render(errors))
        div class="grid-3" {
            (Field::new("plate", "Number plate", p.get("plate")).autocomplete("off").render(errors))
            (Field::new("make", "Make", p.get("make")).render(errors))
            (Field::new("model", "Model", p.get("model")).render(errors))
            (Field::new("year", "Year", p.get("year")).kind("number").render(errors))
            (Field::new("colour", "Colour", p.get("colour")).render(errors))
            (Field::new("engine", "Engine", p.get("engine")).hint("Such as 2.0 TDI").render(errors))
            (Field::new("plate_region", "Plate region", p.get("plate_region")).hint("Such as IL or HH").render(errors))
            (select("mileage_unit", "Mileage in", &units, if p.get("mileage_unit").is_empty() { "km" } else { p.get("mileage_unit") }, errors))
            (Field::new("next_service_on", "Next service date", p.get("next_service_on")).kind("date").render(errors))
            (Field::new("next_service_mileage", "Next service at mileage", p.get("next_service_mileage")).kind("number").render(errors))
        }
    }
}

fn vehicle_input(p: &Pairs, customer_id: Option<CustomerId>) -> Result<VehicleInput, FieldErrors> {
    let mut errors = FieldErrors::new();
    let input = VehicleInput {
        customer_id,
        vin: p.optional("vin"),
        plate: p.optional("plate"),
        plate_region: p.optional("plate_region"),
        make: p.optional("make"),
        model: p.optional("model"),
        year: p.parsed("year", "write the year as four digits", &mut errors),
        engine: p.optional("engine"),
        colour: p.optional("colour"),
        mileage_unit: p.optional("mileage_unit"),
        mileage: p.mileage("mileage", &mut errors),
        next_service_on: match p.get("next_service_on").trim() {
            "" => None,
            raw => NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                .map_err(|_| errors.add("next_service_on", "give a date such as 2027-03-31"))
                .ok(),
        },
        next_service_mileage: p.mileage("next_service_mileage", &mut errors),
    };
    if errors.is_empty() {
        Ok(input)
    } else {
        Err(errors)
    }
}

async fn customer_page(staff: &Staff, state: &AppState, id: CustomerId, r: Returned) -> PageResult {
    let (ctx, actor) = (&staff.ctx, &staff.actor);
    let history = customers::history(&state.frontdesk, actor, id).await?;
    let c = &history.customer;
    // Possible duplicates: others found by this customer's e-mail, phone or name.
    let mut duplicates: Vec<customer::Model> = Vec::new();
    for q in [c.email.clone(), c.phone.clone(), Some(c.name.clone())]
        .into_iter()
        .flatten()
    {
        if let Ok(found) = customers::list(
            &state.frontdesk,
            actor,
            CustomerQuery {
                q: Some(q),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        {
            for d in found.items {
                if d.id != c.id && !duplicates.iter().any(|x| x.id == d.id) {
                    duplicates.push(d);
                }
            }
        }
    }
    let can_write = actor.can(pitlane_domain::permissions::Permission::CustomersWrite);
    let when = visit_clock(state, actor).await;
    let base = format!("/portal/customers/{}", c.id);
    let contact_errors = r.errors_of("contact");
    let contact = r
        .typed("contact")
        .cloned()
        .unwrap_or_else(|| contact_pairs(c));
    let note_errors = r.errors_of("note");
    let vehicle_errors = r.errors_of("vehicle");
    let vehicle_back = r.is("vehicle");
    let consent_errors = r.errors_of("consent");
    let merge_errors = r.errors_of("merge");
    let erase_errors = r.errors_of("erase");
    let empty = Pairs::default();
    let vehicle_typed = r.typed("vehicle").unwrap_or(&empty);
    // The consent boxes as the form came back, or as recorded.
    let ticked = |name: &str, recorded: bool| {
        if r.is("consent") {
            r.pairs.get(name) == "yes"
        } else {
            recorded
        }
    };
    let body = page(
        ctx,
        &c.name,
        Some("customers"),
        html! {
            p { a href=(ctx.link("/portal/customers")) { "← Customers" } }
            h1 { (c.name) }
            @if can_write {
                form class="inline" method="post" action=(ctx.link(&format!("{base}/conversation"))) {
                    (csrf_input(ctx))
                    button class="button secondary" type="submit" { "Write to " (c.name) }
                }
            }
            @if let Some(e) = r.errors.0.first().filter(|_| r.form.is_empty()) { div class="notice error" role="alert" { (e.message) } }
            div class="grid-2" {
                section class="card" aria-labelledby="contact-heading" {
                    h2 id="contact-heading" { "Contact" }
                    @if can_write {
                        (error_summary(contact_errors, LABELS))
                        form class="stack" method="post" action=(ctx.link(&base)) novalidate {
                            (csrf_input(ctx))
                            (customer_fields(&contact, contact_errors))
                            div { button class="button" type="submit" { "Save" } }
                        }
                    } @else {
                        dl class="facts" {
                            dt { "E-mail" } dd { (c.email.as_deref().unwrap_or("—")) }
                            dt { "Phone" } dd { (c.phone.as_deref().unwrap_or("—")) }
                            dt { "Tags" } dd { (tags_text(c)) }
                        }
                    }
                }
                section class="card" aria-labelledby="consent-heading" {
                    h2 id="consent-heading" { "Consent" }
                    ul {
                        (consent_line("E-mails about visits", c.email_consent_at, c.email_consent_source.as_deref()))
                        (consent_line("Texts about visits", c.sms_consent_at, c.sms_consent_source.as_deref()))
                        (consent_line("Offers and reminders", c.marketing_consent_at, c.marketing_consent_source.as_deref()))
                    }
                    @if c.marketing_unsubscribed_at.is_some() { p class="muted" { "Unsubscribed from offers on " (c.marketing_unsubscribed_at.map(|t| t.format("%Y-%m-%d").to_string()).unwrap_or_default()) "." } }
                    @if can_write {
                        (error_summary(consent_errors, LABELS))
                        form class="stack" method="post" action=(ctx.link(&format!("{base}/consent"))) novalidate {
                            (csrf_input(ctx))
                            fieldset class="field checks" {
                                legend { "The customer agrees to" }
                                label class="check" { input type="checkbox" name="email_consent" value="yes" checked[ticked("email_consent", c.email_consent_at.is_some())]; " E-mails about their visits" }
                                label class="check" { input type="checkbox" name="sms_consent" value="yes" checked[ticked("sms_consent", c.sms_consent_at.is_some())]; " Texts about their visits" }
                                label class="check" { input type="checkbox" name="marketing_consent" value="yes" checked[ticked("marketing_consent", c.marketing_consent_at.is_some())]; " Offers and service reminders" }
                            }
                            (Field::new("source", "How they told you", r.value("consent", "source")).hint("Such as: on the phone, at the counter").render(consent_errors))
                            div { button class="button secondary" type="submit" { "Record consent" } }
                        }
                    }
                }
            }
            section class="card" aria-labelledby="vehicles-heading" {
                h2 id="vehicles-heading" { "Vehicles" }
                @if history.vehicles.is_empty() { p class="muted" { "No vehicles yet." } }
                ul {
                    @for v in &history.vehicles {
                        li { a href=(ctx.link(&format!("/portal/vehicles/{}", v.id))) { (vehicles::describe(v)) } @if let Some(m) = v.last_mileage { " · " (m) " " (v.mileage_unit) } }
                    }
                }
                @if can_write {
                    details open[vehicle_back] {
                        summary { "Add a vehicle" }
                        (error_summary(vehicle_errors, LABELS))
                        form class="stack" method="post" action=(ctx.link(&format!("{base}/vehicles"))) novalidate {
                            (csrf_input(ctx))
                            (vehicle_fields(vehicle_typed, vehicle_errors))
                            (Field::new("mileage", "Mileage now (optional)", vehicle_typed.get("mileage")).kind("number").render(vehicle_errors))
                            div { button class="button" type="submit" { "Add the vehicle" } }
                        }
                    }
                }
            }
            section class="card" aria-labelledby="visits-heading" {
                h2 id="visits-heading" { "Visits" }
                @if can_write { p { a class="button secondary" href=(ctx.link(&format!("/portal/appointments/new?customer_id={}", c.id))) { "Book an appointment" } } }
                @if actor.can(pitlane_domain::permissions::Permission::RepairOrdersRead) {
                    p { a href=(ctx.link(&format!("{base}/history"))) { "Repair history: every order and invoice, printable" } }
                }
                @if history.appointments.is_empty() { p class="muted" { "No visits yet." } }
                @else {
                    (table_region("Visits", html! {
                        table {
                            thead { tr { th scope="col" { "When" } th scope="col" { "Status" } th scope="col" { "Source" } } }
                            tbody {
                                @for a in &history.appointments {
                                    tr {
                                        td { a href=(ctx.link(&format!("/portal/appointments/{}", a.id))) { (when(a)) } }
                                        td { (AppointmentStatus::label_for(&a.status)) }
                                        td { (a.source) }
                                    }
                                }
                            }
                        }
                    }))
                }
            }
            section class="card" aria-labelledby="notes-heading" {
                h2 id="notes-heading" { "Notes" }
                @for n in &history.notes {
                    article class="note" {
                        p { (n.body) }
                        p class="muted" { (n.author_name.as_deref().unwrap_or("")) " · " (n.created_at.format("%Y-%m-%d %H:%M UTC")) }
                    }
                }
                @if can_write {
                    (error_summary(note_errors, LABELS))
                    form class="stack" method="post" action=(ctx.link(&format!("{base}/notes"))) novalidate {
                        (csrf_input(ctx))
                        (textarea("body", "Add a note", r.value("note", "body"), note_errors))
                        div { button class="button secondary" type="submit" { "Add the note" } }
                    }
                }
            }
            @if can_write {
                section class="card" aria-labelledby="merge-heading" {
                    h2 id="merge-heading" { "Merge a duplicate" }
                    p { "Moves the duplicate's vehicles, visits, notes and messages to " strong { (c.name) } " and closes the duplicate." }
                    (error_summary(merge_errors, LABELS))
                    @if duplicates.is_empty() { p class="muted" { "No likely duplicates found." } }
                    @else {
                        form class="stack" method="post" action=(ctx.link(&format!("{base}/merge"))) novalidate {
                            (csrf_input(ctx))
                            fieldset class="field" id="f-duplicate" {
                                legend { "Possible duplicates" }
                                @for d in &duplicates {
                                    label class="check" {
                                        input type="radio" name="duplicate" value=(d.id);
                                        " " (d.name) " · " (d.email.as_deref().unwrap_or("no e-mail")) " · " (d.phone.as_deref().unwrap_or("no phone"))
                                    }
                                }
                            }
                            div { button class="button secondary" type="submit" { "Merge into this customer" } }
                        }
                    }
                }
                section class="card" aria-labelledby="privacy-heading" {
                    h2 id="privacy-heading" { "Privacy" }
                    p {
                        a href=(ctx.link(&format!("{base}/data"))) { "Everything we hold, as a page" } " · "
                        a href=(ctx.link(&format!("{base}/export"))) download { "Download it (JSON)" }
                    }
                    (error_summary(erase_errors, LABELS))
                    form class="stack" method="post" action=(ctx.link(&format!("{base}/erase"))) novalidate {
                        (csrf_input(ctx))
                        p { "Erasing removes the name, contact details, notes and upcoming bookings for good. Past visits stay as anonymous records." }
                        label class="check" id="f-confirm" { input type="checkbox" name="confirm" value="yes"; " I understand this cannot be undone" }
                        div { button class="button danger" type="submit" { "Erase this customer" } }
                    }
                }
            }
        },
    );
    Ok((status_for(&r.errors), body).into_response())
}

#[handler]
async fn show(staff: Staff, state: Data<&AppState>, Path(id): Path<CustomerId>) -> PageResult {
    customer_page(&staff, &state, id, Returned::default()).await
}

#[handler]
async fn update(
    staff: Staff,
    Data(state): Data<&AppState>,
    Path(id): Path<CustomerId>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    let fd = &state.frontdesk;
    submit(
        &staff.ctx,
        form,
        |p| async move {
            customers::update(fd, &staff.actor, id, customer_input(&p)).await?;
            Ok(format!("/portal/customers/{id}"))
        },
        |p, errors| async move {
            customer_page(staff, state, id, Returned::new("contact", p, errors)).await
        },
    )
    .await
}

#[handler]
async fn save_consent(
    staff: Staff,
    Data(state): Data<&AppState>,
    Path(id): Path<CustomerId>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    let fd = &state.frontdesk;
    submit(
        &staff.ctx,
        form,
        |p| async move {
            let actor = &staff.actor;
            // Only what changed: a box left as it was keeps its record (when and how it was
            // given); a newly ticked one gives consent, a newly cleared one withdraws it.
            let now = customers::get(fd, actor, id).await?;
            let changed = |name: &str, had: bool| {
                let ticked = p.get(name) == "yes";
                (ticked != had).then_some(ticked)
            };
            let change = ConsentChange {
                email: changed("email_consent", now.email_consent_at.is_some()),
                sms: changed("sms_consent", now.sms_consent_at.is_some()),
                marketing: changed("marketing_consent", now.marketing_consent_at.is_some()),
                source: p.get("source").trim().to_owned(),
            };
            if change.email.is_none() && change.sms.is_none() && change.marketing.is_none() {
                return Ok(format!("/portal/customers/{id}"));
            }
            customers::set_consent(fd, actor, id, change).await?;
            Ok(format!("/portal/customers/{id}"))
        },
        |p, errors| async move {
            customer_page(staff, state, id, Returned::new("consent", p, errors)).await
        },
    )
    .await
}

/// Opens (or finds) the conversation with the customer, to write to them from the inbox.
#[handler]
async fn open_conversation(
    staff: Staff,
    Data(state): Data<&AppState>,
    Path(id): Path<CustomerId>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    let fd = &state.frontdesk;
    submit(
        &staff.ctx,
        form,
        |_| async move {
            let c = pitlane_frontdesk::conversations::for_customer(fd, &staff.actor, id).await?;
            Ok(format!("/portal/inbox/{}", c.id))
        },
        // No form of its own: the page shows the message at its top.
        |p, errors| async move { customer_page(staff, state, id, Returned::new("", p, errors)).await },
    )
    .await
}

#[handler]
async fn add_note(
    staff: Staff,
    Data(state): Data<&AppState>,
    Path(id): Path<CustomerId>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    let fd = &state.frontdesk;
    submit(
        &staff.ctx,
        form,
        |p| async move {
            customers::add_note(fd, &staff.actor, id, p.get("body")).await?;
            Ok(format!("/portal/customers/{id}#notes-heading"))
        },
        |p, errors| async move {
            customer_page(staff, state, id, Returned::new("note", p, errors)).await
        },
    )
    .await
}

#[handler]
async fn add_vehicle(
    staff: Staff,
    Data(state): Data<&AppState>,
    Path(id): Path<CustomerId>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    let fd = &state.frontdesk;
    submit(
        &staff.ctx,
        form,
        |p| async move {
            let input = vehicle_input(&p, Some(id))?;
            let v = vehicles::create(fd, &staff.actor, input).await?;
            Ok(format!("/portal/vehicles/{}", v.id))
        },
        |p, errors| async move {
            customer_page(staff, state, id, Returned::new("vehicle", p, errors)).await
        },
    )
    .await
}

#[handler]
async fn merge(
    staff: Staff,
    Data(state): Data<&AppState>,
    Path(id): Path<CustomerId>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    let fd = &state.frontdesk;
    submit(
        &staff.ctx,
        form,
        |p| async move {
            let duplicate = p
                .id("duplicate")
                .ok_or_else(|| FieldErrors::single("duplicate", "choose the duplicate to merge"))?;
            customers::merge(fd, &staff.actor, id, CustomerId(duplicate)).await?;
            Ok(format!("/portal/customers/{id}"))
        },
        |p, errors| async move {
            customer_page(staff, state, id, Returned::new("merge", p, errors)).await
        },
    )
    .await
}

#[handler]
async fn erase(
    staff: Staff,
    Data(state): Data<&AppState>,
    Path(id): Path<CustomerId>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    let fd = &state.frontdesk;
    submit(
        &staff.ctx,
        form,
        |p| async move {
            if p.get("confirm") != "yes" {
                return Err(FieldErrors::single(
                    "confirm",
                    "tick the box to confirm; erasure cannot be undone",
                )
                .into());
            }
            privacy::erase(fd, &staff.actor, id).await?;
            Ok("/portal/customers?erased=1".to_owned())
        },
        |p, errors| async move {
            customer_page(staff, state, id, Returned::new("erase", p, errors)).await
        },
    )
    .await
}

#[handler]
async fn export(staff: Staff, state: Data<&AppState>, Path(id): Path<CustomerId>) -> PageResult {
    let doc = privacy::export(&state.frontdesk, &staff.actor, id).await?;
    Ok(Response::builder()
        .content_type("application/json")
        .header(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"customer-{id}.json\""),
        )
        .body(serde_json::to_string_pretty(&doc).unwrap_or_default()))
}

async fn vehicle_page(
    staff: &Staff,
    state: &AppState,
    id: VehicleId,
    form: &str,
    typed: &Pairs,
    errors: &FieldErrors,
) -> PageResult {
    let (ctx, actor) = (&staff.ctx, &staff.actor);
    let h = vehicles::history(&state.frontdesk, actor, id).await?;
    let v = &h.vehicle;
    let owner = match v.customer_id {
        Some(cid) => customers::get(&state.frontdesk, actor, CustomerId(cid))
            .await
            .ok(),
        None => None,
    };
    let can_write = actor.can(pitlane_domain::permissions::Permission::CustomersWrite);
    let none = FieldErrors::new();
    let (edit_errors, mileage_errors) = match form {
        "edit" => (errors, &none),
        "mileage" => (&none, errors),
        _ => (&none, &none),
    };
    let edit = if form == "edit" {
        Pairs(typed.0.clone())
    } else {
        vehicle_pairs(v)
    };
    let due = vehicles::maintenance_due(v, chrono::Utc::now().date_naive(), 30);
    let when = visit_clock(state, actor).await;
    let can_open = actor.can(pitlane_domain::permissions::Permission::RepairOrdersWrite);
    let repair_orders = pitlane_workshop::orders::of_vehicle(&state.workshop, actor, id)
        .await
        .unwrap_or_default();
    let declined = pitlane_workshop::approval::declined_services(&state.workshop, actor, Some(id))
        .await
        .unwrap_or_default();
    let branches: Vec<(String, String)> =
        pitlane_tenancy::branches::overview(&state.store, actor, 500)
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|b| (b.id.to_string(), b.name))
            .collect();
    let ro_errors = if form == "ro" { errors } else { &none };
    let body = page(
        ctx,
        &vehicles::describe(v),
        Some("customers"),
        html! {
            @if let Some(o) = &owner { p { a href=(ctx.link(&format!("/portal/customers/{}", o.id))) { "← " (o.name) } } }
            h1 { (vehicles::describe(v)) }
            @if let Some(due) = due { div class="notice" role="status" { "Service due: " (due) } }
            dl class="facts" {
                dt { "VIN" } dd { (v.vin.as_deref().unwrap_or("—")) }
                dt { "Mileage" } dd { @if let Some(m) = v.last_mileage { (m) " " (v.mileage_unit) } @else { "—" } }
                dt { "Owner" } dd { @if let Some(o) = &owner { (o.name) } @else { "None on record" } }
            }
            @if can_open && v.customer_id.is_some() {
                section class="card" aria-labelledby="ro-heading" {
                    h2 id="ro-heading" { "Open a repair order" }
                    (error_summary(ro_errors, LABELS))
                    form class="stack" method="post" action=(ctx.link("/portal/repair-orders")) novalidate {
                        (csrf_input(ctx))
                        input type="hidden" name="vehicle_id" value=(v.id);
                        input type="hidden" name="customer_id" value=[v.customer_id];
                        (select("branch_id", "Branch", &branches, if form == "ro" { typed.get("branch_id") } else { "" }, ro_errors))
                        (Field::new("mileage_in", "Mileage in", if form == "ro" { typed.get("mileage_in") } else { "" }).kind("number").render(ro_errors))
                        (Field::new("concern", "What the customer says", if form == "ro" { typed.get("concern") } else { "" }).render(ro_errors))
                        div { button class="button" type="submit" { "Open repair order" } }
                    }
                }
            }
            @if can_write {
                section class="card" aria-labelledby="mileage-heading" {
                    h2 id="mileage-heading" { "Record mileage" }
                    (error_summary(mileage_errors, LABELS))
                    form class="stack" method="post" action=(ctx.link(&format!("/portal/vehicles/{}/mileage", v.id))) novalidate {
                        (csrf_input(ctx))
                        (Field::new("mileage", "Odometer now", if form == "mileage" { typed.get("mileage") } else { "" }).kind("number").required().render(mileage_errors))
                        (Field::new("correction_reason", "Reason, if lower than before", if form == "mileage" { typed.get("correction_reason") } else { "" }).hint("Such as: odometer replaced").render(mileage_errors))
                        div { button class="button secondary" type="submit" { "Record" } }
                    }
                }
                section class="card" aria-labelledby="edit-heading" {
                    h2 id="edit-heading" { "Details" }
                    (error_summary(edit_errors, LABELS))
                    form class="stack" method="post" action=(ctx.link(&format!("/portal/vehicles/{}", v.id))) novalidate {
                        (csrf_input(ctx))
                        (vehicle_fields(&edit, edit_errors))
                        div { button class="button" type="submit" { "Save" } }
                    }
                }
            }
            section class="card" aria-labelledby="readings-heading" {
                h2 id="readings-heading" { "Mileage history" }
                @if h.readings.is_empty() { p class="muted" { "No readings yet." } }
                ul { @for r in &h.readings { li { (r.recorded_at.format("%Y-%m-%d")) ": " (r.reading) " " (v.mileage_unit) " (" (r.source) ")" @if let Some(why) = &r.correction_reason { " — corrected: " (why) } } } }
            }
            section class="card" aria-labelledby="owners-heading" {
                h2 id="owners-heading" { "Owners" }
                ul { @for o in &h.owners { li { (o.owner_name) ": " (o.from_at.format("%Y-%m-%d")) " – " (o.until_at.map(|t| t.format("%Y-%m-%d").to_string()).unwrap_or_else(|| "now".into())) } } }
            }
            section class="card" aria-labelledby="service-heading" {
                h2 id="service-heading" { "Service history" }
                @if actor.can(pitlane_domain::permissions::Permission::RepairOrdersRead) {
                    p { a href=(ctx.link(&format!("/portal/vehicles/{}/history", v.id))) { "Repair history: every order and invoice, printable" } }
                }
                @if h.appointments.is_empty() { p class="muted" { "No visits yet." } }
                ul { @for a in &h.appointments { li { a href=(ctx.link(&format!("/portal/appointments/{}", a.id))) { (when(a)) } " · " (AppointmentStatus::label_for(&a.status)) } } }
                @if !repair_orders.is_empty() {
                    h3 { "Repair orders" }
                    ul { @for o in &repair_orders {
                        li { a href=(ctx.link(&format!("/portal/repair-orders/{}", o.id))) { (pitlane_domain::repair_order::display_number(o.number)) }
                            " · " (o.created_at.format("%Y-%m-%d"))
                            " · " (pitlane_domain::repair_order::RepairOrderStatus::parse(&o.status).map_or("", |s| s.label())) }
                    } }
                }
                @if !declined.is_empty() {
                    h3 { "Declined work to offer again" }
                    ul { @for (o, line) in &declined { li { (line.description) " (" (pitlane_domain::repair_order::display_number(o.number)) ")" } } }
                }
            }
        },
    );
    Ok((status_for(errors), body).into_response())
}

fn vehicle_pairs(v: &vehicle::Model) -> Pairs {
    let s = |o: Option<String>| o.unwrap_or_default();
    Pairs(vec![
        ("vin".into(), s(v.vin.clone())),
        ("plate".into(), s(v.plate.clone())),
        ("make".into(), s(v.make.clone())),
        ("model".into(), s(v.model.clone())),
        ("year".into(), s(v.year.map(|y| y.to_string()))),
        ("colour".into(), s(v.colour.clone())),
        ("engine".into(), s(v.engine.clone())),
        ("plate_region".into(), s(v.plate_region.clone())),
        ("mileage_unit".into(), v.mileage_unit.clone()),
        (
            "next_service_on".into(),
            s(v.next_service_on.map(|d| d.to_string())),
        ),
        (
            "next_service_mileage".into(),
            s(v.next_service_mileage.map(|m| m.to_string())),
        ),
    ])
}

/// The vehicle's page again with one of its forms' errors.
pub async fn vehicle_again(
    staff: &Staff,
    state: &AppState,
    id: VehicleId,
    form: &str,
    typed: &Pairs,
    errors: &FieldErrors,
) -> PageResult {
    vehicle_page(staff, state, id, form, typed, errors).await
}

#[handler]
async fn show_vehicle(
    staff: Staff,
    state: Data<&AppState>,
    Path(id): Path<VehicleId>,
) -> PageResult {
    vehicle_page(
        &staff,
        &state,
        id,
        "",
        &Pairs::default(),
        &FieldErrors::new(),
    )
    .await
}

#[handler]
async fn update_vehicle(
    staff: Staff,
    Data(state): Data<&AppState>,
    Path(id): Path<VehicleId>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    let fd = &state.frontdesk;
    submit(
        &staff.ctx,
        form,
        |p| async move {
            vehicles::update(fd, &staff.actor, id, vehicle_input(&p, None)?).await?;
            Ok(format!("/portal/vehicles/{id}"))
        },
        |p, errors| async move { vehicle_page(staff, state, id, "edit", &p, &errors).await },
    )
    .await
}

#[handler]
async fn record_mileage(
    staff: Staff,
    Data(state): Data<&AppState>,
    Path(id): Path<VehicleId>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    let fd = &state.frontdesk;
    submit(
        &staff.ctx,
        form,
        |p| async move {
            let mut e = FieldErrors::new();
            let value = p.mileage("mileage", &mut e);
            let Some(value) = value.filter(|_| e.is_empty()) else {
                if e.is_empty() {
                    e.add("mileage", "give the odometer reading");
                }
                return Err(e.into());
            };
            vehicles::record_mileage(
                fd,
                &staff.actor,
                id,
                value,
                p.optional("correction_reason").as_deref(),
            )
            .await?;
            Ok(format!("/portal/vehicles/{id}"))
        },
        |p, errors| async move { vehicle_page(staff, state, id, "mileage", &p, &errors).await },
    )
    .await
}

/// A JSON value as nested lists a person can read (and print for the customer).
fn readable(value: &serde_json::Value) -> Markup {
    use serde_json::Value;
    match value {
        Value::Object(map) => html! {
            dl class="facts" {
                @for (k, v) in map {
                    dt { (k.replace('_', " ")) }
                    dd { (readable(v)) }
                }
            }
        },
        Value::Array(items) if items.is_empty() => html! { span class="muted" { "none" } },
        Value::Array(items) => html! { ol { @for v in items { li { (readable(v)) } } } },
        Value::Null => html! { span class="muted" { "—" } },
        Value::String(text) => html! { (text) },
        other => html! { (other.to_string()) },
    }
}

/// The export as a readable page: the same document the JSON download holds.
#[handler]
async fn data_page(staff: Staff, state: Data<&AppState>, Path(id): Path<CustomerId>) -> PageResult {
    let ctx = &staff.ctx;
    let doc = privacy::export(&state.frontdesk, &staff.actor, id).await?;
    Ok(page(
        ctx,
        "Everything we hold",
        Some("customers"),
        html! {
            p { a href=(ctx.link(&format!("/portal/customers/{id}"))) { "← Back to the customer" } }
            h1 { "Everything we hold about this customer" }
            p class="muted" { "The same as the JSON download; print this page to hand it over." }
            (readable(&doc))
        },
    )
    .into_response())
}
