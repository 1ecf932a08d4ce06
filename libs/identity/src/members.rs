//! A tenant's members: who they are, their role and branches, and whether they are active.
//! Changes end the member's old sessions' view at once: every request re-reads the membership.

use chrono::Utc;
use pitlane_domain::{
    Actor, FieldErrors, ServiceError,
    permissions::{AssignedRole, BranchScope, Permission, Role},
};
use pitlane_store::{
    Store, TenantCtx, TenantTx,
    entity::{branch, membership, membership_branch, user},
    sea_orm::{
        ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    },
};
use uuid::Uuid;

use crate::{
    access::actor_of,
    audit::{self, By, Event},
    roles::{RoleChoice, resolve_grantable},
};

/// A member as the staff page and the API show them.
#[derive(Debug, Clone)]
pub struct Member {
    pub membership_id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    pub email: String,
    pub role: AssignedRole,
    pub branches: BranchScope,
    pub active: bool,
    pub joined_at: chrono::DateTime<Utc>,
}

async fn member_of(
    tx: &TenantTx,
    m: &membership::Model,
    person: &user::Model,
) -> Result<Member, ServiceError> {
    let actor = actor_of(tx, m).await?;
    Ok(Member {
        membership_id: m.id,
        user_id: m.user_id,
        name: person.name.clone(),
        email: person.email.clone(),
        role: actor.role,
        branches: actor.branches,
        active: m.status == "active",
        joined_at: m.created_at,
    })
}

pub async fn list(store: &Store, actor: &Actor) -> Result<Vec<Member>, ServiceError> {
    actor.require(Permission::StaffManage)?;
    let tx = store.tx(&TenantCtx::of(actor)).await?;
    let memberships = tx
        .all(
            tx.select::<membership::Entity>()
                .order_by_asc(membership::Column::CreatedAt)
                .order_by_asc(membership::Column::Id),
        )
        .await?;
    let ids: Vec<Uuid> = memberships.iter().map(|m| m.user_id).collect();
    let people = tx
        .people()
        .all(user::Entity::find().filter(user::Column::Id.is_in(ids)))
        .await?;
    let mut members = Vec::with_capacity(memberships.len());
    for m in &memberships {
        if let Some(person) = people.iter().find(|p| p.id == m.user_id) {
            let member = member_of(&tx, m, person).await?;
            // A branch-limited manager sees the people of their branches only.
            let visible = match (&actor.branches, &member.branches) {
                (BranchScope::All, _) => true,
                (BranchScope::Only(mine), BranchScope::Only(theirs)) => {
                    theirs.iter().any(|b| mine.contains(b))
                }
                (BranchScope::Only(_), BranchScope::All) => false,
            };
            if visible {
                members.push(member);
            }
        }
    }
    tx.commit().await?;
    Ok(members)
}

pub async fn get(store: &Store, actor: &Actor, id: Uuid) -> Result<Member, ServiceError> {
    list(store, actor)
        .await?
        .into_iter()
        .find(|m| m.membership_id == id)
        .ok_or(ServiceError::NotFound)
}

/// What may change about a member; `None` leaves it as it is.
#[derive(Debug, Clone, Default)]
pub struct MemberChange {
    pub role: Option<String>,
    /// `Some(None)`: every branch; `Some(Some(ids))`: only these.
    pub branches: Option<Option<Vec<Uuid>>>,
    pub active: Option<bool>,
}

/// Checks branch ids belong to this tenant (and are within the actor's own branches).
pub async fn check_branches(
    tx: &TenantTx,
    actor: &Actor,
    ids: &[Uuid],
    field: &str,
) -> Result<(), ServiceError> {
    if ids.is_empty() {
        return Err(
            FieldErrors::single(field, "choose at least one branch, or all branches").into(),
        );
    }
    let found = tx
        .count(
            tx.select::<branch::Entity>()
                .filter(branch::Column::Id.is_in(ids.iter().copied())),
        )
        .await?;
    if found as usize != ids.len() || !ids.iter().all(|b| actor.branches.includes(*b)) {
        return Err(FieldErrors::single(field, "one of these branches does not exist here").into());
    }
    Ok(())
}

async fn active_owners(tx: &TenantTx) -> Result<u64, ServiceError> {
    Ok(tx
        .count(
            tx.select::<membership::Entity>()
                .filter(membership::Column::Role.eq(Role::Owner.key()))
                .filter(membership::Column::Status.eq("active")),
        )
        .await?)
}

pub async fn update(
    store: &Store,
    actor: &Actor,
    id: Uuid,
    change: MemberChange,
) -> Result<Member, ServiceError> {
    actor.require(Permission::StaffManage)?;
    let tx = store.tx(&TenantCtx::of(actor)).await?;
    let existing = tx.get::<membership::Entity>(id).await?;
    let before = actor_of(&tx, &existing).await?;
    // Outside the actor's branches, the member does not exist for them.
    if let BranchScope::Only(mine) = &actor.branches
        && !matches!(&before.branches, BranchScope::Only(theirs) if theirs.iter().any(|b| mine.contains(b)))
    {
        return Err(ServiceError::NotFound);
    }
    if before.is_owner() && !actor.is_owner() {
        return Err(ServiceError::Forbidden("only an owner can change an owner"));
    }
    if !actor.permissions.covers(before.permissions) && actor.membership_id.0 != id {
        return Err(ServiceError::Forbidden(
            "this member has permissions your own role does not",
        ));
    }
    let mut row = existing.clone().into_active_model();
    let mut events = Vec::new();
    let mut errors = FieldErrors::new();
    let mut role_after = before.role.clone();
    if let Some(raw) = &change.role {
        match RoleChoice::parse(raw) {
            Some(choice) => {
                let (assigned, _) = resolve_grantable(&tx, actor, choice, "role").await?;
                if assigned != before.role {
                    let (role, custom) = choice.columns();
                    row.role = Set(role);
                    row.custom_role_id = Set(custom);
                    events.push(Event::new("member.role_changed").detail(serde_json::json!({
                        "from": before.role.label(), "to": assigned.label(),
                    })));
                    role_after = assigned;
                }
            }
            None => errors.add("role", "choose one of the workshop's roles"),
        }
    }
    let deactivating = change.active == Some(false) && existing.status == "active";
    if (deactivating || (before.is_owner() && !role_after.is(Role::Owner)))
        && before.is_owner()
        && active_owners(&tx).await? <= 1
    {
        errors.add(
            if deactivating { "active" } else { "role" },
            "this is the workshop's last owner; make someone else an owner first",
        );
    }
    if !errors.is_empty() {
        return Err(errors.into());
    }
    if let Some(active) = change.active {
        let status = if active { "active" } else { "deactivated" };
        if existing.status != status {
            row.status = Set(status.to_owned());
            events.push(Event::new(if active {
                "member.reactivated"
            } else {
                "member.deactivated"
            }));
        }
    }
    if let Some(branches) = &change.branches {
        if let Some(ids) = branches {
            check_branches(&tx, actor, ids, "branches").await?;
        } else if !matches!(actor.branches, BranchScope::All) {
            return Err(FieldErrors::single(
                "branches",
                "you can only give access to your own branches",
            )
            .into());
        }
        let after = match branches {
            Some(ids) => BranchScope::Only(ids.clone()),
            None => BranchScope::All,
        };
        if after != before.branches {
            set_branches(&tx, id, branches.as_deref()).await?;
            row.branch_limited = Set(branches.is_some());
            events.push(Event::new("member.branches_changed").detail(serde_json::json!({
                "branches": branches.as_ref().map(|ids| ids.iter().map(Uuid::to_string).collect::<Vec<_>>()),
            })));
        }
    }
    row.updated_at = Set(Some(Utc::now()));
    let updated = tx.update(row).await?;
    let person = crate::access::person(&tx.people(), updated.user_id).await?;
    for event in events {
        audit::record(&tx, By::Member(actor), event.subject(person.email.clone())).await?;
    }
    let member = member_of(&tx, &updated, &person).await?;
    tx.commit().await?;
    Ok(member)
}

/// Replaces a membership's branch list (`None`: no limit).
pub async fn set_branches(
    tx: &TenantTx,
    membership_id: Uuid,
    branches: Option<&[Uuid]>,
) -> Result<(), ServiceError> {
    for existing in tx
        .all(
            tx.select::<membership_branch::Entity>()
                .filter(membership_branch::Column::MembershipId.eq(membership_id)),
        )
        .await?
    {
        tx.delete::<membership_branch::Entity>(existing.id).await?;
    }
    for branch in branches.unwrap_or_default() {
        tx.insert(membership_branch::ActiveModel {
            tenant_id: Set(tx.tenant_id().0),
            id: Set(Uuid::now_v7()),
            membership_id: Set(membership_id),
            branch_id: Set(*branch),
        })
        .await?;
    }
    Ok(())
}
