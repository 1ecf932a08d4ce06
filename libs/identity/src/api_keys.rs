//! API keys: per tenant, named, scoped to permissions, optionally expiring. The secret is
//! shown once; only its SHA-256 is kept (it is 256 random bits, so a slow hash adds nothing).
//! A key acts with its scopes, never more than its creator's role allows now.

use chrono::{DateTime, Duration, Utc};
use pitlane_domain::{
    Actor, FieldErrors, ServiceError,
    ids::{MembershipId, TenantId, UserId},
    permissions::{Permission, PermissionSet},
    text::DisplayName,
};
use pitlane_store::{
    Store, TenantCtx,
    entity::api_key,
    sea_orm::{ActiveValue::Set, IntoActiveModel, QueryOrder},
};
use uuid::Uuid;

use crate::{
    audit::{self, By, Event},
    secrets::{random_secret, stored_hash},
};

/// Every key starts with this, so secret scanners and people recognise one.
pub const KEY_PREFIX: &str = "pl_";

#[derive(Debug, Clone, Default)]
pub struct KeyInput {
    pub name: String,
    pub permissions: Vec<String>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// A new key and its secret, which is not stored and cannot be shown again.
pub struct CreatedKey {
    pub key: api_key::Model,
    pub secret: String,
}

/// What a presented key is looked up by, when it has a key's shape (`pl_{id}_{secret}`):
/// the hash of the whole of it, as kept. Finds the key's workshop for the API's one base URL.
pub fn lookup_hash(presented: &str) -> Option<String> {
    let presented = presented.trim();
    let rest = presented.strip_prefix(KEY_PREFIX)?;
    let (id, secret) = rest.split_once('_')?;
    (Uuid::try_parse(id).is_ok() && !secret.is_empty()).then(|| stored_hash(presented))
}

pub async fn create(
    store: &Store,
    actor: &Actor,
    input: KeyInput,
) -> Result<CreatedKey, ServiceError> {
    actor.require(Permission::ApiKeysManage)?;
    let mut errors = FieldErrors::new();
    let name = errors.check("name", DisplayName::parse(&input.name, 80));
    let permissions = match PermissionSet::parse_keys(&input.permissions) {
        Ok(set) if set.is_empty() => {
            errors.add("permissions", "choose at least one permission");
            None
        }
        Ok(set) if !actor.permissions.covers(set) => {
            errors.add(
                "permissions",
                "a key cannot have permissions your own role does not",
            );
            None
        }
        Ok(set) => Some(set),
        Err(unknown) => {
            errors.add("permissions", unknown.to_string());
            None
        }
    };
    if let Some(expires) = input.expires_at
        && expires <= Utc::now() + Duration::minutes(1)
    {
        errors.add("expires_at", "must be in the future");
    }
    let (Some(name), Some(permissions)) = (name, permissions) else {
        return Err(errors.into());
    };
    if !errors.is_empty() {
        return Err(errors.into());
    }
    if actor.api_key.is_some() {
        return Err(ServiceError::Forbidden("api keys cannot make api keys"));
    }
    let id = Uuid::now_v7();
    let secret = format!("{KEY_PREFIX}{}_{}", id.simple(), random_secret());
    let tx = store.tx(&TenantCtx::of(actor)).await?;
    let key = tx
        .insert(api_key::ActiveModel {
            tenant_id: Set(actor.tenant_id.0),
            id: Set(id),
            name: Set(name.into_inner()),
            secret_hash: Set(stored_hash(&secret)),
            permissions: Set(permissions.to_stored()),
            created_by: Set(actor.membership_id.0),
            expires_at: Set(input.expires_at),
            last_used_at: Set(None),
            revoked_at: Set(None),
            created_at: Set(Utc::now()),
        })
        .await?;
    audit::record(
        &tx,
        By::Member(actor),
        Event::new("api_key.created")
            .subject(key.name.clone())
            .detail(serde_json::json!({ "permissions": permissions.keys(), "expires_at": input.expires_at })),
    )
    .await?;
    tx.commit().await?;
    Ok(CreatedKey { key, secret })
}

pub async fn list(store: &Store, actor: &Actor) -> Result<Vec<api_key::Model>, ServiceError> {
    actor.require(Permission::ApiKeysManage)?;
    let tx = store.tx(&TenantCtx::of(actor)).await?;
    let keys = tx
        .all(
            tx.select::<api_key::Entity>()
                .order_by_desc(api_key::Column::Id),
        )
        .await?;
    tx.commit().await?;
    Ok(keys)
}

pub async fn revoke(
    store: &Store,
    actor: &Actor,
    id: Uuid,
) -> Result<api_key::Model, ServiceError> {
    actor.require(Permission::ApiKeysManage)?;
    let tx = store.tx(&TenantCtx::of(actor)).await?;
    let key = tx.get::<api_key::Entity>(id).await?;
    if key.revoked_at.is_some() {
        tx.commit().await?;
        return Ok(key);
    }
    let mut row = key.into_active_model();
    row.revoked_at = Set(Some(Utc::now()));
    let key = tx.update(row).await?;
    audit::record(
        &tx,
        By::Member(actor),
        Event::new("api_key.revoked").subject(key.name.clone()),
    )
    .await?;
    tx.commit().await?;
    Ok(key)
}

/// The actor a presented key stands for in this tenant, or `None` for a key that is unknown
/// here, wrong, revoked, expired, or whose creator is no longer an active member.
pub async fn authenticate(
    identity: &crate::Identity,
    tenant: TenantId,
    presented: &str,
) -> Result<Option<Actor>, ServiceError> {
    let Some(rest) = presented.trim().strip_prefix(KEY_PREFIX) else {
        return Ok(None);
    };
    let Some(id) = rest
        .split('_')
        .next()
        .and_then(|id| Uuid::try_parse(id).ok())
    else {
        return Ok(None);
    };
    // One round trip reads the key and its maker's membership: this runs on every request
    // made with a key (a mechanic's phone sends its position every few seconds).
    let Some(found) = identity.store.api_key_member(tenant, id).await? else {
        return Ok(None);
    };
    let matches: bool = subtle::ConstantTimeEq::ct_eq(
        stored_hash(presented.trim()).as_bytes(),
        found.secret_hash.as_bytes(),
    )
    .into();
    let now = Utc::now();
    if !matches
        || found.revoked_at.is_some()
        || found.expires_at.is_some_and(|at| at <= now)
        || found.status != "active"
    {
        return Ok(None);
    }
    let mut actor = crate::access::actor_from(
        tenant,
        MembershipId(found.created_by),
        UserId(found.user_id),
        &found.role,
        (
            found.custom_role_id,
            found.custom_role_name.as_deref(),
            found.custom_permissions.as_deref(),
        ),
        found.branch_limited,
        found.branch_ids.as_deref(),
    )?;
    actor.permissions = actor
        .permissions
        .intersection(PermissionSet::from_stored(&found.key_permissions));
    actor.api_key = Some(id);
    // Last use to the minute: a busy key is not written on every request.
    if found
        .last_used_at
        .is_none_or(|at| now - at > Duration::minutes(1))
    {
        identity.key_use.note(tenant, id, now);
    }
    Ok(Some(actor))
}
