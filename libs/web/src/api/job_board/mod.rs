//! `/job-board`: the jobs on the board (posting to it and applying are under `/jobs`). Its
//! answer is the jobs' own list type.

use pitlane_workshop::jobs;
use poem::web::Data;
use poem_openapi::{OpenApi, payload::Json};

use super::{ApiTags, Caller, jobs::json::JobList};
use crate::problem::Problem;
use pitlane_app::state::AppState;

pub struct JobBoardApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Jobs")]
impl JobBoardApi {
    /// The job board
    ///
    /// Needs `jobs.work` (the jobs the caller may take) or `repair_orders.read` (all).
    #[oai(path = "/job-board", method = "get", operation_id = "list_job_board")]
    async fn list(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
    ) -> Result<Json<JobList>, Problem> {
        let rows = jobs::board(&state.workshop, &auth.actor).await?;
        Ok(Json(rows.into()))
    }
}
