//! Mechanics' absences as the API sends and takes them.

use chrono::{DateTime, Utc};
use pitlane_store::entity::staff_absence;
use poem_openapi::{Object, types::Example};
use uuid::Uuid;

use crate::api::appointments::json::example_time;

#[derive(Object)]
pub struct Absence {
    pub id: Uuid,
    pub mechanic_id: Uuid,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    #[oai(nullable)]
    pub reason: Option<String>,
}

impl From<staff_absence::Model> for Absence {
    fn from(a: staff_absence::Model) -> Self {
        Self {
            id: a.id,
            mechanic_id: a.membership_id,
            starts_at: a.starts_at,
            ends_at: a.ends_at,
            reason: a.reason,
        }
    }
}

#[derive(Object)]
#[oai(example)]
pub struct AbsenceWrite {
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub reason: Option<String>,
}

impl Example for AbsenceWrite {
    fn example() -> Self {
        let start = example_time();
        Self {
            starts_at: start,
            ends_at: start + chrono::Duration::days(2),
            reason: Some("training course".into()),
        }
    }
}
