//! `/closures`: whole days a branch is closed, holidays included.

pub(crate) mod json;

use pitlane_frontdesk::resources;
use poem::web::Data;
use poem_openapi::{
    OpenApi,
    param::{Path, Query},
    payload::Json,
};
use uuid::Uuid;

use self::json::{Closure, ClosureWrite};
use super::{
    ApiTags, Caller,
    shapes::{Created, NoContent, Page, PageQuery},
};
use crate::problem::Problem;
use pitlane_app::state::AppState;

pub struct ClosuresApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Scheduling")]
impl ClosuresApi {
    /// List closures and holidays
    ///
    /// Needs `tenant.read`. By first day. `branch_id` limits to one branch.
    #[oai(path = "/closures", method = "get", operation_id = "list_closures")]
    async fn list(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        branch_id: Query<Option<Uuid>>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1–200 (default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<Page<Closure>>, Problem> {
        let rows = resources::closures(&state.frontdesk, &auth.actor, branch_id.0).await?;
        let items = rows.into_iter().map(Closure::from).collect();
        let page = PageQuery::new(cursor.0, limit.0);
        Ok(Json(Page::from_ordered(items, &page, |item| item.id)?))
    }

    /// Close a branch for whole days
    ///
    /// Needs `settings.manage`. Local dates in the branch's time zone, both inclusive.
    #[oai(path = "/closures", method = "post", operation_id = "add_closure")]
    async fn add(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        body: Json<ClosureWrite>,
    ) -> Result<Created<Closure>, Problem> {
        let c = body.0;
        let row = resources::add_closure(
            &state.frontdesk,
            &auth.actor,
            c.branch_id,
            c.starts_on,
            c.ends_on,
            &c.reason,
        )
        .await?;
        Ok(Created::new(row))
    }

    /// Remove a closure
    ///
    /// Needs `settings.manage`.
    #[oai(
        path = "/closures/:closure_id",
        method = "delete",
        operation_id = "remove_closure"
    )]
    async fn remove(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        closure_id: Path<Uuid>,
    ) -> Result<NoContent, Problem> {
        resources::remove_closure(&state.frontdesk, &auth.actor, closure_id.0).await?;
        Ok(NoContent::Done)
    }
}
