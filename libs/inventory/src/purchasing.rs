//! Purchase orders: a draft of parts for a supplier and branch, ordered, then received in one
//! or several deliveries; every delivery is a `receive` movement at the order's cost.

use chrono::{NaiveDate, Utc};
use pitlane_domain::{
    Actor, FieldErrors, ServiceError,
    ids::PartId,
    money::parse_amount,
    permissions::Permission,
    quantity::{from_milli, parse_quantity},
    stock::{MovementKind, PurchaseOrderStatus},
};
use pitlane_store::{
    Page, TenantCtx, TenantTx,
    entity::{purchase_order, purchase_order_line, supplier},
    sea_orm::{
        ActiveValue::Set,
        ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
        sea_query::{Expr, ExprTrait},
    },
};
use uuid::Uuid;

use crate::{
    Inventory, optional,
    stock::{self, Movement, known_branch, known_part},
};

/// `PO-1001`.
pub fn display_number(number: i64) -> String {
    format!("PO-{number}")
}

#[derive(Debug, Clone, Default)]
pub struct LineInput {
    pub part_id: PartId,
    pub quantity: String,
    /// Empty: the part's cost.
    pub unit_cost: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct PurchaseOrderInput {
    pub branch_id: Uuid,
    pub supplier_id: Uuid,
    pub notes: Option<String>,
    pub expected_on: Option<NaiveDate>,
    pub lines: Vec<LineInput>,
}

/// An order with its lines.
#[derive(Debug, Clone)]
pub struct PurchaseOrderView {
    pub order: purchase_order::Model,
    pub lines: Vec<purchase_order_line::Model>,
}

fn status_of(row: &purchase_order::Model) -> Result<PurchaseOrderStatus, ServiceError> {
    PurchaseOrderStatus::parse(&row.status)
        .ok_or_else(|| ServiceError::internal(format!("stored status {}", row.status)))
}

async fn view(
    tx: &TenantTx,
    order: purchase_order::Model,
) -> Result<PurchaseOrderView, ServiceError> {
    let lines = tx
        .all(
            tx.select::<purchase_order_line::Entity>()
                .filter(purchase_order_line::Column::PurchaseOrderId.eq(order.id))
                .order_by_asc(purchase_order_line::Column::Id),
        )
        .await?;
    Ok(PurchaseOrderView { order, lines })
}

pub async fn create(
    inv: &Inventory,
    actor: &Actor,
    input: &PurchaseOrderInput,
) -> Result<PurchaseOrderView, ServiceError> {
    actor.require(Permission::InventoryAdjust)?;
    let tx = inv.store.tx(&TenantCtx::of(actor)).await?;
    let currency = tx.currency().await?;
    let mut errors = FieldErrors::new();
    let notes = optional(&mut errors, "notes", input.notes.as_deref(), 2000);
    if input.lines.is_empty() {
        errors.add("lines", "add at least one part");
    }
    let mut lines = Vec::new();
    for (i, line) in input.lines.iter().enumerate() {
        let field = |name: &str| format!("lines[{i}].{name}");
        let quantity = errors.check(&field("quantity"), parse_quantity(&line.quantity));
        let cost = match line
            .unit_cost
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
        {
            None => Some(None),
            Some(raw) => errors
                .check(&field("unit_cost"), parse_amount(raw, &currency))
                .map(Some),
        };
        match tx
            .get::<pitlane_store::entity::part::Entity>(line.part_id.0)
            .await
        {
            Ok(part) => {
                if lines
                    .iter()
                    .any(|(p, _, _): &(Uuid, i64, i64)| *p == part.id)
                {
                    errors.add(&field("part_id"), "this part is already on the order");
                }
                if let (Some(q), Some(c)) = (quantity, cost) {
                    lines.push((part.id, q, c.unwrap_or(part.cost_minor)));
                }
            }
            Err(pitlane_store::StoreError::NotFound) => {
                errors.add(&field("part_id"), "no such part")
            }
            Err(e) => return Err(e.into()),
        }
    }
    errors.into_result()?;
    known_branch(&tx, input.branch_id).await?;
    match tx.get::<supplier::Entity>(input.supplier_id).await {
        Ok(_) => {}
        Err(pitlane_store::StoreError::NotFound) => {
            return Err(FieldErrors::single("supplier_id", "no such supplier").into());
        }
        Err(e) => return Err(e.into()),
    }
    let number = tx.next_number("purchase_order", 1001).await?;
    let now = Utc::now();
    let order = tx
        .insert(purchase_order::ActiveModel {
            tenant_id: Set(tx.tenant_id().0),
            id: Set(Uuid::now_v7()),
            number: Set(number),
            branch_id: Set(input.branch_id),
            supplier_id: Set(input.supplier_id),
            status: Set(PurchaseOrderStatus::Draft.key().to_owned()),
            notes: Set(notes),
            ordered_at: Set(None),
            expected_on: Set(input.expected_on),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .await?;
    for (part_id, quantity, cost) in lines {
        tx.insert(purchase_order_line::ActiveModel {
            tenant_id: Set(tx.tenant_id().0),
            id: Set(Uuid::now_v7()),
            purchase_order_id: Set(order.id),
            part_id: Set(part_id),
            quantity_milli: Set(quantity),
            received_milli: Set(0),
            unit_cost_minor: Set(cost),
        })
        .await?;
    }
    let result = view(&tx, order).await?;
    tx.commit().await?;
    Ok(result)
}

pub async fn list(
    inv: &Inventory,
    actor: &Actor,
    status: Option<PurchaseOrderStatus>,
) -> Result<Vec<purchase_order::Model>, ServiceError> {
    actor.require(Permission::InventoryRead)?;
    let tx = inv.store.tx(&TenantCtx::of(actor)).await?;
    let mut query = tx.select::<purchase_order::Entity>();
    if let Some(status) = status {
        query = query.filter(purchase_order::Column::Status.eq(status.key()));
    }
    let rows = tx
        .all(
            query
                .order_by_desc(purchase_order::Column::Number)
                .limit(500),
        )
        .await?;
    tx.commit().await?;
    Ok(rows)
}

/// A page of the purchase orders (of one status when named), newest first (by id): `after`
/// is the last id of the page before.
pub async fn page(
    inv: &Inventory,
    actor: &Actor,
    status: Option<PurchaseOrderStatus>,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Page<purchase_order::Model>, ServiceError> {
    actor.require(Permission::InventoryRead)?;
    let tx = inv.store.tx(&TenantCtx::of(actor)).await?;
    let mut query = tx.select::<purchase_order::Entity>();
    if let Some(status) = status {
        query = query.filter(purchase_order::Column::Status.eq(status.key()));
    }
    let page = tx.page_newest(query, after, limit.clamp(1, 200)).await?;
    tx.commit().await?;
    Ok(page)
}

pub async fn get(
    inv: &Inventory,
    actor: &Actor,
    id: Uuid,
) -> Result<PurchaseOrderView, ServiceError> {
    actor.require(Permission::InventoryRead)?;
    let tx = inv.store.tx(&TenantCtx::of(actor)).await?;
    let order = tx.get::<purchase_order::Entity>(id).await?;
    let result = view(&tx, order).await?;
    tx.commit().await?;
    Ok(result)
}

/// Sends a draft to the supplier: from now on deliveries can be booked in.
pub async fn mark_ordered(
    inv: &Inventory,
    actor: &Actor,
    id: Uuid,
) -> Result<PurchaseOrderView, ServiceError> {
    actor.require(Permission::InventoryAdjust)?;
    let tx = inv.store.tx(&TenantCtx::of(actor)).await?;
    let order = tx.get::<purchase_order::Entity>(id).await?;
    if status_of(&order)? != PurchaseOrderStatus::Draft {
        return Err(FieldErrors::single("status", "only a draft can be ordered").into());
    }
    let mut row = order.into_active_model();
    row.status = Set(PurchaseOrderStatus::Ordered.key().to_owned());
    row.ordered_at = Set(Some(Utc::now()));
    row.updated_at = Set(Utc::now());
    let order = tx.update(row).await?;
    let result = view(&tx, order).await?;
    tx.commit().await?;
    Ok(result)
}

pub async fn cancel(
    inv: &Inventory,
    actor: &Actor,
    id: Uuid,
) -> Result<PurchaseOrderView, ServiceError> {
    actor.require(Permission::InventoryAdjust)?;
    let tx = inv.store.tx(&TenantCtx::of(actor)).await?;
    let order = tx.get::<purchase_order::Entity>(id).await?;
    if !status_of(&order)?.can_cancel() {
        return Err(FieldErrors::single(
            "status",
            "parts have arrived on this order; return them to the supplier instead",
        )
        .into());
    }
    let mut row = order.into_active_model();
    row.status = Set(PurchaseOrderStatus::Cancelled.key().to_owned());
    row.updated_at = Set(Utc::now());
    let order = tx.update(row).await?;
    let result = view(&tx, order).await?;
    tx.commit().await?;
    Ok(result)
}

/// A delivery: how much of each line arrived.
#[derive(Debug, Clone, Default)]
pub struct Delivery {
    pub lines: Vec<(Uuid, String)>,
}

/// Books a delivery in: a `receive` movement per line at the order's cost, and the order
/// becomes partly received or received.
pub async fn receive(
    inv: &Inventory,
    actor: &Actor,
    id: Uuid,
    delivery: &Delivery,
) -> Result<PurchaseOrderView, ServiceError> {
    actor.require(Permission::InventoryAdjust)?;
    let tx = inv.store.tx(&TenantCtx::of(actor)).await?;
    let order = tx.get::<purchase_order::Entity>(id).await?;
    if !status_of(&order)?.accepts_deliveries() {
        return Err(FieldErrors::single(
            "status",
            "deliveries are booked in against an ordered purchase order",
        )
        .into());
    }
    let current = view(&tx, order.clone()).await?;
    let mut errors = FieldErrors::new();
    let mut arrived = Vec::new();
    for (i, (line_id, raw)) in delivery.lines.iter().enumerate() {
        let field = format!("lines[{i}].quantity");
        if raw.trim().is_empty() || raw.trim() == "0" {
            continue;
        }
        let Some(line) = current.lines.iter().find(|l| l.id == *line_id) else {
            errors.add(&format!("lines[{i}].line_id"), "not a line of this order");
            continue;
        };
        if arrived
            .iter()
            .any(|(l, _): &(purchase_order_line::Model, i64)| l.id == line.id)
        {
            errors.add(
                &format!("lines[{i}].line_id"),
                "this line is already in the delivery",
            );
            continue;
        }
        if let Some(q) = errors.check(&field, parse_quantity(raw)) {
            arrived.push((line.clone(), q));
        }
    }
    if arrived.is_empty() && errors.is_empty() {
        errors.add("lines", "enter how many of at least one part arrived");
    }
    errors.into_result()?;
    let by = tx.actor_name(actor).await?;
    let mut notified = pitlane_notify::staff::Notified::default();
    for (line, quantity) in &arrived {
        known_part(&tx, PartId(line.part_id)).await?;
        let mut movement = Movement::new(
            PartId(line.part_id),
            order.branch_id,
            MovementKind::Receive,
            *quantity,
        );
        movement.purchase_order_id = Some(order.id);
        movement.unit_cost_minor = Some(line.unit_cost_minor);
        let (_, heard) = stock::apply(&tx, movement, 0, by.clone()).await?;
        notified.merge(heard);
        // Added in SQL, so two deliveries booked at once both count.
        tx.update_all(
            purchase_order_line::Entity::update_many()
                .col_expr(
                    purchase_order_line::Column::ReceivedMilli,
                    Expr::col(purchase_order_line::Column::ReceivedMilli).add(*quantity),
                )
                .filter(purchase_order_line::Column::Id.eq(line.id)),
        )
        .await?;
    }
    let after = view(&tx, order.clone()).await?;
    let status = PurchaseOrderStatus::after_delivery(
        &after
            .lines
            .iter()
            .map(|l| (from_milli(l.quantity_milli), from_milli(l.received_milli)))
            .collect::<Vec<_>>(),
    );
    let mut row = order.into_active_model();
    row.status = Set(status.key().to_owned());
    row.updated_at = Set(Utc::now());
    let order = tx.update(row).await?;
    let result = view(&tx, order).await?;
    tx.commit().await?;
    notified.publish(&inv.live).await;
    Ok(result)
}
