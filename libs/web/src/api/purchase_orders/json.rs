//! Purchase orders to suppliers: drafting, ordering, cancelling and booking in deliveries.

use chrono::{DateTime, NaiveDate, Utc};
use pitlane_domain::quantity::format_quantity;
use pitlane_inventory::purchasing::{
    self, Delivery, LineInput, PurchaseOrderInput, PurchaseOrderView,
};
use pitlane_store::entity::{purchase_order, purchase_order_line};
use poem_openapi::{Object, types::Example};
use uuid::Uuid;

#[derive(Object)]
pub struct PurchaseOrderLine {
    pub id: Uuid,
    pub part_id: Uuid,
    pub quantity: String,
    pub received: String,
    pub unit_cost_minor: i64,
}

impl From<purchase_order_line::Model> for PurchaseOrderLine {
    fn from(l: purchase_order_line::Model) -> Self {
        Self {
            id: l.id,
            part_id: l.part_id,
            quantity: format_quantity(l.quantity_milli),
            received: format_quantity(l.received_milli),
            unit_cost_minor: l.unit_cost_minor,
        }
    }
}

#[derive(Object)]
pub struct PurchaseOrder {
    pub id: Uuid,
    /// `PO-1001`.
    pub number: String,
    pub branch_id: Uuid,
    pub supplier_id: Uuid,
    /// `draft`, `ordered`, `partly_received`, `received` or `cancelled`.
    pub status: String,
    #[oai(nullable)]
    pub notes: Option<String>,
    #[oai(nullable)]
    pub ordered_at: Option<DateTime<Utc>>,
    #[oai(nullable)]
    pub expected_on: Option<NaiveDate>,
    pub lines: Vec<PurchaseOrderLine>,
}

impl From<PurchaseOrderView> for PurchaseOrder {
    fn from(v: PurchaseOrderView) -> Self {
        Self {
            id: v.order.id,
            number: purchasing::display_number(v.order.number),
            branch_id: v.order.branch_id,
            supplier_id: v.order.supplier_id,
            status: v.order.status,
            notes: v.order.notes,
            ordered_at: v.order.ordered_at,
            expected_on: v.order.expected_on,
            lines: v.lines.into_iter().map(PurchaseOrderLine::from).collect(),
        }
    }
}

#[derive(Object)]
pub struct PurchaseOrderSummary {
    pub id: Uuid,
    pub number: String,
    pub branch_id: Uuid,
    pub supplier_id: Uuid,
    pub status: String,
    #[oai(nullable)]
    pub expected_on: Option<NaiveDate>,
}

impl From<purchase_order::Model> for PurchaseOrderSummary {
    fn from(o: purchase_order::Model) -> Self {
        Self {
            id: o.id,
            number: purchasing::display_number(o.number),
            branch_id: o.branch_id,
            supplier_id: o.supplier_id,
            status: o.status,
            expected_on: o.expected_on,
        }
    }
}

#[derive(Object)]
pub struct PurchaseLineWrite {
    pub part_id: Uuid,
    pub quantity: String,
    /// Empty: the part's cost.
    pub unit_cost: Option<String>,
}

impl From<PurchaseLineWrite> for LineInput {
    fn from(l: PurchaseLineWrite) -> Self {
        LineInput {
            part_id: l.part_id.into(),
            quantity: l.quantity,
            unit_cost: l.unit_cost,
        }
    }
}

#[derive(Object)]
#[oai(example)]
pub struct PurchaseOrderWrite {
    pub branch_id: Uuid,
    pub supplier_id: Uuid,
    pub notes: Option<String>,
    pub expected_on: Option<NaiveDate>,
    pub lines: Vec<PurchaseLineWrite>,
}

impl Example for PurchaseOrderWrite {
    fn example() -> Self {
        Self {
            branch_id: Uuid::nil(),
            supplier_id: Uuid::nil(),
            notes: None,
            expected_on: None,
            lines: vec![PurchaseLineWrite {
                part_id: Uuid::nil(),
                quantity: "4".into(),
                unit_cost: None,
            }],
        }
    }
}

impl From<PurchaseOrderWrite> for PurchaseOrderInput {
    fn from(w: PurchaseOrderWrite) -> Self {
        PurchaseOrderInput {
            branch_id: w.branch_id,
            supplier_id: w.supplier_id,
            notes: w.notes,
            expected_on: w.expected_on,
            lines: w.lines.into_iter().map(LineInput::from).collect(),
        }
    }
}

#[derive(Object)]
pub struct DeliveryLineWrite {
    pub line_id: Uuid,
    pub quantity: String,
}

#[derive(Object)]
#[oai(example)]
pub struct DeliveryWrite {
    pub lines: Vec<DeliveryLineWrite>,
}

impl Example for DeliveryWrite {
    fn example() -> Self {
        Self {
            lines: vec![DeliveryLineWrite {
                line_id: Uuid::nil(),
                quantity: "2".into(),
            }],
        }
    }
}

impl From<DeliveryWrite> for Delivery {
    fn from(w: DeliveryWrite) -> Self {
        Delivery {
            lines: w
                .lines
                .into_iter()
                .map(|l| (l.line_id, l.quantity))
                .collect(),
        }
    }
}
