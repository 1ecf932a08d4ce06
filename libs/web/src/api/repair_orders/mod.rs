//! `/repair-orders`: the board, walk-ins and orders from appointments, the life cycle, lines
//! with totals, canned jobs added to an order, sending the estimate and recording the
//! customer's answer, starting an inspection, and invoicing the order.

pub(crate) mod json;

use pitlane_domain::{permissions::Permission, repair_order::RepairOrderStatus};
use pitlane_workshop::{
    approval, inspections, lines,
    orders::{self, OrderInput, StatusChange},
};
use poem::{Request, web::Data};
use poem_openapi::{
    OpenApi,
    param::{Path, Query},
    payload::Json,
};
use uuid::Uuid;

use self::json::{
    AnswerWrite, CannedJobAdd, ComebackWrite, CustomerLink, EstimateAnswer, InspectionStart,
    LineWrite, OrderLine, OrderStatusWrite, RepairOrder, RepairOrderCounts, RepairOrderSummary,
    RepairOrderWrite,
};
use super::{
    ApiTags, Caller,
    inspections::json::Inspection,
    invoices::json::Invoice,
    shapes::{Created, Page, PageQuery},
    site,
};
use crate::{problem::Problem, session::Auth};
use pitlane_app::state::AppState;

/// Profit and cost of an order are for those who read the figures.
pub(crate) fn show_profit(auth: &Auth) -> bool {
    auth.actor.can(Permission::ReportsView)
}

pub struct RepairOrdersApi;

/// Each operation names its tag: invoicing an order belongs to the invoices in the document.
#[OpenApi(prefix_path = "/api/v1")]
impl RepairOrdersApi {
    /// The repair-order board
    ///
    /// Needs `repair_orders.read`. Open orders (not invoiced, closed or cancelled) of one
    /// branch or of every branch the caller works at, the most recently changed first (by
    /// `updated_at`, then id). How many are in each state: `GET /repair-orders/counts`.
    #[oai(
        path = "/repair-orders",
        method = "get",
        operation_id = "list_repair_orders",
        tag = "ApiTags::RepairOrders"
    )]
    async fn board(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        branch_id: Query<Option<Uuid>>,
        /// One state only (e.g. `waiting_for_parts`).
        status: Query<Option<String>>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1–200 (default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<Page<RepairOrderSummary>>, Problem> {
        let page = PageQuery::new(cursor.0, limit.0);
        let status = match status.0.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(raw) => Some(RepairOrderStatus::parse(raw).ok_or_else(|| {
                pitlane_domain::FieldErrors::single("status", "not a repair-order status")
            })?),
        };
        let found = orders::open_page(
            &state.workshop,
            &auth.actor,
            branch_id.0,
            status,
            page.cursor_time()?,
            page.limit,
        )
        .await?;
        let items: Vec<RepairOrderSummary> = found
            .items
            .into_iter()
            .map(RepairOrderSummary::from)
            .collect();
        Ok(Json(Page::of(items, found.next)))
    }

    /// How many orders are open
    ///
    /// Needs `repair_orders.read`. Open orders in all and in each state, of one branch or of
    /// every branch the caller works at.
    #[oai(
        path = "/repair-orders/counts",
        method = "get",
        operation_id = "count_repair_orders",
        tag = "ApiTags::RepairOrders"
    )]
    async fn counts(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        branch_id: Query<Option<Uuid>>,
    ) -> Result<Json<RepairOrderCounts>, Problem> {
        let counts = orders::open_counts(&state.workshop, &auth.actor, branch_id.0).await?;
        Ok(Json(counts.into()))
    }

    /// Open a repair order
    ///
    /// Needs `repair_orders.write`. From an appointment (`appointment_id`), or a walk-in
    /// (`branch_id`, `customer_id`, `vehicle_id`). Numbers are per workshop and gap-free.
    #[oai(
        path = "/repair-orders",
        method = "post",
        operation_id = "open_repair_order",
        tag = "ApiTags::RepairOrders"
    )]
    async fn open(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        req: &Request,
        body: Json<RepairOrderWrite>,
    ) -> Result<Created<RepairOrder>, Problem> {
        let w = body.0;
        let ws = &state.workshop;
        let view = match w.appointment_id {
            Some(appointment_id) => {
                let site = site(&state, req)?;
                orders::open_from_appointment(
                    ws,
                    &auth.actor,
                    appointment_id.into(),
                    w.mileage_in,
                    w.concern,
                    &site,
                )
                .await?
            }
            None => orders::open_walk_in(ws, &auth.actor, &OrderInput::try_from(w)?).await?,
        };
        Ok(Created::new(RepairOrder::new(&view, show_profit(&auth))))
    }

    /// A repair order
    ///
    /// Needs `repair_orders.read`. With its lines, totals, jobs, inspections and timeline.
    #[oai(
        path = "/repair-orders/:order_id",
        method = "get",
        operation_id = "get_repair_order",
        tag = "ApiTags::RepairOrders"
    )]
    async fn get(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        order_id: Path<Uuid>,
    ) -> Result<Json<RepairOrder>, Problem> {
        let view = orders::get(&state.workshop, &auth.actor, order_id.0.into()).await?;
        Ok(Json(RepairOrder::new(&view, show_profit(&auth))))
    }

    /// Move a repair order along its life cycle
    ///
    /// Needs `repair_orders.write`. A change the life cycle does not allow is a 422 naming the
    /// states it may go to. `ready_for_pickup` consumes the approved parts from stock and tells
    /// the customer.
    #[oai(
        path = "/repair-orders/:order_id/status",
        method = "post",
        operation_id = "change_repair_order_status",
        tag = "ApiTags::RepairOrders"
    )]
    async fn status(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        req: &Request,
        order_id: Path<Uuid>,
        body: Json<OrderStatusWrite>,
    ) -> Result<Json<RepairOrder>, Problem> {
        let next = RepairOrderStatus::parse(body.0.status.trim()).ok_or_else(|| {
            pitlane_domain::FieldErrors::single("status", "not a repair-order status")
        })?;
        let site = site(&state, req)?;
        let view = orders::change_status(
            &state.workshop,
            &auth.actor,
            order_id.0.into(),
            next,
            &StatusChange::from(body.0),
            &site,
        )
        .await?;
        Ok(Json(RepairOrder::new(&view, show_profit(&auth))))
    }

    /// Record a comeback
    ///
    /// Needs `repair_orders.write`. Marks the order as a comeback of an earlier order of the
    /// same vehicle (the fault came back after that work), or clears it with null. The
    /// technician report counts comebacks against the mechanics who worked the earlier order.
    #[oai(
        path = "/repair-orders/:order_id/comeback",
        method = "put",
        operation_id = "set_repair_order_comeback",
        tag = "ApiTags::RepairOrders"
    )]
    async fn comeback(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        order_id: Path<Uuid>,
        body: Json<ComebackWrite>,
    ) -> Result<Json<RepairOrder>, Problem> {
        let view = orders::record_comeback(
            &state.workshop,
            &auth.actor,
            order_id.0.into(),
            body.0.comeback_of.map(Into::into),
        )
        .await?;
        Ok(Json(RepairOrder::new(&view, show_profit(&auth))))
    }

    /// The customer's link to the order
    ///
    /// Needs `repair_orders.write` (the link answers the estimate). To pass on by hand; the
    /// estimate message carries it too.
    #[oai(
        path = "/repair-orders/:order_id/customer-link",
        method = "get",
        operation_id = "get_repair_order_customer_link",
        tag = "ApiTags::RepairOrders"
    )]
    async fn customer_link(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        req: &Request,
        order_id: Path<Uuid>,
    ) -> Result<Json<CustomerLink>, Problem> {
        auth.actor.require(Permission::RepairOrdersWrite)?;
        let view = orders::get(&state.workshop, &auth.actor, order_id.0.into()).await?;
        let site = site(&state, req)?;
        Ok(Json(CustomerLink {
            url: orders::customer_link(&state.workshop, &site, &view.order),
        }))
    }

    /// The order's lines
    ///
    /// Needs `repair_orders.read`. By position on the order.
    #[oai(
        path = "/repair-orders/:order_id/lines",
        method = "get",
        operation_id = "list_repair_order_lines",
        tag = "ApiTags::RepairOrders"
    )]
    async fn lines(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        order_id: Path<Uuid>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1–200 (default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<Page<OrderLine>>, Problem> {
        let view = orders::get(&state.workshop, &auth.actor, order_id.0.into()).await?;
        let items = view.lines.iter().map(OrderLine::from).collect();
        let page = PageQuery::new(cursor.0, limit.0);
        Ok(Json(Page::from_ordered(items, &page, |l| l.id)?))
    }

    /// Add a line
    ///
    /// Needs `repair_orders.write`; the order must be an estimate. Labour becomes a job (for
    /// the mechanic named, or open for the board).
    #[oai(
        path = "/repair-orders/:order_id/lines",
        method = "post",
        operation_id = "add_repair_order_line",
        tag = "ApiTags::RepairOrders"
    )]
    async fn add_line(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        order_id: Path<Uuid>,
        body: Json<LineWrite>,
    ) -> Result<Created<RepairOrder>, Problem> {
        let view = lines::add(
            &state.workshop,
            &auth.actor,
            order_id.0.into(),
            &body.0.into(),
        )
        .await?;
        Ok(Created::new(RepairOrder::new(&view, show_profit(&auth))))
    }

    /// Change a line
    ///
    /// Needs `repair_orders.write`; the order must be an estimate. The line needs the
    /// customer's answer again.
    #[oai(
        path = "/repair-orders/:order_id/lines/:line_id",
        method = "put",
        operation_id = "update_repair_order_line",
        tag = "ApiTags::RepairOrders"
    )]
    async fn update_line(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        order_id: Path<Uuid>,
        line_id: Path<Uuid>,
        body: Json<LineWrite>,
    ) -> Result<Json<RepairOrder>, Problem> {
        let view = lines::update(
            &state.workshop,
            &auth.actor,
            order_id.0.into(),
            line_id.0,
            &body.0.into(),
        )
        .await?;
        Ok(Json(RepairOrder::new(&view, show_profit(&auth))))
    }

    /// Remove a line
    ///
    /// Needs `repair_orders.write`; the order must be an estimate.
    #[oai(
        path = "/repair-orders/:order_id/lines/:line_id",
        method = "delete",
        operation_id = "remove_repair_order_line",
        tag = "ApiTags::RepairOrders"
    )]
    async fn remove_line(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        order_id: Path<Uuid>,
        line_id: Path<Uuid>,
    ) -> Result<Json<RepairOrder>, Problem> {
        let view =
            lines::remove(&state.workshop, &auth.actor, order_id.0.into(), line_id.0).await?;
        Ok(Json(RepairOrder::new(&view, show_profit(&auth))))
    }

    /// Add a canned job's lines
    ///
    /// Needs `repair_orders.write`; the order must be an estimate. At today's prices.
    #[oai(
        path = "/repair-orders/:order_id/canned-jobs",
        method = "post",
        operation_id = "add_canned_job_to_repair_order",
        tag = "ApiTags::RepairOrders"
    )]
    async fn add_canned(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        order_id: Path<Uuid>,
        body: Json<CannedJobAdd>,
    ) -> Result<Json<RepairOrder>, Problem> {
        let view = lines::add_canned(
            &state.workshop,
            &auth.actor,
            order_id.0.into(),
            body.0.canned_job_id,
        )
        .await?;
        Ok(Json(RepairOrder::new(&view, show_profit(&auth))))
    }

    /// Send the estimate for approval
    ///
    /// Needs `repair_orders.write`. The customer gets a link (SMS with consent, else e-mail)
    /// where they approve or decline each pending line.
    #[oai(
        path = "/repair-orders/:order_id/estimate/send",
        method = "post",
        operation_id = "send_estimate",
        tag = "ApiTags::RepairOrders"
    )]
    async fn send_estimate(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        req: &Request,
        order_id: Path<Uuid>,
    ) -> Result<Json<RepairOrder>, Problem> {
        let site = site(&state, req)?;
        let view = approval::send(&state.workshop, &auth.actor, order_id.0.into(), &site).await?;
        Ok(Json(RepairOrder::new(&view, show_profit(&auth))))
    }

    /// Record the customer's answer
    ///
    /// Needs `repair_orders.write`. Taken by phone or in person; every pending line must be
    /// answered. Approved parts are reserved (409 when stock is short).
    #[oai(
        path = "/repair-orders/:order_id/estimate/answer",
        method = "post",
        operation_id = "record_estimate_answer",
        tag = "ApiTags::RepairOrders"
    )]
    async fn answer(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        req: &Request,
        order_id: Path<Uuid>,
        body: Json<AnswerWrite>,
    ) -> Result<Json<RepairOrder>, Problem> {
        let site = site(&state, req)?;
        let answer = EstimateAnswer::try_from(body.0)?;
        let view = approval::record_answer(
            &state.workshop,
            &auth.actor,
            order_id.0.into(),
            &answer.decisions,
            answer.method,
            answer.note.as_deref(),
            &site,
        )
        .await?;
        Ok(Json(RepairOrder::new(&view, show_profit(&auth))))
    }

    /// Start an inspection on the order
    ///
    /// Needs `repair_orders.write` or `jobs.work`.
    #[oai(
        path = "/repair-orders/:order_id/inspections",
        method = "post",
        operation_id = "start_inspection",
        tag = "ApiTags::RepairOrders"
    )]
    async fn start_inspection(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        order_id: Path<Uuid>,
        body: Json<InspectionStart>,
    ) -> Result<Created<Inspection>, Problem> {
        let v = inspections::start(
            &state.workshop,
            &auth.actor,
            order_id.0.into(),
            body.0.template_id,
        )
        .await?;
        Ok(Created::new(&v))
    }

    /// Invoice a repair order
    ///
    /// Needs `invoices.write`. A draft with the order's lines (those not declined), shop
    /// supplies and tax. One live invoice per order: a second is a 409.
    #[oai(
        path = "/repair-orders/:order_id/invoice",
        method = "post",
        operation_id = "invoice_repair_order",
        tag = "ApiTags::Invoices"
    )]
    async fn invoice(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        order_id: Path<Uuid>,
    ) -> Result<Created<Invoice>, Problem> {
        let view = pitlane_billing::invoices::draft_from_order(
            &state.billing,
            &auth.actor,
            order_id.0.into(),
        )
        .await?;
        Ok(Created::new(&view))
    }
}
