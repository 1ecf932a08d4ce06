//! A workshop's sign-in rules: single sign-on for staff, two-factor for owners and admins.

use chrono::Utc;
use pitlane_domain::{Actor, FieldErrors, ServiceError, permissions::Permission};
use pitlane_identity::audit::{self, By, Event};
use pitlane_store::{
    Store, TenantCtx,
    entity::tenant,
    sea_orm::{ActiveValue::Set, IntoActiveModel},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SecuritySettings {
    pub require_sso: bool,
    pub require_two_factor: bool,
    /// A sign-in through the identity provider needs no authenticator code here: the
    /// provider asks for its own second factor.
    pub sso_trusts_mfa: bool,
}

/// The workshop's current rules.
pub async fn get(store: &Store, actor: &Actor) -> Result<SecuritySettings, ServiceError> {
    actor.require(Permission::SettingsManage)?;
    let tx = store.tx(&TenantCtx::of(actor)).await?;
    let tenant = tx.get::<tenant::Entity>(actor.tenant_id.0).await?;
    tx.commit().await?;
    Ok(SecuritySettings {
        require_sso: tenant.require_sso,
        require_two_factor: tenant.require_two_factor,
        sso_trusts_mfa: tenant.sso_trusts_mfa,
    })
}

/// Changes the rules; `sso_available` says whether the deployment has an identity provider
/// (requiring single sign-on without one would lock staff out).
pub async fn update(
    store: &Store,
    actor: &Actor,
    settings: SecuritySettings,
    sso_available: bool,
) -> Result<tenant::Model, ServiceError> {
    actor.require(Permission::SettingsManage)?;
    if settings.require_sso && !sso_available {
        return Err(FieldErrors::single(
            "require_sso",
            "this Pitlane deployment has no identity provider configured, so staff could not sign in",
        )
        .into());
    }
    let tx = store.tx(&TenantCtx::of(actor)).await?;
    let existing = tx.get::<tenant::Entity>(actor.tenant_id.0).await?;
    let before = serde_json::json!({
        "require_sso": existing.require_sso,
        "require_two_factor": existing.require_two_factor,
        "sso_trusts_mfa": existing.sso_trusts_mfa,
    });
    let mut row = existing.into_active_model();
    row.require_sso = Set(settings.require_sso);
    row.require_two_factor = Set(settings.require_two_factor);
    row.sso_trusts_mfa = Set(settings.sso_trusts_mfa);
    row.updated_at = Set(Utc::now());
    let updated = tx.update(row).await?;
    audit::record(
        &tx,
        By::Member(actor),
        Event::new("settings.security_changed").detail(serde_json::json!({
            "before": before,
            "after": {
                "require_sso": settings.require_sso,
                "require_two_factor": settings.require_two_factor,
                "sso_trusts_mfa": settings.sso_trusts_mfa,
            },
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(updated)
}
