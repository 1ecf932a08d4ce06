//! Mechanic applications: a mechanic applies on the workshop's public site; admins approve or
//! reject. Approval invites the applicant (a signed, single-use link) with the mechanic role
//! and the branches they applied for, so only approved mechanics ever get an account.

use chrono::Utc;
use pitlane_domain::{
    Actor, FieldErrors, ServiceError,
    ids::TenantId,
    permissions::Permission,
    phone::PhoneE164,
    text::{DisplayName, Email, optional_text},
};
use pitlane_store::{
    Store, TenantCtx,
    entity::{branch, mechanic_application},
    sea_orm::{ActiveValue::Set, ColumnTrait, IntoActiveModel, QueryFilter, QueryOrder},
};
use uuid::Uuid;

use crate::{
    Identity,
    audit::{self, By, Event},
    invitations::{self, InvitationInput},
};

#[derive(Debug, Clone, Default)]
pub struct ApplicationInput {
    pub name: String,
    pub email: String,
    pub phone: String,
    pub experience_years: String,
    pub certifications: String,
    pub branches: Vec<Uuid>,
    pub message: String,
}

/// Records an application from the public site.
pub async fn apply(
    store: &Store,
    tenant: TenantId,
    input: ApplicationInput,
) -> Result<mechanic_application::Model, ServiceError> {
    let mut errors = FieldErrors::new();
    let name = errors.check("name", DisplayName::parse(&input.name, 120));
    let email = errors.check("email", Email::parse(&input.email));
    let phone = match input.phone.trim() {
        "" => Some(None),
        raw => errors
            .check("phone", PhoneE164::parse(raw, None))
            .map(|p| Some(p.into_inner())),
    };
    let years = match input.experience_years.trim().parse::<i32>() {
        Ok(y) if (0..=60).contains(&y) => Some(y),
        _ => {
            errors.add("experience_years", "enter whole years, from 0 to 60");
            None
        }
    };
    let certifications = errors.check(
        "certifications",
        optional_text(Some(&input.certifications), 500),
    );
    let message = errors.check("message", optional_text(Some(&input.message), 2000));
    let tx = store.tx(&TenantCtx::new(tenant)).await?;
    if !input.branches.is_empty() {
        let found = tx
            .count(
                tx.select::<branch::Entity>()
                    .filter(branch::Column::Id.is_in(input.branches.iter().copied())),
            )
            .await?;
        if found as usize != input.branches.len() {
            errors.add("branches", "choose from this workshop's branches");
        }
    }
    let (Some(name), Some(email), Some(phone), Some(years), Some(certifications), Some(message)) =
        (name, email, phone, years, certifications, message)
    else {
        return Err(errors.into());
    };
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let row = tx
        .insert(mechanic_application::ActiveModel {
            tenant_id: Set(tenant.0),
            id: Set(Uuid::now_v7()),
            name: Set(name.into_inner()),
            email: Set(email.as_str().to_owned()),
            phone: Set(phone),
            experience_years: Set(years),
            certifications: Set(certifications.unwrap_or_default()),
            branch_ids: Set(input
                .branches
                .iter()
                .map(Uuid::to_string)
                .collect::<Vec<_>>()
                .join(" ")),
            message: Set(message),
            status: Set("pending".into()),
            decided_by: Set(None),
            decided_at: Set(None),
            user_id: Set(None),
            created_at: Set(Utc::now()),
        })
        .await?;
    audit::record(
        &tx,
        By::Visitor(row.email.clone()),
        Event::new("application.received").subject(row.name.clone()),
    )
    .await?;
    tx.commit().await?;
    Ok(row)
}

/// The queue, pending first, newest first within.
pub async fn list(
    store: &Store,
    actor: &Actor,
) -> Result<Vec<mechanic_application::Model>, ServiceError> {
    actor.require(Permission::StaffManage)?;
    let tx = store.tx(&TenantCtx::of(actor)).await?;
    let mut rows = tx
        .all(
            tx.select::<mechanic_application::Entity>()
                .order_by_desc(mechanic_application::Column::Id),
        )
        .await?;
    tx.commit().await?;
    rows.sort_by_key(|r| r.status != "pending");
    Ok(rows)
}

pub async fn get(
    store: &Store,
    actor: &Actor,
    id: Uuid,
) -> Result<mechanic_application::Model, ServiceError> {
    actor.require(Permission::StaffManage)?;
    let tx = store.tx(&TenantCtx::of(actor)).await?;
    let row = tx.get::<mechanic_application::Entity>(id).await?;
    tx.commit().await?;
    Ok(row)
}

/// Approves (inviting the applicant as a mechanic) or rejects a pending application.
pub async fn decide(
    identity: &Identity,
    actor: &Actor,
    inviter_name: &str,
    id: Uuid,
    approve: bool,
    link_base: &str,
) -> Result<mechanic_application::Model, ServiceError> {
    actor.require(Permission::StaffManage)?;
    let row = get(&identity.store, actor, id).await?;
    if row.status != "pending" {
        return Err(ServiceError::Conflict(FieldErrors::single(
            "status",
            format!("this application was already {}", row.status),
        )));
    }
    if approve {
        let branches: Vec<Uuid> = row
            .branch_ids
            .split_whitespace()
            .filter_map(|b| Uuid::try_parse(b).ok())
            .collect();
        invitations::invite(
            identity,
            actor,
            inviter_name,
            InvitationInput {
                email: row.email.clone(),
                name: Some(row.name.clone()),
                role: "mechanic".into(),
                branches: (!branches.is_empty()).then_some(branches),
            },
            link_base,
        )
        .await?;
    }
    let tx = identity.store.tx(&TenantCtx::of(actor)).await?;
    let mut active = row.clone().into_active_model();
    active.status = Set(if approve { "approved" } else { "rejected" }.into());
    active.decided_by = Set(Some(actor.membership_id.0));
    active.decided_at = Set(Some(Utc::now()));
    let updated = tx.update(active).await?;
    audit::record(
        &tx,
        By::Member(actor),
        Event::new(if approve {
            "application.approved"
        } else {
            "application.rejected"
        })
        .subject(row.email.clone()),
    )
    .await?;
    tx.commit().await?;
    Ok(updated)
}
