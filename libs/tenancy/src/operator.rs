//! What the platform's operators may do to a tenant: see its plan and usage, suspend and
//! reactivate it. Every action that opens a tenant's data is written to that tenant's audit
//! log as the platform operator: there is no silent access.

use chrono::{Duration, Utc};
use pitlane_domain::{FieldErrors, ServiceError, ids::TenantId, text::optional_text};
use pitlane_identity::audit::{self, By, Event};
use pitlane_store::{
    Store, TenantCtx,
    entity::{branch, membership, outbox, tenant},
    sea_orm::{ActiveValue::Set, ColumnTrait, IntoActiveModel, QueryFilter},
};

/// A tenant's plan and how much it uses the platform.
#[derive(Debug, Clone)]
pub struct Usage {
    pub tenant: tenant::Model,
    pub active_members: u64,
    pub branches: u64,
    pub messages_last_30_days: u64,
}

/// Reads a tenant's usage figures; audited as an operator view of the tenant.
pub async fn usage(store: &Store, id: TenantId) -> Result<Usage, ServiceError> {
    let tx = store.tx(&TenantCtx::new(id)).await?;
    let tenant = tx.get::<tenant::Entity>(id.0).await?;
    let active_members = tx
        .count(
            tx.select::<membership::Entity>()
                .filter(membership::Column::Status.eq("active")),
        )
        .await?;
    let branches = tx.count(tx.select::<branch::Entity>()).await?;
    let since = Utc::now() - Duration::days(30);
    let messages_last_30_days = tx
        .count(
            tx.select::<outbox::Entity>()
                .filter(outbox::Column::CreatedAt.gte(since)),
        )
        .await?;
    audit::record(&tx, By::Operator, Event::new("operator.viewed_usage")).await?;
    tx.commit().await?;
    Ok(Usage {
        tenant,
        active_members,
        branches,
        messages_last_30_days,
    })
}

/// Suspends (`active = false`) or reactivates a tenant. Nothing is deleted: a suspended
/// tenant's pages and API answer 403 until it is reactivated.
pub async fn set_active(
    store: &Store,
    id: TenantId,
    active: bool,
    reason: &str,
) -> Result<tenant::Model, ServiceError> {
    let reason = optional_text(Some(reason), 500)
        .map_err(|e| FieldErrors::single("reason", e.to_string()))?;
    if !active && reason.is_none() {
        return Err(FieldErrors::single(
            "reason",
            "say why the workshop is suspended; its owner will ask",
        )
        .into());
    }
    let tx = store.tx(&TenantCtx::new(id)).await?;
    let existing = tx.get::<tenant::Entity>(id.0).await?;
    let status = if active { "active" } else { "suspended" };
    if existing.status == status {
        tx.commit().await?;
        return Ok(existing);
    }
    let mut row = existing.into_active_model();
    row.status = Set(status.into());
    row.updated_at = Set(Utc::now());
    let updated = tx.update(row).await?;
    audit::record(
        &tx,
        By::Operator,
        Event::new(if active {
            "operator.reactivated"
        } else {
            "operator.suspended"
        })
        .detail(serde_json::json!({ "reason": reason })),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(tenant = %id, status, "tenant status changed by the operator");
    Ok(updated)
}
