//! Bays as the API sends and takes them.

use pitlane_frontdesk::resources::BayInput;
use pitlane_store::entity::bay;
use poem_openapi::{Object, types::Example};
use uuid::Uuid;

/// A working place in a branch.
#[derive(Object)]
pub struct Bay {
    pub id: Uuid,
    pub branch_id: Uuid,
    pub name: String,
    pub kind: String,
    pub active: bool,
}

impl From<bay::Model> for Bay {
    fn from(b: bay::Model) -> Self {
        Self {
            id: b.id,
            branch_id: b.branch_id,
            name: b.name,
            kind: b.kind,
            active: b.active,
        }
    }
}

#[derive(Object)]
#[oai(example)]
pub struct BayWrite {
    pub branch_id: Uuid,
    pub name: String,
    pub kind: String,
    #[oai(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

impl Example for BayWrite {
    fn example() -> Self {
        Self {
            branch_id: Uuid::nil(),
            name: "Lift 1".into(),
            kind: "lift".into(),
            active: true,
        }
    }
}

impl From<BayWrite> for BayInput {
    fn from(w: BayWrite) -> Self {
        Self {
            branch_id: w.branch_id,
            name: w.name,
            kind: w.kind,
            active: w.active,
        }
    }
}
