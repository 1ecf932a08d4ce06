//! `/job-board`: the jobs on the board (posting to it and applying are under `/jobs`). It
//! lists the jobs' own type.

use pitlane_workshop::jobs;
use poem::web::Data;
use poem_openapi::{OpenApi, param::Query, payload::Json};

use super::{
    ApiTags, Caller,
    jobs::json::Job,
    shapes::{Page, PageQuery},
};
use crate::problem::Problem;
use pitlane_app::state::AppState;

pub struct JobBoardApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Jobs")]
impl JobBoardApi {
    /// The job board
    ///
    /// Needs `jobs.work` (the jobs the caller may take) or `repair_orders.read` (all). Oldest
    /// job first (by id).
    #[oai(path = "/job-board", method = "get", operation_id = "list_job_board")]
    async fn list(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1–200 (default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<Page<Job>>, Problem> {
        let cards = jobs::board(&state.workshop, &auth.actor).await?;
        let items = cards.into_iter().map(Job::from).collect();
        let page = PageQuery::new(cursor.0, limit.0);
        Ok(Json(Page::from_ordered(items, &page, |j| j.id)?))
    }
}
