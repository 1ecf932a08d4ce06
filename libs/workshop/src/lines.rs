//! An order's lines: labour (hours at the branch's rate, or a flat price), parts from the
//! catalogue (priced by the workshop's markup or matrix), fees and discounts. Lines change
//! only while the order is an estimate; totals, tax and gross profit follow from the lines
//! through the one pricing rule in the domain crate.

use chrono::Utc;
use pitlane_domain::{
    Actor, FieldErrors, ServiceError,
    ids::{PartId, RepairOrderId},
    money::parse_amount,
    permissions::Permission,
    quantity::{MILLI, parse_quantity},
    repair_order::LineDecision,
};
use pitlane_inventory::parts::selling_price;
use pitlane_store::{
    TenantCtx, TenantTx,
    entity::{
        branch, canned_job, canned_job_line, inspection_item, job, part, repair_order,
        repair_order_line, tenant,
    },
    sea_orm::{
        ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
        sea_query::Expr,
    },
};
use uuid::Uuid;

pub use crate::order::{decision, priced, rules, totals_of};
use crate::{
    Workshop,
    order::{self, OrderView, lines_of, priced_as, status_of},
};

/// The most one line may come to, in minor units (a billion in a two-decimal currency).
const MAX_LINE_MINOR: i64 = 100_000_000_000;

pub const KINDS: [&str; 5] = ["labour", "labour_flat", "part", "fee", "discount"];

/// A line as staff enter it.
#[derive(Debug, Clone, Default)]
pub struct LineInput {
    pub kind: String,
    /// Empty for a part: the part's name.
    pub description: Option<String>,
    /// Hours for labour, units for parts; ignored for fees and discounts.
    pub quantity: Option<String>,
    /// The hourly rate (empty: the branch's), the flat price, the part's unit price (empty:
    /// its selling price), the fee or the discount; as typed in the workshop's currency.
    pub unit_price: Option<String>,
    pub part_id: Option<PartId>,
    /// Empty: taxable, except parts of the exempt tax class.
    pub taxable: Option<bool>,
    /// Labour goes to this mechanic's job (an assignment).
    pub mechanic_id: Option<Uuid>,
    /// Labour that needs a skill, for the job board.
    pub skill: Option<String>,
}

/// What a line will be stored as: priced by the rules of its branch.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub kind: String,
    pub description: String,
    pub quantity_milli: i64,
    pub unit_price: i64,
    pub unit_cost: i64,
    pub taxable: bool,
    pub part_id: Option<Uuid>,
}

/// Checks and prices a line as staff typed it, for an order or another capability's work at
/// a branch (a roadside job's): one set of rules for every line the workshop bills.
pub async fn parse(
    tx: &TenantTx,
    branch_id: Uuid,
    input: &LineInput,
) -> Result<Parsed, ServiceError> {
    let mut errors = FieldErrors::new();
    let kind = input.kind.trim();
    if !KINDS.contains(&kind) {
        errors.add("kind", "must be labour, labour_flat, part, fee or discount");
        return Err(errors.into());
    }
    let currency = tx.currency().await?;
    let branch = tx.get::<branch::Entity>(branch_id).await?;
    let workshop = tx.get::<tenant::Entity>(tx.tenant_id().0).await?;
    let typed_price = match input
        .unit_price
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        None => None,
        Some(raw) => errors.check("unit_price", parse_amount(raw, &currency)),
    };
    let description = errors
        .check(
            "description",
            pitlane_domain::text::optional_text(input.description.as_deref(), 500),
        )
        .flatten();
    let needs_quantity = matches!(kind, "labour" | "labour_flat" | "part");
    let quantity = if needs_quantity {
        match input
            .quantity
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty())
        {
            Some(raw) => errors.check("quantity", parse_quantity(raw)),
            None if kind == "part" => Some(MILLI),
            None => {
                errors.add("quantity", "enter the hours, such as 1.5");
                None
            }
        }
    } else {
        Some(MILLI)
    };
    let part = match (kind, input.part_id) {
        ("part", Some(id)) => match tx.get::<part::Entity>(id.0).await {
            Ok(p) if p.active => Some(p),
            Ok(_) => {
                errors.add("part_id", "this part is no longer sold");
                None
            }
            Err(pitlane_store::StoreError::NotFound) => {
                errors.add("part_id", "no such part");
                None
            }
            Err(e) => return Err(e.into()),
        },
        ("part", None) => {
            if description.is_none() || typed_price.is_none() {
                errors.add(
                    "part_id",
                    "choose a part from the catalogue, or describe it and give its price",
                );
            }
            None
        }
        _ => None,
    };
    if matches!(kind, "labour_flat" | "fee" | "discount")
        && typed_price.is_none()
        && errors.message_for("unit_price").is_none()
    {
        errors.add("unit_price", "enter the amount");
    }
    if description.is_none() && part.is_none() && kind != "part" {
        errors.add("description", "say what the line is for");
    }
    errors.into_result()?;
    let (unit_price, unit_cost) = match kind {
        "labour" => (
            typed_price.unwrap_or(branch.labour_rate_minor),
            branch.labour_cost_minor,
        ),
        "labour_flat" => (typed_price.unwrap_or_default(), branch.labour_cost_minor),
        "part" => match &part {
            Some(p) => (
                typed_price.unwrap_or_else(|| selling_price(&workshop, p)),
                p.cost_minor,
            ),
            None => (typed_price.unwrap_or_default(), 0),
        },
        _ => (typed_price.unwrap_or_default(), 0),
    };
    let taxable = input
        .taxable
        .unwrap_or_else(|| part.as_ref().is_none_or(|p| p.tax_class != "exempt"));
    // Large enough for any repair, small enough that an order's sums cannot overflow.
    let amount = priced_as(
        kind,
        quantity.unwrap_or(MILLI),
        unit_price,
        unit_cost,
        taxable,
    )
    .amount();
    if amount.abs() > MAX_LINE_MINOR {
        return Err(FieldErrors::single(
            "unit_price",
            "the line comes to more than this workshop can bill",
        )
        .into());
    }
    Ok(Parsed {
        kind: kind.to_owned(),
        description: description
            .or_else(|| part.as_ref().map(|p| format!("{} ({})", p.name, p.sku)))
            .unwrap_or_default(),
        quantity_milli: quantity.unwrap_or(MILLI),
        unit_price,
        unit_cost,
        taxable,
        part_id: part.map(|p| p.id),
    })
}

async fn editable_order(
    tx: &TenantTx,
    id: RepairOrderId,
) -> Result<repair_order::Model, ServiceError> {
    // Locked, so a change of lines and an answer to the estimate come one after the other.
    let order = tx.get_for_update::<repair_order::Entity>(id.0).await?;
    let status = status_of(&order)?;
    if !status.allows_line_changes() {
        return Err(FieldErrors::single(
            "status",
            format!(
                "lines can be changed while the order is an estimate; this one is {}. Move it back to estimate to add work.",
                status.label().to_lowercase()
            ),
        )
        .into());
    }
    Ok(order)
}

async fn next_position(tx: &TenantTx, order_id: Uuid) -> Result<i32, ServiceError> {
    Ok(lines_of(tx, RepairOrderId(order_id))
        .await?
        .iter()
        .map(|l| l.position)
        .max()
        .unwrap_or(0)
        + 1)
}

/// The job labour goes to: the mechanic's open job on this order when one is named, else a
/// new job for the line (on the board until someone is assigned).
async fn job_for(
    tx: &TenantTx,
    order: &repair_order::Model,
    title: &str,
    mechanic_id: Option<Uuid>,
    skill: Option<String>,
) -> Result<Uuid, ServiceError> {
    if let Some(mechanic) = mechanic_id {
        crate::jobs::known_mechanic(tx, mechanic).await?;
    }
    let now = Utc::now();
    let row = tx
        .insert(job::ActiveModel {
            tenant_id: Set(tx.tenant_id().0),
            id: Set(Uuid::now_v7()),
            repair_order_id: Set(order.id),
            branch_id: Set(order.branch_id),
            title: Set(title.to_owned()),
            skill: Set(skill),
            mechanic_id: Set(mechanic_id),
            status: Set(if mechanic_id.is_some() {
                "assigned"
            } else {
                "open"
            }
            .to_owned()),
            on_board: Set(false),
            created_at: Set(now),
            updated_at: Set(now),
            finished_at: Set(None),
        })
        .await?;
    Ok(row.id)
}

async fn insert_line(
    tx: &TenantTx,
    order: &repair_order::Model,
    p: Parsed,
    job_id: Option<Uuid>,
    source: &str,
) -> Result<repair_order_line::Model, ServiceError> {
    let now = Utc::now();
    Ok(tx
        .insert(repair_order_line::ActiveModel {
            tenant_id: Set(tx.tenant_id().0),
            id: Set(Uuid::now_v7()),
            repair_order_id: Set(order.id),
            position: Set(next_position(tx, order.id).await?),
            kind: Set(p.kind),
            description: Set(p.description),
            quantity_milli: Set(p.quantity_milli),
            unit_price_minor: Set(p.unit_price),
            unit_cost_minor: Set(p.unit_cost),
            taxable: Set(p.taxable),
            part_id: Set(p.part_id),
            job_id: Set(job_id),
            decision: Set(LineDecision::Pending.key().to_owned()),
            decided_at: Set(None),
            source: Set(source.to_owned()),
            followed_up_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .await?)
}

/// Adds a line in an open transaction (a finding of an inspection, a canned job's line).
pub(crate) async fn add_in(
    tx: &TenantTx,
    order: &repair_order::Model,
    input: &LineInput,
    source: &str,
    job_id: Option<Uuid>,
) -> Result<repair_order_line::Model, ServiceError> {
    let p = parse(tx, order.branch_id, input).await?;
    let skill = pitlane_frontdesk::catalogue::label(input.skill.as_deref())
        .map_err(|e| FieldErrors::single("skill", e))?;
    let job_id = match (p.kind.as_str(), job_id) {
        ("labour" | "labour_flat", Some(job)) => Some(job),
        ("labour" | "labour_flat", None) => {
            Some(job_for(tx, order, &p.description, input.mechanic_id, skill).await?)
        }
        _ => None,
    };
    insert_line(tx, order, p, job_id, source).await
}

/// Lines priced elsewhere join an order in an open transaction (a towed car's roadside
/// call-out and work): estimate lines like any other, approved with the rest of the work.
pub async fn carry_in(
    tx: &TenantTx,
    order: &repair_order::Model,
    lines: Vec<Parsed>,
) -> Result<(), ServiceError> {
    for p in lines {
        insert_line(tx, order, p, None, "manual").await?;
    }
    Ok(())
}

pub async fn add(
    ws: &Workshop,
    actor: &Actor,
    order_id: RepairOrderId,
    input: &LineInput,
) -> Result<OrderView, ServiceError> {
    actor.require(Permission::RepairOrdersWrite)?;
    let tx = ws.store().tx(&TenantCtx::of(actor)).await?;
    let order = editable_order(&tx, order_id).await?;
    let line = add_in(&tx, &order, input, "manual", None).await?;
    let detail = format!("added: {}", line.description);
    changed(ws, actor, tx, order.id, detail).await
}

pub async fn update(
    ws: &Workshop,
    actor: &Actor,
    order_id: RepairOrderId,
    line_id: Uuid,
    input: &LineInput,
) -> Result<OrderView, ServiceError> {
    actor.require(Permission::RepairOrdersWrite)?;
    let tx = ws.store().tx(&TenantCtx::of(actor)).await?;
    let order = editable_order(&tx, order_id).await?;
    let line = line_of(&tx, &order, line_id).await?;
    let p = parse(&tx, order.branch_id, input).await?;
    let is_labour = |kind: &str| kind.starts_with("labour");
    // Labour is a mechanic's job; a line that stops being labour leaves its job, one that
    // becomes labour gets one.
    let job_id = match (is_labour(&line.kind), is_labour(&p.kind), line.job_id) {
        (_, true, Some(job)) => Some(job),
        (_, true, None) => {
            let skill = pitlane_frontdesk::catalogue::label(input.skill.as_deref())
                .map_err(|e| FieldErrors::single("skill", e))?;
            Some(job_for(&tx, &order, &p.description, input.mechanic_id, skill).await?)
        }
        (_, false, _) => None,
    };
    let mut row = line.clone().into_active_model();
    row.job_id = Set(job_id);
    row.kind = Set(p.kind.clone());
    row.description = Set(p.description.clone());
    row.quantity_milli = Set(p.quantity_milli);
    row.unit_price_minor = Set(p.unit_price);
    row.unit_cost_minor = Set(p.unit_cost);
    row.taxable = Set(p.taxable);
    row.part_id = Set(p.part_id);
    // A changed line is a new question for the customer.
    row.decision = Set(LineDecision::Pending.key().to_owned());
    row.decided_at = Set(None);
    row.updated_at = Set(Utc::now());
    tx.update(row).await?;
    crate::figures::answers_changed(&tx, &order, &[], std::slice::from_ref(&line)).await?;
    if let (Some(old), None) = (line.job_id, job_id) {
        drop_job_if_empty(&tx, order.id, old).await?;
    }
    pitlane_inventory::stock::release(&tx, line.id).await?;
    let detail = format!("changed: {}", p.description);
    changed(ws, actor, tx, order.id, detail).await
}

/// Ends a change of the order's lines: on the timeline, the total kept for the board, the
/// transaction committed, and the boards and the customer's page told.
async fn changed(
    ws: &Workshop,
    actor: &Actor,
    tx: TenantTx,
    order_id: Uuid,
    detail: String,
) -> Result<OrderView, ServiceError> {
    let order = tx.get::<repair_order::Entity>(order_id).await?;
    let by = tx.actor_name(actor).await?;
    order::record(&tx, &order, "line", Some(detail), by, false).await?;
    order::refresh_total(&tx, RepairOrderId(order.id)).await?;
    let order = tx.get::<repair_order::Entity>(order.id).await?;
    let result = order::view(&tx, order).await?;
    tx.commit().await?;
    order::publish(ws, &result.order, "repair_order.lines").await;
    Ok(result)
}

/// Removes a job no line needs any more, unless time was clocked on it (that stays on record).
async fn drop_job_if_empty(
    tx: &TenantTx,
    order_id: Uuid,
    job_id: Uuid,
) -> Result<(), ServiceError> {
    let others = lines_of(tx, RepairOrderId(order_id))
        .await?
        .iter()
        .any(|l| l.job_id == Some(job_id));
    if !others && !crate::jobs::has_time(tx, job_id).await? {
        tx.delete::<job::Entity>(job_id).await?;
    }
    Ok(())
}

async fn line_of(
    tx: &TenantTx,
    order: &repair_order::Model,
    line_id: Uuid,
) -> Result<repair_order_line::Model, ServiceError> {
    let line = tx.get::<repair_order_line::Entity>(line_id).await?;
    if line.repair_order_id != order.id {
        return Err(ServiceError::NotFound);
    }
    Ok(line)
}

pub async fn remove(
    ws: &Workshop,
    actor: &Actor,
    order_id: RepairOrderId,
    line_id: Uuid,
) -> Result<OrderView, ServiceError> {
    actor.require(Permission::RepairOrdersWrite)?;
    let tx = ws.store().tx(&TenantCtx::of(actor)).await?;
    let order = editable_order(&tx, order_id).await?;
    let line = line_of(&tx, &order, line_id).await?;
    pitlane_inventory::stock::release(&tx, line.id).await?;
    // An inspection finding that became this line is a finding again.
    tx.update_all(
        inspection_item::Entity::update_many()
            .col_expr(
                inspection_item::Column::LineId,
                Expr::value(Option::<Uuid>::None),
            )
            .filter(inspection_item::Column::LineId.eq(line.id)),
    )
    .await?;
    tx.delete::<repair_order_line::Entity>(line.id).await?;
    crate::figures::answers_changed(&tx, &order, &[], std::slice::from_ref(&line)).await?;
    if let Some(job_id) = line.job_id {
        drop_job_if_empty(&tx, order.id, job_id).await?;
    }
    let detail = format!("removed: {}", line.description);
    changed(ws, actor, tx, order.id, detail).await
}

/// Adds a canned job's lines in one step: its labour as one job, its parts at today's prices.
pub async fn add_canned(
    ws: &Workshop,
    actor: &Actor,
    order_id: RepairOrderId,
    canned_id: Uuid,
) -> Result<OrderView, ServiceError> {
    actor.require(Permission::RepairOrdersWrite)?;
    let tx = ws.store().tx(&TenantCtx::of(actor)).await?;
    let order = editable_order(&tx, order_id).await?;
    let canned = match tx.get::<canned_job::Entity>(canned_id).await {
        Ok(c) => c,
        Err(pitlane_store::StoreError::NotFound) => {
            return Err(FieldErrors::single("canned_job_id", "no such canned job").into());
        }
        Err(e) => return Err(e.into()),
    };
    let canned_lines = tx
        .all(
            tx.select::<canned_job_line::Entity>()
                .filter(canned_job_line::Column::CannedJobId.eq(canned.id))
                .order_by_asc(canned_job_line::Column::Position),
        )
        .await?;
    let has_labour = canned_lines.iter().any(|l| l.kind.starts_with("labour"));
    let job_id = if has_labour {
        Some(job_for(&tx, &order, &canned.name, None, canned.skill.clone()).await?)
    } else {
        None
    };
    let currency = tx.currency().await?;
    for line in &canned_lines {
        let input = LineInput {
            kind: line.kind.clone(),
            description: Some(line.description.clone()),
            quantity: Some(pitlane_domain::quantity::format_quantity(
                line.quantity_milli,
            )),
            unit_price: line
                .unit_price_minor
                .map(|p| pitlane_domain::money::plain_amount(p, &currency)),
            part_id: line.part_id.map(PartId),
            taxable: Some(line.taxable),
            mechanic_id: None,
            skill: None,
        };
        add_in(&tx, &order, &input, "canned", job_id).await?;
    }
    let detail = format!("added canned job: {}", canned.name);
    changed(ws, actor, tx, order.id, detail).await
}

/// A line as an invoice takes it over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillableLine {
    /// `labour`, `part`, `fee` or `discount`.
    pub kind: &'static str,
    pub description: String,
    pub quantity_milli: i64,
    /// Negative for a discount.
    pub unit_price: i64,
    pub taxable: bool,
    /// What one unit cost: a part's cost, or for labour the branch's cost of an hour.
    pub unit_cost: i64,
    /// The hours a labour line bills (a flat-rate job's book hours), else 0.
    pub billed_hours_milli: i64,
    /// The skill of the job the line is for, '' for none.
    pub category: String,
    /// The mechanic of the job the line is for.
    pub technician_id: Option<Uuid>,
}

/// A line as an invoice takes it over: labour at its hours (a flat-rate job once, with its
/// book hours), parts at their units, a discount negative, anything else a fee.
pub fn billable_line(
    l: &Parsed,
    labour_cost: i64,
    category: String,
    technician_id: Option<Uuid>,
) -> BillableLine {
    let (kind, quantity_milli, unit_price, unit_cost, billed_hours_milli) = match l.kind.as_str() {
        "labour" => (
            "labour",
            l.quantity_milli,
            l.unit_price,
            labour_cost,
            l.quantity_milli,
        ),
        "labour_flat" => ("labour", 1000, l.unit_price, labour_cost, l.quantity_milli),
        "part" => ("part", l.quantity_milli, l.unit_price, l.unit_cost, 0),
        "discount" => ("discount", 1000, -l.unit_price, 0, 0),
        _ => ("fee", 1000, l.unit_price, l.unit_cost, 0),
    };
    BillableLine {
        kind,
        description: l.description.clone(),
        quantity_milli,
        unit_price,
        taxable: l.taxable,
        unit_cost,
        billed_hours_milli,
        category,
        technician_id,
    }
}

/// What the customer is billed for: every line not declined, and the shop supplies, in the
/// order's own figures (so the invoice's total is the estimate's).
pub async fn billable(
    tx: &TenantTx,
    order: &repair_order::Model,
) -> Result<Vec<BillableLine>, ServiceError> {
    let branch = tx.get::<branch::Entity>(order.branch_id).await?;
    let rules = rules(tx, &branch).await?;
    let lines: Vec<repair_order_line::Model> = lines_of(tx, RepairOrderId(order.id))
        .await?
        .into_iter()
        .filter(|l| decision(l) != LineDecision::Declined)
        .collect();
    let totals = totals_of(&lines, &rules, |_| true);
    // The job each line is for gives its category (the job's skill) and technician.
    let job_ids: Vec<Uuid> = lines.iter().filter_map(|l| l.job_id).collect();
    let jobs: std::collections::HashMap<Uuid, job::Model> = if job_ids.is_empty() {
        Default::default()
    } else {
        tx.all(
            tx.select::<job::Entity>()
                .filter(job::Column::Id.is_in(job_ids)),
        )
        .await?
        .into_iter()
        .map(|j| (j.id, j))
        .collect()
    };
    let mut out: Vec<BillableLine> = lines
        .iter()
        .map(|l| {
            let job = l.job_id.and_then(|id| jobs.get(&id));
            billable_line(
                &Parsed {
                    kind: l.kind.clone(),
                    description: l.description.clone(),
                    quantity_milli: l.quantity_milli,
                    unit_price: l.unit_price_minor,
                    unit_cost: l.unit_cost_minor,
                    taxable: l.taxable,
                    part_id: l.part_id,
                },
                branch.labour_cost_minor,
                job.and_then(|j| j.skill.clone()).unwrap_or_default(),
                job.and_then(|j| j.mechanic_id),
            )
        })
        .collect();
    if totals.shop_supplies > 0 {
        out.push(BillableLine {
            kind: "fee",
            description: "Shop supplies".into(),
            quantity_milli: 1000,
            unit_price: totals.shop_supplies,
            taxable: rules.shop_supplies.as_ref().is_some_and(|s| s.taxable),
            unit_cost: 0,
            billed_hours_milli: 0,
            category: String::new(),
            technician_id: None,
        });
    }
    Ok(out)
}
