//! Declined services: estimate lines the customer said no to, for following up.

use chrono::{DateTime, Utc};
use pitlane_domain::repair_order::display_number;
use pitlane_store::entity::{repair_order, repair_order_line};
use pitlane_workshop::lines;
use poem_openapi::Object;
use uuid::Uuid;

#[derive(Object)]
pub struct DeclinedService {
    /// The declined line.
    pub id: Uuid,
    pub repair_order_id: Uuid,
    pub number: String,
    pub vehicle_id: Uuid,
    pub customer_id: Uuid,
    pub description: String,
    pub amount_minor: i64,
    #[oai(nullable)]
    pub declined_at: Option<DateTime<Utc>>,
}

/// The declined line of its order.
impl From<(repair_order::Model, repair_order_line::Model)> for DeclinedService {
    fn from((order, line): (repair_order::Model, repair_order_line::Model)) -> Self {
        Self {
            id: line.id,
            repair_order_id: order.id,
            number: display_number(order.number),
            vehicle_id: order.vehicle_id,
            customer_id: order.customer_id,
            amount_minor: lines::priced(&line).amount(),
            description: line.description,
            declined_at: line.decided_at,
        }
    }
}
