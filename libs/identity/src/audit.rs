//! Reading the tenant's audit log. Entries are written with [`record`] in the same
//! transaction as the change they describe (see `pitlane_store::audit`).

use chrono::{DateTime, Utc};
use pitlane_domain::{Actor, ServiceError, permissions::Permission};
use pitlane_store::{
    Page, Store, TenantCtx,
    entity::audit_entry,
    sea_orm::{ColumnTrait, QueryFilter},
};
use uuid::Uuid;

pub use pitlane_store::audit::{By, Event};

/// Appends an entry in the caller's transaction.
pub async fn record(
    tx: &pitlane_store::TenantTx,
    by: By<'_>,
    event: Event,
) -> Result<(), ServiceError> {
    Ok(pitlane_store::audit::record(tx, by, event).await?)
}

/// What the log can be filtered by.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// An action, or the start of one (`member.` for every membership change).
    pub action: Option<String>,
    /// Text in the actor's label (an e-mail address, an API key's name).
    pub actor: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

/// Entries newest first (by id, which is the order they were written in), a page at a time:
/// `after` is the last id of the page before.
pub async fn list(
    store: &Store,
    actor: &Actor,
    filter: &Filter,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Page<audit_entry::Model>, ServiceError> {
    actor.require(Permission::AuditView)?;
    let tx = store.tx(&TenantCtx::of(actor)).await?;
    let mut query = tx.select::<audit_entry::Entity>();
    if let Some(action) = filter.action.as_deref().filter(|a| !a.is_empty()) {
        query = query.filter(audit_entry::Column::Action.starts_with(action));
    }
    if let Some(who) = filter.actor.as_deref().filter(|a| !a.is_empty()) {
        query = query.filter(audit_entry::Column::Actor.contains(who.to_lowercase()));
    }
    if let Some(since) = filter.since {
        query = query.filter(audit_entry::Column::At.gte(since));
    }
    if let Some(until) = filter.until {
        query = query.filter(audit_entry::Column::At.lt(until));
    }
    let page = tx.page_newest(query, after, limit.clamp(1, 200)).await?;
    tx.commit().await?;
    Ok(page)
}
