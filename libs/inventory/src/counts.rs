//! Stock counts: the levels at a branch are noted when a count starts, staff enter what they
//! find, and completing the count adjusts each level to what was counted (an `adjust`
//! movement with the count's id), leaving a variance report.

use chrono::Utc;
use pitlane_domain::{
    Actor, FieldErrors, ServiceError, ids::PartId, permissions::Permission,
    quantity::parse_quantity, stock::MovementKind,
};
use pitlane_store::{
    Page, TenantCtx, TenantTx,
    entity::{part, stock_count, stock_count_line, stock_level},
    sea_orm::{
        ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
        QuerySelect, sea_query::Expr,
    },
};
use uuid::Uuid;

use crate::{
    Inventory,
    stock::{self, Movement, known_branch},
};

/// One part of a count: what the books said, what was found, what it is worth.
#[derive(Debug, Clone)]
pub struct VarianceLine {
    pub line: stock_count_line::Model,
    pub part: part::Model,
}

impl VarianceLine {
    /// Counted − expected, in thousandths; none until counted.
    pub fn variance_milli(&self) -> Option<i64> {
        self.line
            .counted_milli
            .map(|c| c - self.line.expected_milli)
    }

    /// The variance at cost, in minor units.
    pub fn variance_value(&self) -> Option<i64> {
        self.variance_milli().map(|v| {
            pitlane_domain::pricing::round_minor(
                pitlane_domain::quantity::from_milli(v)
                    * rust_decimal::Decimal::from(self.part.cost_minor),
            )
        })
    }
}

#[derive(Debug, Clone)]
pub struct CountView {
    pub count: stock_count::Model,
    pub lines: Vec<VarianceLine>,
}

async fn view(tx: &TenantTx, count: stock_count::Model) -> Result<CountView, ServiceError> {
    let lines = tx
        .all(
            tx.select::<stock_count_line::Entity>()
                .filter(stock_count_line::Column::StockCountId.eq(count.id)),
        )
        .await?;
    let ids: Vec<Uuid> = lines.iter().map(|l| l.part_id).collect();
    let parts = tx
        .all(
            tx.select::<part::Entity>()
                .filter(part::Column::Id.is_in(ids)),
        )
        .await?;
    let mut lines: Vec<VarianceLine> = lines
        .into_iter()
        .filter_map(|line| {
            let part = parts.iter().find(|p| p.id == line.part_id)?.clone();
            Some(VarianceLine { line, part })
        })
        .collect();
    lines.sort_by(|a, b| a.part.name.cmp(&b.part.name));
    Ok(CountView { count, lines })
}

/// Starts a count at a branch: every part stocked there, with its level now.
pub async fn start(
    inv: &Inventory,
    actor: &Actor,
    branch_id: Uuid,
) -> Result<CountView, ServiceError> {
    actor.require(Permission::InventoryAdjust)?;
    let tx = inv.store.tx(&TenantCtx::of(actor)).await?;
    known_branch(&tx, branch_id).await?;
    let already_open = || {
        ServiceError::Conflict(FieldErrors::single(
            "branch_id",
            "a count is already open at this branch; complete it first",
        ))
    };
    let open = tx
        .first(
            tx.select::<stock_count::Entity>()
                .filter(stock_count::Column::BranchId.eq(branch_id))
                .filter(stock_count::Column::Status.eq("open")),
        )
        .await?;
    if open.is_some() {
        return Err(already_open());
    }
    let by = tx.actor_name(actor).await?;
    let count = tx
        .insert(stock_count::ActiveModel {
            tenant_id: Set(tx.tenant_id().0),
            id: Set(Uuid::now_v7()),
            branch_id: Set(branch_id),
            status: Set("open".into()),
            started_by: Set(by),
            started_at: Set(Utc::now()),
            completed_at: Set(None),
        })
        .await
        .map_err(|e| {
            if e.is_conflict_on("stock_counts_one_open") {
                already_open()
            } else {
                e.into()
            }
        })?;
    let levels = tx
        .all(
            tx.select::<stock_level::Entity>()
                .filter(stock_level::Column::BranchId.eq(branch_id))
                .limit(10_000),
        )
        .await?;
    for level in levels {
        tx.insert(stock_count_line::ActiveModel {
            tenant_id: Set(tx.tenant_id().0),
            id: Set(Uuid::now_v7()),
            stock_count_id: Set(count.id),
            part_id: Set(level.part_id),
            expected_milli: Set(level.on_hand_milli),
            counted_milli: Set(None),
        })
        .await?;
    }
    let result = view(&tx, count).await?;
    tx.commit().await?;
    Ok(result)
}

pub async fn get(inv: &Inventory, actor: &Actor, id: Uuid) -> Result<CountView, ServiceError> {
    actor.require(Permission::InventoryRead)?;
    let tx = inv.store.tx(&TenantCtx::of(actor)).await?;
    let count = tx.get::<stock_count::Entity>(id).await?;
    let result = view(&tx, count).await?;
    tx.commit().await?;
    Ok(result)
}

pub async fn list(inv: &Inventory, actor: &Actor) -> Result<Vec<stock_count::Model>, ServiceError> {
    actor.require(Permission::InventoryRead)?;
    let tx = inv.store.tx(&TenantCtx::of(actor)).await?;
    let rows = tx
        .all(
            tx.select::<stock_count::Entity>()
                .order_by_desc(stock_count::Column::StartedAt)
                .limit(200),
        )
        .await?;
    tx.commit().await?;
    Ok(rows)
}

/// A page of the stock counts, newest first (by id): `after` is the last id of the page
/// before.
pub async fn page(
    inv: &Inventory,
    actor: &Actor,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Page<stock_count::Model>, ServiceError> {
    actor.require(Permission::InventoryRead)?;
    let tx = inv.store.tx(&TenantCtx::of(actor)).await?;
    let page = tx
        .page_newest(
            tx.select::<stock_count::Entity>(),
            after,
            limit.clamp(1, 200),
        )
        .await?;
    tx.commit().await?;
    Ok(page)
}

/// Records what was found of one part (a part not stocked before joins the count at zero).
pub async fn record(
    inv: &Inventory,
    actor: &Actor,
    id: Uuid,
    part_id: PartId,
    counted: &str,
) -> Result<CountView, ServiceError> {
    actor.require(Permission::InventoryAdjust)?;
    let counted = match counted.trim() {
        "0" => 0,
        raw => parse_quantity(raw).map_err(|e| FieldErrors::single("counted", e))?,
    };
    let tx = inv.store.tx(&TenantCtx::of(actor)).await?;
    let count = tx.get::<stock_count::Entity>(id).await?;
    if count.status != "open" {
        return Err(FieldErrors::single("status", "this count is completed").into());
    }
    stock::known_part(&tx, part_id).await?;
    let existing = tx
        .first(
            tx.select::<stock_count_line::Entity>()
                .filter(stock_count_line::Column::StockCountId.eq(id))
                .filter(stock_count_line::Column::PartId.eq(part_id.0)),
        )
        .await?;
    match existing {
        Some(line) => {
            let mut row = line.into_active_model();
            row.counted_milli = Set(Some(counted));
            tx.update(row).await?;
        }
        None => {
            tx.insert(stock_count_line::ActiveModel {
                tenant_id: Set(tx.tenant_id().0),
                id: Set(Uuid::now_v7()),
                stock_count_id: Set(id),
                part_id: Set(part_id.0),
                expected_milli: Set(0),
                counted_milli: Set(Some(counted)),
            })
            .await?;
        }
    }
    let result = view(&tx, count).await?;
    tx.commit().await?;
    Ok(result)
}

/// Completes the count: each counted part is adjusted to what was found. Parts not counted
/// keep their level.
pub async fn complete(inv: &Inventory, actor: &Actor, id: Uuid) -> Result<CountView, ServiceError> {
    actor.require(Permission::InventoryAdjust)?;
    let tx = inv.store.tx(&TenantCtx::of(actor)).await?;
    let count = tx.get::<stock_count::Entity>(id).await?;
    if count.status != "open" {
        return Err(FieldErrors::single("status", "this count is already completed").into());
    }
    // Claimed first: of two completions at once, one adjusts and the other is told.
    let claimed = tx
        .update_all(
            stock_count::Entity::update_many()
                .col_expr(stock_count::Column::Status, Expr::value("completed"))
                .col_expr(stock_count::Column::CompletedAt, Expr::value(Utc::now()))
                .filter(stock_count::Column::Id.eq(count.id))
                .filter(stock_count::Column::Status.eq("open")),
        )
        .await?;
    if claimed == 0 {
        return Err(FieldErrors::single("status", "this count is already completed").into());
    }
    let by = tx.actor_name(actor).await?;
    let current = view(&tx, count.clone()).await?;
    let mut notified = pitlane_notify::staff::Notified::default();
    for line in &current.lines {
        // The variance against the level when the count began: what moved meanwhile (a part
        // used on an order during the count) stays counted.
        let Some(change) = line.variance_milli().filter(|v| *v != 0) else {
            continue;
        };
        let mut movement = Movement::new(
            PartId(line.part.id),
            count.branch_id,
            MovementKind::Adjust,
            change,
        );
        movement.reason = Some("stock count".into());
        movement.stock_count_id = Some(count.id);
        let (_, heard) = stock::apply(&tx, movement, 0, by.clone()).await?;
        notified.merge(heard);
    }
    let count = tx.get::<stock_count::Entity>(count.id).await?;
    let result = view(&tx, count).await?;
    tx.commit().await?;
    notified.publish(&inv.live).await;
    Ok(result)
}
