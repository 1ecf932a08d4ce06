//! Roadside help in the portal. The **dispatch board** (`roadside.dispatch`): open requests
//! oldest first with their clocks against the branch's targets, on a map and as a list, the
//! mechanics on duty, the day's ended requests. The mechanic's **roadside jobs** page, made
//! for a phone: on and off duty, the requests offered to them nearest first, the one they are
//! on; while on duty the page sends the phone's position. A **request's page** for both:
//! take it, set off, arrive, work, finish or tow in; assign, release, cancel.

use maud::{Markup, html};
use pitlane_domain::{
    FieldErrors, ServiceError,
    live::Topic,
    permissions::Permission,
    roadside::{GeoPoint, RoadsideStatus},
};
use pitlane_frontdesk::conversations::ChatSide;
use pitlane_roadside::{
    chat,
    dispatch::{self, Board},
    follow::{self, Detail},
    progress::{self, Step},
    request::CLOSED,
    work,
    settings,
};
use poem::{
    IntoResponse, Request, Route, get, handler, post,
    web::{Data, Path, Query},
};
use serde::Deserialize;
use uuid::Uuid;

use crate::pages::kit::{
    PageResult, Pairs, Staff,
    forms::{Field, csrf_input, error_summary, select, status_for},
    map::{Mark, distance_text, overview},
    page, submit, table_region,
};
use crate::pages::site::roadside::{ChatLinks, chat_card, request_body, zone_of};
use crate::{links::site_of, tenant::TenantScope};
use pitlane_app::state::AppState;

pub fn routes(routes: Route) -> Route {
    routes
        .at("/portal/roadside", get(board_page))
        .at("/portal/roadside/duty", get(duty_page).post(set_duty))
        .at("/portal/roadside/:id", get(request_page))
        .at("/portal/roadside/:id/events", get(request_events))
        .at("/portal/roadside/:id/accept", post(accept))
        .at("/portal/roadside/:id/step", post(step))
        .at("/portal/roadside/:id/assign", post(assign))
        .at("/portal/roadside/:id/release", post(release))
        .at("/portal/roadside/:id/cancel", post(cancel))
        .at("/portal/roadside/:id/messages", post(write))
        .at("/portal/roadside/:id/photos", post(send_photo))
        .at("/portal/roadside/:id/photos/:message", get(photo))
        .at("/portal/roadside/:id/work", post(add_work))
        .at("/portal/roadside/:id/work/:line/remove", post(remove_work))
}

const LABELS: &[(&str, &str)] = &[
    ("request", "Request"),
    ("status", "Step"),
    ("mechanic_id", "Mechanic"),
    ("reason", "Why"),
    ("note", "What was done"),
    ("body", "Message"),
    ("photo", "Photo"),
    ("kind", "Kind"),
    ("description", "Description"),
    ("quantity", "Quantity"),
    ("unit_price", "Price"),
    ("part_id", "Part"),
    ("on_duty", "Duty"),
    ("latitude", "Position"),
    ("csrf", "Form"),
];

fn age(seconds: i64) -> String {
    match seconds {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min", s / 60),
        s => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

#[derive(Deserialize, Default)]
pub struct BoardQuery {
    #[serde(default)]
    branch_id: Option<Uuid>,
}

fn board_map(state: &AppState, board: &Board, centre: Option<GeoPoint>) -> Markup {
    let Some(centre) = centre else {
        return html! {};
    };
    let mut marks: Vec<Mark> = board
        .open
        .iter()
        .filter_map(|row| {
            Some(Mark {
                at: row.request.position?,
                kind: "request",
                label: row.request.number_text(),
            })
        })
        .collect();
    marks.extend(board.on_duty.iter().filter_map(|m| {
        Some(Mark {
            at: m.position?,
            kind: "mechanic",
            label: m.name.clone(),
        })
    }));
    overview(
        state.config.map_tiles.as_ref(),
        "Open requests and mechanics on duty",
        centre,
        &marks,
    )
}

/// The dispatch board.
#[handler]
async fn board_page(
    staff: Staff,
    state: Data<&AppState>,
    Query(q): Query<BoardQuery>,
) -> PageResult {
    let (ctx, actor) = (&staff.ctx, &staff.actor);
    let board = dispatch::board(&state.roadside, actor, q.branch_id).await?;
    let centre = match q.branch_id {
        Some(branch) => settings::get(&state.roadside, actor, branch).await?.centre(),
        None => None,
    }
    .or_else(|| board.open.iter().find_map(|r| r.request.position));
    let here = match q.branch_id {
        Some(b) => format!("/portal/roadside?branch_id={b}"),
        None => "/portal/roadside".to_owned(),
    };
    let body = page(
        ctx,
        "Dispatch",
        Some("dispatch"),
        html! {
            h1 { "Roadside dispatch" }
            div id="dispatch-board" data-live="dispatch" data-refresh=(ctx.link(&here)) {
                (board_map(&state, &board, centre))
                h2 { "Open requests" }
                @if board.open.is_empty() {
                    p { "No open requests." }
                } @else {
                    (table_region("Open roadside requests", html! {
                        table {
                            thead { tr {
                                th scope="col" { "Request" } th scope="col" { "Waiting" } th scope="col" { "Trouble" }
                                th scope="col" { "Driver" } th scope="col" { "Status" } th scope="col" { "Mechanic" }
                                th scope="col" { "To accept" } th scope="col" { "To arrive" }
                            } }
                            tbody {
                                @for row in &board.open {
                                    @let r = &row.request;
                                    tr id=(format!("rs-{}", r.id)) data-status=(r.status.key()) {
                                        td { a href=(ctx.link(&format!("/portal/roadside/{}", r.id))) { (r.number_text()) } }
                                        td { (age(row.age_s)) }
                                        td { (r.trouble.label()) }
                                        td { (r.customer_name) @if let Some(v) = &r.vehicle { br; span class="muted" { (v) } } }
                                        td { (r.status.label()) @if r.status == RoadsideStatus::Requested { br; span class="muted" { "offered: " (row.ring) } } }
                                        td { (r.mechanic_name.as_deref().unwrap_or("—")) }
                                        td data-late=[row.accept_late.then_some("yes")] { @if row.accept_late { strong { "late" } } @else if r.accepted_at.is_some() { "done" } @else { "by " (row.accept_due.format("%H:%M")) " UTC" } }
                                        td data-late=[row.arrive_late.then_some("yes")] { @if row.arrive_late { strong { "late" } } @else if r.arrived_at.is_some() { "done" } @else { "by " (row.arrive_due.format("%H:%M")) " UTC" } }
                                    }
                                }
                            }
                        }
                    }))
                }
                h2 { "On duty" }
                @if board.on_duty.is_empty() {
                    p { "Nobody is on roadside duty." }
                } @else {
                    ul {
                        @for m in &board.on_duty {
                            li {
                                (m.name)
                                @if m.busy_with.is_some() { " · on a request" } @else { " · free" }
                                @if m.seen_at.is_none() { span class="muted" { " · position unknown" } }
                            }
                        }
                    }
                }
                h2 { "Ended today" }
                @if board.recent.is_empty() { p { "None yet." } }
                ul {
                    @for r in &board.recent {
                        li { a href=(ctx.link(&format!("/portal/roadside/{}", r.id))) { (r.number_text()) } " · " (r.status.label()) " · " (r.customer_name) }
                    }
                }
            }
        },
    );
    Ok(body.into_response())
}

/// The mechanic's roadside jobs.
#[handler]
async fn duty_page(staff: Staff, state: Data<&AppState>) -> PageResult {
    duty_view(&staff, &state, &FieldErrors::new()).await
}

async fn duty_view(staff: &Staff, state: &AppState, errors: &FieldErrors) -> PageResult {
    let (ctx, actor) = (&staff.ctx, &staff.actor);
    let duty = dispatch::duty(&state.roadside, actor).await?;
    let current = dispatch::my_current(&state.roadside, actor).await?;
    let offers = dispatch::offers(&state.roadside, actor).await?;
    let on_duty = duty.on_duty_since.is_some();
    let body = page(
        ctx,
        "Roadside jobs",
        Some("roadside-duty"),
        html! {
            h1 { "Roadside jobs" }
            (error_summary(errors, LABELS))
            @if !duty.takes_roadside {
                p { "The workshop has not asked you to drive out to roadside requests. A manager can change that under Settings → Roadside." }
            } @else {
                section class="card" aria-labelledby="duty-heading"
                    data-share-position=[on_duty.then(|| ctx.link("/api/v1/roadside/positions"))] {
                    h2 id="duty-heading" { @if on_duty { "You are on duty" } @else { "You are off duty" } }
                    p class="muted" data-share-status aria-live="polite" {
                        @if on_duty { "Your phone shares its position with the workshop while this page is open, so the nearest requests reach you." }
                    }
                    form method="post" action=(ctx.link("/portal/roadside/duty")) {
                        (csrf_input(ctx))
                        input type="hidden" name="on_duty" value=(if on_duty { "no" } else { "yes" });
                        button class=(if on_duty { "button secondary" } else { "button" }) type="submit" {
                            @if on_duty { "Go off duty" } @else { "Go on duty" }
                        }
                    }
                }
                @if let Some(r) = &current {
                    section class="card" aria-labelledby="current-heading" {
                        h2 id="current-heading" { "Your request: " (r.number_text()) }
                        p { (r.trouble.label()) " · " (r.status.label()) @if let Some(v) = &r.vehicle { " · " (v) } }
                        p { a class="button" href=(ctx.link(&format!("/portal/roadside/{}", r.id))) { "Open it" } }
                    }
                }
                div id="roadside-offers" data-live="dispatch" data-refresh=(ctx.link("/portal/roadside/duty")) {
                    h2 { "Waiting for a mechanic" }
                    @if offers.is_empty() { p { "No request is waiting near you." } }
                    @for o in &offers {
                        @let r = &o.request;
                        article class="job-card" id=(format!("offer-{}", r.id)) {
                            h3 { (r.number_text()) ": " (r.trouble.label()) }
                            p {
                                @if let Some(d) = o.distance_m { (distance_text(d)) " from you" }
                                @if let Some(m) = o.eta_minutes { ", about " (m) " min" }
                                @if let Some(a) = &r.address { " · " (a) }
                            }
                            p class="muted" { (r.vehicle.as_deref().unwrap_or("")) " · call-out " (r.quote) }
                            @if current.is_none() && on_duty {
                                form method="post" action=(ctx.link(&format!("/portal/roadside/{}/accept", r.id))) {
                                    (csrf_input(ctx))
                                    input type="hidden" name="from" value="duty";
                                    button class="button" type="submit" { "Take it" span class="visually-hidden" { ": " (r.number_text()) } }
                                }
                            }
                            p { a href=(ctx.link(&format!("/portal/roadside/{}", r.id))) { "Details" span class="visually-hidden" { " of " (r.number_text()) } } }
                        }
                    }
                }
            }
        },
    );
    Ok((status_for(errors), body).into_response())
}

#[handler]
async fn set_duty(staff: Staff, Data(state): Data<&AppState>, form: Pairs) -> PageResult {
    let staff = &staff;
    submit(
        &staff.ctx,
        form,
        |p| async move {
            dispatch::set_duty(&state.roadside, &staff.actor, p.get("on_duty") == "yes").await?;
            Ok("/portal/roadside/duty".to_owned())
        },
        |_, errors| async move { duty_view(staff, state, &errors).await },
    )
    .await
}

/// The steps the reader may take on a request, as buttons.
fn steps_for(status: RoadsideStatus) -> &'static [(RoadsideStatus, &'static str)] {
    match status {
        RoadsideStatus::Accepted => &[(RoadsideStatus::EnRoute, "Set off")],
        RoadsideStatus::EnRoute => &[(RoadsideStatus::OnSite, "I have arrived")],
        RoadsideStatus::OnSite => &[
            (RoadsideStatus::Working, "Start work"),
            (RoadsideStatus::TowedIn, "Tow it in"),
        ],
        RoadsideStatus::Working => &[
            (RoadsideStatus::Done, "Fixed"),
            (RoadsideStatus::TowedIn, "Tow it in"),
        ],
        _ => &[],
    }
}

async fn request_view(
    staff: &Staff,
    state: &AppState,
    scope: &TenantScope,
    id: Uuid,
    errors: &FieldErrors,
    form: &Pairs,
) -> PageResult {
    let (ctx, actor) = (&staff.ctx, &staff.actor);
    let detail: Detail = follow::get(&state.roadside, actor, id).await?;
    let r = &detail.request;
    let mine = r.mechanic_id == Some(actor.membership_id.0);
    let dispatcher = actor.can(Permission::RoadsideDispatch);
    // The request's mechanic and the dispatchers talk with the driver; looking is reading.
    let talk = if mine || dispatcher {
        chat::read_by_crew(&state.roadside, actor, id).await?;
        Some(chat::for_crew(&state.roadside, actor, id).await?)
    } else {
        None
    };
    let mechanics = if dispatcher && r.status.is_open() {
        pitlane_frontdesk::resources::mechanics(&state.frontdesk, actor)
            .await?
            .into_iter()
            .filter(|m| m.branches.as_ref().is_none_or(|b| b.contains(&r.branch_id)))
            .map(|m| (m.membership_id.to_string(), m.name))
            .collect::<Vec<_>>()
    } else {
        Vec::new()
    };
    let with_car = (mine || dispatcher)
        && matches!(r.status, RoadsideStatus::OnSite | RoadsideStatus::Working);
    let parts: Vec<(String, String)> = if with_car {
        std::iter::once((String::new(), "Not from stock".to_owned()))
            .chain(
                pitlane_inventory::parts::list(&state.inventory, actor, None, None, 200)
                    .await?
                    .items
                    .into_iter()
                    .filter(|p| p.active)
                    .map(|p| (p.id.to_string(), format!("{} ({})", p.name, p.sku))),
            )
            .collect()
    } else {
        Vec::new()
    };
    let zone = zone_of(state, scope, r.branch_id).await?;
    let action = |what: &str| ctx.link(&format!("/portal/roadside/{id}/{what}"));
    let events = ctx.link(&format!("/portal/roadside/{id}/events"));
    let title = format!("Roadside {}", r.number_text());
    let body = page(
        ctx,
        &title,
        Some(if dispatcher { "dispatch" } else { "roadside-duty" }),
        html! {
            h1 { (title) }
            p class="muted" { (r.branch_name) " · " (r.customer_name)
                @if let Some(phone) = &r.customer_phone { " · " a href=(format!("tel:{}", phone.replace(' ', ""))) { (phone) } } }
            (error_summary(errors, LABELS))
            div id="roadside-live" data-live="roadside" data-refresh=(ctx.link(&format!("/portal/roadside/{id}")))
                data-events-src=[r.status.is_open().then_some(events)]
                data-share-position=[(mine && r.status.shares_location()).then(|| ctx.link("/api/v1/roadside/positions"))] {
                (request_body(state, &detail, &zone))
                @if let Some(note) = &r.note { section class="card" { h2 { "The driver says" } p { (note) } } }
            }
            @if let Some(talk) = &talk {
                (chat_card(ctx, talk, ChatSide::Crew, &zone, &crew_chat_links(ctx, id), None, errors, form))
            }
            div id="roadside-actions" data-refresh=(ctx.link(&format!("/portal/roadside/{id}"))) {
                @if r.status == RoadsideStatus::Requested && actor.can(Permission::JobsWork) && !mine {
                    form method="post" action=(action("accept")) {
                        (csrf_input(ctx))
                        button class="button" type="submit" { "Take this request" }
                    }
                }
                @if with_car {
                    section class="card" aria-labelledby="work-add-heading" {
                        h2 id="work-add-heading" { "Add work or a part" }
                        @for w in &detail.work {
                            form class="inline" method="post" action=(action(&format!("work/{}/remove", w.id))) {
                                (csrf_input(ctx))
                                button class="button secondary" type="submit" aria-label=(format!("Remove {}", w.description)) { "Remove " (w.description) }
                            }
                        }
                        form class="stack" method="post" action=(action("work")) novalidate {
                            (csrf_input(ctx))
                            (select("kind", "Kind", &WORK_KINDS.iter().map(|(k, l)| ((*k).to_owned(), (*l).to_owned())).collect::<Vec<_>>(), form.get("kind"), errors))
                            (select("part_id", "Part from stock", &parts, form.get("part_id"), errors))
                            (Field::new("description", "Description (optional for a part)", form.get("description")).render(errors))
                            (Field::new("quantity", "Hours or units", form.get("quantity")).render(errors))
                            (Field::new("unit_price", "Price (empty: the usual rate or price)", form.get("unit_price")).render(errors))
                            div { button class="button" type="submit" { "Add" } }
                        }
                    }
                }
                @if let Some(bill) = &detail.bill {
                    p { a href=(ctx.link(&format!("/portal/invoices/{}", bill.invoice_id))) { "Invoice " (bill.number) } ": " (bill.total) }
                }
                @if (mine || dispatcher) && !steps_for(r.status).is_empty() {
                    section class="card" aria-labelledby="step-heading" {
                        h2 id="step-heading" { "Next step" }
                        form class="stack" method="post" action=(action("step")) novalidate data-stamp-position {
                            (csrf_input(ctx))
                            input type="hidden" name="latitude" value="";
                            input type="hidden" name="longitude" value="";
                            @if matches!(r.status, RoadsideStatus::OnSite | RoadsideStatus::Working) {
                                (crate::pages::kit::forms::textarea("note", "What was done (optional)", form.get("note"), errors))
                            }
                            div class="actions" {
                                @for (to, label) in steps_for(r.status) {
                                    button class="button" type="submit" name="status" value=(to.key()) { (label) }
                                }
                            }
                        }
                    }
                }
                @if mine && matches!(r.status, RoadsideStatus::Accepted | RoadsideStatus::EnRoute) {
                    form class="stack" method="post" action=(action("release")) novalidate {
                        (csrf_input(ctx))
                        (Field::new("reason", "Cannot go after all? Say why", form.get("reason")).within("release").render(errors))
                        div { button class="button secondary" type="submit" { "Give it back" } }
                    }
                }
                @if dispatcher && r.status.is_open() {
                    section class="card" aria-labelledby="dispatch-heading" {
                        h2 id="dispatch-heading" { "Dispatch" }
                        @if matches!(r.status, RoadsideStatus::Requested | RoadsideStatus::Accepted | RoadsideStatus::EnRoute) && !mechanics.is_empty() {
                            form class="stack" method="post" action=(action("assign")) {
                                (csrf_input(ctx))
                                (select("mechanic_id", "Give it to", &mechanics, &r.mechanic_id.map(|m| m.to_string()).unwrap_or_default(), errors))
                                div { button class="button" type="submit" { @if r.mechanic_id.is_some() { "Reassign" } @else { "Assign" } } }
                            }
                        }
                        @if matches!(r.status, RoadsideStatus::Requested | RoadsideStatus::Accepted | RoadsideStatus::EnRoute | RoadsideStatus::OnSite | RoadsideStatus::Working) {
                            form class="stack" method="post" action=(action("cancel")) novalidate {
                                (csrf_input(ctx))
                                (Field::new("reason", "Why it is cancelled", form.get("reason")).within("cancel").render(errors))
                                div { button class="button secondary" type="submit" { "Cancel the request" } }
                            }
                        }
                    }
                }
                @if let Some(order) = r.repair_order_id {
                    p { a href=(ctx.link(&format!("/portal/repair-orders/{order}"))) { "The repair order for the towed vehicle" } }
                }
            }
        },
    );
    Ok((status_for(errors), body).into_response())
}

#[handler]
async fn request_page(
    staff: Staff,
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
    Path(id): Path<Uuid>,
) -> PageResult {
    request_view(&staff, &state, &scope, id, &FieldErrors::new(), &Pairs(Vec::new())).await
}

/// One request's live updates for staff who may see it (its steps, its mechanic's position).
#[handler]
async fn request_events(
    req: &Request,
    staff: Staff,
    state: Data<&AppState>,
    Path(id): Path<Uuid>,
) -> PageResult {
    let id = follow::may_follow(&state.roadside, &staff.actor, id).await?;
    Ok(crate::events::stream_until(
        &state,
        req,
        staff.actor.tenant_id.0,
        id,
        Topic::Roadside,
        CLOSED,
        None,
    )
    .await)
}

/// Runs a form on a request's page: the page again with the messages when it is refused.
async fn on_request<F, Fut>(
    staff: &Staff,
    state: &AppState,
    scope: &TenantScope,
    id: Uuid,
    form: Pairs,
    next: String,
    act: F,
) -> PageResult
where
    F: FnOnce(Pairs) -> Fut,
    Fut: Future<Output = Result<(), ServiceError>>,
{
    submit(
        &staff.ctx,
        form,
        |p| async move {
            act(p).await?;
            Ok(next)
        },
        |p, errors| async move { request_view(staff, state, scope, id, &errors, &p).await },
    )
    .await
}

fn crew_chat_links(ctx: &crate::pages::kit::PageCtx, id: Uuid) -> ChatLinks {
    let base = ctx.link(&format!("/portal/roadside/{id}"));
    ChatLinks {
        refresh: base.clone(),
        write: format!("{base}/messages"),
        upload: format!("{base}/photos?csrf={}", ctx.csrf),
        photo: Box::new(move |message| format!("{base}/photos/{message}")),
    }
}

#[handler]
async fn send_photo(
    staff: Staff,
    Data(state): Data<&AppState>,
    Data(scope): Data<&TenantScope>,
    Path(id): Path<Uuid>,
    upload: crate::pages::kit::forms::Posted,
) -> PageResult {
    let staff = &staff;
    let sent = async {
        let bytes = crate::pages::kit::forms::uploaded_photo(upload)?;
        let site = site_of(&state.config, scope);
        chat::crew_sends_photo(&state.roadside, &staff.actor, id, bytes, &site).await
    }
    .await;
    match sent {
        Ok(_) => Ok(poem::web::Redirect::see_other(staff.ctx.link(&format!("/portal/roadside/{id}#chat"))).into_response()),
        Err(ServiceError::Invalid(errors) | ServiceError::Conflict(errors)) => {
            request_view(staff, state, scope, id, &errors, &Pairs(Vec::new())).await
        }
        Err(err) => Err(err.into()),
    }
}

/// A photo of the request's chat, for its mechanic and the dispatchers.
#[handler]
async fn photo(
    staff: Staff,
    Data(state): Data<&AppState>,
    Path((id, message)): Path<(Uuid, Uuid)>,
) -> PageResult {
    let photo = chat::photo_for_crew(&state.roadside, &staff.actor, id, message).await?;
    Ok(crate::api::photo_file(photo))
}

/// What a mechanic can add at the roadside.
const WORK_KINDS: [(&str, &str); 4] = [
    ("labour", "Labour (hours)"),
    ("labour_flat", "Labour (fixed price)"),
    ("part", "Part"),
    ("fee", "Fee"),
];

#[handler]
async fn add_work(
    staff: Staff,
    Data(state): Data<&AppState>,
    Data(scope): Data<&TenantScope>,
    Path(id): Path<Uuid>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    let next = format!("/portal/roadside/{id}");
    on_request(staff, state, scope, id, form, next, |p| async move {
        let input = pitlane_workshop::lines::LineInput {
            kind: p.get("kind").to_owned(),
            description: p.optional("description"),
            quantity: p.optional("quantity"),
            unit_price: p.optional("unit_price"),
            part_id: Uuid::try_parse(p.get("part_id")).ok().map(Into::into),
            ..Default::default()
        };
        work::add(&state.roadside, &staff.actor, id, &input)
            .await
            .map(|_| ())
    })
    .await
}

#[handler]
async fn remove_work(
    staff: Staff,
    Data(state): Data<&AppState>,
    Data(scope): Data<&TenantScope>,
    Path((id, line)): Path<(Uuid, Uuid)>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    let next = format!("/portal/roadside/{id}");
    on_request(staff, state, scope, id, form, next, |_| async move {
        work::remove(&state.roadside, &staff.actor, id, line).await
    })
    .await
}

#[handler]
async fn write(
    staff: Staff,
    Data(state): Data<&AppState>,
    Data(scope): Data<&TenantScope>,
    Path(id): Path<Uuid>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    let next = format!("/portal/roadside/{id}#chat");
    on_request(staff, state, scope, id, form, next, |p| async move {
        let site = site_of(&state.config, scope);
        chat::crew_writes(&state.roadside, &staff.actor, id, p.get("body"), &site)
            .await
            .map(|_| ())
    })
    .await
}

#[handler]
async fn accept(
    staff: Staff,
    Data(state): Data<&AppState>,
    Data(scope): Data<&TenantScope>,
    Path(id): Path<Uuid>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    let next = format!("/portal/roadside/{id}");
    if form.get("from") == "duty" {
        // Taken from the list: a lost race comes back to the list, with the message.
        return submit(
            &staff.ctx,
            form,
            |_| async move {
                let site = site_of(&state.config, scope);
                dispatch::accept(&state.roadside, &staff.actor, id, &site).await?;
                Ok(next)
            },
            |_, errors| async move { duty_view(staff, state, &errors).await },
        )
        .await;
    }
    on_request(staff, state, scope, id, form, next, |_| async move {
        let site = site_of(&state.config, scope);
        dispatch::accept(&state.roadside, &staff.actor, id, &site)
            .await
            .map(|_| ())
    })
    .await
}

fn position_of(p: &Pairs) -> Result<Option<GeoPoint>, ServiceError> {
    let number = |name: &str| p.get(name).trim().parse::<f64>().ok();
    match (number("latitude"), number("longitude")) {
        (Some(lat), Some(lon)) => GeoPoint::new(lat, lon)
            .map(Some)
            .map_err(|e| FieldErrors::single("latitude", e).into()),
        _ => Ok(None),
    }
}

#[handler]
async fn step(
    staff: Staff,
    Data(state): Data<&AppState>,
    Data(scope): Data<&TenantScope>,
    Path(id): Path<Uuid>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    let next = format!("/portal/roadside/{id}");
    on_request(staff, state, scope, id, form, next, |p| async move {
        let to = RoadsideStatus::parse(p.get("status"))
            .ok_or_else(|| FieldErrors::single("status", "choose a step"))?;
        let step = Step {
            to,
            at: position_of(&p)?,
            note: p.optional("note"),
        };
        let site = site_of(&state.config, scope);
        progress::advance(&state.roadside, &staff.actor, id, step, &site)
            .await
            .map(|_| ())
    })
    .await
}

#[handler]
async fn assign(
    staff: Staff,
    Data(state): Data<&AppState>,
    Data(scope): Data<&TenantScope>,
    Path(id): Path<Uuid>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    let next = format!("/portal/roadside/{id}");
    on_request(staff, state, scope, id, form, next, |p| async move {
        let mechanic = Uuid::try_parse(p.get("mechanic_id"))
            .map_err(|_| FieldErrors::single("mechanic_id", "choose a mechanic"))?;
        let site = site_of(&state.config, scope);
        dispatch::assign(&state.roadside, &staff.actor, id, mechanic, &site)
            .await
            .map(|_| ())
    })
    .await
}

#[handler]
async fn release(
    staff: Staff,
    Data(state): Data<&AppState>,
    Data(scope): Data<&TenantScope>,
    Path(id): Path<Uuid>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    on_request(
        staff,
        state,
        scope,
        id,
        form,
        "/portal/roadside/duty".to_owned(),
        |p| async move {
            progress::release(&state.roadside, &staff.actor, id, p.get("reason"))
                .await
                .map(|_| ())
        },
    )
    .await
}

#[handler]
async fn cancel(
    staff: Staff,
    Data(state): Data<&AppState>,
    Data(scope): Data<&TenantScope>,
    Path(id): Path<Uuid>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    let next = format!("/portal/roadside/{id}");
    on_request(staff, state, scope, id, form, next, |p| async move {
        let site = site_of(&state.config, scope);
        progress::cancel(&state.roadside, &staff.actor, id, p.get("reason"), &site)
            .await
            .map(|_| ())
    })
    .await
}
