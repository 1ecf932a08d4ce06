//! Staff invitations: an e-mail with a signed, single-use link (7 days) offering a role and
//! branches. Accepting creates the person's login if they have none, and their membership.

use chrono::Utc;
use pitlane_domain::{
    Actor, FieldErrors, ServiceError,
    ids::TenantId,
    messages::MessageKind,
    permissions::Permission,
    text::{DisplayName, Email, NewPassword},
};
use pitlane_store::{
    Store, TenantCtx,
    entity::{invitation, membership, user},
    sea_orm::{
        ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    },
};
use uuid::Uuid;

use crate::{
    Identity,
    audit::{self, By, Event},
    links::{LinkError, Purpose},
    members::{check_branches, set_branches},
    password::hash_password,
    roles::{RoleChoice, resolve_grantable},
};

#[derive(Debug, Clone, Default)]
pub struct InvitationInput {
    pub email: String,
    pub name: Option<String>,
    pub role: String,
    /// `None`: every branch.
    pub branches: Option<Vec<Uuid>>,
}

fn branch_list(ids: Option<&[Uuid]>) -> String {
    ids.unwrap_or_default()
        .iter()
        .map(Uuid::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn branches_of(row: &invitation::Model) -> Option<Vec<Uuid>> {
    let ids: Vec<Uuid> = row
        .branch_ids
        .split_whitespace()
        .filter_map(|id| Uuid::try_parse(id).ok())
        .collect();
    (!ids.is_empty()).then_some(ids)
}

/// Sends an invitation; `link_base` is the absolute address of the tenant's site.
pub async fn invite(
    identity: &Identity,
    actor: &Actor,
    inviter_name: &str,
    input: InvitationInput,
    link_base: &str,
) -> Result<invitation::Model, ServiceError> {
    actor.require(Permission::StaffManage)?;
    let mut errors = FieldErrors::new();
    let email = errors.check("email", Email::parse(&input.email));
    let name = match input
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        Some(raw) => errors
            .check("name", DisplayName::parse(raw, 120))
            .map(|n| Some(n.into_inner())),
        None => Some(None),
    };
    let choice = RoleChoice::parse(&input.role);
    if choice.is_none() {
        errors.add("role", "choose one of the workshop's roles");
    }
    let (Some(email), Some(name), Some(choice)) = (email, name, choice) else {
        return Err(errors.into());
    };
    let tx = identity.store.tx(&TenantCtx::of(actor)).await?;
    let (assigned, _) = resolve_grantable(&tx, actor, choice, "role").await?;
    if let Some(ids) = &input.branches {
        check_branches(&tx, actor, ids, "branches").await?;
    } else if actor.branches.limited().is_some() {
        return Err(FieldErrors::single(
            "branches",
            "you can only invite people to your own branches",
        )
        .into());
    }
    let already = match crate::access::person_by_email(&tx.people(), email.as_str()).await? {
        Some(person) => tx
            .first(
                tx.select::<membership::Entity>()
                    .filter(membership::Column::UserId.eq(person.id)),
            )
            .await?
            .is_some(),
        None => false,
    };
    if already {
        return Err(ServiceError::Conflict(FieldErrors::single(
            "email",
            "this person is already a member of the workshop",
        )));
    }
    let now = Utc::now();
    let expires = now + Purpose::Invitation.lifetime();
    let (role, custom) = choice.columns();
    let row = tx
        .insert(invitation::ActiveModel {
            tenant_id: Set(actor.tenant_id.0),
            id: Set(Uuid::now_v7()),
            email: Set(email.as_str().to_owned()),
            name: Set(name.clone()),
            role: Set(role),
            custom_role_id: Set(custom),
            branch_ids: Set(branch_list(input.branches.as_deref())),
            invited_by: Set(actor.membership_id.0),
            expires_at: Set(expires),
            accepted_at: Set(None),
            revoked_at: Set(None),
            created_at: Set(now),
        })
        .await?;
    let token = identity.signer.sign(Purpose::Invitation, row.id, expires);
    identity
        .mail(
            &tx,
            MessageKind::StaffInvitation,
            email.as_str(),
            name.as_deref().unwrap_or(email.as_str()),
            &[
                ("invited_by", inviter_name.to_owned()),
                ("role", assigned.label().to_owned()),
                (
                    "link",
                    format!("{link_base}/invitations/accept?token={token}"),
                ),
            ],
            format!("invitation:{}", row.id),
        )
        .await?;
    audit::record(
        &tx,
        By::Member(actor),
        Event::new("invitation.sent")
            .subject(email.as_str())
            .detail(serde_json::json!({ "role": assigned.label() })),
    )
    .await?;
    tx.commit().await?;
    Ok(row)
}

/// Invitations not yet accepted, revoked or expired.
pub async fn pending(store: &Store, actor: &Actor) -> Result<Vec<invitation::Model>, ServiceError> {
    actor.require(Permission::StaffManage)?;
    let tx = store.tx(&TenantCtx::of(actor)).await?;
    let rows = tx
        .all(
            tx.select::<invitation::Entity>()
                .filter(invitation::Column::AcceptedAt.is_null())
                .filter(invitation::Column::RevokedAt.is_null())
                .filter(invitation::Column::ExpiresAt.gt(Utc::now()))
                .order_by_desc(invitation::Column::Id),
        )
        .await?;
    tx.commit().await?;
    Ok(rows)
}

pub async fn revoke(store: &Store, actor: &Actor, id: Uuid) -> Result<(), ServiceError> {
    actor.require(Permission::StaffManage)?;
    let tx = store.tx(&TenantCtx::of(actor)).await?;
    let row = tx.get::<invitation::Entity>(id).await?;
    if row.accepted_at.is_some() {
        return Err(ServiceError::Conflict(FieldErrors::single(
            "invitation",
            "this invitation was already accepted; deactivate the member instead",
        )));
    }
    let email = row.email.clone();
    let mut active = row.into_active_model();
    active.revoked_at = Set(Some(Utc::now()));
    tx.update(active).await?;
    audit::record(
        &tx,
        By::Member(actor),
        Event::new("invitation.revoked").subject(email),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The invitation a link names, if it can still be accepted.
pub async fn open(
    identity: &Identity,
    tenant: TenantId,
    token: &str,
) -> Result<Result<(invitation::Model, bool), LinkError>, ServiceError> {
    let id = match identity.signer.verify(Purpose::Invitation, token) {
        Ok(id) => id,
        Err(err) => return Ok(Err(err)),
    };
    let tx = identity.store.tx(&TenantCtx::new(tenant)).await?;
    let row = match tx.get::<invitation::Entity>(id).await {
        Ok(row) => row,
        Err(pitlane_store::StoreError::NotFound) => return Ok(Err(LinkError::Invalid)),
        Err(other) => return Err(other.into()),
    };
    let has_login = crate::access::person_by_email(&tx.people(), &row.email)
        .await?
        .is_some_and(|u| u.password_hash.is_some());
    tx.commit().await?;
    if row.accepted_at.is_some() {
        return Ok(Err(LinkError::Used));
    }
    if row.revoked_at.is_some() {
        return Ok(Err(LinkError::Invalid));
    }
    // The row's own expiry decides, whatever the token says.
    if row.expires_at <= Utc::now() {
        return Ok(Err(LinkError::Expired));
    }
    Ok(Ok((row, has_login)))
}

/// Accepts an invitation. Someone new chooses their name and password; someone who already
/// has a login keeps it. The address is verified: the link reached it.
pub async fn accept(
    identity: &Identity,
    tenant: TenantId,
    token: &str,
    name: &str,
    password: &str,
) -> Result<Result<user::Model, LinkError>, ServiceError> {
    let (invitation, has_login) = match open(identity, tenant, token).await? {
        Ok(found) => found,
        Err(err) => return Ok(Err(err)),
    };
    let new_login = if has_login {
        None
    } else {
        let mut errors = FieldErrors::new();
        let name = errors.check("name", DisplayName::parse(name, 120));
        let password = errors.check("password", NewPassword::parse(password));
        let (Some(name), Some(password)) = (name, password) else {
            return Err(errors.into());
        };
        Some((name, hash_password(password.expose().to_owned()).await?))
    };
    let tx = identity.store.tx(&TenantCtx::new(tenant)).await?;
    let now = Utc::now();
    // Spend the invitation first: a second acceptance at the same time finds it taken.
    let spent = tx
        .update_all(
            invitation::Entity::update_many()
                .col_expr(
                    invitation::Column::AcceptedAt,
                    pitlane_store::sea_orm::sea_query::Expr::value(now),
                )
                .filter(invitation::Column::Id.eq(invitation.id))
                .filter(invitation::Column::AcceptedAt.is_null())
                .filter(invitation::Column::RevokedAt.is_null())
                .filter(invitation::Column::ExpiresAt.gt(now)),
        )
        .await?;
    if spent == 0 {
        return Ok(Err(LinkError::Used));
    }
    let existing = crate::access::person_by_email(&tx.people(), &invitation.email).await?;
    let person = match (existing, new_login) {
        (Some(person), None) => person,
        (Some(person), Some((name, hash))) => {
            let mut row = person.into_active_model();
            row.name = Set(name.into_inner());
            row.password_hash = Set(Some(hash));
            row.email_verified_at = Set(Some(now));
            row.updated_at = Set(now);
            tx.people().update(row).await?
        }
        (None, login) => {
            let (name, hash) = login.ok_or_else(|| ServiceError::internal("no login chosen"))?;
            tx.people()
                .insert(crate::new_user(
                    invitation.email.clone(),
                    name.into_inner(),
                    Some(hash),
                    true,
                ))
                .await?
        }
    };
    let branches = branches_of(&invitation);
    let member = tx
        .insert(membership::ActiveModel {
            tenant_id: Set(tenant.0),
            id: Set(Uuid::now_v7()),
            user_id: Set(person.id),
            role: Set(invitation.role.clone()),
            custom_role_id: Set(invitation.custom_role_id),
            status: Set("active".into()),
            branch_limited: Set(branches.is_some()),
            created_at: Set(now),
            updated_at: Set(Some(now)),
            ..Default::default()
        })
        .await
        .map_err(|err| {
            if err.is_conflict_on("user_id")
                || matches!(err, pitlane_store::StoreError::Conflict(_))
            {
                ServiceError::Conflict(FieldErrors::single(
                    "email",
                    "you are already a member of this workshop",
                ))
            } else {
                err.into()
            }
        })?;
    set_branches(&tx, member.id, branches.as_deref()).await?;
    let actor = crate::access::actor_of(&tx, &member).await?;
    audit::record(
        &tx,
        By::Member(&actor),
        Event::new("invitation.accepted").subject(person.email.clone()),
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(person))
}
