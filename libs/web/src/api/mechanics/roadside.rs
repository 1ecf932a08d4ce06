//! `/mechanics/{mechanic_id}/roadside`: whether a mechanic may drive out to roadside requests
//! (they then go on and off duty themselves).

use pitlane_roadside::dispatch;
use poem::web::Data;
use poem_openapi::{OpenApi, param::Path, payload::Json};
use uuid::Uuid;

use crate::api::{
    ApiTags, Caller,
    roadside::json::{MechanicRoadside, TakesRoadsideWrite},
};
use crate::problem::Problem;
use pitlane_app::state::AppState;

pub struct MechanicRoadsideApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Roadside")]
impl MechanicRoadsideApi {
    /// Let a mechanic drive out
    ///
    /// Needs `staff.manage`. Taking it away also takes them off duty.
    #[oai(
        path = "/mechanics/:mechanic_id/roadside",
        method = "put",
        operation_id = "set_mechanic_roadside"
    )]
    async fn set(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        mechanic_id: Path<Uuid>,
        body: Json<TakesRoadsideWrite>,
    ) -> Result<Json<MechanicRoadside>, Problem> {
        let duty = dispatch::set_takes_roadside(
            &state.roadside,
            &auth.actor,
            mechanic_id.0,
            body.0.takes_roadside,
        )
        .await?;
        Ok(Json(MechanicRoadside {
            mechanic_id: mechanic_id.0,
            takes_roadside: duty.takes_roadside,
            on_duty_since: duty.on_duty_since,
        }))
    }
}
