//! The application's state: every capability, connected once at start and shared by the
//! web layer, the background rounds and the tests.

use std::sync::Arc;

use pitlane_bus::Bus;
use pitlane_store::Store;

use crate::{
    config::Config,
    metrics::{Metrics, QueueFigures},
    tenants::TenantCache,
};

/// What every handler may need. Cheap to clone; nothing in it is needed by another instance.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub bus: Bus,
    pub config: Arc<Config>,
    pub metrics: Arc<Metrics>,
    /// The outbox's figures for `/metrics`, cached between scrapes.
    pub queue_figures: Arc<QueueFigures>,
    pub tenants: Arc<TenantCache>,
    /// Where capabilities write their messages.
    pub outbox: pitlane_notify::Outbox,
    /// Live updates: publish after commit, subscribe for server-sent events.
    pub live: pitlane_notify::Live,
    /// Sign-in, accounts, staff, roles, invitations, API keys and the audit log.
    pub identity: pitlane_identity::Identity,
    /// Customers, vehicles, scheduling, online booking and conversations.
    pub frontdesk: pitlane_frontdesk::FrontDesk,
    /// Repair orders, inspections, jobs, the time clock and earnings.
    pub workshop: pitlane_workshop::Workshop,
    /// Invoices, payments, refunds, Stripe and the workshops' plans.
    pub billing: pitlane_billing::Billing,
    /// Reports, the dashboard and the daily figures they read.
    pub reports: pitlane_reports::Reports,
    /// Roadside help: requests, dispatch, the mechanics' positions.
    pub roadside: pitlane_roadside::Roadside,
    /// Parts, stock, suppliers, purchase orders and stock counts.
    pub inventory: pitlane_inventory::Inventory,
    /// Looks up the DNS records that prove custom domains.
    pub dns: Arc<dyn pitlane_tenancy::dns::TxtResolver>,
    /// The shared workers, when this process runs them itself (embedded mode).
    pub workers: Option<pitlane_notify::Workers>,
    /// The demo workshop's year of history, made in the background after a first start.
    pub demo_history: crate::demo::DemoHistory,
}
