//! `/my-jobs`: the caller's own jobs. It lists the jobs' own type.

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

pub struct MyJobsApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Jobs")]
impl MyJobsApi {
    /// My jobs
    ///
    /// Needs `jobs.work`. Unfinished first, then those finished in the last day; oldest first
    /// (by id) within each.
    #[oai(path = "/my-jobs", method = "get", operation_id = "list_my_jobs")]
    async fn list(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1–200 (default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<Page<Job>>, Problem> {
        let cards = jobs::my_jobs(&state.workshop, &auth.actor).await?;
        let items = cards.into_iter().map(Job::from).collect();
        let page = PageQuery::new(cursor.0, limit.0);
        Ok(Json(Page::from_ordered(items, &page, |j| j.id)?))
    }
}
