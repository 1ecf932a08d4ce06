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
    ip: Option<&str>,
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
    if let Err(reason) = identity.send_limits.allow(tenant, ip, email.as_str()).await {
        return Err(FieldErrors::single("email", reason).into());
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
    let (token, to_name) = match existing {
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
            let token = links::issue(
                &tx.people(),
                &identity.signer,
                person.id,
                Purpose::MagicLink,
            )
            .await?;
            (token, person.name)
        }
        None => {
            // Nobody is created until the link is used: an address someone merely typed
            // stays free for its owner to sign up with.
            let name = name.map(DisplayName::into_inner);
            let token = links::issue_to_address(
                &tx.people(),
                &identity.signer,
                email.as_str(),
                name.as_deref(),
                Purpose::MagicLink,
            )
            .await?;
            let fallback = email.as_str().split('@').next().unwrap_or("Customer");
            (token, name.unwrap_or_else(|| fallback.to_owned()))
        }
    };
    identity
        .mail(
            &tx,
            MessageKind::MagicLink,
            email.as_str(),
            &to_name,
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
    let link =
        match links::spend_row(&tx.people(), &identity.signer, Purpose::MagicLink, token).await? {
            Ok(link) => link,
            Err(err) => return Ok(Err(err)),
        };
    let person = match (link.user_id, link.email) {
        (Some(user_id), _) => crate::access::person(&tx.people(), user_id).await?,
        (None, Some(email)) => {
            // A first link: the address is proven now, so the person is made now (or found,
            // if they signed up meanwhile).
            match crate::access::person_by_email(&tx.people(), &email).await? {
                Some(person) => person,
                None => {
                    let fallback = email.split('@').next().unwrap_or("Customer").to_owned();
                    tx.people()
                        .insert(crate::new_user(
                            email.clone(),
                            link.name.unwrap_or(fallback),
                            None,
                            true,
                        ))
                        .await?
                }
            }
        }
        (None, None) => return Ok(Err(LinkError::Invalid)),
    };
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
///
/// Changing one needs the current password. Choosing a first one needs only the signed-in
/// session (its link proved the address), unless the person is staff in any workshop: a
/// customer's session is no proof for a staff login, which takes a reset link instead. Every
/// other session of the person ends.
pub async fn set_password(
    identity: &Identity,
    actor: &Actor,
    current: &str,
    password: &str,
) -> Result<(), ServiceError> {
    let tx = identity.store.tx(&TenantCtx::of(actor)).await?;
    let person = crate::access::person(&tx.people(), actor.user_id.0).await?;
    tx.commit().await?;
    let mut errors = FieldErrors::new();
    match &person.password_hash {
        Some(_) => {
            let scope = actor.tenant_id.to_string();
            let account = format!("password-change:{}", person.id);
            if let Err(locked) = identity.throttle.check(&scope, &account, None).await {
                return Err(FieldErrors::single(
                    "current_password",
                    format!(
                        "too many wrong passwords: try again in {} minutes",
                        locked.minutes
                    ),
                )
                .into());
            }
            if !crate::verify_password(person.password_hash.clone(), current.to_owned()).await {
                identity.throttle.failed(&scope, &account, None).await;
                errors.add("current_password", "that is not your current password");
            }
        }
        None if identity.store.has_staff_login(person.id).await? => {
            return Err(FieldErrors::single(
                "password",
                "this address also signs in as workshop staff: set its password from a reset link on the staff sign-in page",
            )
            .into());
        }
        None => {}
    }
    let password = errors.check("password", NewPassword::parse(password));
    let Some(password) = password.filter(|_| errors.is_empty()) else {
        return Err(errors.into());
    };
    let hash = hash_password(password.expose().to_owned()).await?;
    let tx = identity.store.tx(&TenantCtx::of(actor)).await?;
    let person = crate::access::person(&tx.people(), actor.user_id.0).await?;
    let now = Utc::now();
    let mut row = person.into_active_model();
    row.password_hash = Set(Some(hash));
    // Every session ends; the caller starts this one again.
    row.sessions_valid_after = Set(Some(now - chrono::Duration::milliseconds(1)));
    row.updated_at = Set(now);
    tx.people().update(row).await?;
    audit::record(&tx, By::Member(actor), Event::new("password.changed")).await?;
    tx.commit().await?;
    Ok(())
}

/// Whether the person has a password yet (the form then asks for it).
pub async fn has_password(identity: &Identity, actor: &Actor) -> Result<bool, ServiceError> {
    let tx = identity.store.people_tx().await?;
    let person = crate::access::person(&tx.people(), actor.user_id.0).await?;
    tx.commit().await?;
    Ok(person.password_hash.is_some())
}
