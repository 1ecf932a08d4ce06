//! Suppliers the workshop buys parts from.

use pitlane_inventory::suppliers::SupplierInput;
use pitlane_store::entity::supplier;
use poem_openapi::{Object, types::Example};
use uuid::Uuid;

#[derive(Object)]
pub struct Supplier {
    pub id: Uuid,
    pub name: String,
    #[oai(nullable)]
    pub email: Option<String>,
    #[oai(nullable)]
    pub phone: Option<String>,
    #[oai(nullable)]
    pub account_number: Option<String>,
    #[oai(nullable)]
    pub notes: Option<String>,
}

impl From<supplier::Model> for Supplier {
    fn from(s: supplier::Model) -> Self {
        Self {
            id: s.id,
            name: s.name,
            email: s.email,
            phone: s.phone,
            account_number: s.account_number,
            notes: s.notes,
        }
    }
}

#[derive(Object)]
#[oai(example)]
pub struct SupplierWrite {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub account_number: Option<String>,
    pub notes: Option<String>,
}

impl Example for SupplierWrite {
    fn example() -> Self {
        Self {
            name: "Motor Factors Ltd".into(),
            email: Some("orders@motorfactors.example".into()),
            phone: None,
            account_number: Some("PL-2291".into()),
            notes: None,
        }
    }
}

impl From<SupplierWrite> for SupplierInput {
    fn from(w: SupplierWrite) -> Self {
        SupplierInput {
            name: w.name,
            email: w.email,
            phone: w.phone,
            account_number: w.account_number,
            notes: w.notes,
        }
    }
}
