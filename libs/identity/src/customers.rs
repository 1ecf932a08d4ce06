//! Customer accounts on a workshop's branded site: sign-in by a one-time e-mailed link (magic
//! link, 15 minutes) or, once they chose one, a password. The link proves the address, so the
//! first one also creates the customer's membership in the workshop.

use chrono::Utc;
use pitlane_domain::{
    Actor, FieldErrors, ServiceError,
    ids::TenantId,
    messages::MessageKind,
    permissions::Role,
    text::{DisplayName, Email, NewPassword},
};
use pitlane_store::{
    TenantCtx,
    entity::{membership, user},
    sea_orm::{ActiveValue::Set, ColumnTrait, IntoActiveModel, QueryFilter},
};

use crate::{
    Identity,
    access::actor_of,
    add_membership,
    audit::{self, By, Event},
    links::{self, LinkError, Purpose},
    password::hash_password,
};

/// Sends a sign-in link to `email` for this workshop. The answer is the same whether or not
/// the address is known (nothing to learn from the form); staff get no link here.
pub async fn request_link(
    identity: &Identity,
    tenant: TenantId,
    email: &str,
    name: &str,
    site: &str,
) -> Result<(), ServiceError> {
    let mut errors = FieldErrors::new();
    let email = errors.check("email", Email::parse(email));
    let name = match name.trim() {
        "" => None,
        raw => errors.check("name", DisplayName::parse(raw, 120)),
    };
    let Some(email) = email else {
        return Err(errors.into());
    };
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let key = format!("throttle:magic:{tenant}:{}", email.as_str());
    if identity
        .throttle
        .count(&key, std::time::Duration::from_secs(3600))
        .await
        > 5
    {
        return Ok(());
    }
    let tx = identity.store.tx(&TenantCtx::new(tenant)).await?;
    let existing = crate::access::person_by_email(&tx.people(), email.as_str()).await?;
    let person = match existing {
        Some(person) => {
            let member = tx
                .first(
                    tx.select::<membership::Entity>()
                        .filter(membership::Column::UserId.eq(person.id)),
                )
                .await?;
            if member.is_some_and(|m| m.role != Role::Customer.key()) {
                // Staff sign in on the staff page; a customer link would not give them a session.
                tx.commit().await?;
                return Ok(());
            }
            person
        }
        None => {
            let fallback = email
                .as_str()
                .split('@')
                .next()
                .unwrap_or("Customer")
                .to_owned();
            tx.people()
                .insert(crate::new_user(
                    email.as_str().to_owned(),
                    name.map(DisplayName::into_inner).unwrap_or(fallback),
                    None,
                    false,
                ))
                .await?
        }
    };
    let token = links::issue(
        &tx.people(),
        &identity.signer,
        person.id,
        Purpose::MagicLink,
    )
    .await?;
    identity
        .mail(
            &tx,
            MessageKind::MagicLink,
            &person.email,
            &person.name,
            &[("link", format!("{site}/account/magic?token={token}"))],
            format!("magic-link:{token}"),
        )
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Signs a customer in by their link: the customer actor, made a customer of the workshop on
/// first use, and the person's name and address.
pub async fn sign_in_by_link(
    identity: &Identity,
    tenant: TenantId,
    token: &str,
) -> Result<Result<(Actor, user::Model), LinkError>, ServiceError> {
    let tx = identity.store.tx(&TenantCtx::new(tenant)).await?;
    let user_id =
        match links::spend(&tx.people(), &identity.signer, Purpose::MagicLink, token).await? {
            Ok(id) => id,
            Err(err) => return Ok(Err(err)),
        };
    let person = crate::access::person(&tx.people(), user_id).await?;
    let person = if person.email_verified_at.is_none() {
        let mut row = person.into_active_model();
        row.email_verified_at = Set(Some(Utc::now()));
        row.updated_at = Set(Utc::now());
        tx.people().update(row).await?
    } else {
        person
    };
    let existing = tx
        .first(
            tx.select::<membership::Entity>()
                .filter(membership::Column::UserId.eq(person.id)),
        )
        .await?;
    let member = match existing {
        Some(m) if m.status == "active" && m.role == Role::Customer.key() => m,
        Some(_) => return Ok(Err(LinkError::Invalid)),
        None => add_membership(&tx, &person, Role::Customer).await?,
    };
    let actor = actor_of(&tx, &member).await?;
    audit::record(
        &tx,
        By::Member(&actor),
        Event::new("sign_in.succeeded").detail(serde_json::json!({ "via": "magic link" })),
    )
    .await?;
    tx.commit().await?;
    Ok(Ok((actor, person)))
}

/// A customer chooses (or changes) a password for signing in without a link.
pub async fn set_password(
    identity: &Identity,
    actor: &Actor,
    password: &str,
) -> Result<(), ServiceError> {
    let password =
        NewPassword::parse(password).map_err(|e| FieldErrors::single("password", e.to_string()))?;
    let hash = hash_password(password.expose().to_owned()).await?;
    let tx = identity.store.tx(&TenantCtx::of(actor)).await?;
    let person = crate::access::person(&tx.people(), actor.user_id.0).await?;
    let mut row = person.into_active_model();
    row.password_hash = Set(Some(hash));
    row.updated_at = Set(Utc::now());
    tx.people().update(row).await?;
    audit::record(&tx, By::Member(actor), Event::new("password.changed")).await?;
    tx.commit().await?;
    Ok(())
}
