//! From a membership row to the actor it stands for: the role's permissions (built-in or the
//! tenant's own) and the branches the member is limited to.

use pitlane_domain::{
    Actor, ServiceError,
    ids::{MembershipId, TenantId, UserId},
    permissions::{AssignedRole, BranchScope, PermissionSet, Role, membership_permissions},
};
use pitlane_store::{
    People, StoreError, TenantTx,
    entity::{membership, membership_branch, role},
    sea_orm::{ColumnTrait, QueryFilter},
};

/// The `role` column's value for members holding one of the tenant's own roles.
pub use pitlane_domain::permissions::CUSTOM_ROLE_KEY as CUSTOM_ROLE;

/// A person by id (`NotFound` when there is no such person).
pub async fn person(
    people: &People<'_>,
    user_id: uuid::Uuid,
) -> Result<pitlane_store::entity::user::Model, ServiceError> {
    use pitlane_store::{entity::user, sea_orm::EntityTrait};
    people
        .first(user::Entity::find_by_id(user_id))
        .await?
        .ok_or(ServiceError::NotFound)
}

/// A person by e-mail address.
pub async fn person_by_email(
    people: &People<'_>,
    email: &str,
) -> Result<Option<pitlane_store::entity::user::Model>, ServiceError> {
    use pitlane_store::{entity::user, sea_orm::EntityTrait};
    Ok(people
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

/// The actor for a membership of a tenant as it is now, in its own transaction; `None` once
/// it is deactivated or gone.
pub async fn current_actor(
    store: &pitlane_store::Store,
    tenant: TenantId,
    membership_id: MembershipId,
) -> Result<Option<Actor>, ServiceError> {
    let tx = store.tx(&pitlane_store::TenantCtx::new(tenant)).await?;
    let actor = actor_for(&tx, membership_id).await?;
    tx.commit().await?;
    Ok(actor)
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
    let custom = match m.custom_role_id.filter(|_| m.role == CUSTOM_ROLE) {
        Some(id) => Some(tx.get::<role::Entity>(id).await?),
        None => None,
    };
    let custom = custom
        .as_ref()
        .map(|r| (r.id, r.name.clone(), r.permissions.as_str()));
    assigned_role(&m.role, custom, m.id)
}

/// A membership's role and permissions from its `role` column and, for a custom role, that
/// role's id, name and stored permissions.
fn assigned_role(
    role: &str,
    custom: Option<(uuid::Uuid, String, &str)>,
    membership: uuid::Uuid,
) -> Result<(AssignedRole, PermissionSet), ServiceError> {
    let unknown = || ServiceError::internal(format!("membership {membership} has an unknown role"));
    let permissions = membership_permissions(role, custom.as_ref().map(|(_, _, stored)| *stored))
        .ok_or_else(unknown)?;
    let assigned = match custom.filter(|_| role == CUSTOM_ROLE) {
        Some((id, name, _)) => AssignedRole::Custom { id, name },
        None => AssignedRole::Builtin(Role::parse(role).map_err(|_| unknown())?),
    };
    Ok((assigned, permissions))
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

/// The actor a membership stands for, from what the one-statement reads of a session or an
/// API key return: its role (with a custom role's id, name and stored permissions) and, when
/// it is limited to some branches, their ids separated by spaces.
pub(crate) fn actor_from(
    tenant: TenantId,
    membership_id: MembershipId,
    user_id: UserId,
    role: &str,
    custom: (Option<uuid::Uuid>, Option<&str>, Option<&str>),
    branch_limited: bool,
    branch_ids: Option<&str>,
) -> Result<Actor, ServiceError> {
    let custom = match custom {
        (Some(id), Some(name), Some(stored)) => Some((id, name.to_owned(), stored)),
        _ => None,
    };
    let (role, permissions) = assigned_role(role, custom, membership_id.0)?;
    let branches = if branch_limited {
        BranchScope::Only(
            branch_ids
                .unwrap_or_default()
                .split_whitespace()
                .filter_map(|id| uuid::Uuid::try_parse(id).ok())
                .collect(),
        )
    } else {
        BranchScope::All
    };
    Ok(Actor {
        user_id,
        membership_id,
        tenant_id: tenant,
        role,
        permissions,
        branches,
        api_key: None,
    })
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
    let actor = actor_from(
        tenant,
        membership_id,
        UserId(m.user_id),
        &m.role,
        (
            m.custom_role_id,
            m.custom_role_name.as_deref(),
            m.custom_permissions.as_deref(),
        ),
        m.branch_limited,
        m.branch_ids.as_deref(),
    )?;
    Ok(Some(SessionState {
        actor,
        two_factor: m.two_factor,
        unread: m.unread_notifications.max(0) as u64,
    }))
}
