//! Users, memberships and staff sign-in with passwords.
//! (Invitations, OAuth2, API keys, TOTP and the audit log build on this in the identity work.)

mod password;

use chrono::Utc;
use pitlane_domain::{
    Actor, ServiceError,
    ids::{MembershipId, TenantId, UserId},
    permissions::Role,
    text::{DisplayName, Email, NewPassword},
};
use pitlane_store::{
    Store, TenantCtx, TenantTx,
    entity::{membership, user},
    sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter},
};

pub use password::{generate_password, hash_password, verify_password};

/// A new staff member's details, already parsed.
pub struct NewMember {
    pub email: Email,
    pub name: DisplayName,
    pub password: NewPassword,
    pub role: Role,
}

/// Creates the user (or reuses the global user with that e-mail) and their membership in this tenant.
pub async fn add_member(
    tx: &TenantTx,
    member: NewMember,
) -> Result<(user::Model, membership::Model), ServiceError> {
    let existing = tx
        .users(user::Entity::find().filter(user::Column::Email.eq(member.email.as_str())))
        .await?
        .into_iter()
        .next();
    let now = Utc::now();
    let user = match existing {
        Some(user) => user,
        None => {
            let hash = hash_password(member.password.expose().to_owned()).await?;
            tx.insert_user(user::ActiveModel {
                id: Set(UserId::new().0),
                email: Set(member.email.into_inner()),
                name: Set(member.name.into_inner()),
                password_hash: Set(Some(hash)),
                created_at: Set(now),
                updated_at: Set(now),
            })
            .await?
        }
    };
    let membership = tx
        .insert(membership::ActiveModel {
            tenant_id: Set(tx.tenant_id().0),
            id: Set(MembershipId::new().0),
            user_id: Set(user.id),
            role: Set(member.role.key().to_owned()),
            status: Set("active".to_owned()),
            created_at: Set(now),
        })
        .await?;
    Ok((user, membership))
}

/// Someone who proved who they are, with their role in the tenant they signed in to.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub actor: Actor,
    pub name: String,
    pub email: String,
}

/// Checks an e-mail and password for a tenant's staff. Unknown e-mail, wrong password and
/// no membership all give the same answer, in about the same time (no account enumeration).
pub async fn sign_in(
    store: &Store,
    tenant: TenantId,
    email: &str,
    password: &str,
) -> Result<SignedIn, ServiceError> {
    let tx = store.tx(&TenantCtx::new(tenant)).await?;
    let email = Email::parse(email)
        .map(Email::into_inner)
        .unwrap_or_default();
    let user = tx
        .users(user::Entity::find().filter(user::Column::Email.eq(email)))
        .await?
        .into_iter()
        .next();
    let hash = user.as_ref().and_then(|u| u.password_hash.clone());
    let password_ok = verify_password(hash, password.to_owned()).await;
    let Some(user) = user.filter(|_| password_ok) else {
        return Err(ServiceError::Unauthenticated);
    };
    let membership = tx
        .first(
            tx.select::<membership::Entity>()
                .filter(membership::Column::UserId.eq(user.id)),
        )
        .await?
        .filter(|m| m.status == "active")
        .ok_or(ServiceError::Unauthenticated)?;
    tx.commit().await?;
    let signed_in = SignedIn {
        actor: actor_of(&membership)?,
        name: user.name,
        email: user.email,
    };
    Ok(signed_in)
}

/// The actor a session stands for, re-read so a changed role or a deactivation takes effect.
pub async fn actor_for(
    tx: &TenantTx,
    membership_id: MembershipId,
) -> Result<Option<Actor>, ServiceError> {
    match tx.get::<membership::Entity>(membership_id.0).await {
        Ok(m) if m.status == "active" => Ok(Some(actor_of(&m)?)),
        Ok(_) | Err(pitlane_store::StoreError::NotFound) => Ok(None),
        Err(other) => Err(other.into()),
    }
}

fn actor_of(m: &membership::Model) -> Result<Actor, ServiceError> {
    Ok(Actor {
        user_id: UserId(m.user_id),
        membership_id: MembershipId(m.id),
        tenant_id: TenantId(m.tenant_id),
        role: Role::parse(&m.role)
            .map_err(|_| ServiceError::Internal(format!("membership {} has unknown role", m.id)))?,
    })
}
