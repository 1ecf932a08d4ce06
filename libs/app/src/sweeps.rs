//! Background rounds the server runs for every workshop: today, the maintenance-due
//! reminders, bringing daily figures built under an older definition in step, re-checking
//! SMS sender numbers, giving back the addresses of workshops nobody confirmed, roadside
//! requests whose escalation timers were lost, coarsening 30-day-old roadside positions,
//! custom domains' DNS checks and the dashboard digests. One server a hour runs a round (they
//! agree through the shared key-value store);
//! a round is idempotent anyway (a vehicle is marked when told, and its message has a stable
//! key), so a second one changes nothing.

use std::time::Duration;

use pitlane_domain::ids::TenantId;
use pitlane_store::TenantCtx;

use crate::{links::site_of_tenant, state::AppState};

/// How often the maintenance round runs.
pub const MAINTENANCE_EVERY: Duration = Duration::from_secs(60 * 60);

/// One round over every active workshop; returns how many reminders were written.
pub async fn maintenance_round(state: &AppState) -> u64 {
    let tenants = match state.store.tenants_matching(None, 1_000_000).await {
        Ok(t) => t,
        Err(err) => {
            tracing::warn!(error = %err, "maintenance round: could not list workshops");
            return 0;
        }
    };
    let today = chrono::Utc::now().date_naive();
    let mut total = 0;
    for t in tenants.iter().filter(|t| t.awaiting_owner) {
        if let Err(err) =
            pitlane_tenancy::release_unclaimed(&state.store, t, chrono::Utc::now()).await
        {
            tracing::warn!(tenant = %t.id, error = %err, "giving back an unclaimed address failed");
        }
    }
    for t in tenants
        .into_iter()
        .filter(|t| !t.is_suspended() && !t.awaiting_owner)
    {
        let ctx = TenantCtx::new(TenantId(t.id));
        // Figures built under an older definition are rebuilt once, after an upgrade.
        if let Err(err) = pitlane_reports::figures::catch_up(&state.reports, &ctx).await {
            tracing::warn!(tenant = %t.id, error = %err, "rebuilding the daily figures failed");
        }
        if let Err(err) =
            pitlane_notify::service::recheck_sms_sender(&state.store, &state.config.notify, &ctx)
                .await
        {
            tracing::warn!(tenant = %t.id, error = %err, "re-checking the SMS number failed");
        }
        match pitlane_tenancy::domains::recheck(
            &state.store,
            state.dns.as_ref(),
            &ctx,
            chrono::Utc::now(),
        )
        .await
        {
            Ok(0) => {}
            Ok(_) => state.tenants.invalidate(TenantId(t.id)),
            Err(err) => {
                tracing::warn!(tenant = %t.id, error = %err, "checking custom domains failed")
            }
        }
        let site = site_of_tenant(&state.config, &t.slug);
        match pitlane_frontdesk::campaigns::maintenance_sweep(
            &state.frontdesk,
            &TenantCtx::new(TenantId(t.id)),
            today,
            &site,
        )
        .await
        {
            Ok(n) => total += n,
            Err(err) => tracing::warn!(tenant = %t.id, error = %err, "maintenance round failed"),
        }
        // Roadside requests whose timers were lost with a server are widened now; positions
        // older than 30 days are coarsened.
        if let Err(err) =
            pitlane_roadside::dispatch::escalate_due(&state.roadside, TenantId(t.id)).await
        {
            tracing::warn!(tenant = %t.id, error = %err, "widening waiting roadside requests failed");
        }
        if let Err(err) =
            pitlane_roadside::tracking::coarsen_old(&state.roadside, TenantId(t.id), 1_000).await
        {
            tracing::warn!(tenant = %t.id, error = %err, "coarsening old roadside positions failed");
        }
        // The dashboard by e-mail, for those who asked, once their morning has come.
        if let Err(err) =
            pitlane_reports::digest::sweep(&state.reports, &ctx, chrono::Utc::now(), &site).await
        {
            tracing::warn!(tenant = %t.id, error = %err, "dashboard digests failed");
        }
    }
    if total > 0 {
        tracing::info!(reminders = total, "maintenance reminders written");
    }
    total
}

/// How long after start-up the first round waits, so start-up and the first requests have
/// the machine to themselves.
pub const FIRST_ROUND_AFTER: Duration = Duration::from_secs(60);

/// Whether this server runs this hour's round: the first of the servers to ask does (through
/// the shared key-value store). If the store cannot answer, run anyway: a round is idempotent.
pub async fn claim_this_hour(state: &AppState) -> bool {
    let hour = chrono::Utc::now().timestamp() / 3600;
    state
        .bus
        .kv
        .incr(
            &format!("sweep:maintenance:{hour}"),
            1,
            Duration::from_secs(2 * 3600),
        )
        .await
        .map_or(true, |n| n == 1)
}

/// Runs the rounds, and works the inbox of Stripe events, until the task is aborted.
pub fn spawn(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let rounds = async {
            tokio::time::sleep(FIRST_ROUND_AFTER).await;
            loop {
                if claim_this_hour(&state).await {
                    maintenance_round(&state).await;
                }
                tokio::time::sleep(MAINTENANCE_EVERY).await;
            }
        };
        let stripe = async {
            if state.billing.gateway.is_some() {
                pitlane_billing::events::run(state.billing.clone(), stripe_sites(&state)).await;
            }
        };
        tokio::join!(rounds, stripe);
    })
}

/// The site of each workshop, for the links in messages Stripe's events cause.
pub fn stripe_sites(state: &AppState) -> pitlane_billing::SiteOf {
    let config = state.config.clone();
    std::sync::Arc::new(move |t: &pitlane_store::entity::tenant::Model| {
        site_of_tenant(&config, &t.slug)
    })
}
