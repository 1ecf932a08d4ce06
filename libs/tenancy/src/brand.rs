//! The tenant's name and brand: colours, logo, default theme.

use chrono::Utc;
use pitlane_domain::{
    Actor, FieldErrors, ServiceError,
    brand::{Color, ThemePreference},
    permissions::Permission,
    text::{DisplayName, https_url},
};
use pitlane_store::{
    Store, TenantCtx,
    entity::tenant,
    sea_orm::{ActiveValue::Set, IntoActiveModel},
};

/// What a brand form or API call sends, as typed: every field is parsed here, together,
/// so the person sees every problem at once.
#[derive(Debug, Clone, Default)]
pub struct BrandInput {
    pub name: String,
    pub primary_color: String,
    pub accent_color: String,
    pub logo_url: Option<String>,
    pub default_theme: String,
}

impl BrandInput {
    pub fn from_tenant(t: &tenant::Model) -> Self {
        Self {
            name: t.name.clone(),
            primary_color: t.brand_primary.clone(),
            accent_color: t.brand_accent.clone(),
            logo_url: t.brand_logo_url.clone(),
            default_theme: t.default_theme.clone(),
        }
    }
}

pub async fn get_tenant(store: &Store, actor: &Actor) -> Result<tenant::Model, ServiceError> {
    actor.require(Permission::TenantRead)?;
    let tx = store.tx(&TenantCtx::of(actor)).await?;
    let row = tx.get::<tenant::Entity>(actor.tenant_id.0).await?;
    tx.commit().await?;
    Ok(row)
}

/// The brand as its edit form starts: only for those who may change it.
pub async fn editable_brand(store: &Store, actor: &Actor) -> Result<BrandInput, ServiceError> {
    actor.require(Permission::SettingsManage)?;
    let tx = store.tx(&TenantCtx::of(actor)).await?;
    let row = tx.get::<tenant::Entity>(actor.tenant_id.0).await?;
    tx.commit().await?;
    Ok(BrandInput::from_tenant(&row))
}

pub async fn update_brand(
    store: &Store,
    actor: &Actor,
    input: BrandInput,
) -> Result<tenant::Model, ServiceError> {
    actor.require(Permission::SettingsManage)?;
    let mut errors = FieldErrors::new();
    let name = errors.check("name", DisplayName::parse(&input.name, 120));
    let primary = errors.check("primary_color", Color::parse(&input.primary_color));
    let accent = errors.check("accent_color", Color::parse(&input.accent_color));
    let logo = match input
        .logo_url
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(url) => errors.check("logo_url", https_url(url)).map(Some),
        None => Some(None),
    };
    let theme = errors.check(
        "default_theme",
        ThemePreference::parse(&input.default_theme),
    );
    let (Some(name), Some(primary), Some(accent), Some(logo), Some(theme)) =
        (name, primary, accent, logo, theme)
    else {
        return Err(ServiceError::Invalid(errors));
    };

    let tx = store.tx(&TenantCtx::of(actor)).await?;
    let mut row = tx
        .get::<tenant::Entity>(actor.tenant_id.0)
        .await?
        .into_active_model();
    row.name = Set(name.into_inner());
    row.brand_primary = Set(primary.to_string());
    row.brand_accent = Set(accent.to_string());
    row.brand_logo_url = Set(logo);
    row.default_theme = Set(theme.as_str().to_owned());
    row.updated_at = Set(Utc::now());
    let updated = tx.update(row).await?;
    pitlane_store::audit::record(
        &tx,
        pitlane_store::audit::By::Member(actor),
        pitlane_store::audit::Event::new("settings.brand_changed").detail(serde_json::json!({
            "name": updated.name, "primary": updated.brand_primary, "accent": updated.brand_accent,
            "logo": updated.brand_logo_url, "theme": updated.default_theme,
        })),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(tenant = %actor.tenant_id, "brand updated");
    Ok(updated)
}
