//! Rebuilding the daily figures from the documents: for an operator after a fix, when a
//! branch moves to another time zone, and for the test that holds the maintained figures
//! equal to the rebuilt ones.

use pitlane_domain::{Actor, ServiceError, permissions::Permission, reports::Deltas};
use pitlane_store::{TenantCtx, TenantTx, figures::figures_of};

use crate::Reports;

/// The stored figures as deltas from nothing, comparable with [`from_documents`].
pub async fn stored(tx: &TenantTx) -> Result<Deltas, ServiceError> {
    let mut out = Deltas::new();
    for row in tx.all_figures().await? {
        let Some(dimension) = pitlane_domain::reports::Dimension::parse(&row.dimension) else {
            continue;
        };
        let figures = figures_of(&row);
        if figures.is_zero() {
            continue;
        }
        out.insert(
            pitlane_domain::reports::FigureKey {
                branch_id: row.branch_id,
                day: row.day,
                dimension,
                key: row.key.clone(),
            },
            figures,
        );
    }
    Ok(out)
}

/// Every figure the tenant's documents add up to, computed from scratch: the money
/// documents' (invoices, credit notes, payments, refunds) and the floor's (estimate answers,
/// inspections).
pub async fn from_documents(tx: &TenantTx) -> Result<Deltas, ServiceError> {
    let mut all = pitlane_billing::figures::from_documents(tx).await?;
    pitlane_domain::reports::facts::merge(
        &mut all,
        pitlane_workshop::figures::from_documents(tx).await?,
    );
    Ok(all)
}

/// What a rebuild found: how many rows it wrote and whether they differed from the stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rebuilt {
    pub rows: usize,
    pub differed: bool,
}

/// Writes the tenant's daily figures again from its documents, in one transaction.
pub async fn rebuild(reports: &Reports, actor: &Actor) -> Result<Rebuilt, ServiceError> {
    actor.require(Permission::SettingsManage)?;
    let tx = reports.store().tx(&TenantCtx::of(actor)).await?;
    let done = rebuild_in(&tx).await?;
    tx.commit().await?;
    Ok(done)
}

async fn rebuild_in(tx: &TenantTx) -> Result<Rebuilt, ServiceError> {
    // It reads every document of the workshop, a few or millions.
    tx.plan_for_values().await?;
    // Before reading: a document written meanwhile adds its figures after these rows.
    tx.lock_figures(true).await?;
    let fresh = from_documents(tx).await?;
    let differed = stored(tx).await? != fresh;
    tx.clear_figures().await?;
    tx.add_figures(&fresh).await?;
    Ok(Rebuilt {
        rows: fresh.len(),
        differed,
    })
}

/// Changes a branch; when its time zone changes, its documents fall on other local days, so
/// the daily figures are rebuilt in the same transaction and never disagree with the zone.
pub async fn update_branch(
    reports: &Reports,
    actor: &Actor,
    id: uuid::Uuid,
    input: pitlane_tenancy::branches::BranchInput,
) -> Result<pitlane_store::entity::branch::Model, ServiceError> {
    let tx = reports.store().tx(&TenantCtx::of(actor)).await?;
    let (updated, zone_changed) =
        pitlane_tenancy::branches::update_in(&tx, actor, id, input).await?;
    if zone_changed {
        rebuild_in(&tx).await?;
    }
    tx.commit().await?;
    Ok(updated)
}

/// Rebuilds a workshop's figures when they were built under an older definition of them
/// (`pitlane_domain::reports::FIGURES_VERSION`): after an upgrade whose documents add
/// figures they did not add before, the maintenance round brings every workshop in step.
/// Returns whether it rebuilt.
pub async fn catch_up(reports: &Reports, ctx: &TenantCtx) -> Result<bool, ServiceError> {
    use pitlane_store::{entity::tenant, sea_orm::ActiveValue::Set, sea_orm::IntoActiveModel};
    let tx = reports.store().tx(ctx).await?;
    let workshop = tx.get::<tenant::Entity>(tx.tenant_id().0).await?;
    if workshop.figures_version >= pitlane_domain::reports::FIGURES_VERSION {
        return Ok(false);
    }
    rebuild_in(&tx).await?;
    let mut row = workshop.into_active_model();
    row.figures_version = Set(pitlane_domain::reports::FIGURES_VERSION);
    tx.update(row).await?;
    tx.commit().await?;
    Ok(true)
}
