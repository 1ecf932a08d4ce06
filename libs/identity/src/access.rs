//! From a membership row to the actor it stands for: the role's permissions (built-in or the
//! tenant's own) and the branches the member is limited to.

use pitlane_domain::{
    Actor, ServiceError,
    ids::{MembershipId, TenantId, UserId},
    permissions::{AssignedRole, BranchScope, PermissionSet, Role},
};
use pitlane_store::{
    StoreError, TenantTx,
    entity::{membership, membership_branch, role},
    sea_orm::{ColumnTrait, QueryFilter},
};

/// The `role` column's value for members holding one of the tenant's own roles.
pub const CUSTOM_ROLE: &str = "custom";

/// A person's active membership in this transaction's tenant, if they have one.
pub async fn active_membership(
    tx: &TenantTx,
    user_id: uuid::Uuid,
) -> Result<Option<membership::Model>, ServiceError> {
    Ok(tx
        .first(
            tx.select::<membership::Entity>()
                .filter(membership::Column::UserId.eq(user_id))
                .filter(membership::Column::Status.eq("active")),
        )
        .await?)
}

/// The actor for a membership as it is now; `None` once it is deactivated or gone.
pub async fn actor_for(
    tx: &TenantTx,
    membership_id: MembershipId,
) -> Result<Option<Actor>, ServiceError> {
    match tx.get::<membership::Entity>(membership_id.0).await {
        Ok(m) if m.status == "active" => Ok(Some(actor_of(tx, &m).await?)),
        Ok(_) | Err(StoreError::NotFound) => Ok(None),
        Err(other) => Err(other.into()),
    }
}

/// The actor a membership row stands for, whatever its status.
pub async fn actor_of(tx: &TenantTx, m: &membership::Model) -> Result<Actor, ServiceError> {
    let (role, permissions) = role_of(tx, m).await?;
    let branches = if m.branch_limited {
        BranchScope::Only(branches_of(tx, m.id).await?)
    } else {
        BranchScope::All
    };
    Ok(Actor {
        user_id: UserId(m.user_id),
        membership_id: MembershipId(m.id),
        tenant_id: TenantId(m.tenant_id),
        role,
        permissions,
        branches,
        api_key: None,
    })
}

pub async fn role_of(
    tx: &TenantTx,
    m: &membership::Model,
) -> Result<(AssignedRole, PermissionSet), ServiceError> {
    if m.role == CUSTOM_ROLE {
        let id = m.custom_role_id.ok_or_else(|| {
            ServiceError::Internal(format!("membership {} has no custom role", m.id))
        })?;
        let custom = tx.get::<role::Entity>(id).await?;
        return Ok((
            AssignedRole::Custom {
                id,
                name: custom.name,
            },
            PermissionSet::from_stored(&custom.permissions),
        ));
    }
    let builtin = Role::parse(&m.role)
        .map_err(|_| ServiceError::Internal(format!("membership {} has unknown role", m.id)))?;
    Ok((AssignedRole::Builtin(builtin), builtin.permissions()))
}

pub async fn branches_of(
    tx: &TenantTx,
    membership: uuid::Uuid,
) -> Result<Vec<uuid::Uuid>, ServiceError> {
    Ok(tx
        .all(
            tx.select::<membership_branch::Entity>()
                .filter(membership_branch::Column::MembershipId.eq(membership)),
        )
        .await?
        .into_iter()
        .map(|row| row.branch_id)
        .collect())
}

/// The actor a signed-in session stands for now, and whether the person uses two-factor
/// sign-in; `None` when the session is over: the membership was deactivated or removed, or the
/// person signed out everywhere (or reset their password) after `signed_in_at_ms` (unix
/// milliseconds).
pub async fn session_actor(
    store: &pitlane_store::Store,
    tenant: TenantId,
    membership_id: MembershipId,
    signed_in_at_ms: i64,
) -> Result<Option<(Actor, bool)>, ServiceError> {
    use pitlane_store::{entity::user, sea_orm::EntityTrait};
    let tx = store.tx(&pitlane_store::TenantCtx::new(tenant)).await?;
    let Some(actor) = actor_for(&tx, membership_id).await? else {
        return Ok(None);
    };
    let person = tx
        .people()
        .first(user::Entity::find_by_id(actor.user_id.0))
        .await?;
    tx.commit().await?;
    Ok(person
        .filter(|p| {
            p.sessions_valid_after
                .is_none_or(|after| after.timestamp_millis() < signed_in_at_ms)
        })
        .map(|p| (actor, p.totp_enabled_at.is_some())))
}
