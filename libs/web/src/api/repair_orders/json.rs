//! The repair orders' request and response types: the board, an order with its lines, totals,
//! jobs and timeline, and what opening, moving, pricing and answering an order take.

use chrono::{DateTime, Utc};
use pitlane_domain::{
    FieldErrors,
    pricing::Totals,
    quantity::format_quantity,
    repair_order::{LineDecision, RepairOrderStatus, display_number},
};
use pitlane_store::entity::{job, repair_order_event, repair_order_line};
use pitlane_workshop::{
    approval::Method,
    lines::{self, LineInput},
    orders::{self, BoardCard, OrderInput, OrderView, StatusChange},
};
use poem_openapi::{Object, types::Example};
use uuid::Uuid;

/// A card of the board.
#[derive(Object)]
pub struct RepairOrderSummary {
    pub id: Uuid,
    /// `RO-1042`.
    pub number: String,
    pub status: String,
    pub status_label: String,
    pub branch_id: Uuid,
    pub customer_id: Uuid,
    pub customer_name: String,
    pub vehicle_id: Uuid,
    pub vehicle: String,
    /// The estimate's total (everything not declined), tax included.
    pub total_minor: i64,
    /// The currency of `total_minor` (the workshop's).
    pub currency: String,
    pub jobs: u32,
    pub jobs_finished: u32,
    #[oai(nullable)]
    pub promised_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

impl From<BoardCard> for RepairOrderSummary {
    fn from(c: BoardCard) -> Self {
        Self {
            id: c.card.id,
            number: display_number(c.card.number),
            status_label: RepairOrderStatus::parse(&c.card.status)
                .map(|s| s.label().to_owned())
                .unwrap_or_default(),
            status: c.card.status,
            branch_id: c.card.branch_id,
            customer_id: c.card.customer_id,
            customer_name: c.card.customer_name,
            vehicle_id: c.card.vehicle_id,
            vehicle: c.card.vehicle_label,
            total_minor: c.total.minor,
            currency: c.total.currency.to_string(),
            jobs: c.jobs as u32,
            jobs_finished: c.jobs_done as u32,
            promised_at: c.card.promised_at,
            updated_at: c.card.updated_at,
        }
    }
}

#[derive(Object)]
pub struct StatusCount {
    pub status: String,
    pub count: u64,
}

impl From<&(RepairOrderStatus, u64)> for StatusCount {
    fn from((status, count): &(RepairOrderStatus, u64)) -> Self {
        Self {
            status: status.key().to_owned(),
            count: *count,
        }
    }
}

/// How many open orders there are, in all and in each state.
#[derive(Object)]
pub struct RepairOrderCounts {
    /// Open orders in all (of the branch, when one is named).
    pub open: u64,
    /// Open orders in each state that has any, in the life cycle's order.
    pub counts: Vec<StatusCount>,
}

impl From<Vec<(RepairOrderStatus, u64)>> for RepairOrderCounts {
    fn from(counts: Vec<(RepairOrderStatus, u64)>) -> Self {
        Self {
            open: counts.iter().map(|(_, n)| n).sum(),
            counts: counts.iter().map(StatusCount::from).collect(),
        }
    }
}

/// Money of an order, in minor units of the workshop's currency.
#[derive(Object)]
pub struct OrderTotals {
    pub labour_minor: i64,
    pub parts_minor: i64,
    pub fees_minor: i64,
    pub shop_supplies_minor: i64,
    /// What discounts take off (positive).
    pub discounts_minor: i64,
    pub subtotal_minor: i64,
    /// Estimated tax at the branch's rate.
    pub tax_minor: i64,
    pub total_minor: i64,
    /// Subtotal less cost; only for callers with `reports.view`.
    #[oai(nullable)]
    pub gross_profit_minor: Option<i64>,
    #[oai(nullable)]
    pub cost_minor: Option<i64>,
}

impl OrderTotals {
    /// The totals; profit and cost only when the reader may see them.
    pub fn new(t: &Totals, show_profit: bool) -> Self {
        Self {
            labour_minor: t.labour,
            parts_minor: t.parts,
            fees_minor: t.fees,
            shop_supplies_minor: t.shop_supplies,
            discounts_minor: t.discounts,
            subtotal_minor: t.subtotal,
            tax_minor: t.tax,
            total_minor: t.total,
            gross_profit_minor: show_profit.then_some(t.gross_profit),
            cost_minor: show_profit.then_some(t.cost),
        }
    }
}

#[derive(Object)]
pub struct OrderLine {
    pub id: Uuid,
    pub position: i32,
    /// `labour`, `labour_flat`, `part`, `fee` or `discount`.
    pub kind: String,
    pub description: String,
    /// Hours for labour, units for parts (`1.5`).
    pub quantity: String,
    /// The hourly rate, flat price, unit price, fee or discount.
    pub unit_price_minor: i64,
    /// What the line comes to (negative for a discount).
    pub amount_minor: i64,
    pub taxable: bool,
    #[oai(nullable)]
    pub part_id: Option<Uuid>,
    #[oai(nullable)]
    pub job_id: Option<Uuid>,
    /// `pending`, `approved` or `declined`.
    pub decision: String,
    #[oai(nullable)]
    pub decided_at: Option<DateTime<Utc>>,
    /// `manual`, `canned` or `inspection`.
    pub source: String,
}

impl From<&repair_order_line::Model> for OrderLine {
    fn from(l: &repair_order_line::Model) -> Self {
        Self {
            id: l.id,
            position: l.position,
            kind: l.kind.clone(),
            description: l.description.clone(),
            quantity: format_quantity(l.quantity_milli),
            unit_price_minor: l.unit_price_minor,
            amount_minor: lines::priced(l).amount(),
            taxable: l.taxable,
            part_id: l.part_id,
            job_id: l.job_id,
            decision: l.decision.clone(),
            decided_at: l.decided_at,
            source: l.source.clone(),
        }
    }
}

#[derive(Object)]
pub struct TimelineEntry {
    pub id: Uuid,
    pub kind: String,
    #[oai(nullable)]
    pub status: Option<String>,
    #[oai(nullable)]
    pub detail: Option<String>,
    #[oai(nullable)]
    pub by: Option<String>,
    /// Shown on the customer's page.
    pub visible_to_customer: bool,
    pub at: DateTime<Utc>,
}

impl From<&repair_order_event::Model> for TimelineEntry {
    fn from(e: &repair_order_event::Model) -> Self {
        Self {
            id: e.id,
            kind: e.kind.clone(),
            status: e.status.clone(),
            detail: e.detail.clone(),
            by: e.by_name.clone(),
            visible_to_customer: e.visible_to_customer,
            at: e.created_at,
        }
    }
}

#[derive(Object)]
pub struct OrderJob {
    pub id: Uuid,
    pub title: String,
    #[oai(nullable)]
    pub skill: Option<String>,
    /// The membership of the mechanic.
    #[oai(nullable)]
    pub mechanic_id: Option<Uuid>,
    /// `open`, `assigned`, `in_progress`, `paused` or `finished`.
    pub status: String,
    pub on_board: bool,
}

impl From<&job::Model> for OrderJob {
    fn from(j: &job::Model) -> Self {
        Self {
            id: j.id,
            title: j.title.clone(),
            skill: j.skill.clone(),
            mechanic_id: j.mechanic_id,
            status: j.status.clone(),
            on_board: j.on_board,
        }
    }
}

#[derive(Object)]
pub struct Approval {
    /// `online`, `phone` or `in_person`.
    pub method: String,
    pub at: DateTime<Utc>,
    pub by: String,
}

#[derive(Object)]
pub struct RepairOrder {
    pub id: Uuid,
    pub number: String,
    pub status: String,
    pub status_label: String,
    /// The states it may be moved to with `POST …/status`.
    pub next_statuses: Vec<String>,
    pub branch_id: Uuid,
    pub customer_id: Uuid,
    pub customer_name: String,
    pub vehicle_id: Uuid,
    pub vehicle: String,
    #[oai(nullable)]
    pub appointment_id: Option<Uuid>,
    #[oai(nullable)]
    pub mileage_in: Option<i64>,
    #[oai(nullable)]
    pub mileage_out: Option<i64>,
    #[oai(nullable)]
    pub concern: Option<String>,
    #[oai(nullable)]
    pub promised_at: Option<DateTime<Utc>>,
    pub follow_updates: bool,
    /// The earlier order of the same vehicle this one comes back for (the fault returned).
    #[oai(nullable)]
    pub comeback_of: Option<Uuid>,
    #[oai(nullable)]
    pub approval: Option<Approval>,
    pub currency: String,
    pub lines: Vec<OrderLine>,
    /// Everything not declined.
    pub totals: OrderTotals,
    /// What the customer approved.
    pub approved_totals: OrderTotals,
    pub jobs: Vec<OrderJob>,
    pub inspection_ids: Vec<Uuid>,
    pub timeline: Vec<TimelineEntry>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl RepairOrder {
    /// The order as the reader sees it: profit and cost only with `show_profit`.
    pub fn new(v: &OrderView, show_profit: bool) -> Self {
        let o = &v.order;
        Self {
            id: o.id,
            number: display_number(o.number),
            status: o.status.clone(),
            status_label: v.status().label().to_owned(),
            next_statuses: orders::next_states(v)
                .into_iter()
                .map(|s| s.key().to_owned())
                .collect(),
            branch_id: o.branch_id,
            customer_id: o.customer_id,
            customer_name: v.customer.name.clone(),
            vehicle_id: o.vehicle_id,
            vehicle: pitlane_frontdesk::vehicles::describe(&v.vehicle),
            appointment_id: o.appointment_id,
            mileage_in: o.mileage_in,
            mileage_out: o.mileage_out,
            concern: o.concern.clone(),
            promised_at: o.promised_at,
            follow_updates: o.follow_updates,
            comeback_of: o.comeback_of,
            approval: match (&o.approval_method, o.approved_at, &o.approved_by) {
                (Some(method), Some(at), Some(by)) => Some(Approval {
                    method: method.clone(),
                    at,
                    by: by.clone(),
                }),
                _ => None,
            },
            currency: v.currency.to_string(),
            lines: v.lines.iter().map(OrderLine::from).collect(),
            totals: OrderTotals::new(&v.totals, show_profit),
            approved_totals: OrderTotals::new(&v.approved, show_profit),
            jobs: v.jobs.iter().map(OrderJob::from).collect(),
            inspection_ids: v.inspections.iter().map(|i| i.id).collect(),
            timeline: v.events.iter().map(TimelineEntry::from).collect(),
            created_at: o.created_at,
            updated_at: o.updated_at,
        }
    }
}

#[derive(Object)]
#[oai(example)]
pub struct RepairOrderWrite {
    /// Open the order for this booked visit (its branch, customer and vehicle); the
    /// appointment is checked in if it was not.
    pub appointment_id: Option<Uuid>,
    /// For a walk-in: where, whose and which vehicle.
    pub branch_id: Option<Uuid>,
    pub customer_id: Option<Uuid>,
    pub vehicle_id: Option<Uuid>,
    /// The odometer on arrival.
    pub mileage_in: Option<i64>,
    /// Needed when the reading is lower than the last one.
    pub correction_reason: Option<String>,
    /// What the customer says is wrong.
    pub concern: Option<String>,
    pub promised_at: Option<DateTime<Utc>>,
    /// Message the customer at every status change (they always hear when it is ready).
    pub follow_updates: Option<bool>,
}

impl Example for RepairOrderWrite {
    fn example() -> Self {
        Self {
            appointment_id: None,
            branch_id: Some(Uuid::nil()),
            customer_id: Some(Uuid::nil()),
            vehicle_id: Some(Uuid::nil()),
            mileage_in: Some(84_250),
            correction_reason: None,
            concern: Some("Squeal from the front brakes when stopping".into()),
            promised_at: None,
            follow_updates: Some(true),
        }
    }
}

/// A walk-in: the branch, customer and vehicle are required.
impl TryFrom<RepairOrderWrite> for OrderInput {
    type Error = FieldErrors;

    fn try_from(w: RepairOrderWrite) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        for (field, value) in [
            ("branch_id", w.branch_id),
            ("customer_id", w.customer_id),
            ("vehicle_id", w.vehicle_id),
        ] {
            if value.is_none() {
                errors.add(field, "required for a walk-in (or give appointment_id)");
            }
        }
        errors.into_result()?;
        Ok(OrderInput {
            branch_id: w.branch_id.unwrap_or_default(),
            customer_id: w.customer_id.unwrap_or_default().into(),
            vehicle_id: w.vehicle_id.unwrap_or_default().into(),
            mileage_in: w.mileage_in,
            correction_reason: w.correction_reason,
            concern: w.concern,
            promised_at: w.promised_at,
            follow_updates: w.follow_updates.unwrap_or(false),
        })
    }
}

/// Whether an order is a comeback, and of which earlier order.
#[derive(Object)]
#[oai(example)]
pub struct ComebackWrite {
    /// An earlier order of the same vehicle; null: not a comeback.
    #[oai(nullable)]
    pub comeback_of: Option<Uuid>,
}

impl Example for ComebackWrite {
    fn example() -> Self {
        Self {
            comeback_of: Some(Uuid::nil()),
        }
    }
}

#[derive(Object)]
#[oai(example)]
pub struct OrderStatusWrite {
    /// The state to move to; see the order's `next_statuses`.
    pub status: String,
    /// The odometer when the work is done (with `ready_for_pickup`).
    pub mileage_out: Option<i64>,
    pub note: Option<String>,
}

impl Example for OrderStatusWrite {
    fn example() -> Self {
        Self {
            status: "in_progress".into(),
            mileage_out: None,
            note: None,
        }
    }
}

impl From<OrderStatusWrite> for StatusChange {
    fn from(w: OrderStatusWrite) -> Self {
        StatusChange {
            mileage_out: w.mileage_out,
            note: w.note,
        }
    }
}

#[derive(Object)]
#[oai(example)]
pub struct LineWrite {
    /// `labour`, `labour_flat`, `part`, `fee` or `discount`.
    pub kind: String,
    /// Optional for a catalogue part (its name is used).
    pub description: Option<String>,
    /// Hours for labour (`1.5`), units for parts (default 1).
    pub quantity: Option<String>,
    /// As typed in the workshop's currency (`89.00`): the hourly rate (default: the branch's),
    /// flat price, unit price (default: the part's selling price), fee or discount.
    pub unit_price: Option<String>,
    pub part_id: Option<Uuid>,
    /// Default: taxable, except parts of the exempt tax class.
    pub taxable: Option<bool>,
    /// Labour: the mechanic (membership) whose job it is.
    pub mechanic_id: Option<Uuid>,
    /// Labour: the skill the job needs, for the job board.
    pub skill: Option<String>,
}

impl Example for LineWrite {
    fn example() -> Self {
        Self {
            kind: "labour".into(),
            description: Some("Replace front brake pads".into()),
            quantity: Some("1.2".into()),
            unit_price: None,
            part_id: None,
            taxable: None,
            mechanic_id: None,
            skill: Some("brakes".into()),
        }
    }
}

impl From<LineWrite> for LineInput {
    fn from(w: LineWrite) -> Self {
        LineInput {
            kind: w.kind,
            description: w.description,
            quantity: w.quantity,
            unit_price: w.unit_price,
            part_id: w.part_id.map(Into::into),
            taxable: w.taxable,
            mechanic_id: w.mechanic_id,
            skill: w.skill,
        }
    }
}

#[derive(Object)]
#[oai(example)]
pub struct CannedJobAdd {
    pub canned_job_id: Uuid,
}

impl Example for CannedJobAdd {
    fn example() -> Self {
        Self {
            canned_job_id: Uuid::nil(),
        }
    }
}

#[derive(Object)]
pub struct LineAnswer {
    pub line_id: Uuid,
    /// `approved` or `declined`.
    pub decision: String,
}

#[derive(Object)]
#[oai(example)]
pub struct AnswerWrite {
    /// `phone` or `in_person` (online answers come from the customer's page).
    pub method: String,
    /// Who answered, if not the customer ("his wife Ann").
    pub note: Option<String>,
    /// Every line still pending must be answered.
    pub decisions: Vec<LineAnswer>,
}

impl Example for AnswerWrite {
    fn example() -> Self {
        Self {
            method: "phone".into(),
            note: None,
            decisions: vec![LineAnswer {
                line_id: Uuid::nil(),
                decision: "approved".into(),
            }],
        }
    }
}

/// The customer's answer to an estimate, read: how it came, who gave it, each line's decision.
pub struct EstimateAnswer {
    pub method: Method,
    pub note: Option<String>,
    pub decisions: Vec<(Uuid, LineDecision)>,
}

/// An unknown method or decision is a field error.
impl TryFrom<AnswerWrite> for EstimateAnswer {
    type Error = FieldErrors;

    fn try_from(w: AnswerWrite) -> Result<Self, FieldErrors> {
        let method = Method::parse(w.method.trim())
            .ok_or_else(|| FieldErrors::single("method", "must be phone or in_person"))?;
        let mut errors = FieldErrors::new();
        let mut decisions = Vec::new();
        for (i, answer) in w.decisions.into_iter().enumerate() {
            match LineDecision::parse(answer.decision.trim()) {
                Some(d) if d != LineDecision::Pending => decisions.push((answer.line_id, d)),
                _ => errors.add(
                    &format!("decisions[{i}].decision"),
                    "must be approved or declined",
                ),
            }
        }
        errors.into_result()?;
        Ok(Self {
            method,
            note: w.note,
            decisions,
        })
    }
}

#[derive(Object)]
pub struct CustomerLink {
    /// The customer's page for this order: status, estimate, inspection (valid 180 days).
    pub url: String,
}

#[derive(Object)]
#[oai(example)]
pub struct InspectionStart {
    /// Empty: the built-in multi-point check.
    pub template_id: Option<Uuid>,
}

impl Example for InspectionStart {
    fn example() -> Self {
        Self { template_id: None }
    }
}
