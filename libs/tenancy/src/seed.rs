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
    generate_password,
};
use pitlane_store::{
    Store, TenantCtx, TenantTx,
    entity::{tenant, user},
    sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter},
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
    let tenant = insert_tenant(&tx, slug, name, None, "USD".into(), false).await?;
    insert_in(&tx, &new.branch).await?;
    add_owner(&tx, email, owner, password).await?;
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
    awaiting_owner: bool,
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
        figures_version: Set(pitlane_domain::reports::FIGURES_VERSION),
        awaiting_owner: Set(awaiting_owner),
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

/// A new login as the workshop's owner.
async fn add_owner(
    tx: &TenantTx,
    email: Email,
    name: DisplayName,
    password: NewPassword,
) -> Result<(user::Model, pitlane_store::entity::membership::Model), ServiceError> {
    add_member(
        tx,
        NewMember {
            email,
            name,
            password,
            role: Role::Owner,
        },
    )
    .await
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
    /// The address already has a login. The workshop is made waiting for its owner, and the
    /// address is e-mailed a link that makes it theirs; whatever password was typed, the
    /// answer, the workshop's address and the e-mail are the same: the form is no way to
    /// test a password.
    CheckEmail,
}

/// A chain signs up: its tenant (in trial), first branch and owner membership in one
/// transaction, and the owner's e-mail verification link sent through the outbox.
/// `site_of(slug)` is the absolute address of a tenant's site, `platform` the platform's
/// (for the links).
///
/// An address that already has a Pitlane login (one person, one login, many workshops) gets
/// a workshop waiting for its owner, which serves nothing until the address's owner confirms
/// it with the link e-mailed to them ([`confirm_workshop`]); the password typed is not looked
/// at. Every sign-up e-mails its address, so sign-ups count against the caps on anonymous
/// messages (per client address and per destination).
pub async fn sign_up(
    identity: &Identity,
    input: Signup,
    ip: Option<&str>,
    platform: &str,
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
    let id = TenantId::new();
    // Alike for an address with a login and one without, so the cap tells nothing either.
    if let Err(reason) = identity.send_limits.allow(id, ip, email.as_str()).await {
        return Err(FieldErrors::single("email", reason).into());
    }
    let tx = store.tx(&TenantCtx::new(id)).await?;
    let tenant = insert_tenant(
        &tx,
        slug,
        company.clone(),
        Some(country.as_str().to_owned()),
        currency.into_inner(),
        existing.is_some(),
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
    if let Some(person) = existing {
        let token = pitlane_identity::links::issue_for_workshop(
            &tx.people(),
            &identity.signer,
            person.id,
            tenant.id,
        )
        .await?;
        identity
            .mail(
                &tx,
                MessageKind::WorkshopCreated,
                &person.email,
                &person.name,
                &[(
                    "link",
                    format!(
                        "{}/signup/confirm?token={token}",
                        platform.trim_end_matches('/')
                    ),
                )],
                format!("workshop-created:{}", tenant.id),
            )
            .await?;
        tx.commit().await?;
        tracing::info!(tenant = %id, slug = %tenant.slug, "chain signed up, waiting for its owner");
        return Ok(SignedUp::CheckEmail);
    }
    let Some(password) = password else {
        return Err(ServiceError::internal("sign-up without a password"));
    };
    let (person, membership) = add_owner(&tx, email, owner, password).await?;
    let actor = pitlane_identity::access::actor_of(&tx, &membership).await?;
    audit::record(
        &tx,
        By::Member(&actor),
        Event::new("tenant.signed_up").subject(tenant.slug.clone()),
    )
    .await?;
    if person.email_verified_at.is_none() {
        send_verification(identity, &tx, &person, &site_of(&tenant.slug)).await?;
    }
    tx.commit().await?;
    tracing::info!(tenant = %id, slug = %tenant.slug, "chain signed up");
    Ok(SignedUp::Created(Box::new(tenant)))
}

/// The owner of an address confirms the workshop a sign-up made with it: they become its
/// owner and it opens. Returns the workshop, or why the link cannot be used.
pub async fn confirm_workshop(
    identity: &Identity,
    token: &str,
) -> Result<Result<tenant::Model, pitlane_identity::links::LinkError>, ServiceError> {
    use pitlane_identity::links::{LinkError, Purpose, spend_row};
    use pitlane_store::entity::auth_link;
    let store = &identity.store;
    // The workshop is named by the link's row; the link is spent in that workshop's
    // transaction, so a failure spends nothing.
    let link_id = match identity.signer.verify(Purpose::ConfirmWorkshop, token) {
        Ok(id) => id,
        Err(err) => return Ok(Err(err)),
    };
    let row = {
        let people = store.people_tx().await?;
        let row = people
            .people()
            .first(auth_link::Entity::find_by_id(link_id))
            .await?;
        people.commit().await?;
        row
    };
    let Some(tenant_id) = row.and_then(|r| r.workshop_id) else {
        return Ok(Err(LinkError::Invalid));
    };
    let tx = store.tx(&TenantCtx::new(TenantId(tenant_id))).await?;
    let link = match spend_row(
        &tx.people(),
        &identity.signer,
        Purpose::ConfirmWorkshop,
        token,
    )
    .await?
    {
        Ok(link) => link,
        Err(err) => return Ok(Err(err)),
    };
    let Some(user_id) = link.user_id else {
        return Ok(Err(LinkError::Invalid));
    };
    let person = tx
        .people()
        .first(user::Entity::find_by_id(user_id))
        .await?
        .ok_or(ServiceError::NotFound)?;
    let workshop = tx.get::<tenant::Entity>(tenant_id).await?;
    if !workshop.awaiting_owner {
        return Ok(Err(LinkError::Used));
    }
    let membership = add_membership(&tx, &person, Role::Owner).await?;
    let mut row = workshop.into_active_model();
    row.awaiting_owner = Set(false);
    // The trial starts when the workshop opens, not when it was asked for.
    row.trial_ends_at = Set(Some(Utc::now() + chrono::Duration::days(TRIAL_DAYS)));
    row.updated_at = Set(Utc::now());
    let workshop = tx.update(row).await?;
    let actor = pitlane_identity::access::actor_of(&tx, &membership).await?;
    audit::record(
        &tx,
        By::Member(&actor),
        Event::new("tenant.signed_up").subject(workshop.slug.clone()),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(tenant = %tenant_id, slug = %workshop.slug, "chain confirmed by its owner");
    Ok(Ok(workshop))
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

/// The address of a workshop nobody confirmed is given back once its confirmation link has
/// expired: the still-closed workshop keeps an address of its own id, and the one it asked
/// for can be signed up again. Returns whether it gave one back.
pub async fn release_unclaimed(
    store: &Store,
    workshop: &tenant::Model,
    now: chrono::DateTime<Utc>,
) -> Result<bool, ServiceError> {
    use pitlane_identity::links::Purpose;
    use pitlane_store::sea_orm::sea_query::Expr;
    let placeholder = format!("unclaimed-{}", workshop.id.simple());
    if !workshop.awaiting_owner
        || workshop.slug == placeholder
        || workshop.created_at + Purpose::ConfirmWorkshop.lifetime() > now
    {
        return Ok(false);
    }
    let tx = store.tx(&TenantCtx::new(TenantId(workshop.id))).await?;
    let released = tx
        .update_all(
            tenant::Entity::update_many()
                .col_expr(tenant::Column::Slug, Expr::value(placeholder))
                .col_expr(tenant::Column::UpdatedAt, Expr::value(now))
                .filter(tenant::Column::Id.eq(workshop.id))
                .filter(tenant::Column::AwaitingOwner.eq(true)),
        )
        .await?;
    tx.commit().await?;
    if released > 0 {
        tracing::info!(tenant = %workshop.id, slug = %workshop.slug, "an unconfirmed workshop's address was given back");
    }
    Ok(released > 0)
}
