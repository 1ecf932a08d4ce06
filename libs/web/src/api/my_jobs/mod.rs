//! `/my-jobs`: the caller's own jobs. Its answer is the jobs' own list type.

use pitlane_workshop::jobs;
use poem::web::Data;
use poem_openapi::{OpenApi, payload::Json};

use super::{ApiTags, Caller, jobs::json::JobList};
use crate::problem::Problem;
use pitlane_app::state::AppState;

pub struct MyJobsApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Jobs")]
impl MyJobsApi {
    /// My jobs
    ///
    /// Needs `jobs.work`. Unfinished first, then those finished in the last day.
    #[oai(path = "/my-jobs", method = "get", operation_id = "list_my_jobs")]
    async fn list(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
    ) -> Result<Json<JobList>, Problem> {
        let rows = jobs::my_jobs(&state.workshop, &auth.actor).await?;
        Ok(Json(rows.into()))
    }
}
