//! `/canned-jobs`: the workshop's canned jobs (adding one to an order is under
//! `/repair-orders`).

pub(crate) mod json;

use pitlane_workshop::canned;
use poem::web::Data;
use poem_openapi::{OpenApi, param::Path, payload::Json};
use uuid::Uuid;

use self::json::{CannedJob, CannedJobList, CannedJobWrite};
use super::{
    ApiTags, Caller,
    shapes::{Created, NoContent},
};
use crate::problem::Problem;
use pitlane_app::state::AppState;

pub struct CannedJobsApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::RepairOrders")]
impl CannedJobsApi {
    /// Canned jobs
    ///
    /// Needs `repair_orders.read`.
    #[oai(
        path = "/canned-jobs",
        method = "get",
        operation_id = "list_canned_jobs"
    )]
    async fn list(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
    ) -> Result<Json<CannedJobList>, Problem> {
        let rows = canned::list(&state.workshop, &auth.actor).await?;
        Ok(Json(CannedJobList {
            items: rows.into_iter().map(CannedJob::from).collect(),
        }))
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
