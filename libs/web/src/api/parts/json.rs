//! The parts catalogue: a part with its cost and selling price, and what adding or changing
//! one takes.

use pitlane_inventory::parts::PartInput;
use pitlane_store::entity::part;
use poem_openapi::{Object, types::Example};
use uuid::Uuid;

#[derive(Object)]
pub struct Part {
    pub id: Uuid,
    pub sku: String,
    pub name: String,
    #[oai(nullable)]
    pub brand: Option<String>,
    #[oai(nullable)]
    pub fitment_notes: Option<String>,
    /// What it costs the workshop; only for callers with `inventory.adjust` or `reports.view`.
    #[oai(nullable)]
    pub cost_minor: Option<i64>,
    /// Its own price; unset when priced by the workshop's markup.
    #[oai(nullable)]
    pub price_minor: Option<i64>,
    /// What it sells for now (its price, or the markup applied to its cost).
    pub selling_price_minor: i64,
    /// `standard` or `exempt`.
    pub tax_class: String,
    #[oai(nullable)]
    pub barcode: Option<String>,
    #[oai(nullable)]
    pub supplier_id: Option<Uuid>,
    pub active: bool,
}

impl Part {
    /// The part at its selling price; its cost only when the reader may see it.
    pub fn new(p: part::Model, selling: i64, sees_cost: bool) -> Self {
        Self {
            id: p.id,
            sku: p.sku,
            name: p.name,
            brand: p.brand,
            fitment_notes: p.fitment_notes,
            cost_minor: sees_cost.then_some(p.cost_minor),
            price_minor: p.price_minor,
            selling_price_minor: selling,
            tax_class: p.tax_class,
            barcode: p.barcode,
            supplier_id: p.supplier_id,
            active: p.active,
        }
    }
}

#[derive(Object)]
#[oai(example)]
pub struct PartWrite {
    pub sku: String,
    pub name: String,
    pub brand: Option<String>,
    pub fitment_notes: Option<String>,
    /// As typed in the workshop's currency (`18.40`).
    pub cost: String,
    /// Empty: priced by the workshop's markup or price matrix.
    pub price: Option<String>,
    /// `standard` (default) or `exempt`.
    pub tax_class: Option<String>,
    pub barcode: Option<String>,
    pub supplier_id: Option<Uuid>,
    /// Default true; a part no longer sold stays for the orders that used it.
    pub active: Option<bool>,
}

impl Example for PartWrite {
    fn example() -> Self {
        Self {
            sku: "BP-1042".into(),
            name: "Front brake pad set".into(),
            brand: Some("Brembo".into()),
            fitment_notes: Some("VW Golf VII 2013–2020".into()),
            cost: "38.50".into(),
            price: None,
            tax_class: None,
            barcode: Some("8020584012345".into()),
            supplier_id: None,
            active: None,
        }
    }
}

impl From<PartWrite> for PartInput {
    fn from(w: PartWrite) -> Self {
        PartInput {
            sku: w.sku,
            name: w.name,
            brand: w.brand,
            fitment_notes: w.fitment_notes,
            cost: w.cost,
            price: w.price,
            tax_class: w.tax_class,
            barcode: w.barcode,
            supplier_id: w.supplier_id,
            active: w.active.unwrap_or(true),
        }
    }
}
