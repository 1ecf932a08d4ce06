//! Password sign-in for a tenant's members, with throttling and an audit entry either way.

use chrono::Utc;
use pitlane_domain::{Actor, ServiceError, ids::TenantId, text::Email};
use pitlane_store::{
    TenantCtx,
    entity::{tenant, user},
    sea_orm::{ColumnTrait, EntityTrait, QueryFilter},
};

use crate::{
    Identity,
    access::actor_of,
    audit::{self, By, Event},
    password::verify_password,
    throttle::Locked,
};

/// Someone who proved who they are, with their role in the tenant they signed in to.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub actor: Actor,
    pub name: String,
    pub email: String,
    /// The person uses an authenticator: the sign-in is finished by a code
    /// ([`crate::two_factor::verify`]) before a session starts.
    pub second_factor: bool,
}

/// Why a sign-in was refused. Unknown e-mail, wrong password and no membership are one
/// answer, given in about the same time, so nobody learns who has an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    WrongCredentials,
    Locked(Locked),
    /// The workshop requires its staff (owners excepted) to sign in through its identity
    /// provider.
    SsoRequired,
}

pub async fn sign_in(
    identity: &Identity,
    tenant: TenantId,
    email: &str,
    password: &str,
    ip: Option<&str>,
) -> Result<Result<SignedIn, Refusal>, ServiceError> {
    let email = Email::parse(email)
        .map(Email::into_inner)
        .unwrap_or_else(|_| email.trim().to_lowercase());
    let scope = tenant.to_string();
    let tx = identity.store.tx(&TenantCtx::new(tenant)).await?;
    if let Err(locked) = identity.throttle.check(&scope, &email, ip).await {
        audit::record(
            &tx,
            By::Visitor(email.clone()),
            Event::new("sign_in.locked_out").ip(ip),
        )
        .await?;
        tx.commit().await?;
        return Ok(Err(Refusal::Locked(locked)));
    }
    let person = crate::access::person_by_email(&tx.people(), &email).await?;
    let hash = person.as_ref().and_then(|u| u.password_hash.clone());
    let password_ok = verify_password(hash, password.to_owned()).await;
    let member = match person.as_ref().filter(|_| password_ok) {
        Some(person) => crate::access::active_membership(&tx, person.id).await?,
        None => None,
    };
    let (Some(person), Some(member)) = (person, member) else {
        let locked = identity.throttle.failed(&scope, &email, ip).await;
        audit::record(
            &tx,
            By::Visitor(email.clone()),
            Event::new("sign_in.failed").ip(ip),
        )
        .await?;
        tx.commit().await?;
        tracing::info!(tenant = %tenant, "sign-in refused");
        return Ok(Err(
            locked.map_or(Refusal::WrongCredentials, Refusal::Locked)
        ));
    };
    let actor = actor_of(&tx, &member).await?;
    let workshop = tx.get::<tenant::Entity>(tenant.0).await?;
    if workshop.require_sso && !actor.is_owner() {
        audit::record(
            &tx,
            By::Member(&actor),
            Event::new("sign_in.failed")
                .ip(ip)
                .detail(serde_json::json!({ "reason": "single sign-on required" })),
        )
        .await?;
        tx.commit().await?;
        return Ok(Err(Refusal::SsoRequired));
    }
    let second_factor = person.totp_enabled_at.is_some();
    let action = if second_factor {
        "sign_in.password_accepted"
    } else {
        "sign_in.succeeded"
    };
    audit::record(&tx, By::Member(&actor), Event::new(action).ip(ip)).await?;
    tx.commit().await?;
    identity.throttle.succeeded(&scope, &email).await;
    tracing::info!(user = %actor.user_id, "signed in");
    Ok(Ok(SignedIn {
        actor,
        name: person.name,
        email: person.email,
        second_factor,
    }))
}

/// Ends every session of this person, on every device and in every tenant.
pub async fn sign_out_everywhere(identity: &Identity, actor: &Actor) -> Result<(), ServiceError> {
    use pitlane_store::sea_orm::sea_query::Expr;
    let tx = identity.store.tx(&TenantCtx::of(actor)).await?;
    tx.people()
        .update_all(
            user::Entity::update_many()
                .col_expr(user::Column::SessionsValidAfter, Expr::value(Utc::now()))
                .filter(user::Column::Id.eq(actor.user_id.0)),
        )
        .await?;
    audit::record(
        &tx,
        By::Member(actor),
        Event::new("session.signed_out_everywhere"),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The actor for a person in a tenant right after they proved their address by a link (an
/// accepted invitation), audited as a sign-in.
pub async fn session_for(
    identity: &Identity,
    tenant: TenantId,
    user_id: uuid::Uuid,
) -> Result<Option<Actor>, ServiceError> {
    let tx = identity.store.tx(&TenantCtx::new(tenant)).await?;
    let member = crate::access::active_membership(&tx, user_id).await?;
    let Some(member) = member else {
        return Ok(None);
    };
    let actor = actor_of(&tx, &member).await?;
    audit::record(
        &tx,
        By::Member(&actor),
        Event::new("sign_in.succeeded").detail(serde_json::json!({"via": "invitation"})),
    )
    .await?;
    tx.commit().await?;
    Ok(Some(actor))
}

/// One of a person's workshops, with a one-time hand-off that signs them in there.
#[derive(Debug, Clone)]
pub struct Workshop {
    pub tenant: pitlane_store::entity::tenant::Model,
    pub role: String,
    pub handoff: String,
}

/// The platform's own sign-in (its main site, no workshop chosen yet): checks the password
/// once and lists the person's workshops, each with a hand-off valid for five minutes.
/// Throttled and answered like a workshop's sign-in.
pub async fn platform_sign_in(
    identity: &Identity,
    email: &str,
    password: &str,
    ip: Option<&str>,
) -> Result<Result<Vec<Workshop>, Refusal>, ServiceError> {
    let email = Email::parse(email)
        .map(Email::into_inner)
        .unwrap_or_else(|_| email.trim().to_lowercase());
    if let Err(locked) = identity.throttle.check("platform", &email, ip).await {
        return Ok(Err(Refusal::Locked(locked)));
    }
    let tx = identity.store.people_tx().await?;
    let person = crate::access::person_by_email(&tx.people(), &email).await?;
    tx.commit().await?;
    let hash = person.as_ref().and_then(|u| u.password_hash.clone());
    let Some(person) = person else {
        verify_password(None, password.to_owned()).await;
        let locked = identity.throttle.failed("platform", &email, ip).await;
        return Ok(Err(
            locked.map_or(Refusal::WrongCredentials, Refusal::Locked)
        ));
    };
    if !verify_password(hash, password.to_owned()).await {
        let locked = identity.throttle.failed("platform", &email, ip).await;
        return Ok(Err(
            locked.map_or(Refusal::WrongCredentials, Refusal::Locked)
        ));
    }
    identity.throttle.succeeded("platform", &email).await;
    let mut workshops = Vec::new();
    for tenant_id in identity.store.workshops_of(person.id).await? {
        let Some(workshop) = identity.store.tenant_by_id(TenantId(tenant_id)).await? else {
            continue;
        };
        if workshop.is_suspended() {
            continue;
        }
        let tx = identity
            .store
            .tx(&TenantCtx::new(TenantId(tenant_id)))
            .await?;
        let member = crate::access::active_membership(&tx, person.id).await?;
        let actor = match &member {
            Some(m) => Some(actor_of(&tx, m).await?),
            None => None,
        };
        tx.commit().await?;
        let (Some(member), Some(actor)) = (member, actor) else {
            continue;
        };
        // A workshop that requires single sign-on of this person is reached through it.
        if workshop.require_sso && !actor.is_owner() {
            continue;
        }
        let handoff = crate::oauth::Handoff {
            tenant: TenantId(tenant_id),
            membership: member.id,
            name: person.name.clone(),
            email: person.email.clone(),
            next: String::new(),
            needs_second_factor: person.totp_enabled_at.is_some(),
            via: "platform".into(),
            // The platform's picker lists these links to the person signed in there only.
            browser: None,
        };
        let token =
            crate::oauth::issue_handoff(identity, &handoff, std::time::Duration::from_secs(300))
                .await?;
        workshops.push(Workshop {
            role: actor.role.label().to_owned(),
            tenant: workshop,
            handoff: token,
        });
    }
    workshops.sort_by(|a, b| a.tenant.name.cmp(&b.tenant.name));
    Ok(Ok(workshops))
}
