//! Reports and the dashboard: how the business is doing, for a branch or the whole chain.
//!
//! - [`report`]: the one shape of every report (headlines compared with earlier periods,
//!   tables, charts), which pages, CSV and the API all draw from;
//! - [`scope`]: who reads (permission, branches), which days, in which currency;
//! - [`money`]: the reports made of the daily figures: sales, gross profit, car count and
//!   average repair order, receivables;
//! - [`floor`]: technician productivity, estimates, inspections, from the floor's records;
//! - [`stock`]: the inventory report; [`people`]: the customers report; [`roadside`]: the
//!   roadside report (requests, times to accept and arrive, outcomes);
//! - [`dashboard`]: the dashboard's tiles; [`digest`]: the dashboard by e-mail; [`demo`]: the demo workshop's year of history;
//! - [`figures`]: rebuilding the daily figures from the documents;
//! - [`history`]: a vehicle's or customer's repair history;
//! - [`text`]: how figures read; [`print`]: reports and histories as PDFs.
//!
//! Every figure is defined once, in `pitlane_domain::reports`.

pub mod dashboard;
pub mod demo;
pub mod digest;
pub mod feedback;
pub mod figures;
pub mod floor;
pub mod history;
pub mod money;
pub mod names;
pub mod people;
pub mod print;
pub mod report;
pub mod roadside;
pub mod scope;
pub mod stock;
pub mod text;

use pitlane_domain::{Actor, ServiceError};

pub use report::{Report, ReportKind};
pub use scope::ReportQuery;

/// What the report services share.
#[derive(Clone)]
pub struct Reports {
    pub billing: pitlane_billing::Billing,
}

impl Reports {
    pub fn new(billing: pitlane_billing::Billing) -> Self {
        Self { billing }
    }

    pub fn store(&self) -> &pitlane_store::Store {
        self.billing.store()
    }
}

/// The reports a reader may open, in the order the portal lists them.
pub fn catalogue(actor: &Actor) -> Result<&'static [ReportKind], ServiceError> {
    actor.require(pitlane_domain::permissions::Permission::ReportsView)?;
    Ok(&ReportKind::ALL)
}

/// Runs one report for a reader.
pub async fn run(
    reports: &Reports,
    actor: &Actor,
    kind: ReportKind,
    query: &ReportQuery,
) -> Result<Report, ServiceError> {
    let scope = scope::Scope::open(reports, actor, kind, query).await?;
    let tables_and_headlines = match kind {
        ReportKind::Sales => money::sales(&scope).await?,
        ReportKind::Profit => money::profit(&scope).await?,
        ReportKind::Trend => money::trend(&scope).await?,
        ReportKind::Receivables => money::receivables(&scope).await?,
        ReportKind::Technicians => floor::technicians(&scope).await?,
        ReportKind::Estimates => floor::estimates(&scope).await?,
        ReportKind::Inspections => floor::inspections(&scope).await?,
        ReportKind::Inventory => stock::inventory(&scope).await?,
        ReportKind::Customers => people::customers(&scope).await?,
        ReportKind::Roadside => roadside::roadside(&scope).await?,
        ReportKind::Feedback => feedback::feedback(&scope).await?,
    };
    scope.finish(tables_and_headlines).await
}
