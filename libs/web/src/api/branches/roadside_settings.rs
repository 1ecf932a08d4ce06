//! `/branches/{branch_id}/roadside-settings`: whether a branch drives out to breakdowns, from
//! where and how far, its prices, escalation times and targets (types in `roadside::json`).

use pitlane_roadside::settings;
use poem::web::Data;
use poem_openapi::{OpenApi, param::Path, payload::Json};
use uuid::Uuid;

use crate::api::{ApiTags, Caller, roadside::json::RoadsideSettingsJson};
use crate::problem::Problem;
use pitlane_app::state::AppState;

pub struct BranchRoadsideSettingsApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Roadside")]
impl BranchRoadsideSettingsApi {
    /// A branch's roadside settings
    ///
    /// Needs `tenant.read`. A branch that never set them has the defaults (not taking
    /// requests).
    #[oai(
        path = "/branches/:branch_id/roadside-settings",
        method = "get",
        operation_id = "get_branch_roadside_settings"
    )]
    async fn get(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        branch_id: Path<Uuid>,
    ) -> Result<Json<RoadsideSettingsJson>, Problem> {
        let found = settings::get(&state.roadside, &auth.actor, branch_id.0).await?;
        Ok(Json(found.into()))
    }

    /// Set a branch's roadside settings
    ///
    /// Needs `settings.manage`. Taking requests needs the branch's position; the wide ring is
    /// at least the near one, and the dispatcher is asked after the wide ring.
    #[oai(
        path = "/branches/:branch_id/roadside-settings",
        method = "put",
        operation_id = "set_branch_roadside_settings"
    )]
    async fn set(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        branch_id: Path<Uuid>,
        body: Json<RoadsideSettingsJson>,
    ) -> Result<Json<RoadsideSettingsJson>, Problem> {
        let wanted = body.0.into_settings(branch_id.0)?;
        let saved = settings::update(&state.roadside, &auth.actor, wanted).await?;
        Ok(Json(saved.into()))
    }
}
