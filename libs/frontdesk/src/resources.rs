//! What scheduling works with: bays and their kind, mechanics with their skills, weekly hours
//! and absences, and the days a branch is closed.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use pitlane_domain::{
    Actor, FieldErrors, ServiceError,
    branch::BusinessHours,
    permissions::{CUSTOM_ROLE_KEY, Permission, PermissionSet, Role},
    text::{DisplayName, optional_text},
};
use pitlane_store::{
    StoreError, TenantCtx, TenantTx,
    entity::{
        bay, branch, branch_closure, mechanic_profile, membership, membership_branch, role,
        staff_absence,
    },
    sea_orm::{ActiveValue::Set, ColumnTrait, IntoActiveModel, QueryFilter, QueryOrder},
};
use uuid::Uuid;

use crate::{FrontDesk, catalogue::label};

fn taken(err: StoreError, field: &str, message: &str) -> ServiceError {
    if err.is_conflict_on("name") {
        ServiceError::Conflict(FieldErrors::single(field, message))
    } else {
        err.into()
    }
}

/// A branch id from a form: another tenant's or an unknown one is a field error, not a 404.
pub async fn known_branch(
    tx: &TenantTx,
    id: Uuid,
    field: &str,
) -> Result<branch::Model, ServiceError> {
    tx.get::<branch::Entity>(id).await.map_err(|e| match e {
        StoreError::NotFound => FieldErrors::single(field, "no such branch").into(),
        other => other.into(),
    })
}

#[derive(Debug, Clone, Default)]
pub struct BayInput {
    pub branch_id: Uuid,
    pub name: String,
    /// `lift`, `alignment`, `tyre`, `diagnostic`, … matched against a service's bay kind.
    pub kind: String,
    pub active: bool,
}

fn parse_bay(input: &BayInput) -> Result<(String, String), FieldErrors> {
    let mut errors = FieldErrors::new();
    let name = errors.check("name", DisplayName::parse(&input.name, 60));
    let kind = errors.check("kind", label(Some(&input.kind)));
    match (name, kind) {
        (Some(name), Some(Some(kind))) => Ok((name.into_inner(), kind)),
        (_, Some(None)) => {
            errors.add("kind", "say what kind of bay it is, such as lift");
            Err(errors)
        }
        _ => Err(errors),
    }
}

pub async fn create_bay(
    fd: &FrontDesk,
    actor: &Actor,
    input: BayInput,
) -> Result<bay::Model, ServiceError> {
    actor.require(Permission::SettingsManage)?;
    let (name, kind) = parse_bay(&input)?;
    let tx = fd.store.tx(&TenantCtx::of(actor)).await?;
    known_branch(&tx, input.branch_id, "branch_id").await?;
    let row = tx
        .insert(bay::ActiveModel {
            tenant_id: Set(tx.tenant_id().0),
            id: Set(Uuid::now_v7()),
            branch_id: Set(input.branch_id),
            name: Set(name),
            kind: Set(kind),
            active: Set(input.active),
            created_at: Set(Utc::now()),
        })
        .await
        .map_err(|e| taken(e, "name", "this branch already has a bay with this name"))?;
    tx.commit().await?;
    Ok(row)
}

pub async fn update_bay(
    fd: &FrontDesk,
    actor: &Actor,
    id: Uuid,
    input: BayInput,
) -> Result<bay::Model, ServiceError> {
    actor.require(Permission::SettingsManage)?;
    let (name, kind) = parse_bay(&input)?;
    let tx = fd.store.tx(&TenantCtx::of(actor)).await?;
    let mut row = tx.get::<bay::Entity>(id).await?.into_active_model();
    row.name = Set(name);
    row.kind = Set(kind);
    row.active = Set(input.active);
    let updated = tx
        .update(row)
        .await
        .map_err(|e| taken(e, "name", "this branch already has a bay with this name"))?;
    tx.commit().await?;
    Ok(updated)
}

pub async fn bays(
    fd: &FrontDesk,
    actor: &Actor,
    branch: Option<Uuid>,
) -> Result<Vec<bay::Model>, ServiceError> {
    actor.require(Permission::TenantRead)?;
    let tx = fd.store.tx(&TenantCtx::of(actor)).await?;
    let rows = bays_in(&tx, branch, false).await?;
    tx.commit().await?;
    Ok(rows)
}

pub(crate) async fn bays_in(
    tx: &TenantTx,
    branch: Option<Uuid>,
    active_only: bool,
) -> Result<Vec<bay::Model>, StoreError> {
    let mut query = tx
        .select::<bay::Entity>()
        .order_by_asc(bay::Column::Name)
        .order_by_asc(bay::Column::Id);
    if let Some(b) = branch {
        query = query.filter(bay::Column::BranchId.eq(b));
    }
    if active_only {
        query = query.filter(bay::Column::Active.eq(true));
    }
    tx.all(query).await
}

/// A member who can be booked for jobs: approved (an active membership) with the mechanic
/// role, or a custom role that works jobs.
#[derive(Debug, Clone)]
pub struct Mechanic {
    pub membership_id: Uuid,
    pub name: String,
    pub skills: Vec<String>,
    /// `None`: the branch's business hours.
    pub working_hours: Option<BusinessHours>,
    /// `None`: every branch.
    pub branches: Option<Vec<Uuid>>,
}

impl Mechanic {
    pub fn works_at(&self, branch: Uuid) -> bool {
        self.branches.as_ref().is_none_or(|b| b.contains(&branch))
    }

    pub fn has_skill(&self, skill: Option<&str>) -> bool {
        skill.is_none_or(|s| self.skills.iter().any(|k| k == s))
    }
}

pub async fn mechanics_in(tx: &TenantTx) -> Result<Vec<Mechanic>, StoreError> {
    let members = tx
        .all(
            tx.select::<membership::Entity>()
                .filter(membership::Column::Status.eq("active"))
                .order_by_asc(membership::Column::Id),
        )
        .await?;
    let custom: HashMap<Uuid, PermissionSet> = tx
        .all(tx.select::<role::Entity>())
        .await?
        .into_iter()
        .map(|r| (r.id, PermissionSet::from_stored(&r.permissions)))
        .collect();
    let works_jobs = |m: &membership::Model| match m.role.as_str() {
        CUSTOM_ROLE_KEY => m
            .custom_role_id
            .and_then(|id| custom.get(&id))
            .is_some_and(|p| p.contains(Permission::JobsWork)),
        key => key == Role::Mechanic.key(),
    };
    let members: Vec<membership::Model> = members.into_iter().filter(works_jobs).collect();
    if members.is_empty() {
        return Ok(Vec::new());
    }
    let profiles: HashMap<Uuid, mechanic_profile::Model> = tx
        .all(tx.select::<mechanic_profile::Entity>())
        .await?
        .into_iter()
        .map(|p| (p.membership_id, p))
        .collect();
    let mut branches: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for link in tx.all(tx.select::<membership_branch::Entity>()).await? {
        branches
            .entry(link.membership_id)
            .or_default()
            .push(link.branch_id);
    }
    let users = crate::user_names(tx, members.iter().map(|m| m.user_id)).await?;
    Ok(members
        .into_iter()
        .map(|m| {
            let profile = profiles.get(&m.id);
            Mechanic {
                membership_id: m.id,
                name: users.get(&m.user_id).cloned().unwrap_or_default(),
                skills: profile
                    .map(|p| {
                        p.skills
                            .split(',')
                            .filter(|s| !s.is_empty())
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default(),
                working_hours: profile
                    .and_then(|p| p.working_hours.as_ref())
                    .and_then(|h| serde_json::from_value(h.clone()).ok()),
                branches: m
                    .branch_limited
                    .then(|| branches.remove(&m.id).unwrap_or_default()),
            }
        })
        .collect())
}

pub async fn mechanics(fd: &FrontDesk, actor: &Actor) -> Result<Vec<Mechanic>, ServiceError> {
    actor.require(Permission::TenantRead)?;
    let tx = fd.store.tx(&TenantCtx::of(actor)).await?;
    let rows = mechanics_in(&tx).await?;
    tx.commit().await?;
    Ok(rows)
}

#[derive(Debug, Clone, Default)]
pub struct ProfileInput {
    pub skills: Vec<String>,
    /// `None`: the branch's hours.
    pub working_hours: Option<BTreeMap<String, Vec<[String; 2]>>>,
}

/// Sets a mechanic's skills and weekly hours.
pub async fn set_profile(
    fd: &FrontDesk,
    actor: &Actor,
    membership_id: Uuid,
    input: ProfileInput,
) -> Result<Mechanic, ServiceError> {
    actor.require(Permission::StaffManage)?;
    let mut errors = FieldErrors::new();
    let mut skills = Vec::new();
    for raw in input.skills.iter().flat_map(|s| s.split(',')) {
        if let Some(Some(skill)) = errors.check("skills", label(Some(raw)))
            && !skills.contains(&skill)
        {
            skills.push(skill);
        }
    }
    let hours = match input.working_hours {
        None => Some(None),
        Some(raw) => errors
            .check("working_hours", BusinessHours::parse(raw))
            .map(Some),
    };
    let Some(hours) = hours.filter(|_| errors.is_empty()) else {
        return Err(errors.into());
    };
    let tx = fd.store.tx(&TenantCtx::of(actor)).await?;
    let mechanics = mechanics_in(&tx).await?;
    if !mechanics.iter().any(|m| m.membership_id == membership_id) {
        return Err(ServiceError::NotFound);
    }
    let hours_json = hours
        .as_ref()
        .map(serde_json::to_value)
        .transpose()
        .map_err(pitlane_domain::ServiceError::internal)?;
    let existing = tx
        .first(
            tx.select::<mechanic_profile::Entity>()
                .filter(mechanic_profile::Column::MembershipId.eq(membership_id)),
        )
        .await?;
    match existing {
        Some(row) => {
            let mut row = row.into_active_model();
            row.skills = Set(skills.join(","));
            row.working_hours = Set(hours_json);
            row.updated_at = Set(Utc::now());
            tx.update(row).await?;
        }
        None => {
            tx.insert(mechanic_profile::ActiveModel {
                tenant_id: Set(tx.tenant_id().0),
                id: Set(Uuid::now_v7()),
                membership_id: Set(membership_id),
                skills: Set(skills.join(",")),
                working_hours: Set(hours_json),
                updated_at: Set(Utc::now()),
                // Pay is set on the mechanic's pay settings, not with their hours.
                ..Default::default()
            })
            .await?;
        }
    }
    let updated = mechanics_in(&tx)
        .await?
        .into_iter()
        .find(|m| m.membership_id == membership_id)
        .ok_or(ServiceError::NotFound)?;
    tx.commit().await?;
    Ok(updated)
}

pub async fn add_absence(
    fd: &FrontDesk,
    actor: &Actor,
    membership_id: Uuid,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    reason: Option<&str>,
) -> Result<staff_absence::Model, ServiceError> {
    actor.require(Permission::StaffManage)?;
    let mut errors = FieldErrors::new();
    if ends_at <= starts_at {
        errors.add("ends_at", "must be after the start");
    }
    let reason = errors.check("reason", optional_text(reason, 200));
    let Some(reason) = reason.filter(|_| errors.is_empty()) else {
        return Err(errors.into());
    };
    let tx = fd.store.tx(&TenantCtx::of(actor)).await?;
    tx.get::<membership::Entity>(membership_id).await?;
    let row = tx
        .insert(staff_absence::ActiveModel {
            tenant_id: Set(tx.tenant_id().0),
            id: Set(Uuid::now_v7()),
            membership_id: Set(membership_id),
            starts_at: Set(starts_at),
            ends_at: Set(ends_at),
            reason: Set(reason),
        })
        .await?;
    tx.commit().await?;
    Ok(row)
}

pub async fn absences(
    fd: &FrontDesk,
    actor: &Actor,
    from: DateTime<Utc>,
) -> Result<Vec<staff_absence::Model>, ServiceError> {
    actor.require(Permission::TenantRead)?;
    let tx = fd.store.tx(&TenantCtx::of(actor)).await?;
    let rows = tx
        .all(
            tx.select::<staff_absence::Entity>()
                .filter(staff_absence::Column::EndsAt.gt(from))
                .order_by_asc(staff_absence::Column::StartsAt)
                .order_by_asc(staff_absence::Column::Id),
        )
        .await?;
    tx.commit().await?;
    Ok(rows)
}

pub async fn remove_absence(fd: &FrontDesk, actor: &Actor, id: Uuid) -> Result<(), ServiceError> {
    actor.require(Permission::StaffManage)?;
    let tx = fd.store.tx(&TenantCtx::of(actor)).await?;
    tx.delete::<staff_absence::Entity>(id).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn add_closure(
    fd: &FrontDesk,
    actor: &Actor,
    branch_id: Uuid,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    reason: &str,
) -> Result<branch_closure::Model, ServiceError> {
    actor.require(Permission::SettingsManage)?;
    let mut errors = FieldErrors::new();
    if ends_on < starts_on {
        errors.add("ends_on", "must not be before the first day");
    }
    let reason = errors.check("reason", DisplayName::parse(reason, 120));
    let Some(reason) = reason.filter(|_| errors.is_empty()) else {
        return Err(errors.into());
    };
    let tx = fd.store.tx(&TenantCtx::of(actor)).await?;
    known_branch(&tx, branch_id, "branch_id").await?;
    let row = tx
        .insert(branch_closure::ActiveModel {
            tenant_id: Set(tx.tenant_id().0),
            id: Set(Uuid::now_v7()),
            branch_id: Set(branch_id),
            starts_on: Set(starts_on),
            ends_on: Set(ends_on),
            reason: Set(reason.into_inner()),
        })
        .await?;
    tx.commit().await?;
    Ok(row)
}

pub async fn closures(
    fd: &FrontDesk,
    actor: &Actor,
    branch_id: Option<Uuid>,
) -> Result<Vec<branch_closure::Model>, ServiceError> {
    actor.require(Permission::TenantRead)?;
    let tx = fd.store.tx(&TenantCtx::of(actor)).await?;
    let mut query = tx
        .select::<branch_closure::Entity>()
        .order_by_asc(branch_closure::Column::StartsOn)
        .order_by_asc(branch_closure::Column::Id);
    if let Some(b) = branch_id {
        query = query.filter(branch_closure::Column::BranchId.eq(b));
    }
    let rows = tx.all(query).await?;
    tx.commit().await?;
    Ok(rows)
}

pub async fn remove_closure(fd: &FrontDesk, actor: &Actor, id: Uuid) -> Result<(), ServiceError> {
    actor.require(Permission::SettingsManage)?;
    let tx = fd.store.tx(&TenantCtx::of(actor)).await?;
    tx.delete::<branch_closure::Entity>(id).await?;
    tx.commit().await?;
    Ok(())
}
