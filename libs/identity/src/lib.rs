//! Identity and access: users (global) and their memberships in tenants, roles built-in and
//! custom, branch limits, password sign-in with throttling, single-use links, invitations,
//! API keys, and the audit log.

pub mod access;
pub mod account;
pub mod api_keys;
pub mod applications;
pub mod audit;
pub mod customers;
pub mod invitations;
pub mod key_use;
pub mod keys;
pub mod links;
pub mod members;
pub mod oauth;
mod password;
pub mod purpose;
pub mod roles;
pub mod secrets;
mod service;
pub mod signin;
pub mod throttle;
pub mod two_factor;

pub use access::actor_for;
pub use service::Identity;
pub use signin::{Refusal, SignedIn, sign_in, sign_out_everywhere};

use chrono::Utc;
use pitlane_domain::{
    ServiceError,
    ids::{MembershipId, UserId},
    permissions::Role,
    text::{DisplayName, Email, NewPassword},
};
use pitlane_store::{
    TenantTx,
    entity::{membership, user},
    sea_orm::ActiveValue::Set,
};

pub use password::{generate_password, hash_password, verify_password};

/// A new person's row: no two-factor, no session cut-off yet.
pub fn new_user(
    email: String,
    name: String,
    password_hash: Option<String>,
    verified: bool,
) -> user::ActiveModel {
    let now = Utc::now();
    user::ActiveModel {
        id: Set(UserId::new().0),
        email: Set(email),
        name: Set(name),
        password_hash: Set(password_hash),
        email_verified_at: Set(verified.then_some(now)),
        sessions_valid_after: Set(None),
        totp_secret: Set(None),
        totp_enabled_at: Set(None),
        totp_last_step: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
}

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
    let existing = access::person_by_email(&tx.people(), member.email.as_str()).await?;

    let user = match existing {
        Some(user) => user,
        None => {
            let hash = hash_password(member.password.expose().to_owned()).await?;
            tx.people()
                .insert(new_user(
                    member.email.into_inner(),
                    member.name.into_inner(),
                    Some(hash),
                    false,
                ))
                .await?
        }
    };
    let membership = add_membership(tx, &user, member.role).await?;
    Ok((user, membership))
}

/// Gives an existing person a built-in role in this tenant.
pub async fn add_membership(
    tx: &TenantTx,
    user: &user::Model,
    role: Role,
) -> Result<membership::Model, ServiceError> {
    let now = Utc::now();
    let membership = tx
        .insert(membership::ActiveModel {
            tenant_id: Set(tx.tenant_id().0),
            id: Set(MembershipId::new().0),
            user_id: Set(user.id),
            role: Set(role.key().to_owned()),
            status: Set("active".to_owned()),
            custom_role_id: Set(None),
            branch_limited: Set(false),
            created_at: Set(now),
            updated_at: Set(Some(now)),
            ..Default::default()
        })
        .await?;
    Ok(membership)
}
