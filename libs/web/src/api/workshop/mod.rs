//! `/workshop`: the workshop itself, its name and brand, and how its messages are sent.
//!
//! The operations keep the tags they had: the brand is `Workshop`'s, the sender settings
//! `Messages`', so each operation names its tag rather than the impl.

pub(crate) mod json;

use pitlane_notify::service;
use pitlane_tenancy::brand::{get_tenant, update_brand};
use poem::web::Data;
use poem_openapi::{OpenApi, payload::Json};

use self::json::{BrandUpdate, Sender, Workshop};
use super::{ApiTags, Caller};
use crate::problem::Problem;
use pitlane_app::state::AppState;

pub struct WorkshopApi;

#[OpenApi(prefix_path = "/api/v1")]
impl WorkshopApi {
    /// The workshop
    ///
    /// Needs `tenant.read`.
    #[oai(
        path = "/workshop",
        method = "get",
        operation_id = "get_workshop",
        tag = "ApiTags::Workshop"
    )]
    async fn get(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
    ) -> Result<Json<Workshop>, Problem> {
        Ok(Json(get_tenant(&state.store, &auth.actor).await?.into()))
    }

    /// Change name and brand
    ///
    /// Needs `settings.manage`. All fields are replaced.
    #[oai(
        path = "/workshop/brand",
        method = "put",
        operation_id = "update_brand",
        tag = "ApiTags::Workshop"
    )]
    async fn update_brand(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        body: Json<BrandUpdate>,
    ) -> Result<Json<Workshop>, Problem> {
        let updated = update_brand(&state.store, &auth.actor, body.0.into()).await?;
        state.tenants.invalidate(auth.actor.tenant_id);
        Ok(Json(updated.into()))
    }

    /// Get the sender settings
    ///
    /// Needs `settings.manage`.
    #[oai(
        path = "/workshop/sender",
        method = "get",
        operation_id = "get_sender",
        tag = "ApiTags::Messages"
    )]
    async fn sender(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
    ) -> Result<Json<Sender>, Problem> {
        let s = service::sender_settings(&state.store, &auth.actor).await?;
        Ok(Json(s.into()))
    }

    /// Change the sender settings
    ///
    /// Needs `settings.manage`. Empty or absent fields clear the setting.
    #[oai(
        path = "/workshop/sender",
        method = "put",
        operation_id = "update_sender",
        tag = "ApiTags::Messages"
    )]
    async fn update_sender(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        body: Json<Sender>,
    ) -> Result<Json<Sender>, Problem> {
        let s = service::update_sender(
            &state.store,
            &state.config.notify,
            &auth.actor,
            (&body.0).into(),
        )
        .await?;
        Ok(Json(s.into()))
    }
}
