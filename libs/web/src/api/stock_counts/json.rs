//! Stock counts: what was on the shelf against what the ledger said, with the variance.

use chrono::{DateTime, Utc};
use pitlane_domain::quantity::format_quantity;
use pitlane_inventory::counts::{CountView, VarianceLine};
use pitlane_store::entity::stock_count;
use poem_openapi::{Object, types::Example};
use uuid::Uuid;

#[derive(Object)]
pub struct CountLine {
    pub part_id: Uuid,
    pub part_sku: String,
    pub part_name: String,
    /// The level when the count began.
    pub expected: String,
    #[oai(nullable)]
    pub counted: Option<String>,
    /// Counted − expected.
    #[oai(nullable)]
    pub variance: Option<String>,
    /// The variance at cost.
    #[oai(nullable)]
    pub variance_value_minor: Option<i64>,
}

impl From<&VarianceLine> for CountLine {
    fn from(l: &VarianceLine) -> Self {
        Self {
            part_id: l.part.id,
            part_sku: l.part.sku.clone(),
            part_name: l.part.name.clone(),
            expected: format_quantity(l.line.expected_milli),
            counted: l.line.counted_milli.map(format_quantity),
            variance: l.variance_milli().map(format_quantity),
            variance_value_minor: l.variance_value(),
        }
    }
}

#[derive(Object)]
pub struct StockCount {
    pub id: Uuid,
    pub branch_id: Uuid,
    /// `open` or `completed`.
    pub status: String,
    #[oai(nullable)]
    pub started_by: Option<String>,
    pub started_at: DateTime<Utc>,
    #[oai(nullable)]
    pub completed_at: Option<DateTime<Utc>>,
    /// The variance report.
    pub lines: Vec<CountLine>,
}

impl From<CountView> for StockCount {
    fn from(v: CountView) -> Self {
        Self {
            id: v.count.id,
            branch_id: v.count.branch_id,
            status: v.count.status,
            started_by: v.count.started_by,
            started_at: v.count.started_at,
            completed_at: v.count.completed_at,
            lines: v.lines.iter().map(CountLine::from).collect(),
        }
    }
}

#[derive(Object)]
pub struct StockCountSummary {
    pub id: Uuid,
    pub branch_id: Uuid,
    pub status: String,
    pub started_at: DateTime<Utc>,
}

impl From<stock_count::Model> for StockCountSummary {
    fn from(c: stock_count::Model) -> Self {
        Self {
            id: c.id,
            branch_id: c.branch_id,
            status: c.status,
            started_at: c.started_at,
        }
    }
}

#[derive(Object)]
#[oai(example)]
pub struct CountStart {
    pub branch_id: Uuid,
}

impl Example for CountStart {
    fn example() -> Self {
        Self {
            branch_id: Uuid::nil(),
        }
    }
}

#[derive(Object)]
#[oai(example)]
pub struct CountedWrite {
    pub part_id: Uuid,
    /// What is on the shelf (`0` allowed).
    pub counted: String,
}

impl Example for CountedWrite {
    fn example() -> Self {
        Self {
            part_id: Uuid::nil(),
            counted: "3".into(),
        }
    }
}
