//! Roadside help: a driver stuck at the roadside asks their workshop for help, the nearest
//! on-duty mechanic takes it, the driver watches the mechanic come, and the car is fixed on the
//! spot or towed in.
//!
//! - [`request`]: one request as every service shares it: its view, timeline and live
//!   announcements; it depends on none of the others;
//! - [`settings`]: each branch's service area, prices, escalation times and targets;
//! - [`asking`]: the driver's side: a first quote, asking signed in or as a guest with a code,
//!   the driver's link;
//! - [`dispatch`]: who is offered a request, the first acceptance winning, the dispatcher's
//!   board and assignment, escalation as requests wait, mechanics on and off duty;
//! - [`follow`]: what each reader sees of a request (the driver by their link, staff by id)
//!   and who may follow it live;
//! - [`progress`]: on the way, arrived (stamped with the position), working, done or towed in,
//!   cancelled;
//! - [`tracking`]: the mechanic's position while they drive: the latest kept in the bus, a
//!   sampled trail in the database, passing live updates to the driver;
//! - [`chat`]: the driver and the crew writing to each other inside the request, with read
//!   marks and a text to a driver whose page is closed; part of the customer's conversation;
//! - [`work`]: what the mechanic did and used at the roadside, billed with the call-out on
//!   one invoice when the car is fixed on the spot, the parts taken out of stock;
//! - [`customers`]: what happens to requests when their customer is merged or erased, and what
//!   the privacy export holds of them.

pub mod asking;
pub mod chat;
pub mod customers;
pub mod demo;
pub mod dispatch;
pub mod follow;
pub mod progress;
pub mod request;
pub mod settings;
pub mod tracking;
pub mod work;

use pitlane_billing::Billing;
use pitlane_bus::Bus;
use pitlane_frontdesk::FrontDesk;
use pitlane_notify::Live;
use pitlane_store::Store;

/// What the roadside services share: billing (and through it the workshop floor and the
/// front desk) for customers, vehicles, repair orders and invoices, and the bus for the
/// mechanics' latest positions.
#[derive(Clone)]
pub struct Roadside {
    pub billing: Billing,
    pub bus: Bus,
}

impl Roadside {
    pub fn new(billing: Billing, bus: Bus) -> Self {
        Self { billing, bus }
    }

    pub fn desk(&self) -> &FrontDesk {
        &self.billing.workshop.desk
    }

    pub fn store(&self) -> &Store {
        &self.desk().store
    }

    pub fn live(&self) -> &Live {
        &self.desk().live
    }
}
