//! `/canned-jobs`: the workshop's canned jobs (adding one to an order is under
//! `/repair-orders`).

pub(crate) mod json;

use pitlane_workshop::canned;
use poem::web::Data;
use poem_openapi::{
    OpenApi,
    param::{Path, Query},
    payload::Json,
};
use uuid::Uuid;

use self::json::{CannedJob, CannedJobWrite};
use super::{
    ApiTags, Caller,
    shapes::{Created, NoContent, Page, PageQuery},
};
use crate::problem::Problem;
use pitlane_app::state::AppState;

pub struct CannedJobsApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::RepairOrders")]
impl CannedJobsApi {
    /// Canned jobs
    ///
    /// Needs `repair_orders.read`. By name.
    #[oai(
        path = "/canned-jobs",
        method = "get",
        operation_id = "list_canned_jobs"
    )]
    async fn list(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1–200 (default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<Page<CannedJob>>, Problem> {
        let rows = canned::list(&state.workshop, &auth.actor).await?;
        let items = rows.into_iter().map(CannedJob::from).collect();
        let page = PageQuery::new(cursor.0, limit.0);
        Ok(Json(Page::from_ordered(items, &page, |item| item.id)?))
    }

    /// Create a canned job
    ///
    /// Needs `settings.manage`.
    #[oai(
        path = "/canned-jobs",
        method = "post",
        operation_id = "create_canned_job"
    )]
    async fn create(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        body: Json<CannedJobWrite>,
    ) -> Result<Created<CannedJob>, Problem> {
        let v = canned::save(&state.workshop, &auth.actor, None, &body.0.into()).await?;
        Ok(Created::new(v))
    }

    /// A canned job
    ///
    /// Needs `repair_orders.read`.
    #[oai(
        path = "/canned-jobs/:canned_job_id",
        method = "get",
        operation_id = "get_canned_job"
    )]
    async fn get(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        canned_job_id: Path<Uuid>,
    ) -> Result<Json<CannedJob>, Problem> {
        let v = canned::get(&state.workshop, &auth.actor, canned_job_id.0).await?;
        Ok(Json(v.into()))
    }

    /// Replace a canned job
    ///
    /// Needs `settings.manage`.
    #[oai(
        path = "/canned-jobs/:canned_job_id",
        method = "put",
        operation_id = "update_canned_job"
    )]
    async fn update(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        canned_job_id: Path<Uuid>,
        body: Json<CannedJobWrite>,
    ) -> Result<Json<CannedJob>, Problem> {
        let v = canned::save(
            &state.workshop,
            &auth.actor,
            Some(canned_job_id.0),
            &body.0.into(),
        )
        .await?;
        Ok(Json(v.into()))
    }

    /// Delete a canned job
    ///
    /// Needs `settings.manage`. Orders it was added to keep their lines.
    #[oai(
        path = "/canned-jobs/:canned_job_id",
        method = "delete",
        operation_id = "delete_canned_job"
    )]
    async fn delete(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        canned_job_id: Path<Uuid>,
    ) -> Result<NoContent, Problem> {
        canned::delete(&state.workshop, &auth.actor, canned_job_id.0).await?;
        Ok(NoContent::Done)
    }
}
