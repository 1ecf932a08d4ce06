//! Creating a tenant with its first branch and owner, and the demo tenant of a first start.

use chrono::Utc;
use pitlane_domain::{
    FieldErrors, ServiceError,
    ids::TenantId,
    messages::MessageKind,
    permissions::Role,
    text::{CountryCode, CurrencyCode, DisplayName, Email, NewPassword, Slug, TimeZone},
};
use pitlane_identity::{
    Identity, NewMember,
    account::send_verification,
    add_member, add_membership,
    audit::{self, By, Event},
    generate_password, verify_password,
};
use pitlane_store::{
    Store, TenantCtx, TenantTx,
    entity::{tenant, user},
    sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter},
};

use crate::branches::{BranchInput, insert_in};

pub struct NewTenant {
    pub slug: String,
    pub name: String,
    pub branch: BranchInput,
    pub owner_email: String,
    pub owner_name: String,
    pub owner_password: String,
}

/// Creates the tenant, its first branch and its owner in one transaction of the new tenant.
pub async fn create_tenant(store: &Store, new: NewTenant) -> Result<tenant::Model, ServiceError> {
    let mut errors = FieldErrors::new();
    let slug = errors.check("slug", Slug::parse(&new.slug));
    let name = errors.check("name", DisplayName::parse(&new.name, 120));
    let email = errors.check("owner_email", Email::parse(&new.owner_email));
    let owner = errors.check("owner_name", DisplayName::parse(&new.owner_name, 120));
    let password = errors.check("owner_password", NewPassword::parse(&new.owner_password));
    let (Some(slug), Some(name), Some(email), Some(owner), Some(password)) =
        (slug, name, email, owner, password)
    else {
        return Err(errors.into());
    };

    let id = TenantId::new();
    let tx = store.tx(&TenantCtx::new(id)).await?;
    let tenant = insert_tenant(&tx, slug, name, None, "USD".into()).await?;
    insert_in(&tx, &new.branch).await?;
    add_member(
        &tx,
        NewMember {
            email,
            name: owner,
            password,
            role: Role::Owner,
        },
    )
    .await?;
    tx.commit().await?;
    tracing::info!(tenant = %id, slug = %tenant.slug, "tenant created");
    Ok(tenant)
}

/// How long a new chain may use everything before choosing a plan.
pub const TRIAL_DAYS: i64 = 14;

async fn insert_tenant(
    tx: &TenantTx,
    slug: Slug,
    name: DisplayName,
    country: Option<String>,
    currency: String,
) -> Result<tenant::Model, ServiceError> {
    let now = Utc::now();
    tx.insert(tenant::ActiveModel {
        id: Set(tx.tenant_id().0),
        slug: Set(slug.into_inner()),
        name: Set(name.into_inner()),
        status: Set("active".into()),
        plan: Set("trial".into()),
        brand_primary: Set("#1f6feb".into()),
        brand_accent: Set("#d9480f".into()),
        brand_logo_url: Set(None),
        default_theme: Set("system".into()),
        email_sender_name: Set(None),
        email_reply_to: Set(None),
        sms_sender: Set(None),
        country: Set(country),
        currency: Set(currency),
        trial_ends_at: Set(Some(now + chrono::Duration::days(TRIAL_DAYS))),
        require_sso: Set(false),
        require_two_factor: Set(false),
        sso_trusts_mfa: Set(false),
        booking_auto_confirm: Set(false),
        booking_cutoff_hours: Set(24),
        reminder_offsets: Set("1440 120".into()),
        created_at: Set(now),
        updated_at: Set(now),
        // The workshop settings keep their schema defaults until the owner changes them.
        ..Default::default()
    })
    .await
    .map_err(|err| {
        if err.is_conflict_on("slug") {
            ServiceError::Conflict(FieldErrors::single(
                "slug",
                "this address is taken; choose another",
            ))
        } else {
            err.into()
        }
    })
}

/// The sign-up form of the platform's main site.
#[derive(Debug, Clone, Default)]
pub struct Signup {
    pub company: String,
    pub slug: String,
    pub owner_name: String,
    pub email: String,
    pub password: String,
    pub country: String,
    pub currency: String,
    pub time_zone: String,
}

/// How a sign-up ended.
pub enum SignedUp {
    /// A new login and its workshop: the owner confirms the address from the e-mail sent.
    Created(Box<tenant::Model>),
    /// The address already has a login. Whether the password was right (the workshop is
    /// created and the owner is told by e-mail where to sign in) or wrong, or the address is
    /// locked after too many wrong ones (nothing happens), the answer is this same one:
    /// the form is no way to test a password.
    CheckEmail,
}

/// A chain signs up: its tenant (in trial), first branch and owner membership in one
/// transaction, and the owner's e-mail verification link sent through the outbox.
/// `site_of(slug)` is the absolute address of a tenant's site, for the link.
///
/// An address that already has a Pitlane login must come with that login's password: one
/// person, one login, many workshops. Wrong passwords count towards the sign-in lockout of
/// that login (and of `ip`).
pub async fn sign_up(
    identity: &Identity,
    input: Signup,
    ip: Option<&str>,
    site_of: impl Fn(&str) -> String,
) -> Result<SignedUp, ServiceError> {
    let mut errors = FieldErrors::new();
    let company = errors.check("company", DisplayName::parse(&input.company, 120));
    let slug = errors.check("slug", Slug::parse(&input.slug));
    let owner = errors.check("owner_name", DisplayName::parse(&input.owner_name, 120));
    let email = errors.check("email", Email::parse(&input.email));
    let country = errors.check("country", CountryCode::parse(&input.country));
    let currency = errors.check("currency", CurrencyCode::parse(&input.currency));
    let zone = errors.check("time_zone", TimeZone::parse(&input.time_zone));
    let store = &identity.store;
    let existing = match &email {
        Some(email) => {
            let tx = store.people_tx().await?;
            let found = tx
                .people()
                .first(user::Entity::find().filter(user::Column::Email.eq(email.as_str())))
                .await?;
            tx.commit().await?;
            found
        }
        None => None,
    };
    let password = match &existing {
        Some(_) => None,
        None => errors.check("password", NewPassword::parse(&input.password)),
    };
    if let Some(slug) = &slug
        && store.tenant_by_slug(slug.as_str()).await?.is_some()
    {
        errors.add("slug", "this address is taken; choose another");
    }
    let (
        Some(company),
        Some(slug),
        Some(owner),
        Some(email),
        Some(country),
        Some(currency),
        Some(zone),
    ) = (company, slug, owner, email, country, currency, zone)
    else {
        return Err(errors.into());
    };
    if !errors.is_empty() {
        return Err(errors.into());
    }
    if let Some(person) = &existing {
        // Checked last, after every other field, and answered alike either way.
        let scope = "platform-signup";
        if identity
            .throttle
            .check(scope, &person.email, ip)
            .await
            .is_err()
        {
            return Ok(SignedUp::CheckEmail);
        }
        if !verify_password(person.password_hash.clone(), input.password.clone()).await {
            identity.throttle.failed(scope, &person.email, ip).await;
            return Ok(SignedUp::CheckEmail);
        }
        identity.throttle.succeeded(scope, &person.email).await;
    }
    let id = TenantId::new();
    let tx = store.tx(&TenantCtx::new(id)).await?;
    let tenant = insert_tenant(
        &tx,
        slug,
        company.clone(),
        Some(country.as_str().to_owned()),
        currency.into_inner(),
    )
    .await?;
    insert_in(
        &tx,
        &BranchInput {
            name: company.into_inner(),
            country: Some(country.into_inner()),
            time_zone: zone.name().to_owned(),
            ..BranchInput::default()
        },
    )
    .await?;
    let had_login = existing.is_some();
    let (person, membership) = match (existing, password) {
        (Some(person), _) => {
            let membership = add_membership(&tx, &person, Role::Owner).await?;
            (person, membership)
        }
        (None, Some(password)) => {
            add_member(
                &tx,
                NewMember {
                    email,
                    name: owner,
                    password,
                    role: Role::Owner,
                },
            )
            .await?
        }
        (None, None) => return Err(ServiceError::internal("sign-up without a password")),
    };
    let actor = pitlane_identity::access::actor_of(&tx, &membership).await?;
    audit::record(
        &tx,
        By::Member(&actor),
        Event::new("tenant.signed_up").subject(tenant.slug.clone()),
    )
    .await?;
    if had_login {
        identity
            .mail(
                &tx,
                MessageKind::WorkshopCreated,
                &person.email,
                &person.name,
                &[("link", format!("{}/signin", site_of(&tenant.slug)))],
                format!("workshop-created:{}", tenant.id),
            )
            .await?;
    } else if person.email_verified_at.is_none() {
        send_verification(identity, &tx, &person, &site_of(&tenant.slug)).await?;
    }
    tx.commit().await?;
    tracing::info!(tenant = %id, slug = %tenant.slug, "chain signed up");
    Ok(if had_login {
        SignedUp::CheckEmail
    } else {
        SignedUp::Created(Box::new(tenant))
    })
}

/// What the console shows once after creating the demo tenant.
pub struct DemoCredentials {
    pub email: String,
    pub password: String,
}

pub const DEMO_SLUG: &str = "demo";
pub const DEMO_OWNER_EMAIL: &str = "owner@demo.pitlane.test";

/// Creates the demo tenant unless it exists; returns the owner's credentials when it did.
pub async fn ensure_demo_tenant(store: &Store) -> Result<Option<DemoCredentials>, ServiceError> {
    if store.tenant_by_slug(DEMO_SLUG).await?.is_some() {
        return Ok(None);
    }
    let password = generate_password();
    create_tenant(
        store,
        NewTenant {
            slug: DEMO_SLUG.into(),
            name: "Demo Motors".into(),
            branch: BranchInput {
                name: "Main Street".into(),
                address_line1: Some("1 Main Street".into()),
                city: Some("Springfield".into()),
                country: Some("US".into()),
                time_zone: "America/Chicago".into(),
                ..BranchInput::default()
            },
            owner_email: DEMO_OWNER_EMAIL.into(),
            owner_name: "Demo Owner".into(),
            owner_password: password.clone(),
        },
    )
    .await?;
    Ok(Some(DemoCredentials {
        email: DEMO_OWNER_EMAIL.into(),
        password,
    }))
}
