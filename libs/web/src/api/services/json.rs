//! The service catalogue and free slots as the API sends and takes them.

use chrono::{DateTime, Utc};
use pitlane_domain::schedule::Slot;
use pitlane_frontdesk::catalogue::ServiceInput;
use pitlane_store::entity::service;
use poem_openapi::{Object, types::Example};
use uuid::Uuid;

/// A service of the catalogue.
#[derive(Object)]
pub struct Service {
    pub id: Uuid,
    pub name: String,
    #[oai(nullable)]
    pub description: Option<String>,
    pub duration_minutes: i32,
    /// Price guide in minor units of the workshop's currency (cents).
    #[oai(nullable)]
    pub price_from_minor: Option<i64>,
    #[oai(nullable)]
    pub price_to_minor: Option<i64>,
    /// The kind of bay it needs (`lift`, `alignment`…); any bay when absent.
    #[oai(nullable)]
    pub bay_kind: Option<String>,
    /// The skill a mechanic needs; any mechanic when absent.
    #[oai(nullable)]
    pub skill: Option<String>,
    pub bookable_online: bool,
    pub active: bool,
}

impl From<service::Model> for Service {
    fn from(s: service::Model) -> Self {
        Self {
            id: s.id,
            name: s.name,
            description: s.description,
            duration_minutes: s.duration_minutes,
            price_from_minor: s.price_from_minor,
            price_to_minor: s.price_to_minor,
            bay_kind: s.bay_kind,
            skill: s.skill,
            bookable_online: s.bookable_online,
            active: s.active,
        }
    }
}

/// A new or changed service. Prices are typed amounts in the workshop's currency (`89.00`).
#[derive(Object)]
#[oai(example)]
pub struct ServiceWrite {
    pub name: String,
    pub description: Option<String>,
    pub duration_minutes: i32,
    pub price_from: Option<String>,
    pub price_to: Option<String>,
    pub bay_kind: Option<String>,
    pub skill: Option<String>,
    #[oai(default)]
    pub bookable_online: bool,
    #[oai(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

impl Example for ServiceWrite {
    fn example() -> Self {
        Self {
            name: "Annual service".into(),
            description: Some("Oil and filter, brakes, lights, fluids, 40-point check.".into()),
            duration_minutes: 90,
            price_from: Some("149.00".into()),
            price_to: Some("219.00".into()),
            bay_kind: Some("lift".into()),
            skill: None,
            bookable_online: true,
            active: true,
        }
    }
}

impl From<ServiceWrite> for ServiceInput {
    fn from(w: ServiceWrite) -> Self {
        Self {
            name: w.name,
            description: w.description,
            duration_minutes: w.duration_minutes,
            price_from: w.price_from,
            price_to: w.price_to,
            bay_kind: w.bay_kind,
            skill: w.skill,
            bookable_online: w.bookable_online,
            active: w.active,
        }
    }
}

/// A time a service can be booked.
#[derive(Object)]
pub struct FreeSlot {
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub bay_id: Uuid,
    pub mechanic_id: Uuid,
}

impl From<Slot> for FreeSlot {
    fn from(s: Slot) -> Self {
        Self {
            starts_at: s.span.start,
            ends_at: s.span.end,
            bay_id: s.bay_id,
            mechanic_id: s.mechanic_id,
        }
    }
}

#[derive(Object)]
pub struct FreeSlotList {
    pub branch_id: Uuid,
    pub service_id: Uuid,
    pub items: Vec<FreeSlot>,
}
