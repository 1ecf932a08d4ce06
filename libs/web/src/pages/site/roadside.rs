//! Roadside help on the workshop's branded site, made for a phone at the side of a road:
//! where you are (the browser's position, with consent, or typed), the vehicle, what happened;
//! before sending, whether the place is inside the branch's area, the price and a first
//! estimate. Signed-in customers ask at once; guests confirm with a code (the booking's). The
//! driver's link (`/roadside/track`) then shows the mechanic coming, live, on a map or a
//! drawn plan, until the request ends. Works without JavaScript (positions typed, the price
//! checked with a button, the page reloaded for news).

use maud::{Markup, html};
use pitlane_domain::{
    FieldErrors, ServiceError, live::Topic, permissions::Role,
    roadside::{RoadsideStatus, Trouble},
};
use pitlane_frontdesk::conversations::ChatSide;
use pitlane_roadside::{
    asking::{self, Ask, Quote},
    chat::{self, Chat},
    follow::{self, Detail},
    request::CLOSED,
    settings,
};
use pitlane_store::entity::branch;
use poem::{
    IntoResponse, Request, Route, get, handler, post,
    web::{Data, Path, Query, Redirect},
};
use serde::Deserialize;
use uuid::Uuid;

use crate::pages::kit::{
    PageCtx, PageResult, Pairs,
    forms::{
        Field, csrf_input, error_summary, one_time_code_form, query_link, select, status_for,
        textarea,
    },
    map::{distance_text, plan},
    page,
};
use crate::{links::site_of, tenant::TenantScope};
use pitlane_app::state::AppState;

pub fn routes(routes: Route) -> Route {
    routes
        .at("/roadside", get(ask_form).post(ask))
        .at("/roadside/quote", get(quote_json))
        .at("/roadside/code", get(code_form).post(confirm))
        .at("/roadside/track", get(track))
        .at("/roadside/track/events", get(track_events))
        .at("/roadside/track/cancel", post(cancel))
        .at("/roadside/track/messages", post(write))
        .at("/roadside/track/photos", post(send_photo))
        .at("/roadside/track/photos/:message", get(photo))
}

const LABELS: &[(&str, &str)] = &[
    ("branch_id", "Workshop"),
    ("latitude", "Your position"),
    ("longitude", "Your position"),
    ("address", "Where you are"),
    ("trouble", "What happened"),
    ("vehicle_id", "Vehicle"),
    ("plate", "Number plate"),
    ("make", "Make"),
    ("model", "Model"),
    ("note", "Anything else"),
    ("photos", "Photos"),
    ("name", "Your name"),
    ("email", "E-mail"),
    ("phone", "Mobile phone"),
    ("code_by", "Code"),
    ("code", "Code"),
    ("reason", "Why"),
    ("body", "Message"),
    ("photo", "Photo"),
    ("token", "Link"),
    ("csrf", "Form"),
];

/// The signed-in customer, if the visitor is one.
fn customer_actor(ctx: &PageCtx) -> Option<&pitlane_domain::Actor> {
    ctx.auth
        .as_ref()
        .map(|a| &a.actor)
        .filter(|a| a.role.is(Role::Customer))
}

/// The price rule in words: "€49.00 call-out, 5 km included, then €1.50 a km".
fn price_rule(q: &Quote) -> String {
    let mut rule = format!("{} call-out", q.call_out);
    if q.per_km.minor > 0 {
        if q.included_km > 0 {
            rule.push_str(&format!(", {} km included", q.included_km));
        }
        rule.push_str(&format!(", then {} a km", q.per_km));
    }
    rule
}

fn quote_card(q: &Quote) -> Markup {
    html! {
        div class="card quote" id="roadside-quote" aria-live="polite" data-quote {
            h2 { "Price and arrival" }
            p { (price_rule(q)) ", before tax. We drive out up to " (q.radius_m / 1000) " km from " (q.branch_name) "." }
            @match q.in_area {
                Some(true) => {
                    p data-in-area="yes" {
                        strong { "You are inside our area" }
                        @if let Some(d) = q.distance_m { ", " (distance_text(d)) " from us" }
                        ". This call-out: " strong { (q.price) } "."
                    }
                    @if let Some(m) = q.eta_minutes {
                        p { "A mechanic could be with you in about " strong { (m) " minutes" } "." }
                    }
                }
                Some(false) => {
                    p data-in-area="no" {
                        strong { "You are outside our area" }
                        @if let Some(d) = q.distance_m { " (" (distance_text(d)) " away)" }
                        ". "
                        @if let Some(phone) = &q.branch_phone { "Call us on " a href=(format!("tel:{}", phone.replace(' ', ""))) { (phone) } " and we will see what we can do." }
                    }
                }
                None => p class="muted" { "Share your position to see the exact price and how soon we can be there." },
            }
            @if q.mechanics_on_duty == 0 {
                p class="muted" { "No mechanic is on the road right now; a dispatcher will find you one." }
            }
        }
    }
}

struct AskView {
    form: Pairs,
    errors: FieldErrors,
}

fn ask_of(form: &Pairs) -> Result<Ask, FieldErrors> {
    let mut errors = FieldErrors::new();
    let number = |name: &str, errors: &mut FieldErrors| -> Option<f64> {
        match form.get(name).trim() {
            "" => None,
            raw => match raw.replace(',', ".").parse::<f64>() {
                Ok(v) if v.is_finite() => Some(v),
                _ => {
                    errors.add("latitude", "give the position as two numbers in degrees, like 52.3702 and 4.8952");
                    None
                }
            },
        }
    };
    let latitude = number("latitude", &mut errors);
    let longitude = number("longitude", &mut errors);
    let branch_id = Uuid::try_parse(form.get("branch_id")).unwrap_or_else(|_| {
        errors.add("branch_id", "choose the workshop to ask");
        Uuid::nil()
    });
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Ask {
        branch_id,
        latitude,
        longitude,
        address: form.optional("address"),
        vehicle_id: form.get("vehicle_id").parse().ok(),
        plate: form.optional("plate"),
        make: form.optional("make"),
        model: form.optional("model"),
        trouble: form.get("trouble").to_owned(),
        note: form.optional("note"),
        name: form.get("name").trim().to_owned(),
        email: form.optional("email"),
        phone: form.optional("phone"),
        code_by: form.get("code_by").to_owned(),
        photos: Vec::new(),
    })
}

async fn ask_page(
    ctx: &PageCtx,
    state: &AppState,
    scope: &TenantScope,
    view: AskView,
) -> PageResult {
    let offering = settings::offering(&state.roadside, &scope.ctx()).await?;
    let me = match customer_actor(ctx) {
        Some(actor) => Some(pitlane_frontdesk::booking::me(&state.frontdesk, actor).await?),
        None => None,
    };
    let form = &view.form;
    let chosen = match form.get("branch_id") {
        "" => offering.first().map(|(b, _)| b.id.to_string()).unwrap_or_default(),
        id => id.to_owned(),
    };
    // The price and estimate for what was typed (or the branch's rule without a position).
    let quote = match offering.iter().find(|(b, _)| b.id.to_string() == chosen) {
        Some((b, _)) => {
            let at = ask_of(form).ok();
            asking::quote(
                &state.roadside,
                &scope.ctx(),
                b.id,
                at.as_ref().and_then(|a| a.latitude.zip(a.longitude)).map(|p| p.0),
                at.as_ref().and_then(|a| a.latitude.zip(a.longitude)).map(|p| p.1),
            )
            .await
            .ok()
        }
        None => None,
    };
    let workshop = &scope.tenant;
    let value = |name: &str, fallback: Option<&str>| -> String {
        let typed = form.get(name);
        if typed.is_empty() && form.get("csrf").is_empty() {
            fallback.unwrap_or_default().to_owned()
        } else {
            typed.to_owned()
        }
    };
    let quote_src = ctx.link("/roadside/quote");
    let body = page(
        ctx,
        "Roadside help",
        None,
        html! {
            h1 { "Roadside help from " (workshop.name) }
            (error_summary(&view.errors, LABELS))
            @if offering.is_empty() {
                p { "We do not drive out to breakdowns online yet. Please call us." }
            } @else {
                p { "Broken down? Tell us where you are and what happened; the nearest mechanic on the road takes it, and you watch them come." }
                // Multipart for the photos: its form token rides in the address.
                form class="stack" method="post" enctype="multipart/form-data" action=(ctx.link(&query_link("/roadside", &[("csrf", ctx.csrf.clone())]))) novalidate data-roadside-ask data-quote-src=(quote_src) {
                    (csrf_input(ctx))
                    @if offering.len() > 1 {
                        (select("branch_id", "Workshop", &offering.iter().map(|(b, _)| (b.id.to_string(), b.name.clone())).collect::<Vec<_>>(), &chosen, &view.errors))
                    } @else {
                        input type="hidden" name="branch_id" value=(chosen);
                    }
                    fieldset class="card field" id="roadside-where" {
                        legend { "1. Where are you?" }
                        p {
                            button class="button" type="button" data-locate hidden { "Use my position" }
                            span class="muted" data-locate-status aria-live="polite" {}
                        }
                        div class="grid-3" {
                            (Field::new("latitude", "Latitude", form.get("latitude")).hint("Degrees, like 52.3702").render(&view.errors))
                            (Field::new("longitude", "Longitude", form.get("longitude")).hint("Degrees, like 4.8952").render(&view.errors))
                        }
                        (Field::new("address", "Or where you are in words", form.get("address")).hint("A street, a junction, a motorway marker post, a landmark").autocomplete("street-address").render(&view.errors))
                    }
                    @if let Some(q) = &quote { (quote_card(q)) }
                    div { button class="button secondary" type="submit" name="check" value="yes" { "Check the price for this place" } }
                    fieldset class="card field" id="f-trouble" {
                        legend { "2. What happened?" }
                        @for t in Trouble::ALL {
                            label class="check" {
                                input type="radio" name="trouble" value=(t.key()) checked[form.get("trouble") == t.key()];
                                " " (t.label())
                            }
                        }
                        @if let Some(e) = view.errors.message_for("trouble") { span class="error" { (e) } }
                        (textarea("note", "Anything else we should know (optional)", form.get("note"), &view.errors))
                        div class="field" {
                            label for="f-photos" { "Photos (optional, up to 3)" }
                            @if let Some(message) = view.errors.message_for("photos") {
                                p class="error" id="f-photos-error" { (message) }
                            }
                            input id="f-photos" type="file" name="photos" accept="image/*" multiple
                                aria-describedby=(match view.errors.message_for("photos") { Some(_) => "f-photos-error f-photos-hint", None => "f-photos-hint" });
                            p class="hint" id="f-photos-hint" { "The car, the damage, where you are. If this form comes back with a message, choose them again." }
                        }
                    }
                    fieldset class="card field" id="roadside-vehicle" {
                        legend { "3. Your vehicle" }
                        @if let Some((_, vehicles, _)) = &me {
                            @for v in vehicles {
                                label class="check" {
                                    input type="radio" name="vehicle_id" value=(v.id) checked[form.get("vehicle_id") == v.id.to_string() || (form.get("vehicle_id").is_empty() && Some(v) == vehicles.first())];
                                    " " (pitlane_frontdesk::vehicles::describe(v))
                                }
                            }
                            @if !vehicles.is_empty() {
                                label class="check" {
                                    input type="radio" name="vehicle_id" value="other" checked[form.get("vehicle_id") == "other"];
                                    " Another vehicle (fill in below)"
                                }
                            }
                        }
                        div class="grid-3" {
                            (Field::new("plate", "Number plate", form.get("plate")).autocomplete("off").render(&view.errors))
                            (Field::new("make", "Make (optional)", form.get("make")).render(&view.errors))
                            (Field::new("model", "Model (optional)", form.get("model")).render(&view.errors))
                        }
                    }
                    @if me.is_none() {
                        fieldset class="card field" id="roadside-you" {
                            legend { "4. You" }
                            (Field::new("name", "Your name", &value("name", None)).autocomplete("name").required().render(&view.errors))
                            (Field::new("phone", "Mobile phone", form.get("phone")).kind("tel").autocomplete("tel").hint("So the mechanic can call you").render(&view.errors))
                            (Field::new("email", "E-mail (optional)", form.get("email")).kind("email").autocomplete("email").render(&view.errors))
                            fieldset class="field" id="f-code_by" {
                                legend { "Send my 6-digit code by" }
                                @for (v, l) in [("sms", "Text message"), ("email", "E-mail")] {
                                    label class="check" {
                                        input type="radio" name="code_by" value=(v) checked[form.get("code_by") == v || (form.get("code_by").is_empty() && v == "sms")];
                                        " " (l)
                                    }
                                }
                                @if let Some(e) = view.errors.message_for("code_by") { span class="error" { (e) } }
                            }
                        }
                    }
                    div { button class="button" type="submit" { @if me.is_some() { "Ask for help now" } @else { "Continue" } } }
                }
                @if me.is_none() {
                    p class="muted" { "A customer of ours? " a href=(ctx.link("/account/signin")) { "Sign in" } " to ask without a code." }
                }
            }
        },
    );
    Ok((status_for(&view.errors), body).into_response())
}

#[handler]
async fn ask_form(
    ctx: PageCtx,
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
    Query(q): Query<Vec<(String, String)>>,
) -> PageResult {
    let view = AskView {
        form: Pairs(q),
        errors: FieldErrors::new(),
    };
    ask_page(&ctx, &state, &scope, view).await
}

/// A request: a signed-in customer's is made at once; a guest's waits for their code. "Check
/// the price" only draws the form again with the quote for the place typed.
#[handler]
async fn ask(
    req: &Request,
    ctx: PageCtx,
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
    posted: crate::pages::kit::forms::Posted,
) -> PageResult {
    let (ctx, state, scope) = (&ctx, state.0, scope.0);
    let form = posted.form.clone();
    if form.get("check") == "yes" {
        let errors = ask_of(&form).err().unwrap_or_default();
        return ask_page(ctx, state, scope, AskView { form, errors }).await;
    }
    let outcome = async {
        let mut request = ask_of(&form)?;
        let photos = posted.files_of("photos", "photos")?;
        request.photos = asking::keep_photos(&state.roadside, &scope.ctx(), photos).await?;
        let site = site_of(&state.config, scope);
        match customer_actor(ctx) {
            Some(actor) => {
                if form.get("vehicle_id") == "other" {
                    request.vehicle_id = None;
                }
                asking::ask_as_customer(&state.roadside, actor, request, &site)
                    .await
                    .map(|asked| asked.link)
            }
            None => asking::start_guest(
                &state.roadside,
                &scope.ctx(),
                request,
                crate::client_ip::client_ip(req).as_deref(),
            )
            .await
            .map(|sent| scope.link(&format!("/roadside/code?id={}", sent.id))),
        }
    }
    .await;
    match outcome {
        // The driver's link is absolute, so this is not `submit`'s redirect.
        Ok(next) => Ok(Redirect::see_other(next).into_response()),
        Err(ServiceError::Invalid(errors) | ServiceError::Conflict(errors)) => {
            ask_page(ctx, state, scope, AskView { form, errors }).await
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
    let (_, sent_to) = asking::pending(&state.roadside, &scope.ctx(), id).await?;
    let body = page(
        ctx,
        "Confirm your request",
        None,
        html! {
            h1 { "One more step" }
            p { "We sent a 6-digit code to " strong { (sent_to) } ". Enter it and your request goes out at once." }
            (error_summary(errors, LABELS))
            (one_time_code_form(ctx, "/roadside/code", id, "Send my request", errors))
            p { a href=(ctx.link("/roadside")) { "Start again" } }
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
    match asking::confirm_guest(&state.roadside, &scope.ctx(), id, form.get("code"), &site).await
    {
        Ok(asked) => Ok(Redirect::see_other(asked.link).into_response()),
        Err(ServiceError::Invalid(errors) | ServiceError::Conflict(errors)) => {
            code_page(&ctx, &state, &scope, form.get("id"), &errors).await
        }
        Err(err) => Err(err.into()),
    }
}

#[derive(Deserialize)]
pub struct TrackQuery {
    #[serde(default)]
    token: String,
}

/// The driver's steps, in order.
const STEPS: [RoadsideStatus; 5] = [
    RoadsideStatus::Requested,
    RoadsideStatus::Accepted,
    RoadsideStatus::EnRoute,
    RoadsideStatus::OnSite,
    RoadsideStatus::Working,
];

fn step_of(status: RoadsideStatus) -> usize {
    match status {
        RoadsideStatus::Requested => 0,
        RoadsideStatus::Accepted => 1,
        RoadsideStatus::EnRoute => 2,
        RoadsideStatus::OnSite => 3,
        _ => 4,
    }
}

fn headline(d: &Detail) -> String {
    let r = &d.request;
    let who = r.mechanic_name.as_deref().unwrap_or("Your mechanic");
    match r.status {
        RoadsideStatus::Requested => "We have your request and are finding the nearest mechanic.".into(),
        RoadsideStatus::Accepted => format!("{who} is taking your request and will set off shortly."),
        RoadsideStatus::EnRoute => format!("{who} is on the way."),
        RoadsideStatus::OnSite => format!("{who} has arrived."),
        RoadsideStatus::Working => format!("{who} is working on your vehicle."),
        RoadsideStatus::Done => "Your vehicle is fixed. Safe travels!".into(),
        RoadsideStatus::TowedIn => "Your vehicle is being taken to our workshop; we will be in touch.".into(),
        RoadsideStatus::Cancelled => "This request was cancelled.".into(),
    }
}

/// What the driver's page and the staff's page both show of a request: status, the map and
/// the timeline.
pub(crate) fn request_body(state: &AppState, d: &Detail, zone: &chrono_tz::Tz) -> Markup {
    let r = &d.request;
    let mechanic = d.approach.as_ref().map(|a| a.at);
    html! {
        section class="card" aria-labelledby="status-heading" {
            h2 id="status-heading" { "Status: " strong data-status=(r.status.key()) { (r.status.label()) } }
            p { (headline(d)) }
            @if r.status.is_open() {
                ol class="steps" {
                    @for (i, step) in STEPS.iter().enumerate() {
                        li data-done=[(i < step_of(r.status)).then_some("yes")]
                           aria-current=[(i == step_of(r.status)).then_some("step")] { (step.label()) }
                    }
                }
            }
            @if r.status.shares_location() {
                (plan(state.config.map_tiles.as_ref(), "Where the mechanic is", r.position, mechanic, d.approach.as_ref().and_then(|a| a.eta_minutes)))
            }
            dl class="facts" {
                dt { "Request" } dd { (r.number_text()) " · " (r.trouble.label()) }
                @if let Some(v) = &r.vehicle { dt { "Vehicle" } dd { (v) } }
                @if let Some(a) = &r.address { dt { "Where" } dd { (a) } }
                dt { "Call-out" } dd { (r.quote) " before tax" }
                @if let Some(name) = &r.mechanic_name { dt { "Mechanic" } dd { (name) } }
                @if let Some(at) = r.arrived_at { dt { "Arrived" } dd { (at.with_timezone(zone).format("%H:%M")) } }
            }
        }
        @if !d.work.is_empty() {
            section class="card" aria-labelledby="work-heading" {
                h2 id="work-heading" { "What was done" }
                (work_table(&d.work))
            }
        }
        section class="card" aria-labelledby="timeline-heading" {
            h2 id="timeline-heading" { "What has happened" }
            ol class="timeline" {
                @for e in d.timeline.iter().rev() {
                    li {
                        time datetime=(e.at.to_rfc3339()) { (e.at.with_timezone(zone).format("%H:%M")) }
                        " — " (pitlane_roadside::request::step_label(&e.kind))
                        @if let Some(detail) = &e.detail { ": " (detail) }
                    }
                }
            }
        }
    }
}

/// The work and parts of a request, with their amounts before tax.
pub(crate) fn work_table(lines: &[pitlane_roadside::work::WorkLine]) -> Markup {
    crate::pages::kit::table_region(
        "Work and parts",
        html! {
            table {
                thead { tr { th scope="col" { "Item" } th scope="col" { "Quantity" } th scope="col" { "Amount" } } }
                tbody {
                    @for w in lines {
                        tr id=(format!("work-{}", w.id)) {
                            td { (w.description) }
                            td { (pitlane_domain::quantity::from_milli(w.quantity_milli).normalize()) }
                            td { (w.amount) }
                        }
                    }
                }
            }
        },
    )
}

/// The time zone a branch's times are shown in (UTC when it names none).
pub(crate) async fn zone_of(
    state: &AppState,
    scope: &TenantScope,
    branch_id: Uuid,
) -> Result<chrono_tz::Tz, ServiceError> {
    Ok(pitlane_tenancy::branches::public_list(&state.store, &scope.ctx())
        .await?
        .iter()
        .find(|b: &&branch::Model| b.id == branch_id)
        .and_then(|b| b.time_zone.parse().ok())
        .unwrap_or(chrono_tz::UTC))
}

async fn track_page(
    ctx: &PageCtx,
    state: &AppState,
    scope: &TenantScope,
    token: &str,
    errors: &FieldErrors,
    form: &Pairs,
) -> PageResult {
    let detail = follow::for_driver(&state.roadside, &scope.ctx(), token).await?;
    // The driver is looking: what the crew wrote is read, and they need no text about it.
    chat::read_by_driver(&state.roadside, &scope.ctx(), token).await?;
    let talk = chat::for_driver(&state.roadside, &scope.ctx(), token).await?;
    if detail.request.status.is_open() {
        chat::driver_here(&state.roadside, scope.tenant.id, detail.request.id).await;
    }
    let zone = zone_of(state, scope, detail.request.branch_id).await?;
    let r = &detail.request;
    let here = query_link("/roadside/track", &[("token", token.to_owned())]);
    let events = query_link("/roadside/track/events", &[("token", token.to_owned())]);
    let cancellable = matches!(
        r.status,
        RoadsideStatus::Requested | RoadsideStatus::Accepted | RoadsideStatus::EnRoute
    );
    let title = format!("Roadside help {}", r.number_text());
    let body = page(
        ctx,
        &title,
        None,
        html! {
            h1 { (title) }
            p class="muted" { (r.branch_name) }
            (error_summary(errors, LABELS))
            div id="roadside-live" data-live="roadside" data-refresh=(ctx.link(&here))
                data-events-src=[r.status.is_open().then(|| ctx.link(&events))] {
                (request_body(state, &detail, &zone))
            }
            // A region of its own, so the bill appears live when the job is done.
            div id="roadside-bill" data-refresh=(ctx.link(&here)) {
                @if let Some(bill) = &detail.bill {
                    section class="card" aria-labelledby="bill-heading" {
                        h2 id="bill-heading" { "Your bill" }
                        p { "Invoice " (bill.number) ": " strong { (bill.total) } " in all, with tax." }
                        @if bill.balance_due.minor > 0 {
                            p { a class="button" href=(pitlane_billing::invoices::customer_link(&state.billing, &site_of(&state.config, scope), pitlane_domain::ids::InvoiceId(bill.invoice_id))) { "Pay " (bill.balance_due) " by card" } }
                            p class="muted" { "Or pay later: we sent the invoice to you too." }
                        } @else {
                            p { "Paid. Thank you!" }
                        }
                    }
                }
                @if let Some(rating) = &detail.rating_token {
                    section class="card" aria-labelledby="rate-heading" {
                        h2 id="rate-heading" { "How did we do?" }
                        p { "Rate the help and the mechanic: it takes a few seconds." }
                        p { a class="button secondary" href=(ctx.link(&query_link("/feedback", &[("token", rating.clone())]))) { "Rate this help" } }
                    }
                }
            }
            (chat_card(ctx, &talk, ChatSide::Driver, &zone, &driver_chat_links(ctx, token), Some(token), errors, form))
            @if cancellable {
                section class="card" aria-labelledby="cancel-heading" {
                    h2 id="cancel-heading" { "Got going again?" }
                    form class="stack" method="post" action=(ctx.link("/roadside/track/cancel")) novalidate {
                        (csrf_input(ctx))
                        input type="hidden" name="token" value=(token);
                        (Field::new("reason", "Why you no longer need us", form.get("reason")).render(errors))
                        div { button class="button secondary" type="submit" { "Cancel my request" } }
                    }
                }
            }
        },
    );
    Ok((status_for(errors), body).into_response())
}

#[handler]
async fn track(
    ctx: PageCtx,
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
    Query(q): Query<TrackQuery>,
) -> PageResult {
    track_page(&ctx, &state, &scope, &q.token, &FieldErrors::new(), &Pairs(Vec::new())).await
}

#[handler]
async fn cancel(
    ctx: PageCtx,
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
    form: Pairs,
) -> PageResult {
    let token = form.get("token").to_owned();
    match follow::cancel_by_driver(&state.roadside, &scope.ctx(), &token, form.get("reason")).await
    {
        Ok(_) => {
            let next = query_link("/roadside/track", &[("token", token)]);
            Ok(Redirect::see_other(scope.link(&next)).into_response())
        }
        Err(ServiceError::Invalid(errors) | ServiceError::Conflict(errors)) => {
            track_page(&ctx, &state, &scope, &token, &errors, &form).await
        }
        Err(err) => Err(err.into()),
    }
}

/// Where a chat's forms post and its photos are read: the driver's (by their link) or the
/// staff's (by the request).
pub(crate) struct ChatLinks {
    /// The page the chat is on, fetched again when a message comes.
    pub refresh: String,
    pub write: String,
    /// The photo upload, with its form token (a multipart form).
    pub upload: String,
    /// A photo's address, by its message.
    pub photo: Box<dyn Fn(Uuid) -> String>,
}

/// A request's chat on the driver's and the staff's page: the messages (a region fetched
/// again when one comes) and, while the request is open, the forms to write and to send a
/// photo. `token` is the driver's link, when the driver is the reader.
#[allow(clippy::too_many_arguments)]
pub(crate) fn chat_card(
    ctx: &PageCtx,
    talk: &Chat,
    ours: ChatSide,
    zone: &chrono_tz::Tz,
    links: &ChatLinks,
    token: Option<&str>,
    errors: &FieldErrors,
    form: &Pairs,
) -> Markup {
    let with = match ours {
        ChatSide::Driver => "Messages with your mechanic",
        ChatSide::Crew => "Messages with the driver",
    };
    html! {
        section class="card" id="chat" aria-labelledby="chat-heading" {
            h2 id="chat-heading" { (with) }
            div id="roadside-chat" data-refresh=(links.refresh) aria-live="polite" {
                (crate::pages::kit::chat::roadside(&talk.messages, ours, zone, &*links.photo))
            }
            @if talk.open {
                form class="stack" method="post" action=(links.write) novalidate {
                    (csrf_input(ctx))
                    @if let Some(token) = token { input type="hidden" name="token" value=(token); }
                    (textarea("body", "Message", form.get("body"), errors))
                    div { button class="button" type="submit" { "Send" } }
                }
                form class="stack" method="post" enctype="multipart/form-data" action=(links.upload) {
                    div class="field" {
                        label for="f-photo" { "Send a photo" }
                        @if let Some(message) = errors.message_for("photo") {
                            p class="error" id="f-photo-error" { (message) }
                        }
                        input id="f-photo" type="file" name="photo" accept="image/*" capture="environment"
                            aria-describedby=[errors.message_for("photo").map(|_| "f-photo-error")];
                    }
                    div { button class="button secondary" type="submit" { "Send the photo" } }
                }
            }
        }
    }
}

fn driver_chat_links(ctx: &PageCtx, token: &str) -> ChatLinks {
    let photo_base = ctx.link("/roadside/track/photos");
    let token_owned = token.to_owned();
    ChatLinks {
        refresh: ctx.link(&query_link("/roadside/track", &[("token", token.to_owned())])),
        write: ctx.link("/roadside/track/messages"),
        upload: ctx.link(&query_link(
            "/roadside/track/photos",
            &[("token", token.to_owned()), ("csrf", ctx.csrf.clone())],
        )),
        photo: Box::new(move |id| {
            query_link(&format!("{photo_base}/{id}"), &[("token", token_owned.clone())])
        }),
    }
}

#[handler]
async fn send_photo(
    ctx: PageCtx,
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
    Query(q): Query<TrackQuery>,
    upload: crate::pages::kit::forms::Posted,
) -> PageResult {
    let sent = async {
        let bytes = crate::pages::kit::forms::uploaded_photo(upload)?;
        chat::driver_sends_photo(&state.roadside, &scope.ctx(), &q.token, bytes).await
    }
    .await;
    match sent {
        Ok(_) => {
            let next = query_link("/roadside/track", &[("token", q.token.clone())]);
            Ok(Redirect::see_other(format!("{}#chat", scope.link(&next))).into_response())
        }
        Err(ServiceError::Invalid(errors) | ServiceError::Conflict(errors)) => {
            track_page(&ctx, &state, &scope, &q.token, &errors, &Pairs(Vec::new())).await
        }
        Err(err) => Err(err.into()),
    }
}

/// A photo of the request's chat, for the driver holding its link.
#[handler]
async fn photo(
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
    Path(message): Path<String>,
    Query(q): Query<TrackQuery>,
) -> PageResult {
    let message = Uuid::try_parse(&message).map_err(|_| ServiceError::NotFound)?;
    let photo = chat::photo_for_driver(&state.roadside, &scope.ctx(), &q.token, message).await?;
    Ok(crate::api::photo_file(photo))
}

#[handler]
async fn write(
    ctx: PageCtx,
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
    form: Pairs,
) -> PageResult {
    let token = form.get("token").to_owned();
    match chat::driver_writes(&state.roadside, &scope.ctx(), &token, form.get("body")).await {
        Ok(_) => {
            let next = query_link("/roadside/track", &[("token", token)]);
            Ok(Redirect::see_other(format!("{}#chat", scope.link(&next))).into_response())
        }
        Err(ServiceError::Invalid(errors) | ServiceError::Conflict(errors)) => {
            track_page(&ctx, &state, &scope, &token, &errors, &form).await
        }
        Err(err) => Err(err.into()),
    }
}

/// The request's live updates for the driver holding its link: its steps and the mechanic's
/// position, never anything else of the workshop's; the stream ends when the request does.
#[handler]
async fn track_events(
    req: &Request,
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
    Query(q): Query<TrackQuery>,
) -> PageResult {
    let id = follow::driver_may_follow(&state.roadside, &scope.ctx(), &q.token).await?;
    // While the stream is open the driver counts as watching: the crew's messages need no text.
    let (open, mut gone) = tokio::sync::oneshot::channel::<()>();
    if let Some(id) = id {
        let (roadside, tenant) = (state.roadside.clone(), scope.tenant.id);
        tokio::spawn(async move {
            loop {
                chat::driver_here(&roadside, tenant, id).await;
                tokio::select! {
                    _ = tokio::time::sleep(chat::PRESENCE_BEAT) => {}
                    _ = &mut gone => break,
                }
            }
        });
    }
    Ok(crate::events::stream_until(&state, req, scope.tenant.id, id, Topic::Roadside, CLOSED, Some(open)).await)
}

#[derive(Deserialize)]
pub struct QuoteQuery {
    branch_id: Uuid,
    #[serde(default)]
    latitude: Option<f64>,
    #[serde(default)]
    longitude: Option<f64>,
}

/// The price and first estimate for a place, as JSON, for the page's script while the driver
/// shares their position (the form's "Check the price" does the same without JavaScript).
#[handler]
async fn quote_json(
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
    Query(q): Query<QuoteQuery>,
) -> poem::Response {
    match asking::quote(&state.roadside, &scope.ctx(), q.branch_id, q.latitude, q.longitude).await {
        Ok(quote) => poem::web::Json(crate::api::RoadsideQuote::from(quote)).into_response(),
        Err(err) => crate::problem::Problem::from(err).into_response(),
    }
}
