//! Stock at each branch, kept as a ledger. [`apply`] is the one way a level changes: it checks
//! the workshop's rule (domain `stock::apply`), changes the level with an update that repeats
//! the check in SQL (so a concurrent change cannot slip past it), writes the movement, and
//! raises the low-stock notification when the level falls to the reorder point.

use chrono::Utc;
use pitlane_domain::{
    Actor, FieldErrors, ServiceError,
    ids::{PartId, RepairOrderId},
    permissions::Permission,
    quantity::{format_quantity, from_milli, parse_quantity, parse_signed_quantity, to_milli},
    stock::{self, MovementKind, StockError},
};
use pitlane_notify::staff::{NewNotification, Notified, notify_members_with};
use pitlane_store::{
    Page, TenantCtx, TenantTx,
    entity::{branch, part, stock_level, stock_movement, stock_reservation, tenant},
    sea_orm::{
        ActiveValue::Set,
        ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, Select,
        sea_query::{Expr, ExprTrait},
    },
};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::Inventory;

/// A change of stock, before it is checked.
#[derive(Debug, Clone)]
pub struct Movement {
    pub part_id: PartId,
    pub branch_id: Uuid,
    pub kind: MovementKind,
    /// Thousandths; positive, except for an adjustment, which is signed.
    pub quantity_milli: i64,
    pub reason: Option<String>,
    pub unit_cost_minor: Option<i64>,
    pub repair_order_id: Option<RepairOrderId>,
    pub purchase_order_id: Option<Uuid>,
    pub transfer_id: Option<Uuid>,
    pub stock_count_id: Option<Uuid>,
}

impl Movement {
    pub fn new(part_id: PartId, branch_id: Uuid, kind: MovementKind, quantity_milli: i64) -> Self {
        Self {
            part_id,
            branch_id,
            kind,
            quantity_milli,
            reason: None,
            unit_cost_minor: None,
            repair_order_id: None,
            purchase_order_id: None,
            transfer_id: None,
            stock_count_id: None,
        }
    }
}

/// The refusal people read: how many there are, and how many this needed.
pub fn insufficient(part: &part::Model, err: StockError) -> ServiceError {
    match err {
        StockError::NotPositive => FieldErrors::single("quantity", err.to_string()).into(),
        StockError::Insufficient { available, needed } => {
            ServiceError::Conflict(FieldErrors::single(
                "quantity",
                format!(
                    "only {} of {} ({}) available; this needs {}",
                    available.normalize(),
                    part.name,
                    part.sku,
                    needed.normalize()
                ),
            ))
        }
    }
}

/// The part's level at the branch, created empty the first time it is needed.
pub async fn level_row(
    tx: &TenantTx,
    part_id: PartId,
    branch_id: Uuid,
) -> Result<stock_level::Model, ServiceError> {
    let find = || {
        tx.select::<stock_level::Entity>()
            .filter(stock_level::Column::PartId.eq(part_id.0))
            .filter(stock_level::Column::BranchId.eq(branch_id))
    };
    if let Some(row) = tx.first(find()).await? {
        return Ok(row);
    }
    tx.insert_if_absent(
        stock_level::ActiveModel {
            tenant_id: Set(tx.tenant_id().0),
            id: Set(Uuid::now_v7()),
            part_id: Set(part_id.0),
            branch_id: Set(branch_id),
            on_hand_milli: Set(0),
            reserved_milli: Set(0),
            reorder_at_milli: Set(None),
            bin_location: Set(None),
            low_notified_at: Set(None),
            updated_at: Set(Utc::now()),
        },
        [stock_level::Column::PartId, stock_level::Column::BranchId],
    )
    .await?;
    tx.first(find()).await?.ok_or(ServiceError::NotFound)
}

/// Whether the workshop lets stock go below zero (parts used before they are booked in).
pub async fn negative_allowed(tx: &TenantTx) -> Result<bool, ServiceError> {
    Ok(tx
        .get::<tenant::Entity>(tx.tenant_id().0)
        .await?
        .allow_negative_stock)
}

/// Applies a movement in the caller's transaction. `release_milli` of the level's
/// reservations are released with it (consuming what a line held). Returns the movement and
/// whoever must hear of low stock, to publish after commit.
pub async fn apply(
    tx: &TenantTx,
    movement: Movement,
    release_milli: i64,
    by: Option<String>,
) -> Result<(stock_movement::Model, Notified), ServiceError> {
    let part = tx.get::<part::Entity>(movement.part_id.0).await?;
    let allow_negative = negative_allowed(tx).await?;
    let level = level_row(tx, movement.part_id, movement.branch_id).await?;
    let kind = movement.kind;
    let check = |on_hand: i64, reserved: i64| {
        stock::apply(
            from_milli(on_hand),
            from_milli(Ord::max(reserved - release_milli, 0)),
            kind,
            from_milli(movement.quantity_milli),
            allow_negative,
        )
    };
    check(level.on_hand_milli, level.reserved_milli).map_err(|e| insufficient(&part, e))?;
    let delta = to_milli(kind.delta(from_milli(movement.quantity_milli)))
        .ok_or_else(|| ServiceError::internal("quantity out of range"))?;
    let mut update = stock_level::Entity::update_many()
        .col_expr(
            stock_level::Column::OnHandMilli,
            Expr::col(stock_level::Column::OnHandMilli).add(delta),
        )
        .col_expr(stock_level::Column::UpdatedAt, Expr::val(Utc::now()))
        .filter(stock_level::Column::Id.eq(level.id));
    if release_milli > 0 {
        update = update.col_expr(
            stock_level::Column::ReservedMilli,
            Expr::col(stock_level::Column::ReservedMilli).sub(release_milli),
        );
    }
    if delta < 0 && !allow_negative {
        // The same rule as the check above, on the row as it is now.
        let after = Expr::col(stock_level::Column::OnHandMilli).add(delta);
        update = update.filter(if kind.floor(Decimal::ONE).is_zero() {
            after.gte(0)
        } else {
            after
                .sub(Expr::col(stock_level::Column::ReservedMilli))
                .add(release_milli)
                .gte(0)
        });
    }
    if tx.update_all(update).await? == 0 {
        // Someone else moved this stock first: decide again on what is there now.
        let now = tx.get::<stock_level::Entity>(level.id).await?;
        check(now.on_hand_milli, now.reserved_milli).map_err(|e| insufficient(&part, e))?;
        return Err(ServiceError::Conflict(FieldErrors::single(
            "quantity",
            "the stock changed while this was saved; try again",
        )));
    }
    let row = tx
        .insert(stock_movement::ActiveModel {
            tenant_id: Set(tx.tenant_id().0),
            id: Set(Uuid::now_v7()),
            part_id: Set(movement.part_id.0),
            branch_id: Set(movement.branch_id),
            kind: Set(kind.key().to_owned()),
            quantity_milli: Set(delta),
            reason: Set(movement.reason),
            unit_cost_minor: Set(movement.unit_cost_minor),
            repair_order_id: Set(movement.repair_order_id.map(Uuid::from)),
            purchase_order_id: Set(movement.purchase_order_id),
            transfer_id: Set(movement.transfer_id),
            stock_count_id: Set(movement.stock_count_id),
            by_name: Set(by),
            created_at: Set(Utc::now()),
        })
        .await?;
    let notified = watch_level(tx, &part, level.id).await?;
    Ok((row, notified))
}

/// Raises the low-stock notification once when what is available falls to the reorder point,
/// and re-arms it when stock is back above it.
async fn watch_level(
    tx: &TenantTx,
    part: &part::Model,
    level_id: Uuid,
) -> Result<Notified, ServiceError> {
    let level = tx.get::<stock_level::Entity>(level_id).await?;
    let Some(reorder_at) = level.reorder_at_milli else {
        return Ok(Notified::default());
    };
    let available = level.on_hand_milli - level.reserved_milli;
    let mut row = level.clone().into_active_model();
    if available > reorder_at {
        if level.low_notified_at.is_some() {
            row.low_notified_at = Set(None);
            tx.update(row).await?;
        }
        return Ok(Notified::default());
    }
    if level.low_notified_at.is_some() {
        return Ok(Notified::default());
    }
    row.low_notified_at = Set(Some(Utc::now()));
    tx.update(row).await?;
    let branch = tx.get::<branch::Entity>(level.branch_id).await?;
    let note = NewNotification {
        title: format!("Low stock: {} ({})", part.name, part.sku),
        body: format!(
            "{} available at {}; the reorder point is {}.",
            format_quantity(available),
            branch.name,
            format_quantity(reorder_at)
        ),
        link: Some(format!("/portal/inventory/parts/{}", part.id)),
    };
    Ok(notify_members_with(tx, Permission::InventoryAdjust, &note).await?)
}

/// Holds `quantity_milli` of a part at a branch for a repair-order line. Refused with how many
/// are left when the rest is promised elsewhere (unless the workshop allows negative stock).
pub async fn reserve(
    tx: &TenantTx,
    line_id: Uuid,
    part_id: PartId,
    branch_id: Uuid,
    quantity_milli: i64,
) -> Result<Notified, ServiceError> {
    let part = tx.get::<part::Entity>(part_id.0).await?;
    let allow_negative = negative_allowed(tx).await?;
    let level = level_row(tx, part_id, branch_id).await?;
    let refuse = |on_hand: i64, reserved: i64| {
        insufficient(
            &part,
            StockError::Insufficient {
                available: from_milli(Ord::max(on_hand - reserved, 0)),
                needed: from_milli(quantity_milli),
            },
        )
    };
    let mut update = stock_level::Entity::update_many()
        .col_expr(
            stock_level::Column::ReservedMilli,
            Expr::col(stock_level::Column::ReservedMilli).add(quantity_milli),
        )
        .filter(stock_level::Column::Id.eq(level.id));
    if !allow_negative {
        update = update.filter(
            Expr::col(stock_level::Column::OnHandMilli)
                .sub(Expr::col(stock_level::Column::ReservedMilli))
                .gte(quantity_milli),
        );
    }
    if tx.update_all(update).await? == 0 {
        let now = tx.get::<stock_level::Entity>(level.id).await?;
        return Err(refuse(now.on_hand_milli, now.reserved_milli));
    }
    // A line reserved again (changed, or approved after a decline) replaces its old record.
    tx.delete_all(
        stock_reservation::Entity::delete_many()
            .filter(stock_reservation::Column::LineId.eq(line_id))
            .filter(stock_reservation::Column::Status.ne("held")),
    )
    .await?;
    let now = Utc::now();
    tx.insert(stock_reservation::ActiveModel {
        tenant_id: Set(tx.tenant_id().0),
        id: Set(Uuid::now_v7()),
        line_id: Set(line_id),
        part_id: Set(part_id.0),
        branch_id: Set(branch_id),
        quantity_milli: Set(quantity_milli),
        status: Set("held".into()),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .await?;
    watch_level(tx, &part, level.id).await
}

async fn held(
    tx: &TenantTx,
    line_id: Uuid,
) -> Result<Option<stock_reservation::Model>, ServiceError> {
    Ok(tx
        .first(
            tx.select::<stock_reservation::Entity>()
                .filter(stock_reservation::Column::LineId.eq(line_id))
                .filter(stock_reservation::Column::Status.eq("held")),
        )
        .await?)
}

/// Moves a line's held reservation to `status`, if it is still held; returns it when this
/// call made the change (of two at once, one does).
async fn settle(
    tx: &TenantTx,
    line_id: Uuid,
    status: &str,
) -> Result<Option<stock_reservation::Model>, ServiceError> {
    let Some(reservation) = held(tx, line_id).await? else {
        return Ok(None);
    };
    let changed = tx
        .update_all(
            stock_reservation::Entity::update_many()
                .col_expr(stock_reservation::Column::Status, Expr::value(status))
                .col_expr(
                    stock_reservation::Column::UpdatedAt,
                    Expr::value(Utc::now()),
                )
                .filter(stock_reservation::Column::Id.eq(reservation.id))
                .filter(stock_reservation::Column::Status.eq("held")),
        )
        .await?;
    Ok((changed == 1).then_some(reservation))
}

/// Gives back what a line held (the line was declined, removed or the order cancelled).
pub async fn release(tx: &TenantTx, line_id: Uuid) -> Result<(), ServiceError> {
    let Some(reservation) = settle(tx, line_id, "released").await? else {
        return Ok(());
    };
    tx.update_all(
        stock_level::Entity::update_many()
            .col_expr(
                stock_level::Column::ReservedMilli,
                Expr::col(stock_level::Column::ReservedMilli).sub(reservation.quantity_milli),
            )
            .filter(stock_level::Column::PartId.eq(reservation.part_id))
            .filter(stock_level::Column::BranchId.eq(reservation.branch_id)),
    )
    .await?;
    Ok(())
}

/// An approved part line being used up on its order.
#[derive(Debug, Clone, Copy)]
pub struct LineUse {
    pub line_id: Uuid,
    pub part_id: PartId,
    pub branch_id: Uuid,
    pub quantity_milli: i64,
    pub repair_order_id: RepairOrderId,
}

/// Takes a line's part out of stock for its order (the work is done): what it held, or, when
/// nothing could be held at approval, from what is there now (refused when it is not there,
/// unless the workshop allows negative stock). A line is used up once.
pub async fn consume_line(
    tx: &TenantTx,
    line: LineUse,
    by: Option<String>,
) -> Result<Notified, ServiceError> {
    let already = tx
        .count(
            tx.select::<stock_reservation::Entity>()
                .filter(stock_reservation::Column::LineId.eq(line.line_id))
                .filter(stock_reservation::Column::Status.eq("consumed")),
        )
        .await?;
    if already > 0 {
        return Ok(Notified::default());
    }
    let part = tx.get::<part::Entity>(line.part_id.0).await?;
    let (quantity, release) = match settle(tx, line.line_id, "consumed").await? {
        Some(reservation) => (reservation.quantity_milli, reservation.quantity_milli),
        None => {
            // Nothing was held: record the use as a consumed reservation, so it happens once.
            tx.delete_all(
                stock_reservation::Entity::delete_many()
                    .filter(stock_reservation::Column::LineId.eq(line.line_id)),
            )
            .await?;
            let now = Utc::now();
            tx.insert(stock_reservation::ActiveModel {
                tenant_id: Set(tx.tenant_id().0),
                id: Set(Uuid::now_v7()),
                line_id: Set(line.line_id),
                part_id: Set(line.part_id.0),
                branch_id: Set(line.branch_id),
                quantity_milli: Set(line.quantity_milli),
                status: Set("consumed".into()),
                created_at: Set(now),
                updated_at: Set(now),
            })
            .await?;
            (line.quantity_milli, 0)
        }
    };
    let mut movement = Movement::new(
        line.part_id,
        line.branch_id,
        MovementKind::Consume,
        quantity,
    );
    movement.repair_order_id = Some(line.repair_order_id);
    movement.unit_cost_minor = Some(part.cost_minor);
    let (_, notified) = apply(tx, movement, release, by).await?;
    Ok(notified)
}

/// A stock change as staff enter it: receive, adjust (signed, with a reason) or return.
#[derive(Debug, Clone, Default)]
pub struct MovementInput {
    pub part_id: PartId,
    pub branch_id: Uuid,
    pub kind: String,
    /// As typed (`2`, `1.5`; an adjustment may be negative).
    pub quantity: String,
    pub reason: Option<String>,
}

/// Records a movement staff entered by hand.
pub async fn record(
    inv: &Inventory,
    actor: &Actor,
    input: &MovementInput,
) -> Result<stock_movement::Model, ServiceError> {
    actor.require(Permission::InventoryAdjust)?;
    let mut errors = FieldErrors::new();
    let kind = match MovementKind::parse(input.kind.trim()) {
        Some(
            k @ (MovementKind::Receive | MovementKind::Adjust | MovementKind::ReturnToSupplier),
        ) => Some(k),
        Some(_) => {
            errors.add(
                "kind",
                "consumption comes from repair orders, transfers from the transfer form",
            );
            None
        }
        None => {
            errors.add("kind", "must be receive, adjust or return_to_supplier");
            None
        }
    };
    let quantity = if kind == Some(MovementKind::Adjust) {
        errors.check("quantity", parse_signed_quantity(&input.quantity))
    } else {
        errors.check("quantity", parse_quantity(&input.quantity))
    };
    if quantity == Some(0) {
        errors.add("quantity", "an adjustment of nothing changes nothing");
    }
    let reason = errors
        .check(
            "reason",
            pitlane_domain::text::optional_text(input.reason.as_deref(), 500),
        )
        .flatten();
    if kind == Some(MovementKind::Adjust) && reason.is_none() {
        errors.add(
            "reason",
            "say why the stock is adjusted (counted, damaged, found…)",
        );
    }
    errors.into_result()?;
    let (Some(kind), Some(quantity)) = (kind, quantity) else {
        return Err(ServiceError::internal("checked above"));
    };
    let tx = inv.store.tx(&TenantCtx::of(actor)).await?;
    known_branch(&tx, input.branch_id).await?;
    known_part(&tx, input.part_id).await?;
    let by = tx.actor_name(actor).await?;
    let mut movement = Movement::new(input.part_id, input.branch_id, kind, quantity);
    movement.reason = reason;
    let (row, notified) = apply(&tx, movement, 0, by).await?;
    tx.commit().await?;
    notified.publish(&inv.live).await;
    Ok(row)
}

pub(crate) async fn known_branch(tx: &TenantTx, id: Uuid) -> Result<branch::Model, ServiceError> {
    match tx.get::<branch::Entity>(id).await {
        Ok(b) => Ok(b),
        Err(pitlane_store::StoreError::NotFound) => {
            Err(FieldErrors::single("branch_id", "no such branch").into())
        }
        Err(e) => Err(e.into()),
    }
}

pub(crate) async fn known_part(tx: &TenantTx, id: PartId) -> Result<part::Model, ServiceError> {
    match tx.get::<part::Entity>(id.0).await {
        Ok(p) => Ok(p),
        Err(pitlane_store::StoreError::NotFound) => {
            Err(FieldErrors::single("part_id", "no such part").into())
        }
        Err(e) => Err(e.into()),
    }
}

/// Sends stock from one branch to another: two movements sharing one transfer id.
pub async fn transfer(
    inv: &Inventory,
    actor: &Actor,
    part_id: PartId,
    from: Uuid,
    to: Uuid,
    quantity: &str,
) -> Result<Uuid, ServiceError> {
    actor.require(Permission::InventoryAdjust)?;
    let mut errors = FieldErrors::new();
    let quantity = errors.check("quantity", parse_quantity(quantity));
    if from == to {
        errors.add(
            "to_branch_id",
            "choose another branch than the one it leaves",
        );
    }
    errors.into_result()?;
    let quantity = quantity.unwrap_or_default();
    let tx = inv.store.tx(&TenantCtx::of(actor)).await?;
    known_part(&tx, part_id).await?;
    known_branch(&tx, from)
        .await
        .map_err(|e| e.renamed("branch_id", "from_branch_id"))?;
    known_branch(&tx, to)
        .await
        .map_err(|e| e.renamed("branch_id", "to_branch_id"))?;
    let by = tx.actor_name(actor).await?;
    let transfer_id = Uuid::now_v7();
    let mut out = Movement::new(part_id, from, MovementKind::TransferOut, quantity);
    out.transfer_id = Some(transfer_id);
    let (_, notified) = apply(&tx, out, 0, by.clone()).await?;
    let mut into = Movement::new(part_id, to, MovementKind::TransferIn, quantity);
    into.transfer_id = Some(transfer_id);
    apply(&tx, into, 0, by).await?;
    tx.commit().await?;
    notified.publish(&inv.live).await;
    Ok(transfer_id)
}

/// A part's level at one branch, as lists show it.
#[derive(Debug, Clone)]
pub struct LevelView {
    pub level: stock_level::Model,
    pub part: part::Model,
}

impl LevelView {
    pub fn available_milli(&self) -> i64 {
        self.level.on_hand_milli - self.level.reserved_milli
    }

    pub fn is_low(&self) -> bool {
        self.level
            .reorder_at_milli
            .is_some_and(|at| self.available_milli() <= at)
    }
}

/// The levels at a branch (every branch the actor sees when none is named), by part name;
/// only the low ones when asked.
pub async fn levels(
    inv: &Inventory,
    actor: &Actor,
    branch_id: Option<Uuid>,
    low_only: bool,
) -> Result<Vec<LevelView>, ServiceError> {
    actor.require(Permission::InventoryRead)?;
    let tx = inv.store.tx(&TenantCtx::of(actor)).await?;
    let views = levels_in(&tx, branch_id, low_only).await?;
    tx.commit().await?;
    Ok(views)
}

pub(crate) async fn levels_in(
    tx: &TenantTx,
    branch_id: Option<Uuid>,
    low_only: bool,
) -> Result<Vec<LevelView>, ServiceError> {
    let query = levels_query(tx, branch_id, low_only).await?;
    let rows = tx.all(query.limit(5000)).await?;
    let mut views = with_parts(tx, rows).await?;
    views.sort_by(|a, b| a.part.name.cmp(&b.part.name));
    Ok(views)
}

/// A page of the stock levels (at one branch, or every branch the actor sees; only those at
/// or below their reorder point with `low_only`), in the order the levels were first stocked
/// (by id): `after` is the last id of the page before.
pub async fn levels_page(
    inv: &Inventory,
    actor: &Actor,
    branch_id: Option<Uuid>,
    low_only: bool,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Page<LevelView>, ServiceError> {
    actor.require(Permission::InventoryRead)?;
    let tx = inv.store.tx(&TenantCtx::of(actor)).await?;
    let query = levels_query(&tx, branch_id, low_only).await?;
    let page = tx.page(query, after, limit.clamp(1, 200)).await?;
    let items = with_parts(&tx, page.items).await?;
    tx.commit().await?;
    Ok(Page {
        items,
        next: page.next,
    })
}

async fn levels_query(
    tx: &TenantTx,
    branch_id: Option<Uuid>,
    low_only: bool,
) -> Result<Select<stock_level::Entity>, ServiceError> {
    let mut query = tx.select::<stock_level::Entity>();
    if let Some(branch_id) = branch_id {
        known_branch(tx, branch_id).await?;
        query = query.filter(stock_level::Column::BranchId.eq(branch_id));
    }
    if low_only {
        query = query.filter(
            Expr::col(stock_level::Column::OnHandMilli)
                .sub(Expr::col(stock_level::Column::ReservedMilli))
                .lte(Expr::col(stock_level::Column::ReorderAtMilli)),
        );
    }
    Ok(query)
}

/// The levels with their parts, in the levels' order.
async fn with_parts(
    tx: &TenantTx,
    rows: Vec<stock_level::Model>,
) -> Result<Vec<LevelView>, ServiceError> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.part_id).collect();
    let parts = tx
        .all(
            tx.select::<part::Entity>()
                .filter(part::Column::Id.is_in(ids)),
        )
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|level| {
            let part = parts.iter().find(|p| p.id == level.part_id)?.clone();
            Some(LevelView { level, part })
        })
        .collect())
}

/// How many parts are at or below their reorder point at the branches the actor sees, for
/// the dashboard.
pub async fn low_count(inv: &Inventory, actor: &Actor) -> Result<u64, ServiceError> {
    actor.require(Permission::InventoryRead)?;
    let tx = inv.store.tx(&TenantCtx::of(actor)).await?;
    let count = low_in(&tx).await?;
    tx.commit().await?;
    Ok(count)
}

/// [`low_count`] in an open transaction (the caller has checked `inventory.read`).
pub async fn low_in(tx: &TenantTx) -> Result<u64, ServiceError> {
    Ok(tx.count(low(tx)).await?)
}

/// The stock levels at or below their reorder point (to count with others).
pub fn low(tx: &TenantTx) -> Select<stock_level::Entity> {
    tx.select::<stock_level::Entity>().filter(
        Expr::col(stock_level::Column::OnHandMilli)
            .sub(Expr::col(stock_level::Column::ReservedMilli))
            .lte(Expr::col(stock_level::Column::ReorderAtMilli)),
    )
}

/// Every level of a part, one per branch the actor sees, with the latest movements.
pub async fn part_stock(
    inv: &Inventory,
    actor: &Actor,
    part_id: PartId,
) -> Result<(Vec<stock_level::Model>, Vec<stock_movement::Model>), ServiceError> {
    actor.require(Permission::InventoryRead)?;
    let tx = inv.store.tx(&TenantCtx::of(actor)).await?;
    tx.get::<part::Entity>(part_id.0).await?;
    let levels = tx
        .all(
            tx.select::<stock_level::Entity>()
                .filter(stock_level::Column::PartId.eq(part_id.0))
                .order_by_asc(stock_level::Column::Id),
        )
        .await?;
    let movements = tx
        .all(
            tx.select::<stock_movement::Entity>()
                .filter(stock_movement::Column::PartId.eq(part_id.0))
                .order_by_desc(stock_movement::Column::Id)
                .limit(100),
        )
        .await?;
    tx.commit().await?;
    Ok((levels, movements))
}

/// A page of the stock ledger (of one part and/or branch when named), newest first (by id):
/// `after` is the last id of the page before.
pub async fn movements(
    inv: &Inventory,
    actor: &Actor,
    part_id: Option<PartId>,
    branch_id: Option<Uuid>,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Page<stock_movement::Model>, ServiceError> {
    actor.require(Permission::InventoryRead)?;
    let tx = inv.store.tx(&TenantCtx::of(actor)).await?;
    let mut query = tx.select::<stock_movement::Entity>();
    if let Some(part_id) = part_id {
        query = query.filter(stock_movement::Column::PartId.eq(part_id.0));
    }
    if let Some(branch_id) = branch_id {
        query = query.filter(stock_movement::Column::BranchId.eq(branch_id));
    }
    let page = tx.page_newest(query, after, limit.clamp(1, 200)).await?;
    tx.commit().await?;
    Ok(page)
}

/// The reorder point and bin of a stock level (by its id).
pub async fn set_reorder_of_level(
    inv: &Inventory,
    actor: &Actor,
    level_id: Uuid,
    reorder_at: Option<&str>,
    bin_location: Option<&str>,
) -> Result<stock_level::Model, ServiceError> {
    actor.require(Permission::InventoryAdjust)?;
    let level = {
        let tx = inv.store.tx(&TenantCtx::of(actor)).await?;
        let level = tx.get::<stock_level::Entity>(level_id).await?;
        tx.commit().await?;
        level
    };
    set_reorder(
        inv,
        actor,
        PartId(level.part_id),
        level.branch_id,
        reorder_at,
        bin_location,
    )
    .await
}

/// The reorder point and bin of a part at a branch.
pub async fn set_reorder(
    inv: &Inventory,
    actor: &Actor,
    part_id: PartId,
    branch_id: Uuid,
    reorder_at: Option<&str>,
    bin_location: Option<&str>,
) -> Result<stock_level::Model, ServiceError> {
    actor.require(Permission::InventoryAdjust)?;
    let mut errors = FieldErrors::new();
    let reorder_at = match reorder_at.map(str::trim).filter(|r| !r.is_empty()) {
        None => None,
        Some("0") => Some(0),
        Some(raw) => errors.check("reorder_at", parse_quantity(raw)),
    };
    let bin = errors
        .check(
            "bin_location",
            pitlane_domain::text::optional_text(bin_location, 40),
        )
        .flatten();
    errors.into_result()?;
    let tx = inv.store.tx(&TenantCtx::of(actor)).await?;
    known_part(&tx, part_id).await?;
    known_branch(&tx, branch_id).await?;
    let level = level_row(&tx, part_id, branch_id).await?;
    let mut row = level.into_active_model();
    row.reorder_at_milli = Set(reorder_at);
    row.bin_location = Set(bin);
    row.low_notified_at = Set(None);
    row.updated_at = Set(Utc::now());
    let level = tx.update(row).await?;
    let part = tx.get::<part::Entity>(part_id.0).await?;
    let notified = watch_level(&tx, &part, level.id).await?;
    let level = tx.get::<stock_level::Entity>(level.id).await?;
    tx.commit().await?;
    notified.publish(&inv.live).await;
    Ok(level)
}
