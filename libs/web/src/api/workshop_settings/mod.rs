//! `/workshop-settings`: the workshop's pricing and pay settings (a branch's own rates are
//! set under `/branches`).

pub(crate) mod json;

use pitlane_domain::permissions::Permission;
use pitlane_workshop::settings;
use poem::web::Data;
use poem_openapi::{OpenApi, payload::Json};

use self::json::{WorkshopSettings, WorkshopSettingsWrite};
use super::{ApiTags, Caller};
use crate::{problem::Problem, session::Auth};
use pitlane_app::state::AppState;

/// The branches' labour cost is for those who set it or read the figures.
fn sees_cost(auth: &Auth) -> bool {
    auth.actor.can(Permission::SettingsManage) || auth.actor.can(Permission::ReportsView)
}

pub struct WorkshopSettingsApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::RepairOrders")]
impl WorkshopSettingsApi {
    /// The workshop's pricing and pay settings
    ///
    /// Needs `tenant.read`.
    #[oai(
        path = "/workshop-settings",
        method = "get",
        operation_id = "get_workshop_settings"
    )]
    async fn get(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
    ) -> Result<Json<WorkshopSettings>, Problem> {
        let s = settings::get(&state.workshop, &auth.actor).await?;
        Ok(Json(WorkshopSettings::new(s, sees_cost(&auth))))
    }

    /// Change the pricing and pay settings
    ///
    /// Needs `settings.manage`.
    #[oai(
        path = "/workshop-settings",
        method = "put",
        operation_id = "update_workshop_settings"
    )]
    async fn update(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        body: Json<WorkshopSettingsWrite>,
    ) -> Result<Json<WorkshopSettings>, Problem> {
        let s = settings::update(&state.workshop, &auth.actor, &body.0.into()).await?;
        Ok(Json(WorkshopSettings::new(s, sees_cost(&auth))))
    }
}
