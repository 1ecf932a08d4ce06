//! Repair orders: the board, walk-ins and orders from appointments, the life cycle, lines with
//! totals, canned jobs, sending the estimate and recording the customer's answer, declined
//! services, and the digital inspections with their photos.

use chrono::{DateTime, Utc};
use pitlane_domain::{
    permissions::Permission,
    pricing::Totals,
    quantity::format_quantity,
    repair_order::{LineDecision, RepairOrderStatus, display_number},
};
use pitlane_store::entity::{
    canned_job_line, inspection, inspection_item, inspection_photo, repair_order_event,
    repair_order_line,
};
use pitlane_workshop::{
    approval::{self, Method},
    canned::{self, CannedJobInput, CannedLineInput},
    inspections,
    lines::{self, LineInput},
    orders::{self, OrderInput, OrderView, StatusChange},
};
use poem::{Request, web::Data};
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Path, Query},
    payload::{Binary, Json},
    types::Example,
};
use uuid::Uuid;

use super::{ApiTags, Caller, page_limit, site};
use crate::{problem::Problem, state::AppState};

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
    pub jobs: u32,
    pub jobs_finished: u32,
    pub promised_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Object)]
pub struct StatusCount {
    pub status: String,
    pub count: u64,
}

#[derive(Object)]
pub struct RepairOrderBoard {
    /// The most recently changed open orders first.
    pub items: Vec<RepairOrderSummary>,
    pub currency: String,
    /// Open orders in all (of the branch, when one is named).
    pub open: u64,
    /// Open orders in each state.
    pub counts: Vec<StatusCount>,
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
    pub gross_profit_minor: Option<i64>,
    pub cost_minor: Option<i64>,
}

fn totals_api(t: &Totals, show_profit: bool) -> OrderTotals {
    OrderTotals {
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
    pub part_id: Option<Uuid>,
    pub job_id: Option<Uuid>,
    /// `pending`, `approved` or `declined`.
    pub decision: String,
    pub decided_at: Option<DateTime<Utc>>,
    /// `manual`, `canned` or `inspection`.
    pub source: String,
}

fn line_api(l: &repair_order_line::Model) -> OrderLine {
    OrderLine {
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

#[derive(Object)]
pub struct LineList {
    pub items: Vec<OrderLine>,
}

#[derive(Object)]
pub struct TimelineEntry {
    pub id: Uuid,
    pub kind: String,
    pub status: Option<String>,
    pub detail: Option<String>,
    pub by: Option<String>,
    /// Shown on the customer's page.
    pub visible_to_customer: bool,
    pub at: DateTime<Utc>,
}

fn event_api(e: &repair_order_event::Model) -> TimelineEntry {
    TimelineEntry {
        id: e.id,
        kind: e.kind.clone(),
        status: e.status.clone(),
        detail: e.detail.clone(),
        by: e.by_name.clone(),
        visible_to_customer: e.visible_to_customer,
        at: e.created_at,
    }
}

#[derive(Object)]
pub struct OrderJob {
    pub id: Uuid,
    pub title: String,
    pub skill: Option<String>,
    /// The membership of the mechanic.
    pub mechanic_id: Option<Uuid>,
    /// `open`, `assigned`, `in_progress`, `paused` or `finished`.
    pub status: String,
    pub on_board: bool,
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
    pub appointment_id: Option<Uuid>,
    pub mileage_in: Option<i64>,
    pub mileage_out: Option<i64>,
    pub concern: Option<String>,
    pub promised_at: Option<DateTime<Utc>>,
    pub follow_updates: bool,
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

pub(crate) fn order_api(v: &OrderView, show_profit: bool) -> RepairOrder {
    let o = &v.order;
    RepairOrder {
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
        approval: match (&o.approval_method, o.approved_at, &o.approved_by) {
            (Some(method), Some(at), Some(by)) => Some(Approval {
                method: method.clone(),
                at,
                by: by.clone(),
            }),
            _ => None,
        },
        currency: v.currency.clone(),
        lines: v.lines.iter().map(line_api).collect(),
        totals: totals_api(&v.totals, show_profit),
        approved_totals: totals_api(&v.approved, show_profit),
        jobs: v
            .jobs
            .iter()
            .map(|j| OrderJob {
                id: j.id,
                title: j.title.clone(),
                skill: j.skill.clone(),
                mechanic_id: j.mechanic_id,
                status: j.status.clone(),
                on_board: j.on_board,
            })
            .collect(),
        inspection_ids: v.inspections.iter().map(|i| i.id).collect(),
        timeline: v.events.iter().map(event_api).collect(),
        created_at: o.created_at,
        updated_at: o.updated_at,
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

fn line_input(w: LineWrite) -> LineInput {
    LineInput {
        kind: w.kind,
        description: w.description,
        quantity: w.quantity,
        unit_price: w.unit_price,
        part_id: w.part_id,
        taxable: w.taxable,
        mechanic_id: w.mechanic_id,
        skill: w.skill,
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

/// Reads answers as sent; an unknown decision is a field error.
pub(crate) fn answers(
    decisions: &[(Uuid, String)],
) -> Result<Vec<(Uuid, LineDecision)>, pitlane_domain::FieldErrors> {
    let mut errors = pitlane_domain::FieldErrors::new();
    let mut out = Vec::new();
    for (i, (line_id, decision)) in decisions.iter().enumerate() {
        match LineDecision::parse(decision.trim()) {
            Some(d) if d != LineDecision::Pending => out.push((*line_id, d)),
            _ => errors.add(
                &format!("decisions[{i}].decision"),
                "must be approved or declined",
            ),
        }
    }
    errors.into_result()?;
    Ok(out)
}

#[derive(Object)]
pub struct CustomerLink {
    /// The customer's page for this order: status, estimate, inspection (valid 180 days).
    pub url: String,
}

#[derive(Object)]
pub struct DeclinedService {
    /// The declined line.
    pub id: Uuid,
    pub repair_order_id: Uuid,
    pub number: String,
    pub vehicle_id: Uuid,
    pub customer_id: Uuid,
    pub description: String,
    pub amount_minor: i64,
    pub declined_at: Option<DateTime<Utc>>,
}

#[derive(Object)]
pub struct DeclinedServiceList {
    pub items: Vec<DeclinedService>,
}

#[derive(Object)]
pub struct CannedLine {
    pub kind: String,
    pub description: String,
    pub quantity: String,
    pub unit_price_minor: Option<i64>,
    pub part_id: Option<Uuid>,
    pub taxable: bool,
}

fn canned_line_api(l: &canned_job_line::Model) -> CannedLine {
    CannedLine {
        kind: l.kind.clone(),
        description: l.description.clone(),
        quantity: format_quantity(l.quantity_milli),
        unit_price_minor: l.unit_price_minor,
        part_id: l.part_id,
        taxable: l.taxable,
    }
}

#[derive(Object)]
pub struct CannedJob {
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub skill: Option<String>,
    pub lines: Vec<CannedLine>,
}

fn canned_api(v: canned::CannedJobView) -> CannedJob {
    CannedJob {
        id: v.job.id,
        name: v.job.name,
        description: v.job.description,
        skill: v.job.skill,
        lines: v.lines.iter().map(canned_line_api).collect(),
    }
}

#[derive(Object)]
pub struct CannedJobList {
    pub items: Vec<CannedJob>,
}

#[derive(Object)]
pub struct CannedLineWrite {
    pub kind: String,
    pub description: String,
    pub quantity: Option<String>,
    /// Empty: the branch's labour rate or the part's price when added.
    pub unit_price: Option<String>,
    pub part_id: Option<Uuid>,
    pub taxable: Option<bool>,
}

#[derive(Object)]
#[oai(example)]
pub struct CannedJobWrite {
    pub name: String,
    pub description: Option<String>,
    pub skill: Option<String>,
    pub lines: Vec<CannedLineWrite>,
}

impl Example for CannedJobWrite {
    fn example() -> Self {
        Self {
            name: "Oil service".into(),
            description: Some("Engine oil and filter".into()),
            skill: None,
            lines: vec![CannedLineWrite {
                kind: "labour".into(),
                description: "Change engine oil and filter".into(),
                quantity: Some("0.8".into()),
                unit_price: None,
                part_id: None,
                taxable: None,
            }],
        }
    }
}

fn canned_input(w: CannedJobWrite) -> CannedJobInput {
    CannedJobInput {
        name: w.name,
        description: w.description,
        skill: w.skill,
        lines: w
            .lines
            .into_iter()
            .map(|l| CannedLineInput {
                kind: l.kind,
                description: l.description,
                quantity: l.quantity,
                unit_price: l.unit_price,
                part_id: l.part_id,
                taxable: l.taxable,
            })
            .collect(),
    }
}

#[derive(Object)]
pub struct InspectionPhoto {
    pub id: Uuid,
    pub content_type: String,
    pub bytes: i64,
    pub created_at: DateTime<Utc>,
}

fn photo_api(p: &inspection_photo::Model) -> InspectionPhoto {
    InspectionPhoto {
        id: p.id,
        content_type: p.content_type.clone(),
        bytes: p.bytes,
        created_at: p.created_at,
    }
}

#[derive(Object)]
pub struct InspectionPoint {
    pub id: Uuid,
    pub position: i32,
    pub section: String,
    pub label: String,
    /// `green`, `yellow`, `red`, or unset until rated.
    pub rating: Option<String>,
    pub note: Option<String>,
    /// The estimate line this finding became.
    pub line_id: Option<Uuid>,
    pub photos: Vec<InspectionPhoto>,
}

fn point_api(item: &inspection_item::Model, photos: &[inspection_photo::Model]) -> InspectionPoint {
    InspectionPoint {
        id: item.id,
        position: item.position,
        section: item.section.clone(),
        label: item.label.clone(),
        rating: item.rating.clone(),
        note: item.note.clone(),
        line_id: item.line_id,
        photos: photos.iter().map(photo_api).collect(),
    }
}

#[derive(Object)]
pub struct Inspection {
    pub id: Uuid,
    pub repair_order_id: Uuid,
    pub name: String,
    /// `open` or `completed`.
    pub status: String,
    pub inspector: Option<String>,
    pub created_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    pub items: Vec<InspectionPoint>,
}

fn inspection_api(v: &inspections::InspectionView) -> Inspection {
    Inspection {
        id: v.inspection.id,
        repair_order_id: v.inspection.repair_order_id,
        name: v.inspection.name.clone(),
        status: v.inspection.status.clone(),
        inspector: v.inspection.inspector_name.clone(),
        created_at: v.inspection.created_at,
        completed_at: v.inspection.completed_at,
        items: v.items.iter().map(|(i, p)| point_api(i, p)).collect(),
    }
}

#[derive(Object)]
pub struct InspectionSummary {
    pub id: Uuid,
    pub repair_order_id: Uuid,
    pub name: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
}

fn inspection_summary(i: &inspection::Model) -> InspectionSummary {
    InspectionSummary {
        id: i.id,
        repair_order_id: i.repair_order_id,
        name: i.name.clone(),
        status: i.status.clone(),
        created_at: i.created_at,
    }
}

#[derive(Object)]
pub struct InspectionList {
    pub items: Vec<InspectionSummary>,
}

#[derive(Object)]
pub struct InspectionPointList {
    pub items: Vec<InspectionPoint>,
}

#[derive(Object)]
pub struct InspectionPhotoList {
    pub items: Vec<InspectionPhoto>,
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

#[derive(Object)]
#[oai(example)]
pub struct RatingWrite {
    /// `green`, `yellow` or `red`.
    pub rating: String,
    /// Needed for yellow and red: what the customer reads.
    pub note: Option<String>,
}

impl Example for RatingWrite {
    fn example() -> Self {
        Self {
            rating: "yellow".into(),
            note: Some("Pads at 3 mm; replace within 2,000 km".into()),
        }
    }
}

#[derive(Object)]
pub struct TemplatePoint {
    pub section: String,
    pub label: String,
}

#[derive(Object)]
pub struct InspectionTemplate {
    pub id: Uuid,
    pub name: String,
    pub items: Vec<TemplatePoint>,
}

#[derive(Object)]
pub struct InspectionTemplateList {
    pub items: Vec<InspectionTemplate>,
}

#[derive(Object)]
#[oai(example)]
pub struct InspectionTemplateWrite {
    pub name: String,
    pub items: Vec<TemplatePoint>,
}

impl Example for InspectionTemplateWrite {
    fn example() -> Self {
        Self {
            name: "Pre-MOT check".into(),
            items: vec![TemplatePoint {
                section: "Brakes".into(),
                label: "Front pads and discs".into(),
            }],
        }
    }
}

fn template_api(v: inspections::TemplateView) -> InspectionTemplate {
    InspectionTemplate {
        id: v.template.id,
        name: v.template.name,
        items: v
            .items
            .into_iter()
            .map(|i| TemplatePoint {
                section: i.section,
                label: i.label,
            })
            .collect(),
    }
}

#[derive(ApiResponse)]
pub enum OrderCreated {
    /// The order was opened (or the line added).
    #[oai(status = 201)]
    Created(Json<RepairOrder>),
}

#[derive(ApiResponse)]
pub enum InspectionCreated {
    /// The inspection was started.
    #[oai(status = 201)]
    Created(Json<Inspection>),
}

#[derive(ApiResponse)]
pub enum PhotoCreated {
    /// The photo was kept.
    #[oai(status = 201)]
    Created(Json<InspectionPhoto>),
}

#[derive(ApiResponse)]
pub enum PhotoFile {
    /// The photo, as uploaded.
    #[oai(status = 200)]
    Ok(
        Binary<Vec<u8>>,
        #[oai(header = "content-type")] String,
        #[oai(header = "x-content-type-options")] String,
        #[oai(header = "content-security-policy")] String,
    ),
}

/// Even a file that slipped past the upload checks can run nothing when opened directly.
const PHOTO_POLICY: &str = "sandbox; default-src 'none'";

pub(crate) fn photo_response(photo: pitlane_workshop::StoredPhoto) -> PhotoFile {
    PhotoFile::Ok(
        Binary(photo.bytes),
        photo.content_type,
        "nosniff".into(),
        PHOTO_POLICY.into(),
    )
}

/// A photo for a page (the customer's report), with the same protective headers.
pub(crate) fn photo_file(photo: pitlane_workshop::StoredPhoto) -> poem::Response {
    poem::Response::builder()
        .content_type(photo.content_type)
        .header("x-content-type-options", "nosniff")
        .header("content-security-policy", PHOTO_POLICY)
        .header("cache-control", "private, max-age=3600")
        .body(photo.bytes)
}

#[derive(ApiResponse)]
pub enum Done {
    /// Done.
    #[oai(status = 204)]
    Done,
}

#[derive(ApiResponse)]
pub enum CannedCreated {
    #[oai(status = 201)]
    Created(Json<CannedJob>),
}

#[derive(ApiResponse)]
pub enum TemplateCreated {
    #[oai(status = 201)]
    Created(Json<InspectionTemplate>),
}

#[derive(Object)]
pub struct MatrixTier {
    /// The tier covers parts costing up to this (minor units); unset for the last tier.
    pub up_to_minor: Option<i64>,
    pub markup: String,
}

#[derive(Object)]
pub struct BranchRates {
    /// The branch.
    pub id: Uuid,
    pub name: String,
    pub labour_rate_minor: i64,
    /// Only for callers with `settings.manage` or `reports.view`.
    pub labour_cost_minor: Option<i64>,
    pub tax: String,
}

#[derive(Object)]
pub struct WorkshopSettings {
    pub currency: String,
    /// Over cost, for parts without a price of their own (when there is no matrix).
    pub parts_markup: String,
    pub price_matrix: Vec<MatrixTier>,
    /// A share of labour; `0%` turns shop supplies off.
    pub shop_supplies: String,
    /// 0: no cap.
    pub shop_supplies_cap_minor: i64,
    pub allow_negative_stock: bool,
    /// `weekly`, `fortnightly` or `monthly`.
    pub pay_period: String,
    pub branches: Vec<BranchRates>,
}

fn settings_api(
    s: pitlane_workshop::settings::WorkshopSettings,
    sees_cost: bool,
) -> WorkshopSettings {
    use pitlane_domain::quantity::format_percent;
    WorkshopSettings {
        currency: s.currency,
        parts_markup: format_percent(s.parts_markup_bp),
        price_matrix: s
            .price_matrix
            .into_iter()
            .map(|t| MatrixTier {
                up_to_minor: t.up_to_minor,
                markup: format_percent(t.markup_bp),
            })
            .collect(),
        shop_supplies: format_percent(s.shop_supplies_bp),
        shop_supplies_cap_minor: s.shop_supplies_cap_minor,
        allow_negative_stock: s.allow_negative_stock,
        pay_period: s.pay_period,
        branches: s
            .branches
            .into_iter()
            .map(|b| rates_api(b, sees_cost))
            .collect(),
    }
}

fn rates_api(b: pitlane_store::entity::branch::Model, sees_cost: bool) -> BranchRates {
    BranchRates {
        id: b.id,
        name: b.name,
        labour_rate_minor: b.labour_rate_minor,
        labour_cost_minor: sees_cost.then_some(b.labour_cost_minor),
        tax: pitlane_domain::quantity::format_percent(b.tax_rate_bp),
    }
}

#[derive(Object)]
pub struct MatrixTierWrite {
    /// As typed (`10.00`); empty for the last tier.
    pub up_to: Option<String>,
    /// Percent (`80`).
    pub markup_percent: String,
}

#[derive(Object)]
#[oai(example)]
pub struct WorkshopSettingsWrite {
    pub parts_markup_percent: String,
    /// Ascending by cost; the last tier has no `up_to`. Empty: the flat markup.
    pub price_matrix: Option<Vec<MatrixTierWrite>>,
    pub shop_supplies_percent: String,
    pub shop_supplies_cap: Option<String>,
    pub allow_negative_stock: bool,
    pub pay_period: String,
}

impl Example for WorkshopSettingsWrite {
    fn example() -> Self {
        Self {
            parts_markup_percent: "40".into(),
            price_matrix: Some(vec![
                MatrixTierWrite {
                    up_to: Some("10.00".into()),
                    markup_percent: "100".into(),
                },
                MatrixTierWrite {
                    up_to: None,
                    markup_percent: "35".into(),
                },
            ]),
            shop_supplies_percent: "5".into(),
            shop_supplies_cap: Some("25.00".into()),
            allow_negative_stock: false,
            pay_period: "weekly".into(),
        }
    }
}

#[derive(Object)]
#[oai(example)]
pub struct BranchRatesWrite {
    /// Per hour, as typed (`120.00`).
    pub labour_rate: String,
    /// What an hour costs the branch, for gross profit.
    pub labour_cost: String,
    pub tax_percent: String,
}

impl Example for BranchRatesWrite {
    fn example() -> Self {
        Self {
            labour_rate: "120.00".into(),
            labour_cost: "45.00".into(),
            tax_percent: "20".into(),
        }
    }
}

fn sees_settings_cost(auth: &crate::session::Auth) -> bool {
    auth.actor.can(Permission::SettingsManage) || auth.actor.can(Permission::ReportsView)
}

fn show_profit(auth: &crate::session::Auth) -> bool {
    auth.actor.can(Permission::ReportsView)
}

pub struct RepairOrdersApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::RepairOrders")]
impl RepairOrdersApi {
    /// The repair-order board
    ///
    /// Needs `repair_orders.read`. Open orders (not invoiced, closed or cancelled), the most
    /// recently changed first, of one branch or of every branch the caller works at, with the
    /// count in each state.
    #[oai(
        path = "/repair-orders",
        method = "get",
        operation_id = "list_repair_orders"
    )]
    async fn board(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        branch_id: Query<Option<Uuid>>,
        /// One state only (e.g. `waiting_for_parts`).
        status: Query<Option<String>>,
        /// 1–200 (default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<RepairOrderBoard>, Problem> {
        let status = match status.0.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(raw) => Some(RepairOrderStatus::parse(raw).ok_or_else(|| {
                pitlane_domain::FieldErrors::single("status", "not a repair-order status")
            })?),
        };
        let board = orders::board(
            &state.workshop,
            &auth.actor,
            orders::BoardFilter {
                branch_id: branch_id.0,
                status,
                limit: limit.0,
            },
        )
        .await?;
        Ok(Json(RepairOrderBoard {
            open: board.open(),
            counts: board
                .counts
                .iter()
                .map(|(s, n)| StatusCount {
                    status: s.key().to_owned(),
                    count: *n,
                })
                .collect(),
            currency: board.currency,
            items: board
                .cards
                .into_iter()
                .map(|c| RepairOrderSummary {
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
                    total_minor: c.card.total_minor,
                    jobs: c.jobs as u32,
                    jobs_finished: c.jobs_done as u32,
                    promised_at: c.card.promised_at,
                    updated_at: c.card.updated_at,
                })
                .collect(),
        }))
    }

    /// Open a repair order
    ///
    /// Needs `repair_orders.write`. From an appointment (`appointment_id`), or a walk-in
    /// (`branch_id`, `customer_id`, `vehicle_id`). Numbers are per workshop and gap-free.
    #[oai(
        path = "/repair-orders",
        method = "post",
        operation_id = "open_repair_order"
    )]
    async fn open(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        req: &Request,
        body: Json<RepairOrderWrite>,
    ) -> Result<OrderCreated, Problem> {
        let w = body.0;
        let ws = &state.workshop;
        let view = match w.appointment_id {
            Some(appointment_id) => {
                let site = site(&state, req)?;
                orders::open_from_appointment(
                    ws,
                    &auth.actor,
                    appointment_id,
                    w.mileage_in,
                    w.concern,
                    &site,
                )
                .await?
            }
            None => {
                let mut errors = pitlane_domain::FieldErrors::new();
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
                let input = OrderInput {
                    branch_id: w.branch_id.unwrap_or_default(),
                    customer_id: w.customer_id.unwrap_or_default(),
                    vehicle_id: w.vehicle_id.unwrap_or_default(),
                    mileage_in: w.mileage_in,
                    correction_reason: w.correction_reason,
                    concern: w.concern,
                    promised_at: w.promised_at,
                    follow_updates: w.follow_updates.unwrap_or(false),
                };
                orders::open_walk_in(ws, &auth.actor, &input).await?
            }
        };
        Ok(OrderCreated::Created(Json(order_api(
            &view,
            show_profit(&auth),
        ))))
    }

    /// A repair order
    ///
    /// Needs `repair_orders.read`. With its lines, totals, jobs, inspections and timeline.
    #[oai(
        path = "/repair-orders/:order_id",
        method = "get",
        operation_id = "get_repair_order"
    )]
    async fn get(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        order_id: Path<Uuid>,
    ) -> Result<Json<RepairOrder>, Problem> {
        let view = orders::get(&state.workshop, &auth.actor, order_id.0).await?;
        Ok(Json(order_api(&view, show_profit(&auth))))
    }

    /// Move a repair order along its life cycle
    ///
    /// Needs `repair_orders.write`. A change the life cycle does not allow is a 422 naming the
    /// states it may go to. `ready_for_pickup` consumes the approved parts from stock and tells
    /// the customer.
    #[oai(
        path = "/repair-orders/:order_id/status",
        method = "post",
        operation_id = "change_repair_order_status"
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
            order_id.0,
            next,
            &StatusChange {
                mileage_out: body.0.mileage_out,
                note: body.0.note,
            },
            &site,
        )
        .await?;
        Ok(Json(order_api(&view, show_profit(&auth))))
    }

    /// The customer's link to the order
    ///
    /// Needs `repair_orders.write` (the link answers the estimate). To pass on by hand; the
    /// estimate message carries it too.
    #[oai(
        path = "/repair-orders/:order_id/customer-link",
        method = "get",
        operation_id = "get_repair_order_customer_link"
    )]
    async fn customer_link(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        req: &Request,
        order_id: Path<Uuid>,
    ) -> Result<Json<CustomerLink>, Problem> {
        auth.actor
            .require(pitlane_domain::permissions::Permission::RepairOrdersWrite)?;
        let view = orders::get(&state.workshop, &auth.actor, order_id.0).await?;
        let site = site(&state, req)?;
        Ok(Json(CustomerLink {
            url: orders::customer_link(&state.workshop, &site, &view.order),
        }))
    }

    /// The order's lines
    ///
    /// Needs `repair_orders.read`.
    #[oai(
        path = "/repair-orders/:order_id/lines",
        method = "get",
        operation_id = "list_repair_order_lines"
    )]
    async fn lines(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        order_id: Path<Uuid>,
    ) -> Result<Json<LineList>, Problem> {
        let view = orders::get(&state.workshop, &auth.actor, order_id.0).await?;
        Ok(Json(LineList {
            items: view.lines.iter().map(line_api).collect(),
        }))
    }

    /// Add a line
    ///
    /// Needs `repair_orders.write`; the order must be an estimate. Labour becomes a job (for
    /// the mechanic named, or open for the board).
    #[oai(
        path = "/repair-orders/:order_id/lines",
        method = "post",
        operation_id = "add_repair_order_line"
    )]
    async fn add_line(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        order_id: Path<Uuid>,
        body: Json<LineWrite>,
    ) -> Result<OrderCreated, Problem> {
        let view = lines::add(
            &state.workshop,
            &auth.actor,
            order_id.0,
            &line_input(body.0),
        )
        .await?;
        Ok(OrderCreated::Created(Json(order_api(
            &view,
            show_profit(&auth),
        ))))
    }

    /// Change a line
    ///
    /// Needs `repair_orders.write`; the order must be an estimate. The line needs the
    /// customer's answer again.
    #[oai(
        path = "/repair-orders/:order_id/lines/:line_id",
        method = "put",
        operation_id = "update_repair_order_line"
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
            order_id.0,
            line_id.0,
            &line_input(body.0),
        )
        .await?;
        Ok(Json(order_api(&view, show_profit(&auth))))
    }

    /// Remove a line
    ///
    /// Needs `repair_orders.write`; the order must be an estimate.
    #[oai(
        path = "/repair-orders/:order_id/lines/:line_id",
        method = "delete",
        operation_id = "remove_repair_order_line"
    )]
    async fn remove_line(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        order_id: Path<Uuid>,
        line_id: Path<Uuid>,
    ) -> Result<Json<RepairOrder>, Problem> {
        let view = lines::remove(&state.workshop, &auth.actor, order_id.0, line_id.0).await?;
        Ok(Json(order_api(&view, show_profit(&auth))))
    }

    /// Add a canned job's lines
    ///
    /// Needs `repair_orders.write`; the order must be an estimate. At today's prices.
    #[oai(
        path = "/repair-orders/:order_id/canned-jobs",
        method = "post",
        operation_id = "add_canned_job_to_repair_order"
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
            order_id.0,
            body.0.canned_job_id,
        )
        .await?;
        Ok(Json(order_api(&view, show_profit(&auth))))
    }

    /// Send the estimate for approval
    ///
    /// Needs `repair_orders.write`. The customer gets a link (SMS with consent, else e-mail)
    /// where they approve or decline each pending line.
    #[oai(
        path = "/repair-orders/:order_id/estimate/send",
        method = "post",
        operation_id = "send_estimate"
    )]
    async fn send_estimate(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        req: &Request,
        order_id: Path<Uuid>,
    ) -> Result<Json<RepairOrder>, Problem> {
        let site = site(&state, req)?;
        let view = approval::send(&state.workshop, &auth.actor, order_id.0, &site).await?;
        Ok(Json(order_api(&view, show_profit(&auth))))
    }

    /// Record the customer's answer
    ///
    /// Needs `repair_orders.write`. Taken by phone or in person; every pending line must be
    /// answered. Approved parts are reserved (409 when stock is short).
    #[oai(
        path = "/repair-orders/:order_id/estimate/answer",
        method = "post",
        operation_id = "record_estimate_answer"
    )]
    async fn answer(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        req: &Request,
        order_id: Path<Uuid>,
        body: Json<AnswerWrite>,
    ) -> Result<Json<RepairOrder>, Problem> {
        let w = body.0;
        let site = site(&state, req)?;
        let method = Method::parse(w.method.trim()).ok_or_else(|| {
            pitlane_domain::FieldErrors::single("method", "must be phone or in_person")
        })?;
        let decisions: Vec<(Uuid, String)> = w
            .decisions
            .into_iter()
            .map(|d| (d.line_id, d.decision))
            .collect();
        let decisions = answers(&decisions)?;
        let view = approval::record_answer(
            &state.workshop,
            &auth.actor,
            order_id.0,
            &decisions,
            method,
            w.note.as_deref(),
            &site,
        )
        .await?;
        Ok(Json(order_api(&view, show_profit(&auth))))
    }

    /// Start an inspection on the order
    ///
    /// Needs `repair_orders.write` or `jobs.work`.
    #[oai(
        path = "/repair-orders/:order_id/inspections",
        method = "post",
        operation_id = "start_inspection"
    )]
    async fn start_inspection(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        order_id: Path<Uuid>,
        body: Json<InspectionStart>,
    ) -> Result<InspectionCreated, Problem> {
        let v = inspections::start(&state.workshop, &auth.actor, order_id.0, body.0.template_id)
            .await?;
        Ok(InspectionCreated::Created(Json(inspection_api(&v))))
    }

    /// The workshop's pricing and pay settings
    ///
    /// Needs `tenant.read`.
    #[oai(
        path = "/workshop-settings",
        method = "get",
        operation_id = "get_workshop_settings"
    )]
    async fn settings(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
    ) -> Result<Json<WorkshopSettings>, Problem> {
        let s = pitlane_workshop::settings::get(&state.workshop, &auth.actor).await?;
        Ok(Json(settings_api(s, sees_settings_cost(&auth))))
    }

    /// Change the pricing and pay settings
    ///
    /// Needs `settings.manage`.
    #[oai(
        path = "/workshop-settings",
        method = "put",
        operation_id = "update_workshop_settings"
    )]
    async fn update_settings(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        body: Json<WorkshopSettingsWrite>,
    ) -> Result<Json<WorkshopSettings>, Problem> {
        let w = body.0;
        let s = pitlane_workshop::settings::update(
            &state.workshop,
            &auth.actor,
            &pitlane_workshop::settings::SettingsInput {
                parts_markup_percent: w.parts_markup_percent,
                price_matrix: w
                    .price_matrix
                    .unwrap_or_default()
                    .into_iter()
                    .map(|t| (t.up_to, t.markup_percent))
                    .collect(),
                shop_supplies_percent: w.shop_supplies_percent,
                shop_supplies_cap: w.shop_supplies_cap,
                allow_negative_stock: w.allow_negative_stock,
                pay_period: w.pay_period,
            },
        )
        .await?;
        Ok(Json(settings_api(s, sees_settings_cost(&auth))))
    }

    /// Set a branch's labour rate and tax
    ///
    /// Needs `settings.manage`.
    #[oai(
        path = "/branches/:branch_id/workshop-rates",
        method = "put",
        operation_id = "set_branch_workshop_rates"
    )]
    async fn set_rates(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        branch_id: Path<Uuid>,
        body: Json<BranchRatesWrite>,
    ) -> Result<Json<BranchRates>, Problem> {
        let b = pitlane_workshop::settings::set_branch_rates(
            &state.workshop,
            &auth.actor,
            branch_id.0,
            &pitlane_workshop::settings::BranchRatesInput {
                labour_rate: body.0.labour_rate,
                labour_cost: body.0.labour_cost,
                tax_percent: body.0.tax_percent,
            },
        )
        .await?;
        Ok(Json(rates_api(b, true)))
    }

    /// Declined services
    ///
    /// Needs `repair_orders.read`. Work customers declined and nobody has offered again yet;
    /// one vehicle's with `vehicle_id`.
    #[oai(
        path = "/declined-services",
        method = "get",
        operation_id = "list_declined_services"
    )]
    async fn declined(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        vehicle_id: Query<Option<Uuid>>,
    ) -> Result<Json<DeclinedServiceList>, Problem> {
        let rows = approval::declined_services(&state.workshop, &auth.actor, vehicle_id.0).await?;
        Ok(Json(DeclinedServiceList {
            items: rows
                .into_iter()
                .map(|(order, line)| DeclinedService {
                    id: line.id,
                    repair_order_id: order.id,
                    number: display_number(order.number),
                    vehicle_id: order.vehicle_id,
                    customer_id: order.customer_id,
                    amount_minor: lines::priced(&line).amount(),
                    description: line.description,
                    declined_at: line.decided_at,
                })
                .collect(),
        }))
    }

    /// Mark a declined service followed up
    ///
    /// Needs `repair_orders.write`.
    #[oai(
        path = "/declined-services/:line_id/followed-up",
        method = "post",
        operation_id = "follow_up_declined_service"
    )]
    async fn followed_up(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        line_id: Path<Uuid>,
    ) -> Result<Done, Problem> {
        approval::mark_followed_up(&state.workshop, &auth.actor, line_id.0).await?;
        Ok(Done::Done)
    }

    /// Canned jobs
    ///
    /// Needs `repair_orders.read`.
    #[oai(
        path = "/canned-jobs",
        method = "get",
        operation_id = "list_canned_jobs"
    )]
    async fn canned_jobs(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
    ) -> Result<Json<CannedJobList>, Problem> {
        let rows = canned::list(&state.workshop, &auth.actor).await?;
        Ok(Json(CannedJobList {
            items: rows.into_iter().map(canned_api).collect(),
        }))
    }

    /// Create a canned job
    ///
    /// Needs `settings.manage`.
    #[oai(
        path = "/canned-jobs",
        method = "post",
        operation_id = "create_canned_job"
    )]
    async fn create_canned(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        body: Json<CannedJobWrite>,
    ) -> Result<CannedCreated, Problem> {
        let v = canned::save(&state.workshop, &auth.actor, None, &canned_input(body.0)).await?;
        Ok(CannedCreated::Created(Json(canned_api(v))))
    }

    /// A canned job
    ///
    /// Needs `repair_orders.read`.
    #[oai(
        path = "/canned-jobs/:canned_job_id",
        method = "get",
        operation_id = "get_canned_job"
    )]
    async fn canned_job(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        canned_job_id: Path<Uuid>,
    ) -> Result<Json<CannedJob>, Problem> {
        let v = canned::get(&state.workshop, &auth.actor, canned_job_id.0).await?;
        Ok(Json(canned_api(v)))
    }

    /// Replace a canned job
    ///
    /// Needs `settings.manage`.
    #[oai(
        path = "/canned-jobs/:canned_job_id",
        method = "put",
        operation_id = "update_canned_job"
    )]
    async fn update_canned(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        canned_job_id: Path<Uuid>,
        body: Json<CannedJobWrite>,
    ) -> Result<Json<CannedJob>, Problem> {
        let v = canned::save(
            &state.workshop,
            &auth.actor,
            Some(canned_job_id.0),
            &canned_input(body.0),
        )
        .await?;
        Ok(Json(canned_api(v)))
    }

    /// Delete a canned job
    ///
    /// Needs `settings.manage`. Orders it was added to keep their lines.
    #[oai(
        path = "/canned-jobs/:canned_job_id",
        method = "delete",
        operation_id = "delete_canned_job"
    )]
    async fn delete_canned(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        canned_job_id: Path<Uuid>,
    ) -> Result<Done, Problem> {
        canned::delete(&state.workshop, &auth.actor, canned_job_id.0).await?;
        Ok(Done::Done)
    }

    /// Inspection templates
    ///
    /// Needs `repair_orders.read`.
    #[oai(
        path = "/inspection-templates",
        method = "get",
        operation_id = "list_inspection_templates"
    )]
    async fn templates(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
    ) -> Result<Json<InspectionTemplateList>, Problem> {
        let rows = inspections::templates(&state.workshop, &auth.actor).await?;
        Ok(Json(InspectionTemplateList {
            items: rows.into_iter().map(template_api).collect(),
        }))
    }

    /// Create an inspection template
    ///
    /// Needs `settings.manage`.
    #[oai(
        path = "/inspection-templates",
        method = "post",
        operation_id = "create_inspection_template"
    )]
    async fn create_template(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        body: Json<InspectionTemplateWrite>,
    ) -> Result<TemplateCreated, Problem> {
        let points: Vec<(String, String)> = body
            .0
            .items
            .into_iter()
            .map(|p| (p.section, p.label))
            .collect();
        let v =
            inspections::save_template(&state.workshop, &auth.actor, None, &body.0.name, &points)
                .await?;
        Ok(TemplateCreated::Created(Json(template_api(v))))
    }

    /// Replace an inspection template
    ///
    /// Needs `settings.manage`. Inspections already started keep their points.
    #[oai(
        path = "/inspection-templates/:template_id",
        method = "put",
        operation_id = "update_inspection_template"
    )]
    async fn update_template(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        template_id: Path<Uuid>,
        body: Json<InspectionTemplateWrite>,
    ) -> Result<Json<InspectionTemplate>, Problem> {
        let points: Vec<(String, String)> = body
            .0
            .items
            .into_iter()
            .map(|p| (p.section, p.label))
            .collect();
        let v = inspections::save_template(
            &state.workshop,
            &auth.actor,
            Some(template_id.0),
            &body.0.name,
            &points,
        )
        .await?;
        Ok(Json(template_api(v)))
    }

    /// Recent inspections
    ///
    /// Needs `repair_orders.read`. Newest first.
    #[oai(
        path = "/inspections",
        method = "get",
        operation_id = "list_inspections"
    )]
    async fn inspections(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        /// 1–200 (default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<InspectionList>, Problem> {
        let rows = inspections::recent(&state.workshop, &auth.actor, page_limit(limit.0)).await?;
        Ok(Json(InspectionList {
            items: rows.iter().map(inspection_summary).collect(),
        }))
    }

    /// An inspection with its points and photos
    ///
    /// Needs `repair_orders.read`.
    #[oai(
        path = "/inspections/:inspection_id",
        method = "get",
        operation_id = "get_inspection"
    )]
    async fn inspection(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        inspection_id: Path<Uuid>,
    ) -> Result<Json<Inspection>, Problem> {
        let v = inspections::get(&state.workshop, &auth.actor, inspection_id.0).await?;
        Ok(Json(inspection_api(&v)))
    }

    /// An inspection's points
    ///
    /// Needs `repair_orders.read`.
    #[oai(
        path = "/inspections/:inspection_id/items",
        method = "get",
        operation_id = "list_inspection_items"
    )]
    async fn points(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        inspection_id: Path<Uuid>,
    ) -> Result<Json<InspectionPointList>, Problem> {
        let v = inspections::get(&state.workshop, &auth.actor, inspection_id.0).await?;
        Ok(Json(InspectionPointList {
            items: v.items.iter().map(|(i, p)| point_api(i, p)).collect(),
        }))
    }

    /// Rate a point
    ///
    /// Needs `jobs.work` or `repair_orders.write`.
    #[oai(
        path = "/inspections/:inspection_id/items/:item_id",
        method = "put",
        operation_id = "rate_inspection_item"
    )]
    async fn rate(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        inspection_id: Path<Uuid>,
        item_id: Path<Uuid>,
        body: Json<RatingWrite>,
    ) -> Result<Json<InspectionPoint>, Problem> {
        let item = inspections::rate(
            &state.workshop,
            &auth.actor,
            inspection_id.0,
            item_id.0,
            &body.0.rating,
            body.0.note.as_deref(),
        )
        .await?;
        Ok(Json(point_api(&item, &[])))
    }

    /// A point's photos
    ///
    /// Needs `repair_orders.read`.
    #[oai(
        path = "/inspections/:inspection_id/items/:item_id/photos",
        method = "get",
        operation_id = "list_inspection_photos"
    )]
    async fn photos(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        inspection_id: Path<Uuid>,
        item_id: Path<Uuid>,
    ) -> Result<Json<InspectionPhotoList>, Problem> {
        let v = inspections::get(&state.workshop, &auth.actor, inspection_id.0).await?;
        let (_, photos) = v
            .items
            .iter()
            .find(|(i, _)| i.id == item_id.0)
            .ok_or(pitlane_domain::ServiceError::NotFound)?;
        Ok(Json(InspectionPhotoList {
            items: photos.iter().map(photo_api).collect(),
        }))
    }

    /// Add a photo to a point
    ///
    /// Needs `jobs.work` or `repair_orders.write`. The body is the image itself (JPEG, PNG,
    /// WebP or HEIC, at most 10 MB); its type is read from its bytes, and a file that also
    /// carries a web page or script is refused.
    #[oai(
        path = "/inspections/:inspection_id/items/:item_id/photos",
        method = "post",
        operation_id = "add_inspection_photo"
    )]
    async fn add_photo(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        inspection_id: Path<Uuid>,
        item_id: Path<Uuid>,
        body: Binary<Vec<u8>>,
    ) -> Result<PhotoCreated, Problem> {
        let row = inspections::add_photo(
            &state.workshop,
            &auth.actor,
            inspection_id.0,
            item_id.0,
            body.0,
        )
        .await?;
        Ok(PhotoCreated::Created(Json(photo_api(&row))))
    }

    /// A photo
    ///
    /// Needs `repair_orders.read`.
    #[oai(
        path = "/inspections/:inspection_id/items/:item_id/photos/:photo_id",
        method = "get",
        operation_id = "get_inspection_photo"
    )]
    async fn photo(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        inspection_id: Path<Uuid>,
        item_id: Path<Uuid>,
        photo_id: Path<Uuid>,
    ) -> Result<PhotoFile, Problem> {
        let photo = inspections::photo(
            &state.workshop,
            &auth.actor,
            inspection_id.0,
            item_id.0,
            photo_id.0,
        )
        .await?;
        Ok(photo_response(photo))
    }

    /// Remove a photo
    ///
    /// Needs `jobs.work` or `repair_orders.write`, while the inspection is open.
    #[oai(
        path = "/inspections/:inspection_id/items/:item_id/photos/:photo_id",
        method = "delete",
        operation_id = "remove_inspection_photo"
    )]
    async fn remove_photo(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        inspection_id: Path<Uuid>,
        item_id: Path<Uuid>,
        photo_id: Path<Uuid>,
    ) -> Result<Done, Problem> {
        inspections::remove_photo(
            &state.workshop,
            &auth.actor,
            inspection_id.0,
            item_id.0,
            photo_id.0,
        )
        .await?;
        Ok(Done::Done)
    }

    /// Complete an inspection
    ///
    /// Needs `jobs.work` or `repair_orders.write`. Every point must be rated.
    #[oai(
        path = "/inspections/:inspection_id/complete",
        method = "post",
        operation_id = "complete_inspection"
    )]
    async fn complete(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        inspection_id: Path<Uuid>,
    ) -> Result<Json<Inspection>, Problem> {
        let v = inspections::complete(&state.workshop, &auth.actor, inspection_id.0).await?;
        Ok(Json(inspection_api(&v)))
    }

    /// Turn findings into estimate lines
    ///
    /// Needs `repair_orders.write`; the order must be an estimate. Each yellow or red point
    /// not yet on the estimate becomes a recommended line (an hour of labour to price).
    #[oai(
        path = "/inspections/:inspection_id/recommendations",
        method = "post",
        operation_id = "recommend_inspection_findings"
    )]
    async fn recommend(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        inspection_id: Path<Uuid>,
    ) -> Result<Json<RepairOrder>, Problem> {
        let view = inspections::recommend(&state.workshop, &auth.actor, inspection_id.0).await?;
        Ok(Json(order_api(&view, show_profit(&auth))))
    }
}
