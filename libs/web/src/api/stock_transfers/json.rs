//! Stock transfers between branches.

use poem_openapi::{Object, types::Example};
use uuid::Uuid;

#[derive(Object)]
#[oai(example)]
pub struct TransferWrite {
    pub part_id: Uuid,
    pub from_branch_id: Uuid,
    pub to_branch_id: Uuid,
    pub quantity: String,
}

impl Example for TransferWrite {
    fn example() -> Self {
        Self {
            part_id: Uuid::nil(),
            from_branch_id: Uuid::nil(),
            to_branch_id: Uuid::nil(),
            quantity: "2".into(),
        }
    }
}

#[derive(Object)]
pub struct Transfer {
    /// Shared by the two movements.
    pub transfer_id: Uuid,
}
