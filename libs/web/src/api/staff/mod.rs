//! `/staff`: the workshop's members with their roles and branches.

pub(crate) mod json;

use pitlane_identity::members;
use poem::web::Data;
use poem_openapi::{OpenApi, param::Path, payload::Json};
use uuid::Uuid;

use self::json::{StaffChange, StaffList, StaffMember};
use super::{ApiTags, Caller};
use crate::problem::Problem;
use pitlane_app::state::AppState;

pub struct StaffApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Staff")]
impl StaffApi {
    /// List staff
    ///
    /// Needs `staff.manage`. A branch-limited caller sees the staff of their branches.
    #[oai(path = "/staff", method = "get", operation_id = "list_staff")]
    async fn list(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
    ) -> Result<Json<StaffList>, Problem> {
        let items = members::list(&state.store, &auth.actor).await?;
        Ok(Json(StaffList {
            items: items.into_iter().map(StaffMember::from).collect(),
        }))
    }

    /// Get a member of staff
    ///
    /// Needs `staff.manage`.
    #[oai(
        path = "/staff/:member_id",
        method = "get",
        operation_id = "get_staff_member"
    )]
    async fn get(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        member_id: Path<Uuid>,
    ) -> Result<Json<StaffMember>, Problem> {
        let member = members::get(&state.store, &auth.actor, member_id.0).await?;
        Ok(Json(member.into()))
    }

    /// Change a member's role, branches or status
    ///
    /// Needs `staff.manage`, and every permission of the role given. Only owners change
    /// owners; the last owner cannot be demoted or deactivated.
    #[oai(
        path = "/staff/:member_id",
        method = "patch",
        operation_id = "update_staff_member"
    )]
    async fn update(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        member_id: Path<Uuid>,
        body: Json<StaffChange>,
    ) -> Result<Json<StaffMember>, Problem> {
        let member = members::update(&state.store, &auth.actor, member_id.0, body.0.into()).await?;
        Ok(Json(member.into()))
    }
}
