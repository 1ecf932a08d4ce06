//! Creating a tenant with its first branch and owner, and the demo tenant of a first start.

use chrono::Utc;
use pitlane_domain::{
    FieldErrors, ServiceError,
    ids::TenantId,
    permissions::Role,
    text::{DisplayName, Email, NewPassword, Slug},
};
use pitlane_identity::{NewMember, add_member, generate_password};
use pitlane_store::{Store, TenantCtx, entity::tenant, sea_orm::ActiveValue::Set};

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
    let now = Utc::now();
    let tenant = tx
        .insert(tenant::ActiveModel {
            id: Set(id.0),
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
            created_at: Set(now),
            updated_at: Set(now),
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
        })?;
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
