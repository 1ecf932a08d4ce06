//! `/absences`: mechanics' current and future absences (recorded under
//! `/mechanics/{id}/absences`).

pub(crate) mod json;

use chrono::Utc;
use pitlane_frontdesk::resources;
use poem::web::Data;
use poem_openapi::{
    OpenApi,
    param::{Path, Query},
    payload::Json,
};
use uuid::Uuid;

use self::json::Absence;
use super::{
    ApiTags, Caller,
    shapes::{NoContent, Page, PageQuery},
};
use crate::problem::Problem;
use pitlane_app::state::AppState;

pub struct AbsencesApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Scheduling")]
impl AbsencesApi {
    /// List absences
    ///
    /// Needs `tenant.read`. Current and future ones, by start.
    #[oai(path = "/absences", method = "get", operation_id = "list_absences")]
    async fn list(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1–200 (default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<Page<Absence>>, Problem> {
        let rows = resources::absences(&state.frontdesk, &auth.actor, Utc::now()).await?;
        let items = rows.into_iter().map(Absence::from).collect();
        let page = PageQuery::new(cursor.0, limit.0);
        Ok(Json(Page::from_ordered(items, &page, |item| item.id)?))
    }

    /// Remove an absence
    ///
    /// Needs `staff.manage`.
    #[oai(
        path = "/absences/:absence_id",
        method = "delete",
        operation_id = "remove_absence"
    )]
    async fn remove(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        absence_id: Path<Uuid>,
    ) -> Result<NoContent, Problem> {
        resources::remove_absence(&state.frontdesk, &auth.actor, absence_id.0).await?;
        Ok(NoContent::Done)
    }
}
