//! The extra tax rates a branch may charge beside its standard rate.

use pitlane_store::entity::tax_rate;
use poem_openapi::{Object, types::Example};
use uuid::Uuid;

#[derive(Object)]
pub struct TaxRate {
    pub id: Uuid,
    pub branch_id: Uuid,
    pub name: String,
    pub rate_bp: i32,
}

impl From<tax_rate::Model> for TaxRate {
    fn from(r: tax_rate::Model) -> Self {
        Self {
            id: r.id,
            branch_id: r.branch_id,
            name: r.name,
            rate_bp: r.rate_bp,
        }
    }
}

#[derive(Object)]
#[oai(example)]
pub struct TaxRateWrite {
    pub branch_id: Uuid,
    /// `Reduced`.
    pub name: String,
    /// `5` or `5.5` (per cent).
    pub rate: String,
}

impl Example for TaxRateWrite {
    fn example() -> Self {
        Self {
            branch_id: Uuid::nil(),
            name: "Reduced".into(),
            rate: "5".into(),
        }
    }
}
