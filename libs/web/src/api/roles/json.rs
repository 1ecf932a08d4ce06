//! The workshop's own roles as the API sends and takes them.

use chrono::{DateTime, Utc};
use pitlane_domain::permissions::PermissionSet;
use pitlane_identity::roles::RoleInput;
use pitlane_store::entity::role;
use poem_openapi::{Object, types::Example};
use uuid::Uuid;

/// One of the workshop's own roles.
#[derive(Object)]
pub struct CustomRole {
    pub id: Uuid,
    pub name: String,
    #[oai(nullable)]
    pub description: Option<String>,
    /// Permission keys from the catalogue (`GET /permissions`).
    pub permissions: Vec<String>,
    pub updated_at: DateTime<Utc>,
}

impl From<role::Model> for CustomRole {
    fn from(r: role::Model) -> Self {
        Self {
            id: r.id,
            permissions: PermissionSet::from_stored(&r.permissions).keys(),
            name: r.name,
            description: r.description,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Object)]
#[oai(example)]
pub struct CustomRoleWrite {
    pub name: String,
    pub description: Option<String>,
    pub permissions: Vec<String>,
}

impl Example for CustomRoleWrite {
    fn example() -> Self {
        Self {
            name: "Parts desk".into(),
            description: Some("Sees repair orders, manages stock".into()),
            permissions: vec![
                "repair_orders.read".into(),
                "inventory.read".into(),
                "inventory.adjust".into(),
            ],
        }
    }
}

impl From<CustomRoleWrite> for RoleInput {
    fn from(w: CustomRoleWrite) -> Self {
        Self {
            name: w.name,
            description: w.description,
            permissions: w.permissions,
        }
    }
}
