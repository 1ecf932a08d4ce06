//! The stock ledger: every movement (receive, consume, adjust, transfer, return).

use chrono::{DateTime, Utc};
use pitlane_domain::quantity::format_quantity;
use pitlane_inventory::stock::MovementInput;
use pitlane_store::entity::stock_movement;
use poem_openapi::{Object, types::Example};
use uuid::Uuid;

#[derive(Object)]
pub struct StockMovement {
    pub id: Uuid,
    pub part_id: Uuid,
    pub branch_id: Uuid,
    /// `receive`, `consume`, `adjust`, `transfer_out`, `transfer_in` or `return_to_supplier`.
    pub kind: String,
    /// Signed: what it did to the level.
    pub quantity: String,
    #[oai(nullable)]
    pub reason: Option<String>,
    #[oai(nullable)]
    pub repair_order_id: Option<Uuid>,
    #[oai(nullable)]
    pub purchase_order_id: Option<Uuid>,
    #[oai(nullable)]
    pub transfer_id: Option<Uuid>,
    #[oai(nullable)]
    pub stock_count_id: Option<Uuid>,
    #[oai(nullable)]
    pub by: Option<String>,
    pub at: DateTime<Utc>,
}

impl From<stock_movement::Model> for StockMovement {
    fn from(m: stock_movement::Model) -> Self {
        Self {
            id: m.id,
            part_id: m.part_id,
            branch_id: m.branch_id,
            kind: m.kind,
            quantity: format_quantity(m.quantity_milli),
            reason: m.reason,
            repair_order_id: m.repair_order_id,
            purchase_order_id: m.purchase_order_id,
            transfer_id: m.transfer_id,
            stock_count_id: m.stock_count_id,
            by: m.by_name,
            at: m.created_at,
        }
    }
}

#[derive(Object)]
#[oai(example)]
pub struct MovementWrite {
    pub part_id: Uuid,
    pub branch_id: Uuid,
    /// `receive`, `adjust` (signed, with a reason) or `return_to_supplier`.
    pub kind: String,
    /// `2`, `1.5`; an adjustment may be negative.
    pub quantity: String,
    pub reason: Option<String>,
}

impl Example for MovementWrite {
    fn example() -> Self {
        Self {
            part_id: Uuid::nil(),
            branch_id: Uuid::nil(),
            kind: "adjust".into(),
            quantity: "-1".into(),
            reason: Some("damaged in the store".into()),
        }
    }
}

impl From<MovementWrite> for MovementInput {
    fn from(w: MovementWrite) -> Self {
        MovementInput {
            part_id: w.part_id.into(),
            branch_id: w.branch_id,
            kind: w.kind,
            quantity: w.quantity,
            reason: w.reason,
        }
    }
}
