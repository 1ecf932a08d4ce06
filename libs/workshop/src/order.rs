//! One repair order as every part of the workshop reads and writes it: its view (lines
//! priced by the one pricing rule, totals), its status, its timeline, its board total and its
//! live announcements. The services above (`orders`, `lines`, `approval`, `inspections`,
//! `jobs`) all stand on this; it uses none of them, so an order's rules read top to bottom.

use chrono::Utc;
use pitlane_domain::{
    ServiceError,
    ids::RepairOrderId,
    live::Topic,
    money::Money,
    pricing::{Line, LineKind, Rules, ShopSupplies, Totals, totals},
    quantity::{from_bp, from_milli},
    repair_order::{LineDecision, RepairOrderStatus, display_number},
    text::CurrencyCode,
};
use pitlane_store::{
    TenantTx,
    entity::{
        branch, customer, inspection, job, repair_order, repair_order_event, repair_order_line,
        tenant, vehicle,
    },
    sea_orm::{ActiveValue::Set, ColumnTrait, IntoActiveModel, QueryFilter, QueryOrder},
};
use serde_json::json;
use uuid::Uuid;

use crate::Workshop;

/// An order with everything its page shows.
#[derive(Debug, Clone)]
pub struct OrderView {
    pub order: repair_order::Model,
    pub customer: customer::Model,
    pub vehicle: vehicle::Model,
    pub branch: branch::Model,
    /// The workshop's currency: what every amount of the order is in (see [`OrderView::money`]).
    pub currency: CurrencyCode,
    pub lines: Vec<repair_order_line::Model>,
    /// Everything not declined: what the estimate comes to, in minor units of `currency`.
    pub totals: Totals,
    /// What the customer has agreed to, in minor units of `currency`.
    pub approved: Totals,
    pub events: Vec<repair_order_event::Model>,
    pub jobs: Vec<job::Model>,
    pub inspections: Vec<inspection::Model>,
}

impl OrderView {
    pub fn status(&self) -> RepairOrderStatus {
        RepairOrderStatus::parse(&self.order.status).unwrap_or(RepairOrderStatus::Estimate)
    }

    pub fn number(&self) -> String {
        display_number(self.order.number)
    }

    /// An amount of this order (a figure of `totals` or `approved`) with its currency.
    pub fn money(&self, minor: i64) -> Money {
        Money::new(minor, self.currency.clone())
    }

    /// What a line of this order comes to (negative for a discount), with its currency.
    pub fn line_amount(&self, line: &repair_order_line::Model) -> Money {
        self.money(priced(line).amount())
    }
}

pub fn status_of(row: &repair_order::Model) -> Result<RepairOrderStatus, ServiceError> {
    RepairOrderStatus::parse(&row.status).ok_or_else(|| {
        pitlane_domain::ServiceError::internal(format!("stored status {}", row.status))
    })
}

pub(crate) async fn view(
    tx: &TenantTx,
    order: repair_order::Model,
) -> Result<OrderView, ServiceError> {
    let customer = tx.get::<customer::Entity>(order.customer_id).await?;
    let vehicle = tx.get::<vehicle::Entity>(order.vehicle_id).await?;
    let branch = tx.get::<branch::Entity>(order.branch_id).await?;
    let lines = lines_of(tx, RepairOrderId(order.id)).await?;
    let rules = rules(tx, &branch).await?;
    let totals = totals_of(&lines, &rules, |d| d != LineDecision::Declined);
    let approved = totals_of(&lines, &rules, |d| d == LineDecision::Approved);
    let events = tx
        .all(
            tx.select::<repair_order_event::Entity>()
                .filter(repair_order_event::Column::RepairOrderId.eq(order.id))
                .order_by_asc(repair_order_event::Column::CreatedAt)
                .order_by_asc(repair_order_event::Column::Id),
        )
        .await?;
    let jobs = tx
        .all(
            tx.select::<job::Entity>()
                .filter(job::Column::RepairOrderId.eq(order.id))
                .order_by_asc(job::Column::Id),
        )
        .await?;
    let inspections = tx
        .all(
            tx.select::<inspection::Entity>()
                .filter(inspection::Column::RepairOrderId.eq(order.id))
                .order_by_asc(inspection::Column::Id),
        )
        .await?;
    Ok(OrderView {
        order,
        customer,
        vehicle,
        branch,
        currency: tx.currency().await?,
        lines,
        totals,
        approved,
        events,
        jobs,
        inspections,
    })
}

/// Adds an entry to the order's timeline.
pub(crate) async fn record(
    tx: &TenantTx,
    order: &repair_order::Model,
    kind: &str,
    detail: Option<String>,
    by: Option<String>,
    visible_to_customer: bool,
) -> Result<(), ServiceError> {
    tx.insert(repair_order_event::ActiveModel {
        tenant_id: Set(tx.tenant_id().0),
        id: Set(Uuid::now_v7()),
        repair_order_id: Set(order.id),
        kind: Set(kind.to_owned()),
        status: Set(Some(order.status.clone())),
        detail: Set(detail),
        by_name: Set(by),
        visible_to_customer: Set(visible_to_customer),
        created_at: Set(Utc::now()),
    })
    .await?;
    Ok(())
}

/// Tells the workshop's open boards and the customer's open page; after commit.
pub async fn publish(ws: &Workshop, order: &repair_order::Model, kind: &str) {
    let data = json!({
        "id": order.id,
        "number": display_number(order.number),
        "status": order.status,
        "label": RepairOrderStatus::parse(&order.status).map(|s| s.label()),
    });
    let live = &ws.desk.live;
    live.publish(order.tenant_id, Topic::Workshop, None, kind, data.clone())
        .await;
    live.publish(order.tenant_id, Topic::Repair, Some(order.id), kind, data)
        .await;
}

/// Keeps the order's board summary (the estimate's total) in step with its lines; call in
/// the transaction that changed them.
pub(crate) async fn refresh_total(
    tx: &TenantTx,
    order_id: RepairOrderId,
) -> Result<(), ServiceError> {
    let order = tx.get::<repair_order::Entity>(order_id.0).await?;
    let branch = tx.get::<branch::Entity>(order.branch_id).await?;
    let order_lines = lines_of(tx, order_id).await?;
    let rules = rules(tx, &branch).await?;
    let totals = totals_of(&order_lines, &rules, |d| d != LineDecision::Declined);
    let mut row = order.into_active_model();
    row.total_minor = Set(totals.total);
    row.updated_at = Set(Utc::now());
    tx.update(row).await?;
    Ok(())
}

pub(crate) async fn lines_of(
    tx: &TenantTx,
    order_id: RepairOrderId,
) -> Result<Vec<repair_order_line::Model>, ServiceError> {
    Ok(tx
        .all(
            tx.select::<repair_order_line::Entity>()
                .filter(repair_order_line::Column::RepairOrderId.eq(order_id.0))
                .order_by_asc(repair_order_line::Column::Position)
                .order_by_asc(repair_order_line::Column::Id),
        )
        .await?)
}

/// The pricing of orders at this branch: the workshop's shop supplies, the branch's tax.
pub async fn rules(tx: &TenantTx, branch: &branch::Model) -> Result<Rules, ServiceError> {
    let workshop = tx.get::<tenant::Entity>(tx.tenant_id().0).await?;
    Ok(Rules {
        shop_supplies: (workshop.shop_supplies_bp > 0).then(|| ShopSupplies {
            rate: from_bp(workshop.shop_supplies_bp),
            cap: if workshop.shop_supplies_cap_minor > 0 {
                workshop.shop_supplies_cap_minor
            } else {
                i64::MAX
            },
            taxable: true,
        }),
        tax_rate: from_bp(branch.tax_rate_bp),
        prices_include_tax: workshop.prices_include_tax,
    })
}

/// A stored line in the pricing's terms.
pub fn priced(line: &repair_order_line::Model) -> Line {
    priced_as(
        &line.kind,
        line.quantity_milli,
        line.unit_price_minor,
        line.unit_cost_minor,
        line.taxable,
    )
}

pub(crate) fn priced_as(
    kind: &str,
    quantity_milli: i64,
    unit_price: i64,
    unit_cost: i64,
    taxable: bool,
) -> Line {
    let quantity = from_milli(quantity_milli);
    let kind = match kind {
        "labour" => LineKind::Labour {
            hours: quantity,
            rate: unit_price,
            cost_rate: unit_cost,
        },
        "labour_flat" => LineKind::LabourFlat {
            price: unit_price,
            hours: quantity,
            cost_rate: unit_cost,
        },
        "part" => LineKind::Part {
            quantity,
            unit_price,
            unit_cost,
        },
        "discount" => LineKind::Discount { amount: unit_price },
        _ => LineKind::Fee { amount: unit_price },
    };
    Line { kind, taxable }
}

pub fn decision(line: &repair_order_line::Model) -> LineDecision {
    LineDecision::parse(&line.decision).unwrap_or(LineDecision::Pending)
}

/// The figures of the lines whose decision `include` accepts.
pub fn totals_of(
    lines: &[repair_order_line::Model],
    rules: &Rules,
    include: impl Fn(LineDecision) -> bool,
) -> Totals {
    let priced: Vec<Line> = lines
        .iter()
        .filter(|l| include(decision(l)))
        .map(priced)
        .collect();
    totals(&priced, rules)
}

/// An amount in the workshop's currency, for messages.
pub(crate) async fn money(tx: &TenantTx, minor: i64) -> Result<Money, ServiceError> {
    Ok(Money::new(minor, tx.currency().await?))
}
