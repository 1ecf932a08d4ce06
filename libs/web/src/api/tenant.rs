use pitlane_store::entity::tenant;
use pitlane_tenancy::brand::{BrandInput, get_tenant, update_brand};
use poem::web::Data;
use poem_openapi::{Object, OpenApi, payload::Json, types::Example};
use uuid::Uuid;

use super::{ApiTags, Caller};
use crate::{problem::Problem, state::AppState};

/// The workshop (tenant).
#[derive(Object)]
pub struct Workshop {
    pub id: Uuid,
    /// Its address on the platform: `{slug}.{base domain}` and `/t/{slug}`.
    pub slug: String,
    pub name: String,
    /// `active` or `suspended`.
    pub status: String,
    pub plan: String,
    pub brand: Brand,
}

/// How the workshop's pages look.
#[derive(Object)]
pub struct Brand {
    pub primary_color: String,
    pub accent_color: String,
    pub logo_url: Option<String>,
    /// `system`, `light` or `dark`.
    pub default_theme: String,
}

/// A change of name and brand.
#[derive(Object)]
#[oai(example)]
pub struct BrandUpdate {
    /// 1–120 characters.
    pub name: String,
    /// A hex colour, `#rrggbb` or `#rgb`.
    pub primary_color: String,
    pub accent_color: String,
    /// An `https://` address, or empty for none.
    pub logo_url: Option<String>,
    /// `system`, `light` or `dark`.
    pub default_theme: String,
}

impl Example for BrandUpdate {
    fn example() -> Self {
        Self {
            name: "Joe's Garage".into(),
            primary_color: "#0b5394".into(),
            accent_color: "#e69138".into(),
            logo_url: Some("https://cdn.example.com/joes-garage/logo.png".into()),
            default_theme: "system".into(),
        }
    }
}

fn workshop(t: tenant::Model) -> Workshop {
    Workshop {
        id: t.id,
        slug: t.slug,
        name: t.name,
        status: t.status,
        plan: t.plan,
        brand: Brand {
            primary_color: t.brand_primary,
            accent_color: t.brand_accent,
            logo_url: t.brand_logo_url,
            default_theme: t.default_theme,
        },
    }
}

pub struct TenantApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Workshop")]
impl TenantApi {
    /// The workshop
    ///
    /// Needs `tenant.read`.
    #[oai(path = "/workshop", method = "get", operation_id = "get_workshop")]
    async fn get(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
    ) -> Result<Json<Workshop>, Problem> {
        Ok(Json(workshop(get_tenant(&state.store, &auth.actor).await?)))
    }

    /// Change name and brand
    ///
    /// Needs `settings.manage`. All fields are replaced.
    #[oai(
        path = "/workshop/brand",
        method = "put",
        operation_id = "update_brand"
    )]
    async fn update_brand(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        body: Json<BrandUpdate>,
    ) -> Result<Json<Workshop>, Problem> {
        let body = body.0;
        let input = BrandInput {
            name: body.name,
            primary_color: body.primary_color,
            accent_color: body.accent_color,
            logo_url: body.logo_url,
            default_theme: body.default_theme,
        };
        let updated = update_brand(&state.store, &auth.actor, input).await?;
        state.tenants.invalidate(auth.actor.tenant_id);
        Ok(Json(workshop(updated)))
    }
}
