//! `/staff`: the workshop's members with their roles and branches.

pub(crate) mod json;

use pitlane_identity::members;
use poem::web::Data;
use poem_openapi::{
    OpenApi,
    param::{Path, Query},
    payload::Json,
};
use uuid::Uuid;

use self::json::{StaffChange, StaffMember};
use super::{
    ApiTags, Caller,
    shapes::{Page, PageQuery},
};
use crate::problem::Problem;
use pitlane_app::state::AppState;

pub struct StaffApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Staff")]
impl StaffApi {
    /// List staff
    ///
    /// Needs `staff.manage`. In the order they joined. A branch-limited caller sees the staff
    /// of their branches.
    #[oai(path = "/staff", method = "get", operation_id = "list_staff")]
    async fn list(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1–200 (default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<Page<StaffMember>>, Problem> {
        let items = members::list(&state.store, &auth.actor).await?;
        let items = items.into_iter().map(StaffMember::from).collect();
        let page = PageQuery::new(cursor.0, limit.0);
        Ok(Json(Page::from_ordered(items, &page, |item| item.id)?))
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
