//! Branch closures as the API sends and takes them.

use chrono::NaiveDate;
use pitlane_store::entity::branch_closure;
use poem_openapi::{Object, types::Example};
use uuid::Uuid;

/// Whole local days a branch is closed.
#[derive(Object)]
pub struct Closure {
    pub id: Uuid,
    pub branch_id: Uuid,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub reason: String,
}

impl From<branch_closure::Model> for Closure {
    fn from(c: branch_closure::Model) -> Self {
        Self {
            id: c.id,
            branch_id: c.branch_id,
            starts_on: c.starts_on,
            ends_on: c.ends_on,
            reason: c.reason,
        }
    }
}

#[derive(Object)]
#[oai(example)]
pub struct ClosureWrite {
    pub branch_id: Uuid,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub reason: String,
}

impl Example for ClosureWrite {
    fn example() -> Self {
        Self {
            branch_id: Uuid::nil(),
            starts_on: NaiveDate::from_ymd_opt(2026, 12, 24).unwrap_or_default(),
            ends_on: NaiveDate::from_ymd_opt(2026, 12, 26).unwrap_or_default(),
            reason: "Christmas".into(),
        }
    }
}
