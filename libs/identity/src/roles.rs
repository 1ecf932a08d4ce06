//! Roles a member can hold: the built-in ones and the tenant's own, built from the catalogue.

use chrono::Utc;
use pitlane_domain::{
    Actor, FieldErrors, ServiceError,
    permissions::{AssignedRole, Permission, PermissionSet, Role},
    text::{DisplayName, optional_text},
};
use pitlane_store::{
    Store, TenantCtx, TenantTx,
    entity::{invitation, membership, role},
    sea_orm::{ActiveValue::Set, ColumnTrait, IntoActiveModel, QueryFilter, QueryOrder},
};
use uuid::Uuid;

use crate::{
    access::CUSTOM_ROLE,
    audit::{self, By, Event},
};

/// A role as chosen in a form or API call: `mechanic`, or `custom:{id}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleChoice {
    Builtin(Role),
    Custom(Uuid),
}

impl RoleChoice {
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        if let Some(id) = raw.strip_prefix("custom:") {
            return Uuid::try_parse(id).ok().map(RoleChoice::Custom);
        }
        Role::parse(raw).ok().map(RoleChoice::Builtin)
    }

    /// The stored pair: `role` column and `custom_role_id`.
    pub fn columns(self) -> (String, Option<Uuid>) {
        match self {
            RoleChoice::Builtin(role) => (role.key().to_owned(), None),
            RoleChoice::Custom(id) => (CUSTOM_ROLE.to_owned(), Some(id)),
        }
    }
}

/// Resolves a choice in this tenant, checking that `actor` may hand it out: nobody grants a
/// permission they do not hold, and only owners make owners.
pub async fn resolve_grantable(
    tx: &TenantTx,
    actor: &Actor,
    choice: RoleChoice,
    field: &str,
) -> Result<(AssignedRole, PermissionSet), ServiceError> {
    let (assigned, permissions) = match choice {
        RoleChoice::Builtin(role) => (AssignedRole::Builtin(role), role.permissions()),
        RoleChoice::Custom(id) => match tx.get::<role::Entity>(id).await {
            Ok(custom) => (
                AssignedRole::Custom {
                    id,
                    name: custom.name,
                },
                PermissionSet::from_stored(&custom.permissions),
            ),
            Err(pitlane_store::StoreError::NotFound) => {
                return Err(FieldErrors::single(field, "no such role in this workshop").into());
            }
            Err(other) => return Err(other.into()),
        },
    };
    if assigned.is(Role::Owner) && !actor.is_owner() {
        return Err(FieldErrors::single(field, "only an owner can make someone an owner").into());
    }
    if !actor.permissions.covers(permissions) {
        return Err(FieldErrors::single(
            field,
            "this role has permissions your own role does not; ask an owner",
        )
        .into());
    }
    Ok((assigned, permissions))
}

/// A custom role as typed.
#[derive(Debug, Clone, Default)]
pub struct RoleInput {
    pub name: String,
    pub description: Option<String>,
    pub permissions: Vec<String>,
}

struct ParsedRole {
    name: String,
    description: Option<String>,
    permissions: PermissionSet,
}

fn parse(actor: &Actor, input: &RoleInput) -> Result<ParsedRole, ServiceError> {
    let mut errors = FieldErrors::new();
    let name = errors.check("name", DisplayName::parse(&input.name, 60));
    let description = errors.check(
        "description",
        optional_text(input.description.as_deref(), 300),
    );
    let permissions = match PermissionSet::parse_keys(&input.permissions) {
        Ok(set) if set.is_empty() => {
            errors.add("permissions", "choose at least one permission");
            None
        }
        Ok(set) if !actor.permissions.covers(set) => {
            let extra: Vec<_> = set
                .iter()
                .filter(|p| !actor.can(*p))
                .map(Permission::key)
                .collect();
            errors.add(
                "permissions",
                format!(
                    "your own role does not have {}; you cannot grant it",
                    extra.join(", ")
                ),
            );
            None
        }
        Ok(set) => Some(set),
        Err(unknown) => {
            errors.add("permissions", unknown.to_string());
            None
        }
    };
    if let Some(name) = &name
        && Role::ALL
            .iter()
            .any(|r| r.label().eq_ignore_ascii_case(name.as_str()))
    {
        errors.add("name", "a built-in role has this name; choose another");
    }
    match (name, description, permissions) {
        (Some(name), Some(description), Some(permissions)) if errors.is_empty() => Ok(ParsedRole {
            name: name.into_inner(),
            description,
            permissions,
        }),
        _ => Err(errors.into()),
    }
}

fn name_taken(err: pitlane_store::StoreError) -> ServiceError {
    if err.is_conflict_on("name") {
        ServiceError::Conflict(FieldErrors::single("name", "a role with this name exists"))
    } else {
        err.into()
    }
}

pub async fn list(store: &Store, actor: &Actor) -> Result<Vec<role::Model>, ServiceError> {
    actor.require(Permission::StaffManage)?;
    let tx = store.tx(&TenantCtx::of(actor)).await?;
    let roles = tx
        .all(
            tx.select::<role::Entity>()
                .order_by_asc(role::Column::Name)
                .order_by_asc(role::Column::Id),
        )
        .await?;
    tx.commit().await?;
    Ok(roles)
}

pub async fn get(store: &Store, actor: &Actor, id: Uuid) -> Result<role::Model, ServiceError> {
    actor.require(Permission::StaffManage)?;
    let tx = store.tx(&TenantCtx::of(actor)).await?;
    let role = tx.get::<role::Entity>(id).await?;
    tx.commit().await?;
    Ok(role)
}

pub async fn create(
    store: &Store,
    actor: &Actor,
    input: RoleInput,
) -> Result<role::Model, ServiceError> {
    actor.require(Permission::StaffManage)?;
    let parsed = parse(actor, &input)?;
    let tx = store.tx(&TenantCtx::of(actor)).await?;
    let now = Utc::now();
    let created = tx
        .insert(role::ActiveModel {
            tenant_id: Set(actor.tenant_id.0),
            id: Set(Uuid::now_v7()),
            name: Set(parsed.name),
            description: Set(parsed.description),
            permissions: Set(parsed.permissions.to_stored()),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .await
        .map_err(name_taken)?;
    audit::record(
        &tx,
        By::Member(actor),
        Event::new("role.created")
            .subject(created.name.clone())
            .detail(serde_json::json!({ "permissions": parsed.permissions.keys() })),
    )
    .await?;
    tx.commit().await?;
    Ok(created)
}

/// Changes a role; members holding it get the new permissions on their next request.
pub async fn update(
    store: &Store,
    actor: &Actor,
    id: Uuid,
    input: RoleInput,
) -> Result<role::Model, ServiceError> {
    actor.require(Permission::StaffManage)?;
    let parsed = parse(actor, &input)?;
    let tx = store.tx(&TenantCtx::of(actor)).await?;
    let existing = tx.get::<role::Entity>(id).await?;
    if !actor
        .permissions
        .covers(PermissionSet::from_stored(&existing.permissions))
    {
        return Err(ServiceError::Forbidden(Permission::StaffManage.key()));
    }
    let before = PermissionSet::from_stored(&existing.permissions).keys();
    let mut row = existing.into_active_model();
    row.name = Set(parsed.name);
    row.description = Set(parsed.description);
    row.permissions = Set(parsed.permissions.to_stored());
    row.updated_at = Set(Utc::now());
    let updated = tx.update(row).await.map_err(name_taken)?;
    audit::record(
        &tx,
        By::Member(actor),
        Event::new("role.updated")
            .subject(updated.name.clone())
            .detail(serde_json::json!({ "before": before, "after": parsed.permissions.keys() })),
    )
    .await?;
    tx.commit().await?;
    Ok(updated)
}

/// Deletes a role nobody holds and no pending invitation offers.
pub async fn delete(store: &Store, actor: &Actor, id: Uuid) -> Result<(), ServiceError> {
    actor.require(Permission::StaffManage)?;
    let tx = store.tx(&TenantCtx::of(actor)).await?;
    let existing = tx.get::<role::Entity>(id).await?;
    let holders = tx
        .count(
            tx.select::<membership::Entity>()
                .filter(membership::Column::CustomRoleId.eq(id)),
        )
        .await?;
    let offered = tx
        .count(
            tx.select::<invitation::Entity>()
                .filter(invitation::Column::CustomRoleId.eq(id))
                .filter(invitation::Column::AcceptedAt.is_null())
                .filter(invitation::Column::RevokedAt.is_null()),
        )
        .await?;
    if holders + offered > 0 {
        return Err(ServiceError::Conflict(FieldErrors::single(
            "role",
            format!(
                "{holders} member(s) hold this role and {offered} pending invitation(s) offer it; give them another role first"
            ),
        )));
    }
    tx.delete::<role::Entity>(id).await?;
    audit::record(
        &tx,
        By::Member(actor),
        Event::new("role.deleted").subject(existing.name),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
