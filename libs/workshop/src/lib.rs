//! The workshop floor: a vehicle's visit from estimate to closed.
//!
//! - [`order`]: one order as every service below shares it: its view, status, timeline, total,
//!   live announcements and the pricing of its lines; it depends on none of the others;
//! - [`orders`]: repair orders, their life cycle and timeline, the branch's board;
//! - [`lines`]: labour, parts, fees and discounts with live totals, and canned jobs;
//! - [`approval`]: the estimate sent to the customer, answered line by line online or by phone;
//! - [`inspections`]: checklists rated green / yellow / red with photos, findings to lines;
//! - [`jobs`]: the mechanics' work: assignment, the job board, the time clock, earnings.
//!
//! Every service takes an actor (staff) or a signed link (the customer), checks the
//! permission, runs one transaction, writes its messages to the outbox in it, and publishes
//! live updates after commit.

pub mod approval;
pub mod canned;
pub mod customer_copies;
pub mod demo;
pub mod earnings;
pub mod figures;
pub mod inspections;
pub mod jobs;
pub mod lines;
pub mod order;
pub mod orders;
pub mod settings;
pub mod storage;

use std::sync::Arc;

use pitlane_frontdesk::FrontDesk;
use pitlane_inventory::Inventory;

pub use storage::{PhotoStorage, StoredPhoto};

/// What the workshop services share.
#[derive(Clone)]
pub struct Workshop {
    pub desk: FrontDesk,
    pub inventory: Inventory,
    pub photos: Arc<dyn PhotoStorage>,
}

impl Workshop {
    pub fn store(&self) -> &pitlane_store::Store {
        &self.desk.store
    }
}
