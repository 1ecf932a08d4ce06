//! Custom domains: a tenant's own host names (e.g. `service.joes-garage.com`) for its pages.
//!
//! A domain serves the workshop's pages, and appears in its links, only once the workshop
//! has proved it owns it: a TXT record `_pitlane-challenge.{host}` holding
//! `pitlane-verify={token}`, with the token shown in the portal. Pitlane checks when asked,
//! and every hour (pending domains become verified when their record appears; a verified
//! domain whose record has been gone for three days is verified no longer).

use chrono::{DateTime, Duration, Utc};
use pitlane_domain::{
    Actor, FieldErrors, ServiceError, ids::DomainId, permissions::Permission, text::Host,
};
use pitlane_store::{
    Store, TenantCtx, TenantTx,
    entity::tenant_domain,
    sea_orm::{ActiveValue::Set, IntoActiveModel, QueryOrder},
};

use crate::dns::TxtResolver;

/// How long a verified domain's record may be missing before the domain stops serving.
pub const GRACE: Duration = Duration::hours(72);

/// The DNS record that proves a workshop owns `host`: its name and value.
pub fn challenge(domain: &tenant_domain::Model) -> (String, String) {
    (
        format!("_pitlane-challenge.{}", domain.host),
        format!(
            "pitlane-verify={}",
            domain.verification_token.as_deref().unwrap_or_default()
        ),
    )
}

fn new_token() -> String {
    let bytes: [u8; 16] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
use uuid::Uuid;

pub async fn list(store: &Store, actor: &Actor) -> Result<Vec<tenant_domain::Model>, ServiceError> {
    actor.require(Permission::TenantRead)?;
    let tx = store.tx(&TenantCtx::of(actor)).await?;
    let rows = tx
        .all(
            tx.select::<tenant_domain::Entity>()
                .order_by_asc(tenant_domain::Column::Id),
        )
        .await?;
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
            verification_token: Set(Some(new_token())),
            verified_at: Set(None),
            checked_at: Set(None),
            failing_since: Set(None),
            check_error: Set(None),
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

/// What one look at DNS found.
enum Finding {
    Found,
    Missing(String),
    /// The question went unanswered (timeout, server failure): nothing is concluded.
    Unknown(String),
}

async fn look(resolver: &dyn TxtResolver, domain: &tenant_domain::Model) -> Finding {
    let (name, value) = challenge(domain);
    match resolver.txt(&name).await {
        Ok(values) if values.iter().any(|v| v.trim() == value) => Finding::Found,
        Ok(values) if values.is_empty() => {
            Finding::Missing(format!("no TXT record was found at {name}"))
        }
        Ok(_) => Finding::Missing(format!("the TXT record at {name} does not hold {value}")),
        Err(err) => Finding::Unknown(format!("DNS did not answer for {name}: {err}")),
    }
}

/// Writes what a check found; returns the row as it is now.
async fn record(
    tx: &TenantTx,
    by: pitlane_store::audit::By<'_>,
    domain: tenant_domain::Model,
    finding: &Finding,
    now: DateTime<Utc>,
) -> Result<tenant_domain::Model, ServiceError> {
    let was_verified = domain.verified_at.is_some();
    let failing_since = domain.failing_since;
    let host = domain.host.clone();
    let mut row = domain.into_active_model();
    row.checked_at = Set(Some(now));
    match finding {
        Finding::Found => {
            if !was_verified {
                row.verified_at = Set(Some(now));
            }
            row.failing_since = Set(None);
            row.check_error = Set(None);
        }
        Finding::Missing(why) => {
            row.check_error = Set(Some(why.clone()));
            if was_verified {
                let since = failing_since.unwrap_or(now);
                row.failing_since = Set(Some(since));
                if now - since >= GRACE {
                    row.verified_at = Set(None);
                    row.failing_since = Set(None);
                    tracing::warn!(%host, "custom domain unverified: its record is gone");
                }
            }
        }
        Finding::Unknown(why) => row.check_error = Set(Some(why.clone())),
    }
    let updated = tx.update(row).await?;
    if updated.verified_at.is_some() != was_verified {
        let event = if was_verified {
            "domain.unverified"
        } else {
            "domain.verified"
        };
        pitlane_store::audit::record(
            tx,
            by,
            pitlane_store::audit::Event::new(event).subject(host),
        )
        .await?;
    }
    Ok(updated)
}

/// Checks a domain's record now, for the owner who just published it. Verified: the row.
/// Not found: 422 naming the record to publish (the check is remembered either way).
pub async fn verify(
    store: &Store,
    resolver: &dyn TxtResolver,
    actor: &Actor,
    id: Uuid,
) -> Result<tenant_domain::Model, ServiceError> {
    actor.require(Permission::SettingsManage)?;
    let tx = store.tx(&TenantCtx::of(actor)).await?;
    let mut domain = tx.get::<tenant_domain::Entity>(id).await?;
    if domain.verification_token.is_none() {
        let mut row = domain.into_active_model();
        row.verification_token = Set(Some(new_token()));
        domain = tx.update(row).await?;
    }
    tx.commit().await?;
    let finding = look(resolver, &domain).await;
    let tx = store.tx(&TenantCtx::of(actor)).await?;
    let domain = tx.get::<tenant_domain::Entity>(id).await?;
    let by = pitlane_store::audit::By::Member(actor);
    let updated = record(&tx, by, domain, &finding, Utc::now()).await?;
    tx.commit().await?;
    if updated.verified_at.is_some() {
        return Ok(updated);
    }
    let (name, value) = challenge(&updated);
    let why = match &finding {
        Finding::Missing(why) | Finding::Unknown(why) => why.clone(),
        Finding::Found => String::new(),
    };
    Err(FieldErrors::single(
        "host",
        format!(
            "not verified yet: {why}. Publish a TXT record named {name} with the value {value}; DNS changes can take up to an hour to be seen"
        ),
    )
    .into())
}

/// The hourly round over one workshop's domains: pending ones become verified when their
/// record appears, verified ones lose it after [`GRACE`] without it. Returns how many
/// changed state.
pub async fn recheck(
    store: &Store,
    resolver: &dyn TxtResolver,
    tenant: &TenantCtx,
    now: DateTime<Utc>,
) -> Result<u32, ServiceError> {
    let tx = store.tx(tenant).await?;
    let domains = tx.all(tx.select::<tenant_domain::Entity>()).await?;
    tx.commit().await?;
    let mut changed = 0;
    for domain in domains {
        if domain.verification_token.is_none() {
            continue;
        }
        let before = domain.verified_at.is_some();
        let finding = look(resolver, &domain).await;
        let tx = store.tx(tenant).await?;
        // The hourly check is the platform's doing.
        let by = pitlane_store::audit::By::Operator;
        let updated = record(&tx, by, domain, &finding, now).await?;
        tx.commit().await?;
        if updated.verified_at.is_some() != before {
            changed += 1;
        }
    }
    Ok(changed)
}
