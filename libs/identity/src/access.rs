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

/// A person by id, within a tenant transaction (`NotFound` when there is no such person).
pub async fn person(
    tx: &TenantTx,
    user_id: uuid::Uuid,
) -> Result<pitlane_store::entity::user::Model, ServiceError> {
    use pitlane_store::{entity::user, sea_orm::EntityTrait};
    tx.people()
        .first(user::Entity::find_by_id(user_id))
        .await?
        .ok_or(ServiceError::NotFound)
}

/// A person by e-mail address, within a tenant transaction.
pub async fn person_by_email(
    tx: &TenantTx,
    email: &str,
) -> Result<Option<pitlane_store::entity::user::Model>, ServiceError> {
    use pitlane_store::{entity::user, sea_orm::EntityTrait};
    Ok(tx
        .people()
        .first(user::Entity::find().filter(user::Column::Email.eq(email)))
        .await?)
}

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

/// What a signed-in request learns about its session.
#[derive(Debug, Clone)]
pub struct SessionState {
    pub actor: Actor,
    pub two_factor: bool,
    /// Unread notifications, for the bell.
    pub unread: u64,
}

/// The actor a signed-in session stands for now, whether the person uses two-factor sign-in,
/// and their unread notifications; `None` when the session is over: the membership was deactivated or removed, or the
/// person signed out everywhere (or reset their password) after `signed_in_at_ms` (unix
/// milliseconds). One database round trip on PostgreSQL: this runs on every signed-in request.
pub async fn session_actor(
    store: &pitlane_store::Store,
    tenant: TenantId,
    membership_id: MembershipId,
    signed_in_at_ms: i64,
) -> Result<Option<SessionState>, ServiceError> {
    let Some(m) = store.session_member(tenant, membership_id.0).await? else {
        return Ok(None);
    };
    let ended = m
        .sessions_valid_after
        .is_some_and(|after| after.timestamp_millis() >= signed_in_at_ms);
    if m.status != "active" || ended {
        return Ok(None);
    }
    let (role, permissions) = match (
        &m.custom_role_id,
        &m.custom_role_name,
        &m.custom_permissions,
    ) {
        (Some(id), Some(name), Some(stored)) if m.role == CUSTOM_ROLE => (
            AssignedRole::Custom {
                id: *id,
                name: name.clone(),
            },
            PermissionSet::from_stored(stored),
        ),
        _ => {
            let builtin = Role::parse(&m.role).map_err(|_| {
                ServiceError::Internal(format!("membership {membership_id} has unknown role"))
            })?;
            (AssignedRole::Builtin(builtin), builtin.permissions())
        }
    };
    let branches = if m.branch_limited {
        BranchScope::Only(
            m.branch_ids
                .unwrap_or_default()
                .split_whitespace()
                .filter_map(|id| uuid::Uuid::try_parse(id).ok())
                .collect(),
        )
    } else {
        BranchScope::All
    };
    let actor = Actor {
        user_id: UserId(m.user_id),
        membership_id,
        tenant_id: tenant,
        role,
        permissions,
        branches,
        api_key: None,
    };
    Ok(Some(SessionState {
        actor,
        two_factor: m.two_factor,
        unread: m.unread_notifications.max(0) as u64,
    }))
}
