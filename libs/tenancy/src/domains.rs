//! Custom domains: a tenant's own host names (e.g. `service.joes-garage.com`) for its pages.

use chrono::Utc;
use pitlane_domain::{
    Actor, FieldErrors, ServiceError, ids::DomainId, permissions::Permission, text::Host,
};
use pitlane_store::{Store, TenantCtx, entity::tenant_domain, sea_orm::ActiveValue::Set};
use uuid::Uuid;

pub async fn list(store: &Store, actor: &Actor) -> Result<Vec<tenant_domain::Model>, ServiceError> {
    actor.require(Permission::TenantRead)?;
    let tx = store.tx(&TenantCtx::of(actor)).await?;
    let rows = tx.all(tx.select::<tenant_domain::Entity>()).await?;
    tx.commit().await?;
    Ok(rows)
}

pub async fn get(
    store: &Store,
    actor: &Actor,
    id: Uuid,
) -> Result<tenant_domain::Model, ServiceError> {
    actor.require(Permission::TenantRead)?;
    let tx = store.tx(&TenantCtx::of(actor)).await?;
    let row = tx.get::<tenant_domain::Entity>(id).await?;
    tx.commit().await?;
    Ok(row)
}

/// Adds a host. Hosts under the platform's own base domain are the platform's to give out.
pub async fn add(
    store: &Store,
    actor: &Actor,
    host: &str,
    base_domain: Option<&str>,
) -> Result<tenant_domain::Model, ServiceError> {
    actor.require(Permission::SettingsManage)?;
    let host = Host::parse(host).map_err(|e| FieldErrors::single("host", e.to_string()))?;
    if let Some(base) = base_domain
        && (host.as_str() == base || host.as_str().ends_with(&format!(".{base}")))
    {
        return Err(FieldErrors::single(
            "host",
            format!("hosts under {base} are assigned by the platform"),
        )
        .into());
    }
    let tx = store.tx(&TenantCtx::of(actor)).await?;
    let row = tx
        .insert(tenant_domain::ActiveModel {
            tenant_id: Set(actor.tenant_id.0),
            id: Set(DomainId::new().0),
            host: Set(host.into_inner()),
            created_at: Set(Utc::now()),
        })
        .await
        .map_err(|err| {
            if err.is_conflict_on("host") {
                ServiceError::Conflict(FieldErrors::single("host", "this host is already in use"))
            } else {
                err.into()
            }
        })?;
    pitlane_store::audit::record(
        &tx,
        pitlane_store::audit::By::Member(actor),
        pitlane_store::audit::Event::new("domain.added").subject(row.host.clone()),
    )
    .await?;
    tx.commit().await?;
    Ok(row)
}

pub async fn remove(store: &Store, actor: &Actor, id: Uuid) -> Result<(), ServiceError> {
    actor.require(Permission::SettingsManage)?;
    let tx = store.tx(&TenantCtx::of(actor)).await?;
    let host = tx.get::<tenant_domain::Entity>(id).await?.host;
    tx.delete::<tenant_domain::Entity>(id).await?;
    pitlane_store::audit::record(
        &tx,
        pitlane_store::audit::By::Member(actor),
        pitlane_store::audit::Event::new("domain.removed").subject(host),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
