//! The demo workshop of a first start: its front desk, floor, an invoice and a year of
//! history, so there is something to look at, and its credentials printed once.

use pitlane_store::Store;

use crate::{config::Config, error::StartError};

/// The demo workshop's year of history, made in the background after a first start: a
/// thousand invoices take about a second, which the server need not make anyone wait for
/// before it answers. It is one transaction, so pages show all of it or none of it yet.
#[derive(Clone, Debug)]
pub struct DemoHistory(tokio::sync::watch::Receiver<bool>);

impl DemoHistory {
    /// Nothing to make (no demo, or a later start).
    pub fn none() -> Self {
        Self(tokio::sync::watch::channel(true).1)
    }

    /// Makes the history of `tenant` in the background.
    pub fn make(billing: pitlane_billing::Billing, tenant: pitlane_domain::ids::TenantId) -> Self {
        let (done, made) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            history(&billing, tenant).await;
            let _ = done.send(true);
        });
        Self(made)
    }

    /// Waits until the history is made (or its making failed, which is logged).
    pub async fn made(&self) {
        let mut made = self.0.clone();
        let _ = made.wait_for(|done| *done).await;
    }
}

/// Fills the demo workshop made by this start and prints how to sign in. Returns the workshop
/// when its year of history should be made next ([`DemoHistory::make`]).
pub async fn fill(
    config: &Config,
    store: &Store,
    frontdesk: &pitlane_frontdesk::FrontDesk,
    workshop: &pitlane_workshop::Workshop,
    roadside: &pitlane_roadside::Roadside,
    credentials: &pitlane_tenancy::DemoCredentials,
) -> Result<Option<pitlane_domain::ids::TenantId>, StartError> {
    // The demo's front desk and workshop come with it, so a first start has a calendar,
    // repair orders and parts to look at, and a branch that drives out to breakdowns.
    let billing = &roadside.billing;
    let demo = store
        .tenant_by_slug(pitlane_tenancy::DEMO_SLUG)
        .await
        .map_err(|e| StartError::Database(e.to_string()))?;
    let mut mechanic = None;
    let mut with_history = None;
    if let Some(demo) = demo {
        let site = crate::links::site_of_tenant(config, &demo.slug);
        let tenant = pitlane_domain::ids::TenantId(demo.id);
        match pitlane_frontdesk::demo::seed(frontdesk, tenant, &site).await {
            Ok(login) => {
                mechanic = Some(login);
                let floor = pitlane_workshop::demo::seed(workshop, tenant).await;
                if let Err(err) = &floor {
                    tracing::warn!(error = %err, "the demo workshop's floor could not be filled");
                }
                let invoice = pitlane_billing::demo::seed(billing, tenant, &site).await;
                if let Err(err) = &invoice {
                    tracing::warn!(error = %err, "the demo workshop's invoice could not be made");
                }
                if floor.is_ok() && invoice.is_ok() {
                    with_history = Some(tenant);
                }
                if let Err(err) = pitlane_roadside::demo::seed(roadside, tenant).await {
                    tracing::warn!(error = %err, "the demo workshop's roadside help could not be set up");
                }
            }
            Err(err) => {
                tracing::warn!(error = %err, "the demo workshop's front desk could not be filled");
            }
        }
    }
    print_credentials(config, credentials, mechanic.as_ref());
    Ok(with_history)
}

/// A year of history for the demo workshop, so the dashboard and reports have something to
/// show: all of it or (on failure, with a warning) none of it.
async fn history(billing: &pitlane_billing::Billing, tenant: pitlane_domain::ids::TenantId) {
    let reports = pitlane_reports::Reports::new(billing.clone());
    let started = std::time::Instant::now();
    match pitlane_reports::demo::seed_history(&reports, tenant).await {
        Ok(Some(made)) => tracing::info!(
            orders = made.repair_orders,
            invoices = made.invoices,
            payments = made.payments,
            credit_notes = made.credit_notes,
            customers = made.customers,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "the demo workshop's history was made"
        ),
        Ok(None) => {}
        Err(err) => {
            tracing::warn!(error = %err, "the demo workshop's history could not be made");
        }
    }
}

fn print_credentials(
    config: &Config,
    credentials: &pitlane_tenancy::DemoCredentials,
    mechanic: Option<&(String, String)>,
) {
    let origin = config.public_url.as_str().trim_end_matches('/');
    println!();
    println!("  Demo workshop created. Sign in at {origin}/t/demo/signin");
    println!("    e-mail:   {}", credentials.email);
    println!("    password: {}", credentials.password);
    if let Some((email, password)) = mechanic {
        println!("  A mechanic, for \"My jobs\", the job board and roadside jobs:");
        println!("    e-mail:   {email}");
        println!("    password: {password}");
    }
    println!("  The password is shown only this once.");
    println!();
}
