//! `/bays`: the working places of the branches.

pub(crate) mod json;

use pitlane_frontdesk::resources;
use poem::web::Data;
use poem_openapi::{
    OpenApi,
    param::{Path, Query},
    payload::Json,
};
use uuid::Uuid;

use self::json::{Bay, BayWrite};
use super::{
    ApiTags, Caller,
    shapes::{Created, Page, PageQuery},
};
use crate::problem::Problem;
use pitlane_app::state::AppState;

pub struct BaysApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Scheduling")]
impl BaysApi {
    /// List bays
    ///
    /// Needs `tenant.read`. By name. `branch_id` limits to one branch.
    #[oai(path = "/bays", method = "get", operation_id = "list_bays")]
    async fn list(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        branch_id: Query<Option<Uuid>>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1–200 (default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<Page<Bay>>, Problem> {
        let rows = resources::bays(&state.frontdesk, &auth.actor, branch_id.0).await?;
        let items = rows.into_iter().map(Bay::from).collect();
        let page = PageQuery::new(cursor.0, limit.0);
        Ok(Json(Page::from_ordered(items, &page, |item| item.id)?))
    }

    /// Add a bay
    ///
    /// Needs `settings.manage`.
    #[oai(path = "/bays", method = "post", operation_id = "create_bay")]
    async fn create(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        body: Json<BayWrite>,
    ) -> Result<Created<Bay>, Problem> {
        let row = resources::create_bay(&state.frontdesk, &auth.actor, body.0.into()).await?;
        Ok(Created::new(row))
    }

    /// Change a bay
    ///
    /// Needs `settings.manage`. The branch of a bay does not change.
    #[oai(path = "/bays/:bay_id", method = "put", operation_id = "update_bay")]
    async fn update(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        bay_id: Path<Uuid>,
        body: Json<BayWrite>,
    ) -> Result<Json<Bay>, Problem> {
        let row =
            resources::update_bay(&state.frontdesk, &auth.actor, bay_id.0, body.0.into()).await?;
        Ok(Json(row.into()))
    }
}
