//! The workshop in the portal: the repair-order board, a repair order's page (lines and
//! totals, the estimate sent or answered, jobs, inspections, timeline), and the inspection
//! page a mechanic fills in on a phone, photos included.

use maud::{Markup, html};
use pitlane_domain::{
    FieldErrors, ServiceError,
    ids::{AppointmentId, CustomerId, PartId, RepairOrderId, VehicleId},
    permissions::Permission,
    quantity::format_quantity,
    repair_order::{LineDecision, RepairOrderStatus},
};
use pitlane_workshop::{
    approval::{self, Method},
    canned,
    inspections::{self, InspectionView},
    jobs, lines,
    orders::{self, OrderInput, OrderView, StatusChange},
};
use poem::{
    IntoResponse, Route, get, handler, post,
    web::{Data, Path, Query},
};
use serde::Deserialize;
use uuid::Uuid;

use crate::pages::kit::{
    PageCtx, PageResult, Pairs, Returned, Staff,
    forms::{Field, csrf_input, error_summary, query_link, select, status_for},
    page, submit, table_region,
};
use crate::{links::site_of, tenant::TenantScope};
use pitlane_app::state::AppState;

pub fn routes(routes: Route) -> Route {
    routes
        .at("/portal/repair-orders", get(board).post(open_order))
        .at("/portal/repair-orders/:id", get(show_order))
        .at(
            "/portal/repair-orders/:id/roadside-photos/:message",
            get(roadside_photo),
        )
        .at("/portal/repair-orders/:id/status", post(change_status))
        .at("/portal/repair-orders/:id/lines", post(add_line))
        .at("/portal/repair-orders/:id/follow", post(follow_updates))
        .at("/portal/repair-orders/:id/comeback", post(record_comeback))
        .at(
            "/portal/repair-orders/:id/lines/:line/remove",
            post(remove_line),
        )
        .at("/portal/repair-orders/:id/canned-jobs", post(add_canned))
        .at("/portal/repair-orders/:id/send", post(send_estimate))
        .at("/portal/repair-orders/:id/answer", post(record_answer))
        .at(
            "/portal/repair-orders/:id/jobs/:job/assign",
            post(assign_job),
        )
        .at("/portal/repair-orders/:id/jobs/:job/board", post(board_job))
        .at(
            "/portal/repair-orders/:id/jobs/:job/applications/:application/accept",
            post(accept_application),
        )
        .at(
            "/portal/repair-orders/:id/inspections",
            post(start_inspection),
        )
        .at("/portal/inspections/:id", get(inspection))
        .at("/portal/inspections/:id/items/:item", post(rate_point))
        .at(
            "/portal/inspections/:id/items/:item/photos",
            post(upload_photo),
        )
        .at(
            "/portal/inspections/:id/complete",
            post(complete_inspection),
        )
        .at("/portal/inspections/:id/recommend", post(recommend))
}

const LABELS: &[(&str, &str)] = &[
    ("kind", "Kind"),
    ("description", "Description"),
    ("quantity", "Quantity or hours"),
    ("unit_price", "Price"),
    ("part_id", "Part"),
    ("mechanic_id", "Mechanic"),
    ("skill", "Skill"),
    ("status", "Status"),
    ("decisions", "Answers"),
    ("method", "How they answered"),
    ("note", "Note"),
    ("mileage_in", "Mileage in"),
    ("mileage_out", "Mileage out"),
    ("lines", "Lines"),
    ("customer", "Customer"),
    ("canned_job_id", "Canned job"),
    ("rating", "Rating"),
    ("photo", "Photo"),
    ("items", "Points"),
    ("concern", "Concern"),
    ("vehicle_id", "Vehicle"),
    ("branch_id", "Branch"),
    ("appointment_id", "Appointment"),
    ("action", "Clock"),
    ("job_id", "Job"),
    ("comeback_of", "A comeback of"),
    ("csrf", "Form"),
];

#[derive(Deserialize, Default)]
pub struct BoardQuery {
    #[serde(default)]
    branch_id: Option<String>,
    #[serde(default)]
    status: Option<String>,
}

/// The repair-order board: the open orders most recently changed, the count in each state
/// (each a filter), live.
#[handler]
async fn board(staff: Staff, state: Data<&AppState>, Query(q): Query<BoardQuery>) -> PageResult {
    let (ctx, actor) = (&staff.ctx, &staff.actor);
    let branch = q.branch_id.as_deref().and_then(|b| Uuid::try_parse(b).ok());
    let status = q.status.as_deref().and_then(RepairOrderStatus::parse);
    let filter = orders::BoardFilter {
        branch_id: branch,
        status,
        limit: Some(50),
    };
    let board = orders::board(&state.workshop, actor, filter).await?;
    let mut options = vec![(String::new(), "All branches".to_owned())];
    options.extend(
        board
            .branches
            .iter()
            .map(|(id, name)| (id.to_string(), name.clone())),
    );
    let link = |status: Option<RepairOrderStatus>| {
        let mut pairs = Vec::new();
        if let Some(b) = branch {
            pairs.push(("branch_id", b.to_string()));
        }
        if let Some(s) = status {
            pairs.push(("status", s.key().to_owned()));
        }
        query_link("/portal/repair-orders", &pairs)
    };
    let here = link(status);
    let shown = board.cards.len() as u64;
    let in_view = status.map_or(board.open(), |s| {
        board
            .counts
            .iter()
            .find(|(c, _)| *c == s)
            .map_or(0, |(_, n)| *n)
    });
    let body = page(
        ctx,
        "Repair orders",
        Some("workshop"),
        html! {
            h1 { "Repair orders" }
            form class="toolbar" method="get" action=(ctx.link("/portal/repair-orders")) {
                (select("branch_id", "Branch", &options, q.branch_id.as_deref().unwrap_or(""), &FieldErrors::new()))
                button class="button secondary" type="submit" { "Show" }
                a class="button secondary" href=(ctx.link("/portal/job-board")) { "Job board" }
                a class="button secondary" href=(ctx.link("/portal/inventory")) { "Parts" }
            }
            p class="muted" { "Open a repair order from an appointment, or from a vehicle on the customer's card." }
            div id="ro-board" data-live="workshop" data-refresh=(ctx.link(&here)) {
                nav class="actions" aria-label="By state" {
                    a href=(ctx.link(&link(None))) aria-current=[status.is_none().then_some("page")] { "All open " span class="badge" { (board.open()) } }
                    @for (s, n) in &board.counts {
                        a href=(ctx.link(&link(Some(*s)))) aria-current=[(status == Some(*s)).then_some("page")] { (s.label()) " " span class="badge" { (n) } }
                    }
                }
                @if board.cards.is_empty() { p { "No open repair orders here." } }
                @if !board.cards.is_empty() {
                    (table_region("Open repair orders", html! {
                        table {
                            caption class="visually-hidden" { "Open repair orders, most recently changed first" }
                            thead { tr { th scope="col" { "Order" } th scope="col" { "Status" } th scope="col" { "Vehicle" } th scope="col" { "Customer" } th scope="col" { "Jobs" } th scope="col" { "Estimate" } } }
                            tbody {
                                @for c in &board.cards {
                                    tr {
                                        td { a href=(ctx.link(&format!("/portal/repair-orders/{}", c.card.id))) { (pitlane_domain::repair_order::display_number(c.card.number)) } }
                                        td { span data-status=(c.card.status) { (RepairOrderStatus::parse(&c.card.status).map_or("", |s| s.label())) } }
                                        td { (c.card.vehicle_label) }
                                        td { (c.card.customer_name) }
                                        td { (c.jobs_done) " / " (c.jobs) }
                                        td { (c.total) }
                                    }
                                }
                            }
                        }
                    }))
                    @if shown < in_view {
                        p class="muted" { "The " (shown) " most recently changed of " (in_view) "; choose a state to see fewer at once." }
                    }
                }
            }
        },
    );
    Ok(body.into_response())
}

/// Opens a repair order: for an appointment (from its page), or a walk-in (from a vehicle).
#[handler]
async fn open_order(
    staff: Staff,
    Data(state): Data<&AppState>,
    Data(scope): Data<&TenantScope>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    let ws = &state.workshop;
    let site = site_of(&state.config, scope);
    let appointment = form.id("appointment_id");
    let vehicle = form.id("vehicle_id");
    submit(
        &staff.ctx,
        form,
        |p| async move {
            let actor = &staff.actor;
            let mut errors = FieldErrors::new();
            let mileage = p.mileage("mileage_in", &mut errors);
            errors.into_result()?;
            let view = match p.id("appointment_id") {
                Some(appointment) => {
                    orders::open_from_appointment(
                        ws,
                        actor,
                        AppointmentId(appointment),
                        mileage,
                        p.optional("concern"),
                        &site,
                    )
                    .await?
                }
                None => {
                    let input = OrderInput {
                        branch_id: p.id("branch_id").unwrap_or_default(),
                        customer_id: CustomerId(p.id("customer_id").unwrap_or_default()),
                        vehicle_id: VehicleId(p.id("vehicle_id").unwrap_or_default()),
                        mileage_in: mileage,
                        correction_reason: p.optional("correction_reason"),
                        concern: p.optional("concern"),
                        promised_at: None,
                        follow_updates: p.get("follow_updates") == "yes",
                    };
                    orders::open_walk_in(ws, actor, &input).await?
                }
            };
            Ok(order_path(RepairOrderId(view.order.id)))
        },
        |p, errors| async move {
            match (appointment, vehicle) {
                (Some(id), _) => {
                    let id = AppointmentId(id);
                    super::calendar::appointment_again(staff, state, id, "ro", p, errors).await
                }
                (None, Some(id)) => {
                    let id = VehicleId(id);
                    super::customers::vehicle_again(staff, state, id, "ro", &p, &errors).await
                }
                (None, None) => Err(ServiceError::Invalid(errors).into()),
            }
        },
    )
    .await
}

/// Where a repair order's page is.
fn order_path(id: RepairOrderId) -> String {
    format!("/portal/repair-orders/{id}")
}

#[handler]
async fn show_order(
    staff: Staff,
    state: Data<&AppState>,
    Path(id): Path<RepairOrderId>,
) -> PageResult {
    order_page(&staff, &state, id, Returned::default()).await
}

/// The order's page; `r` is the form that came back, if one did.
async fn order_page(staff: &Staff, state: &AppState, id: RepairOrderId, r: Returned) -> PageResult {
    let (ctx, actor) = (&staff.ctx, &staff.actor);
    let ws = &state.workshop;
    let o = orders::get(ws, actor, id).await?;
    let mechanics = pitlane_frontdesk::resources::mechanics(&state.frontdesk, actor)
        .await
        .unwrap_or_default();
    let canned_jobs = canned::list(ws, actor).await.unwrap_or_default();
    let parts = pitlane_inventory::parts::list(&state.inventory, actor, None, None, 200)
        .await
        .map(|p| p.items)
        .unwrap_or_default();
    let mut applications = Vec::new();
    for job in o.jobs.iter().filter(|j| j.on_board) {
        if let Ok(list) = jobs::applications(ws, actor, job.id).await {
            applications.extend(list.into_iter().filter(|(a, _)| a.status == "pending"));
        }
    }
    // The vehicle's earlier orders, which this one may be a comeback of.
    let earlier: Vec<_> = orders::of_vehicle(ws, actor, VehicleId(o.order.vehicle_id))
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|e| (e.created_at, e.id) < (o.order.created_at, o.order.id))
        .collect();
    // A car towed in: the photos of its roadside chat come with it.
    let roadside_photos =
        pitlane_roadside::chat::photos_of_order(&state.roadside, actor, id.0).await?;
    let body = page(
        ctx,
        &o.number(),
        Some("workshop"),
        html! {
            (order_body(
                ctx,
                &o,
                &r,
                &mechanics,
                &canned_jobs,
                &parts,
                &applications,
                &earlier,
            ))
            @if !roadside_photos.is_empty() {
                section class="card" aria-labelledby="roadside-photos-heading" {
                    h2 id="roadside-photos-heading" { "Photos from the roadside" }
                    p class="muted" { "Sent in the roadside request's chat before the car was towed in." }
                    ul class="photos" {
                        @for p in &roadside_photos {
                            @let src = ctx.link(&format!("/portal/repair-orders/{}/roadside-photos/{}", o.order.id, p.id));
                            li { a href=(src) { img src=(src) alt=(format!("Photo from the roadside, {}", p.at.format("%Y-%m-%d %H:%M UTC"))) width="160" loading="lazy"; } }
                        }
                    }
                }
            }
        },
    );
    Ok((status_for(&r.errors), body).into_response())
}

/// A photo from the roadside chat of a car towed in.
#[handler]
async fn roadside_photo(
    staff: Staff,
    Data(state): Data<&AppState>,
    Path((id, message)): Path<(Uuid, Uuid)>,
) -> PageResult {
    let photo =
        pitlane_roadside::chat::photo_of_order(&state.roadside, &staff.actor, id, message).await?;
    Ok(crate::api::photo_file(photo))
}

#[allow(clippy::too_many_arguments)]
fn order_body(
    ctx: &PageCtx,
    o: &OrderView,
    r: &Returned,
    mechanics: &[pitlane_frontdesk::resources::Mechanic],
    canned_jobs: &[canned::CannedJobView],
    parts: &[pitlane_store::entity::part::Model],
    applications: &[(pitlane_store::entity::job_application::Model, String)],
    earlier: &[pitlane_store::entity::repair_order::Model],
) -> Markup {
    let actor = ctx.auth.as_ref().map(|a| &a.actor);
    let comeback_of = o
        .order
        .comeback_of
        .and_then(|first| earlier.iter().find(|e| e.id == first));
    let comeback_options: Vec<(String, String)> = std::iter::once((
        String::new(),
        "Not a comeback".to_owned(),
    ))
    .chain(earlier.iter().map(|e| {
        (
            e.id.to_string(),
            format!(
                "{} · {}{}",
                pitlane_domain::repair_order::display_number(e.number),
                e.created_at.format("%Y-%m-%d"),
                e.concern
                    .as_deref()
                    .map(|c| format!(" · {c}"))
                    .unwrap_or_default()
            ),
        )
    }))
    .collect();
    let can = |p: Permission| actor.is_some_and(|a| a.can(p));
    let can_write = can(Permission::RepairOrdersWrite);
    let status = o.status();
    let base = format!("/portal/repair-orders/{}", o.order.id);
    let errors_for = |form: &str| r.errors_of(form);
    let typed = |form: &str, name: &str| r.value(form, name).to_owned();
    let pending: Vec<_> = o
        .lines
        .iter()
        .filter(|l| lines::decision(l) == LineDecision::Pending)
        .collect();
    let mechanic_name = |id: Option<Uuid>| {
        id.and_then(|id| mechanics.iter().find(|m| m.membership_id == id))
            .map(|m| m.name.clone())
    };
    let mut mechanic_options = vec![(String::new(), "Choose a mechanic".to_owned())];
    mechanic_options.extend(
        mechanics
            .iter()
            .map(|m| (m.membership_id.to_string(), m.name.clone())),
    );
    let mut part_options = vec![(String::new(), "Not from the catalogue".to_owned())];
    part_options.extend(
        parts
            .iter()
            .filter(|p| p.active)
            .map(|p| (p.id.to_string(), format!("{} · {}", p.sku, p.name))),
    );
    let kinds: Vec<(String, String)> = [
        ("labour", "Labour (hours × rate)"),
        ("labour_flat", "Labour at a flat price"),
        ("part", "Part"),
        ("fee", "Fee"),
        ("discount", "Discount"),
    ]
    .into_iter()
    .map(|(k, l)| (k.to_owned(), l.to_owned()))
    .collect();
    html! {
        p { a href=(ctx.link("/portal/repair-orders")) { "← Repair orders" } }
        h1 { (o.number()) " · " (pitlane_frontdesk::vehicles::describe(&o.vehicle)) }
        (error_summary(&r.errors, LABELS))
        div id="ro-live" data-live="workshop" data-refresh=(ctx.link(&base)) {
            section class="card" {
                dl class="facts" {
                    dt { "Status" } dd { strong data-status=(status.key()) { (status.label()) } }
                    dt { "Customer" } dd { a href=(ctx.link(&format!("/portal/customers/{}", o.customer.id))) { (o.customer.name) } }
                    dt { "Vehicle" } dd { a href=(ctx.link(&format!("/portal/vehicles/{}", o.vehicle.id))) { (pitlane_frontdesk::vehicles::describe(&o.vehicle)) } }
                    dt { "Branch" } dd { (o.branch.name) }
                    @if let Some(m) = o.order.mileage_in { dt { "Mileage in" } dd { (m) } }
                    @if let Some(m) = o.order.mileage_out { dt { "Mileage out" } dd { (m) } }
                    @if let Some(c) = &o.order.concern { dt { "Concern" } dd { (c) } }
                    @if let Some(first) = comeback_of {
                        dt { "Comeback of" } dd { a href=(ctx.link(&format!("/portal/repair-orders/{}", first.id))) { (pitlane_domain::repair_order::display_number(first.number)) } }
                    }
                    @if let (Some(method), Some(at), Some(by)) = (&o.order.approval_method, o.order.approved_at, &o.order.approved_by) {
                        dt { "Answered" } dd { (Method::parse(method).map_or("", |m| m.label())) " by " (by) ", " (pitlane_frontdesk::appointments::describe_time(&o.branch, at)) }
                    }
                }
                @if can_write {
                    div class="actions" {
                        @for next in orders::next_states(o) {
                            form method="post" action=(ctx.link(&format!("{base}/status"))) {
                                (csrf_input(ctx))
                                input type="hidden" name="status" value=(next.key());
                                button class=(if next == RepairOrderStatus::Cancelled { "button danger" } else { "button secondary" }) type="submit" { "Mark " (next.label().to_lowercase()) }
                            }
                        }
                        @if can(Permission::InvoicesWrite) && !matches!(status, RepairOrderStatus::Estimate | RepairOrderStatus::SentForApproval | RepairOrderStatus::Cancelled) {
                            form method="post" action=(ctx.link(&format!("{base}/invoice"))) {
                                (csrf_input(ctx))
                                button class="button" type="submit" data-invoice { "Invoice" }
                            }
                        }
                        form method="post" action=(ctx.link(&format!("/portal/customers/{}/conversation", o.customer.id))) {
                            (csrf_input(ctx))
                            button class="button secondary" type="submit" { "Message the customer" }
                        }
                        form method="post" action=(ctx.link(&format!("{base}/follow"))) {
                            (csrf_input(ctx))
                            input type="hidden" name="follow" value=(if o.order.follow_updates { "no" } else { "yes" });
                            button class="button secondary" type="submit" {
                                @if o.order.follow_updates { "Message the customer only when ready" } @else { "Message the customer at every step" }
                            }
                        }
                    }
                    @if !earlier.is_empty() {
                        details open[r.is("comeback")] {
                            summary { "Comeback: the fault came back after earlier work" }
                            form class="stack" method="post" action=(ctx.link(&format!("{base}/comeback"))) novalidate {
                                (csrf_input(ctx))
                                (select("comeback_of", "A comeback of", &comeback_options, &r.typed("comeback").map_or_else(|| o.order.comeback_of.map(|c| c.to_string()).unwrap_or_default(), |p| p.get("comeback_of").to_owned()), r.errors_of("comeback")))
                                div { button class="button secondary" type="submit" { "Save" } }
                            }
                        }
                    }
                }
            }
            section class="card" aria-labelledby="lines-heading" {
                h2 id="lines-heading" { "Estimate" }
                (table_region("Estimate", html! {
                    table {
                        thead { tr { th scope="col" { "Line" } th scope="col" { "Qty / hours" } th scope="col" { "Amount" } th scope="col" { "Answer" } @if status.allows_line_changes() && can_write { th scope="col" { span class="visually-hidden" { "Remove" } } } } }
                        tbody {
                            @for line in &o.lines {
                                tr {
                                    td { (line.description) " " span class="muted" { "(" (line.kind.replace('_', " ")) ")" } }
                                    td { (format_quantity(line.quantity_milli)) }
                                    td { (o.line_amount(line)) }
                                    td { span class="badge" data-decision=(line.decision) { (line.decision) } }
                                    @if status.allows_line_changes() && can_write {
                                        td {
                                            form method="post" action=(ctx.link(&format!("{base}/lines/{}/remove", line.id))) {
                                                (csrf_input(ctx))
                                                button class="link-button" type="submit" { "Remove" span class="visually-hidden" { " " (line.description) } }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }))
                dl class="facts" {
                    dt { "Labour" } dd { (o.money(o.totals.labour)) }
                    dt { "Parts" } dd { (o.money(o.totals.parts)) }
                    @if o.totals.fees > 0 { dt { "Fees" } dd { (o.money(o.totals.fees)) } }
                    @if o.totals.shop_supplies > 0 { dt { "Shop supplies" } dd { (o.money(o.totals.shop_supplies)) } }
                    @if o.totals.discounts > 0 { dt { "Discounts" } dd { "−" (o.money(o.totals.discounts)) } }
                    dt { "Tax (estimated)" } dd { (o.money(o.totals.tax)) }
                    dt { "Total" } dd { strong { (o.money(o.totals.total)) } }
                    dt { "Approved" } dd { (o.money(o.approved.total)) }
                    @if can(Permission::ReportsView) {
                        dt { "Gross profit" } dd { (o.money(o.totals.gross_profit)) }
                    }
                }
            }
        }
        @if can_write && status.allows_line_changes() {
            section class="card" aria-labelledby="add-heading" {
                h2 id="add-heading" { "Add a line" }
                form class="stack" method="post" action=(ctx.link(&format!("{base}/lines"))) novalidate {
                    (csrf_input(ctx))
                    (select("kind", "Kind", &kinds, &typed("line", "kind"), errors_for("line")))
                    (Field::new("description", "Description", &typed("line", "description")).render(errors_for("line")))
                    (select("part_id", "Part", &part_options, &typed("line", "part_id"), errors_for("line")))
                    (Field::new("quantity", "Quantity or hours", &typed("line", "quantity")).hint("Hours for labour (1.5), units for parts").render(errors_for("line")))
                    (Field::new("unit_price", "Price", &typed("line", "unit_price")).hint("Empty: the branch's labour rate, or the part's price").render(errors_for("line")))
                    (select("mechanic_id", "Mechanic (labour)", &mechanic_options, &typed("line", "mechanic_id"), errors_for("line")))
                    (Field::new("skill", "Skill needed (labour)", &typed("line", "skill")).render(errors_for("line")))
                    div { button class="button" type="submit" { "Add line" } }
                }
                @if !canned_jobs.is_empty() {
                    form class="toolbar" method="post" action=(ctx.link(&format!("{base}/canned-jobs"))) {
                        (csrf_input(ctx))
                        (select("canned_job_id", "Canned job", &canned_jobs.iter().map(|c| (c.job.id.to_string(), c.job.name.clone())).collect::<Vec<_>>(), "", errors_for("canned")))
                        button class="button secondary" type="submit" { "Add canned job" }
                    }
                }
                @if !pending.is_empty() {
                    form method="post" action=(ctx.link(&format!("{base}/send"))) {
                        (csrf_input(ctx))
                        button class="button" type="submit" { "Send the estimate to the customer" }
                    }
                }
            }
        }
        @if can_write && matches!(status, RepairOrderStatus::Estimate | RepairOrderStatus::SentForApproval) && !pending.is_empty() {
            section class="card" aria-labelledby="answer-heading" {
                h2 id="answer-heading" { "Record the customer's answer" }
                form class="stack" method="post" action=(ctx.link(&format!("{base}/answer"))) novalidate {
                    (csrf_input(ctx))
                    @for line in &pending {
                        @let name = format!("d_{}", line.id);
                        fieldset class="answer" {
                            legend { (line.description) " · " (o.line_amount(line)) }
                            label { input type="radio" name=(name) value="approved" checked[typed("answer", &name) == "approved"]; " Approved" }
                            label { input type="radio" name=(name) value="declined" checked[typed("answer", &name) == "declined"]; " Declined" }
                        }
                    }
                    (select("method", "How they answered", &[("phone".into(), "By phone".into()), ("in_person".into(), "In person".into())], &typed("answer", "method"), errors_for("answer")))
                    (Field::new("note", "Who answered, if not the customer", &typed("answer", "note")).render(errors_for("answer")))
                    div { button class="button" type="submit" { "Record answer" } }
                }
            }
        }
        section class="card" aria-labelledby="jobs-heading" {
            h2 id="jobs-heading" { "Jobs" }
            @if o.jobs.is_empty() { p class="muted" { "Labour lines become jobs for the mechanics." } }
            @for job in &o.jobs {
                div class="job-card" {
                    strong { (job.title) } " · " span class="badge" { (job.status.replace('_', " ")) }
                    @if let Some(name) = mechanic_name(job.mechanic_id) { " · " (name) }
                    @if job.on_board { " · on the job board" }
                    @if let Some(skill) = &job.skill { " · needs " (skill) }
                    @if can_write && job.status != "finished" {
                        div class="actions" {
                            form class="toolbar" method="post" action=(ctx.link(&format!("{base}/jobs/{}/assign", job.id))) {
                                (csrf_input(ctx))
                                div class="field" {
                                    label for=(format!("assign-{}", job.id)) { "Assign to" }
                                    select id=(format!("assign-{}", job.id)) name="mechanic_id" {
                                        @for (value, label) in &mechanic_options {
                                            option value=(value) selected[Some(value.as_str()) == job.mechanic_id.map(|m| m.to_string()).as_deref()] { (label) }
                                        }
                                    }
                                }
                                button class="button secondary" type="submit" { "Assign" }
                            }
                            @if !job.on_board && matches!(job.status.as_str(), "open" | "assigned") {
                                form method="post" action=(ctx.link(&format!("{base}/jobs/{}/board", job.id))) {
                                    (csrf_input(ctx))
                                    button class="button secondary" type="submit" { "Put on the job board" }
                                }
                            }
                        }
                        @for (application, name) in applications.iter().filter(|(a, _)| a.job_id == job.id) {
                            form class="toolbar" method="post" action=(ctx.link(&format!("{base}/jobs/{}/applications/{}/accept", job.id, application.id))) {
                                (csrf_input(ctx))
                                span { (name) " applied" @if let Some(n) = &application.note { ": " (n) } }
                                button class="button" type="submit" { "Give the job to " (name) }
                            }
                        }
                    }
                }
            }
        }
        section class="card" aria-labelledby="inspections-heading" {
            h2 id="inspections-heading" { "Inspections" }
            ul {
                @for i in &o.inspections {
                    li { a href=(ctx.link(&format!("/portal/inspections/{}", i.id))) { (i.name) } " · " (i.status) }
                }
            }
            @if status.is_open() && (can_write || can(Permission::JobsWork)) {
                form method="post" action=(ctx.link(&format!("{base}/inspections"))) {
                    (csrf_input(ctx))
                    button class="button secondary" type="submit" { "Start an inspection" }
                }
            }
        }
        section class="card" aria-labelledby="timeline-heading" {
            h2 id="timeline-heading" { "Timeline" }
            ol class="timeline" {
                @for e in o.events.iter().rev() {
                    li {
                        time datetime=(e.created_at.to_rfc3339()) { (pitlane_frontdesk::appointments::describe_time(&o.branch, e.created_at)) }
                        " — " (e.detail.as_deref().unwrap_or(&e.kind))
                        @if let Some(by) = &e.by_name { " · " (by) }
                        @if e.visible_to_customer { " " span class="badge" { "customer sees" } }
                    }
                }
            }
        }
    }
}

/// The workshop's own address, for the links in the customer's messages.
fn site(ctx: &PageCtx, state: &AppState) -> String {
    match &ctx.scope {
        Some(scope) => site_of(&state.config, scope),
        None => String::new(),
    }
}

#[handler]
async fn change_status(
    staff: Staff,
    Data(state): Data<&AppState>,
    Path(id): Path<RepairOrderId>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    let site = site(&staff.ctx, state);
    let ws = &state.workshop;
    submit(
        &staff.ctx,
        form,
        |p| async move {
            let next = RepairOrderStatus::parse(p.get("status"))
                .ok_or_else(|| FieldErrors::single("status", "choose one of the buttons"))?;
            let mut errors = FieldErrors::new();
            let mileage_out = p.mileage("mileage_out", &mut errors);
            errors.into_result()?;
            orders::change_status(
                ws,
                &staff.actor,
                id,
                next,
                &StatusChange {
                    mileage_out,
                    note: p.optional("note"),
                },
                &site,
            )
            .await?;
            Ok(order_path(id))
        },
        |p, errors| order_page(staff, state, id, Returned::new("status", p, errors)),
    )
    .await
}

fn line_input(p: &Pairs) -> lines::LineInput {
    lines::LineInput {
        kind: p.get("kind").to_owned(),
        description: p.optional("description"),
        quantity: p.optional("quantity"),
        unit_price: p.optional("unit_price"),
        part_id: p.id("part_id").map(PartId),
        taxable: None,
        mechanic_id: p.id("mechanic_id"),
        skill: p.optional("skill"),
    }
}

#[handler]
async fn follow_updates(
    staff: Staff,
    Data(state): Data<&AppState>,
    Path(id): Path<RepairOrderId>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    let ws = &state.workshop;
    submit(
        &staff.ctx,
        form,
        |p| async move {
            orders::set_follow_updates(ws, &staff.actor, id, p.get("follow") == "yes").await?;
            Ok(order_path(id))
        },
        |p, errors| order_page(staff, state, id, Returned::new("status", p, errors)),
    )
    .await
}

#[handler]
async fn record_comeback(
    staff: Staff,
    Data(state): Data<&AppState>,
    Path(id): Path<RepairOrderId>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    let ws = &state.workshop;
    submit(
        &staff.ctx,
        form,
        |p| async move {
            let earlier = p.id("comeback_of").map(RepairOrderId);
            if earlier.is_none() && !p.get("comeback_of").trim().is_empty() {
                return Err(FieldErrors::single("comeback_of", "no such repair order").into());
            }
            orders::record_comeback(ws, &staff.actor, id, earlier).await?;
            Ok(order_path(id))
        },
        |p, errors| order_page(staff, state, id, Returned::new("comeback", p, errors)),
    )
    .await
}

#[handler]
async fn add_line(
    staff: Staff,
    Data(state): Data<&AppState>,
    Path(id): Path<RepairOrderId>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    let ws = &state.workshop;
    submit(
        &staff.ctx,
        form,
        |p| async move {
            lines::add(ws, &staff.actor, id, &line_input(&p)).await?;
            Ok(order_path(id))
        },
        |p, errors| order_page(staff, state, id, Returned::new("line", p, errors)),
    )
    .await
}

#[handler]
async fn remove_line(
    staff: Staff,
    Data(state): Data<&AppState>,
    Path((id, line)): Path<(RepairOrderId, Uuid)>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    let ws = &state.workshop;
    submit(
        &staff.ctx,
        form,
        |_| async move {
            lines::remove(ws, &staff.actor, id, line).await?;
            Ok(order_path(id))
        },
        |p, errors| order_page(staff, state, id, Returned::new("line", p, errors)),
    )
    .await
}

#[handler]
async fn add_canned(
    staff: Staff,
    Data(state): Data<&AppState>,
    Path(id): Path<RepairOrderId>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    let ws = &state.workshop;
    submit(
        &staff.ctx,
        form,
        |p| async move {
            let canned = p
                .id("canned_job_id")
                .ok_or_else(|| FieldErrors::single("canned_job_id", "choose a canned job"))?;
            lines::add_canned(ws, &staff.actor, id, canned).await?;
            Ok(order_path(id))
        },
        |p, errors| order_page(staff, state, id, Returned::new("canned", p, errors)),
    )
    .await
}

#[handler]
async fn send_estimate(
    staff: Staff,
    Data(state): Data<&AppState>,
    Path(id): Path<RepairOrderId>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    let site = site(&staff.ctx, state);
    let ws = &state.workshop;
    submit(
        &staff.ctx,
        form,
        |_| async move {
            approval::send(ws, &staff.actor, id, &site).await?;
            Ok(order_path(id))
        },
        |p, errors| order_page(staff, state, id, Returned::new("send", p, errors)),
    )
    .await
}

/// The `d_<line id>` answers of a form.
pub(crate) fn answers_of(p: &Pairs) -> Result<Vec<(Uuid, LineDecision)>, FieldErrors> {
    let mut answers = Vec::new();
    let mut errors = FieldErrors::new();
    for (key, value) in &p.0 {
        let Some(id) = key
            .strip_prefix("d_")
            .and_then(|id| Uuid::try_parse(id).ok())
        else {
            continue;
        };
        match LineDecision::parse(value) {
            Some(d) if d != LineDecision::Pending => answers.push((id, d)),
            _ => errors.add("decisions", "choose approve or decline for each item"),
        }
    }
    errors.into_result()?;
    Ok(answers)
}

#[handler]
async fn record_answer(
    staff: Staff,
    Data(state): Data<&AppState>,
    Path(id): Path<RepairOrderId>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    let site = site(&staff.ctx, state);
    let ws = &state.workshop;
    submit(
        &staff.ctx,
        form,
        |p| async move {
            let answers = answers_of(&p)?;
            let method = Method::parse(p.get("method"))
                .ok_or_else(|| FieldErrors::single("method", "choose by phone or in person"))?;
            approval::record_answer(
                ws,
                &staff.actor,
                id,
                &answers,
                method,
                p.optional("note").as_deref(),
                &site,
            )
            .await?;
            Ok(order_path(id))
        },
        |p, errors| order_page(staff, state, id, Returned::new("answer", p, errors)),
    )
    .await
}

#[handler]
async fn assign_job(
    staff: Staff,
    Data(state): Data<&AppState>,
    Path((id, job)): Path<(RepairOrderId, Uuid)>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    let ws = &state.workshop;
    submit(
        &staff.ctx,
        form,
        |p| async move {
            let mechanic = p
                .id("mechanic_id")
                .ok_or_else(|| FieldErrors::single("mechanic_id", "choose a mechanic"))?;
            jobs::assign(ws, &staff.actor, job, mechanic).await?;
            Ok(order_path(id))
        },
        |p, errors| order_page(staff, state, id, Returned::new("assign", p, errors)),
    )
    .await
}

#[handler]
async fn board_job(
    staff: Staff,
    Data(state): Data<&AppState>,
    Path((id, job)): Path<(RepairOrderId, Uuid)>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    let ws = &state.workshop;
    submit(
        &staff.ctx,
        form,
        |_| async move {
            jobs::post_to_board(ws, &staff.actor, job, None).await?;
            Ok(order_path(id))
        },
        |p, errors| order_page(staff, state, id, Returned::new("assign", p, errors)),
    )
    .await
}

#[handler]
async fn accept_application(
    staff: Staff,
    Data(state): Data<&AppState>,
    Path((id, job, application)): Path<(RepairOrderId, Uuid, Uuid)>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    let ws = &state.workshop;
    submit(
        &staff.ctx,
        form,
        |_| async move {
            jobs::accept(ws, &staff.actor, job, application).await?;
            Ok(order_path(id))
        },
        |p, errors| order_page(staff, state, id, Returned::new("assign", p, errors)),
    )
    .await
}

#[handler]
async fn start_inspection(
    staff: Staff,
    Data(state): Data<&AppState>,
    Path(id): Path<RepairOrderId>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    let ws = &state.workshop;
    submit(
        &staff.ctx,
        form,
        |p| async move {
            let view = inspections::start(ws, &staff.actor, id, p.id("template_id")).await?;
            Ok(format!("/portal/inspections/{}", view.inspection.id))
        },
        |p, errors| order_page(staff, state, id, Returned::new("inspection", p, errors)),
    )
    .await
}

/// The inspection page: each point rated with a note and photos, made for a phone.
#[handler]
async fn inspection(staff: Staff, state: Data<&AppState>, Path(id): Path<Uuid>) -> PageResult {
    inspection_page(&staff, &state, id, None, Returned::default()).await
}

/// The inspection's page; `point` is the point whose form came back in `r`, if one did.
async fn inspection_page(
    staff: &Staff,
    state: &AppState,
    id: Uuid,
    point: Option<Uuid>,
    r: Returned,
) -> PageResult {
    let ctx = &staff.ctx;
    let v = inspections::get(&state.workshop, &staff.actor, id).await?;
    let body = page(
        ctx,
        &v.inspection.name,
        Some("workshop"),
        inspection_body(ctx, &v, point, &r),
    );
    Ok((status_for(&r.errors), body).into_response())
}

fn inspection_body(ctx: &PageCtx, v: &InspectionView, point: Option<Uuid>, r: &Returned) -> Markup {
    let base = format!("/portal/inspections/{}", v.inspection.id);
    let open = v.inspection.status == "open";
    let none = FieldErrors::new();
    html! {
        p { a href=(ctx.link(&format!("/portal/repair-orders/{}", v.inspection.repair_order_id))) { "← Repair order" } }
        h1 { (v.inspection.name) }
        (error_summary(&r.errors, LABELS))
        @for (item, photos) in &v.items {
            @let mine = point == Some(item.id);
            @let errors = if mine { &r.errors } else { &none };
            @let chosen = if mine { r.pairs.get("rating").to_owned() } else { item.rating.clone().unwrap_or_default() };
            @let note = if mine { r.pairs.get("note").to_owned() } else { item.note.clone().unwrap_or_default() };
            section class="card" id=(format!("point-{}", item.id)) aria-labelledby=(format!("point-h-{}", item.id)) data-rating=[item.rating.as_deref()] {
                h2 id=(format!("point-h-{}", item.id)) { span class="muted" { (item.section) ": " } (item.label) }
                @if open {
                    form class="stack" method="post" action=(ctx.link(&format!("{base}/items/{}", item.id))) novalidate {
                        (csrf_input(ctx))
                        fieldset class="answer" {
                            legend { "Condition" }
                            @for (value, label) in [("green", "Good"), ("yellow", "Soon"), ("red", "Now")] {
                                label { input type="radio" name="rating" value=(value) checked[chosen == value]; " " (label) }
                            }
                        }
                        div class="field" {
                            label for=(format!("note-{}", item.id)) { "What was found" }
                            textarea id=(format!("note-{}", item.id)) name="note" rows="2"
                                aria-invalid=[errors.message_for("note").map(|_| "true")]
                                aria-describedby=[errors.message_for("note").map(|_| format!("note-{}-error", item.id))] { (note) }
                            @if let Some(e) = errors.message_for("note") { span class="error" id=(format!("note-{}-error", item.id)) { (e) } }
                        }
                        div { button class="button secondary" type="submit" { "Save" } }
                    }
                    // The upload is multipart: its form token travels in the address.
                    form class="stack" method="post" enctype="multipart/form-data" action=(format!("{}?csrf={}", ctx.link(&format!("{base}/items/{}/photos", item.id)), ctx.csrf)) {
                        div class="field" {
                            label for=(format!("photo-{}", item.id)) { "Photo" }
                            input id=(format!("photo-{}", item.id)) type="file" name="photo" accept="image/jpeg,image/png,image/webp,image/heic" capture="environment";
                            @if let Some(e) = errors.message_for("photo") { span class="error" { (e) } }
                        }
                        div { button class="button secondary" type="submit" { "Upload photo" } }
                    }
                } @else {
                    p { strong { (item.rating.as_deref().unwrap_or("not rated")) } @if let Some(n) = &item.note { " · " (n) } }
                }
                @for p in photos {
                    img src=(ctx.link(&format!("/api/v1/inspections/{}/items/{}/photos/{}", v.inspection.id, item.id, p.id))) alt=(format!("Photo: {}", item.label)) width="160" loading="lazy";
                }
            }
        }
        @if open {
            form method="post" action=(ctx.link(&format!("{base}/complete"))) {
                (csrf_input(ctx))
                button class="button" type="submit" { "Complete the inspection" }
            }
        }
        @if v.findings().any(|i| i.line_id.is_none()) {
            form method="post" action=(ctx.link(&format!("{base}/recommend"))) {
                (csrf_input(ctx))
                button class="button secondary" type="submit" { "Add the yellow and red findings to the estimate" }
            }
        }
    }
}

#[handler]
async fn rate_point(
    staff: Staff,
    Data(state): Data<&AppState>,
    Path((id, item)): Path<(Uuid, Uuid)>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    let ws = &state.workshop;
    submit(
        &staff.ctx,
        form,
        |p| async move {
            inspections::rate(
                ws,
                &staff.actor,
                id,
                item,
                p.get("rating"),
                p.optional("note").as_deref(),
            )
            .await?;
            Ok(format!("/portal/inspections/{id}#point-{item}"))
        },
        |p, errors| {
            inspection_page(
                staff,
                state,
                id,
                Some(item),
                Returned::new("rate", p, errors),
            )
        },
    )
    .await
}

/// A photo from the phone's camera, sent as a multipart form (its form token, checked by the
/// middleware, is in the address).
#[handler]
async fn upload_photo(
    staff: Staff,
    Data(state): Data<&AppState>,
    Path((id, item)): Path<(Uuid, Uuid)>,
    upload: crate::pages::kit::forms::Posted,
) -> PageResult {
    let staff = &staff;
    let read = crate::pages::kit::forms::uploaded_photo(upload);
    submit(
        &staff.ctx,
        Pairs::default(),
        |_| async move {
            let bytes = read?;
            inspections::add_photo(&state.workshop, &staff.actor, id, item, bytes).await?;
            Ok(format!("/portal/inspections/{id}#point-{item}"))
        },
        |p, errors| {
            inspection_page(
                staff,
                state,
                id,
                Some(item),
                Returned::new("photo", p, errors),
            )
        },
    )
    .await
}

#[handler]
async fn complete_inspection(
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
        |_| async move {
            inspections::complete(ws, &staff.actor, id).await?;
            Ok(format!("/portal/inspections/{id}"))
        },
        |p, errors| inspection_page(staff, state, id, None, Returned::new("complete", p, errors)),
    )
    .await
}

#[handler]
async fn recommend(
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
        |_| async move {
            let order = inspections::recommend(ws, &staff.actor, id).await?;
            Ok(order_path(RepairOrderId(order.order.id)))
        },
        |p, errors| {
            inspection_page(
                staff,
                state,
                id,
                None,
                Returned::new("recommend", p, errors),
            )
        },
    )
    .await
}
