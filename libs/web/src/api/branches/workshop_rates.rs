//! `/branches/{branch_id}/workshop-rates`: a branch's labour rate, labour cost and tax, part of
//! the workshop's pricing settings (its types are in `workshop_settings::json`).

use pitlane_workshop::settings;
use poem::web::Data;
use poem_openapi::{OpenApi, param::Path, payload::Json};
use uuid::Uuid;

use crate::api::{
    ApiTags, Caller,
    workshop_settings::json::{BranchRates, BranchRatesWrite},
};
use crate::problem::Problem;
use pitlane_app::state::AppState;

pub struct BranchWorkshopRatesApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::RepairOrders")]
impl BranchWorkshopRatesApi {
    /// Set a branch's labour rate and tax
    ///
    /// Needs `settings.manage`.
    #[oai(
        path = "/branches/:branch_id/workshop-rates",
        method = "put",
        operation_id = "set_branch_workshop_rates"
    )]
    async fn set_rates(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        branch_id: Path<Uuid>,
        body: Json<BranchRatesWrite>,
    ) -> Result<Json<BranchRates>, Problem> {
        let b =
            settings::set_branch_rates(&state.workshop, &auth.actor, branch_id.0, &body.0.into())
                .await?;
        Ok(Json(BranchRates::new(b, true)))
    }
}
