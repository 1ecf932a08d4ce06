//! Stock levels: what a branch holds of a part, what is reserved, and its reorder point.
//! `StockLevel` is also what `GET /parts/{part_id}/stock` lists.

use pitlane_domain::quantity::format_quantity;
use pitlane_inventory::stock::LevelView;
use pitlane_store::entity::stock_level;
use poem_openapi::{Object, types::Example};
use uuid::Uuid;

#[derive(Object)]
pub struct StockLevel {
    pub id: Uuid,
    pub part_id: Uuid,
    pub part_sku: String,
    pub part_name: String,
    pub branch_id: Uuid,
    pub on_hand: String,
    /// Held by approved repair-order lines.
    pub reserved: String,
    pub available: String,
    #[oai(nullable)]
    pub reorder_at: Option<String>,
    pub low: bool,
    #[oai(nullable)]
    pub bin_location: Option<String>,
}

impl From<LevelView> for StockLevel {
    fn from(v: LevelView) -> Self {
        Self {
            id: v.level.id,
            part_id: v.part.id,
            part_sku: v.part.sku.clone(),
            part_name: v.part.name.clone(),
            branch_id: v.level.branch_id,
            on_hand: format_quantity(v.level.on_hand_milli),
            reserved: format_quantity(v.level.reserved_milli),
            available: format_quantity(v.available_milli()),
            reorder_at: v.level.reorder_at_milli.map(format_quantity),
            low: v.is_low(),
            bin_location: v.level.bin_location.clone(),
        }
    }
}

/// A level without its part (the SKU and name are empty).
impl From<stock_level::Model> for StockLevel {
    fn from(l: stock_level::Model) -> Self {
        Self {
            id: l.id,
            part_id: l.part_id,
            part_sku: String::new(),
            part_name: String::new(),
            branch_id: l.branch_id,
            on_hand: format_quantity(l.on_hand_milli),
            reserved: format_quantity(l.reserved_milli),
            available: format_quantity(l.on_hand_milli - l.reserved_milli),
            reorder_at: l.reorder_at_milli.map(format_quantity),
            low: l
                .reorder_at_milli
                .is_some_and(|at| l.on_hand_milli - l.reserved_milli <= at),
            bin_location: l.bin_location,
        }
    }
}

#[derive(Object)]
#[oai(example)]
pub struct ReorderWrite {
    /// Notify staff when what is available falls to this; empty turns it off.
    pub reorder_at: Option<String>,
    pub bin_location: Option<String>,
}

impl Example for ReorderWrite {
    fn example() -> Self {
        Self {
            reorder_at: Some("2".into()),
            bin_location: Some("A3-12".into()),
        }
    }
}
