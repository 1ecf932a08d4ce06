//! A person's own account: verifying the e-mail address, resetting a forgotten password.

use chrono::Utc;
use pitlane_domain::{
    FieldErrors, ServiceError,
    ids::TenantId,
    messages::MessageKind,
    text::{Email, NewPassword},
};
use pitlane_store::{
    TenantCtx, TenantTx,
    entity::user,
    sea_orm::{ActiveValue::Set, EntityTrait, IntoActiveModel},
};

use crate::{
    Identity,
    audit::{self, By, Event},
    links::{self, LinkError, Purpose},
    password::hash_password,
};

/// Sends (again) the link that proves a person owns their e-mail address. `link_base` is the
/// absolute address of the tenant's site the link opens on.
pub async fn send_verification(
    identity: &Identity,
    tx: &TenantTx,
    person: &user::Model,
    link_base: &str,
) -> Result<(), ServiceError> {
    let token = links::issue(
        &tx.people(),
        &identity.signer,
        person.id,
        Purpose::VerifyEmail,
    )
    .await?;
    identity
        .mail(
            tx,
            MessageKind::EmailVerification,
            &person.email,
            &person.name,
            &[("link", format!("{link_base}/verify-email?token={token}"))],
            format!("verify-email:{token}"),
        )
        .await
}

/// Marks the address verified; the person it belonged to, or why the link cannot be used.
pub async fn verify_email(
    identity: &Identity,
    token: &str,
) -> Result<Result<user::Model, LinkError>, ServiceError> {
    let tx = identity.store.people_tx().await?;
    let people = tx.people();
    let user_id = match links::spend(&people, &identity.signer, Purpose::VerifyEmail, token).await?
    {
        Ok(id) => id,
        Err(err) => return Ok(Err(err)),
    };
    let person = crate::access::person(&people, user_id).await?;
    let mut row = person.into_active_model();
    row.email_verified_at = Set(Some(Utc::now()));
    row.updated_at = Set(Utc::now());
    let person = people.update(row).await?;
    tx.commit().await?;
    Ok(Ok(person))
}

/// Sends a reset link if the address belongs to a member of this tenant. The answer is the
/// same either way, so the form reveals nothing about who has an account.
pub async fn request_password_reset(
    identity: &Identity,
    tenant: TenantId,
    email: &str,
    link_base: &str,
    ip: Option<&str>,
) -> Result<(), ServiceError> {
    let Ok(email) = Email::parse(email) else {
        return Err(
            FieldErrors::single("email", "enter the e-mail address you sign in with").into(),
        );
    };
    if let Err(reason) = identity.send_limits.allow(tenant, ip, email.as_str()).await {
        return Err(FieldErrors::single("email", reason).into());
    }
    // At most three reset e-mails an hour per address: the form cannot be used to flood anyone.
    let key = format!("throttle:reset:{tenant}:{}", email.as_str());
    if identity
        .throttle
        .count(&key, std::time::Duration::from_secs(3600))
        .await
        > 3
    {
        return Ok(());
    }
    let tx = identity.store.tx(&TenantCtx::new(tenant)).await?;
    let person = crate::access::person_by_email(&tx.people(), email.as_str()).await?;
    let member = match &person {
        Some(person) => crate::access::active_membership(&tx, person.id).await?,
        None => None,
    };
    if let (Some(person), Some(_)) = (person, member) {
        let token = links::issue(
            &tx.people(),
            &identity.signer,
            person.id,
            Purpose::ResetPassword,
        )
        .await?;
        identity
            .mail(
                &tx,
                MessageKind::PasswordReset,
                &person.email,
                &person.name,
                &[("link", format!("{link_base}/reset-password?token={token}"))],
                format!("reset-password:{token}"),
            )
            .await?;
        audit::record(
            &tx,
            By::Visitor(person.email.clone()),
            Event::new("password.reset_requested"),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Whether a link could be used now, without spending it (to show its form or say why not).
pub async fn check_link(
    identity: &Identity,
    purpose: Purpose,
    token: &str,
) -> Result<Result<(), LinkError>, ServiceError> {
    use pitlane_store::entity::auth_link;
    let id = match identity.signer.verify(purpose, token) {
        Ok(id) => id,
        Err(err) => return Ok(Err(err)),
    };
    let tx = identity.store.people_tx().await?;
    let link = tx.people().first(auth_link::Entity::find_by_id(id)).await?;
    tx.commit().await?;
    Ok(match link {
        Some(link) if link.purpose != purpose.key() => Err(LinkError::Invalid),
        Some(link) if link.used_at.is_some() => Err(LinkError::Used),
        Some(link) if link.expires_at <= Utc::now() => Err(LinkError::Expired),
        Some(_) => Ok(()),
        None => Err(LinkError::Invalid),
    })
}

/// Sets a new password through a reset link. Every session of the person ends (whoever had
/// the old password is signed out), and the address counts as verified: the link reached it.
pub async fn reset_password(
    identity: &Identity,
    tenant: TenantId,
    token: &str,
    new_password: &str,
) -> Result<Result<user::Model, LinkError>, ServiceError> {
    // The password is checked before the link is spent, so a typo does not cost the link.
    let password = NewPassword::parse(new_password)
        .map_err(|e| FieldErrors::single("password", e.to_string()))?;
    let hash = hash_password(password.expose().to_owned()).await?;
    let tx = identity.store.tx(&TenantCtx::new(tenant)).await?;
    let user_id = match links::spend(
        &tx.people(),
        &identity.signer,
        Purpose::ResetPassword,
        token,
    )
    .await?
    {
        Ok(id) => id,
        Err(err) => return Ok(Err(err)),
    };
    let person = crate::access::person(&tx.people(), user_id).await?;
    let now = Utc::now();
    let mut row = person.into_active_model();
    row.password_hash = Set(Some(hash));
    row.sessions_valid_after = Set(Some(now));
    if row.email_verified_at.as_ref().is_none() {
        row.email_verified_at = Set(Some(now));
    }
    row.updated_at = Set(now);
    let person = tx.people().update(row).await?;
    audit::record(
        &tx,
        By::Visitor(person.email.clone()),
        Event::new("password.reset"),
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(person))
}

/// Whether the signed-in person's address is verified.
pub async fn is_verified(
    identity: &Identity,
    actor: &pitlane_domain::Actor,
) -> Result<bool, ServiceError> {
    let tx = identity.store.people_tx().await?;
    let person = tx
        .people()
        .first(user::Entity::find_by_id(actor.user_id.0))
        .await?;
    tx.commit().await?;
    Ok(person.is_some_and(|p| p.email_verified_at.is_some()))
}

/// Sends the signed-in person a new verification link (for their tenant's site).
pub async fn resend_verification(
    identity: &Identity,
    actor: &pitlane_domain::Actor,
    link_base: &str,
) -> Result<(), ServiceError> {
    let tx = identity.store.tx(&TenantCtx::of(actor)).await?;
    let person = crate::access::person(&tx.people(), actor.user_id.0).await?;
    if person.email_verified_at.is_none() {
        send_verification(identity, &tx, &person, link_base).await?;
    }
    tx.commit().await?;
    Ok(())
}
