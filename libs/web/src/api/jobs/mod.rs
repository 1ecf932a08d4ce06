//! `/jobs`: the mechanics' jobs, assigning them, the job board's postings and applications,
//! and the time clock.

pub(crate) mod json;

use pitlane_domain::labour::ClockAction;
use pitlane_workshop::jobs;
use poem::{Request, web::Data};
use poem_openapi::{
    OpenApi,
    param::{Path, Query},
    payload::Json,
};
use uuid::Uuid;

use self::json::{
    Application, ApplicationWrite, BoardWrite, ClockWrite, Job, JobAssignWrite, TimeEntry,
};
use super::{
    ApiTags, Caller,
    shapes::{Created, Page, PageQuery},
    site,
};
use crate::problem::Problem;
use pitlane_app::state::AppState;

pub struct JobsApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Jobs")]
impl JobsApi {
    /// Jobs
    ///
    /// Needs `repair_orders.read`. Every job not finished yet, and those finished in the last
    /// week, oldest first (by id).
    #[oai(path = "/jobs", method = "get", operation_id = "list_jobs")]
    async fn list(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1–200 (default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<Page<Job>>, Problem> {
        let page = PageQuery::new(cursor.0, limit.0);
        let found =
            jobs::recent_jobs(&state.workshop, &auth.actor, page.cursor_id()?, page.limit).await?;
        Ok(Json(Page::of(found.items, found.next)))
    }

    /// A job
    ///
    /// Needs `repair_orders.read` or `jobs.work`.
    #[oai(path = "/jobs/:job_id", method = "get", operation_id = "get_job")]
    async fn get(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        job_id: Path<Uuid>,
    ) -> Result<Json<Job>, Problem> {
        let card = jobs::get(&state.workshop, &auth.actor, job_id.0).await?;
        Ok(Json(card.into()))
    }

    /// Assign a job to a mechanic
    ///
    /// Needs `repair_orders.write`. They are notified.
    #[oai(
        path = "/jobs/:job_id/mechanic",
        method = "put",
        operation_id = "assign_job"
    )]
    async fn assign(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        job_id: Path<Uuid>,
        body: Json<JobAssignWrite>,
    ) -> Result<Json<Job>, Problem> {
        let job = jobs::assign(&state.workshop, &auth.actor, job_id.0, body.0.mechanic_id).await?;
        let card = jobs::get(&state.workshop, &auth.actor, job.id).await?;
        Ok(Json(card.into()))
    }

    /// Put a job on the job board
    ///
    /// Needs `repair_orders.write`. Mechanics with the skill are notified and may apply.
    #[oai(
        path = "/jobs/:job_id/board",
        method = "post",
        operation_id = "post_job_to_board"
    )]
    async fn post_to_board(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        job_id: Path<Uuid>,
        body: Json<BoardWrite>,
    ) -> Result<Json<Job>, Problem> {
        let job = jobs::post_to_board(
            &state.workshop,
            &auth.actor,
            job_id.0,
            body.0.skill.as_deref(),
        )
        .await?;
        let card = jobs::get(&state.workshop, &auth.actor, job.id).await?;
        Ok(Json(card.into()))
    }

    /// A job's applications
    ///
    /// Needs `repair_orders.read`. Oldest first.
    #[oai(
        path = "/jobs/:job_id/applications",
        method = "get",
        operation_id = "list_job_applications"
    )]
    async fn applications(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        job_id: Path<Uuid>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1–200 (default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<Page<Application>>, Problem> {
        let rows = jobs::applications(&state.workshop, &auth.actor, job_id.0).await?;
        let items = rows.into_iter().map(Application::from).collect();
        let page = PageQuery::new(cursor.0, limit.0);
        Ok(Json(Page::from_ordered(items, &page, |a| a.id)?))
    }

    /// Apply for a job on the board
    ///
    /// Needs `jobs.work`; the caller must have the skill the job needs.
    #[oai(
        path = "/jobs/:job_id/applications",
        method = "post",
        operation_id = "apply_for_job"
    )]
    async fn apply(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        job_id: Path<Uuid>,
        body: Json<ApplicationWrite>,
    ) -> Result<Created<Application>, Problem> {
        let row = jobs::apply(
            &state.workshop,
            &auth.actor,
            job_id.0,
            body.0.note.as_deref(),
        )
        .await?;
        Ok(Created::new((row, auth.name.clone())))
    }

    /// Accept an application
    ///
    /// Needs `repair_orders.write`. The job becomes the mechanic's; other applications are
    /// declined. A second acceptance (another advisor at the same moment) is a 409.
    #[oai(
        path = "/jobs/:job_id/applications/:application_id/accept",
        method = "post",
        operation_id = "accept_job_application"
    )]
    async fn accept(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        job_id: Path<Uuid>,
        application_id: Path<Uuid>,
    ) -> Result<Json<Job>, Problem> {
        let job = jobs::accept(&state.workshop, &auth.actor, job_id.0, application_id.0).await?;
        let card = jobs::get(&state.workshop, &auth.actor, job.id).await?;
        Ok(Json(card.into()))
    }

    /// Start, pause or finish the clock
    ///
    /// Needs `jobs.work`, on one's own job. One running job per mechanic (409 otherwise).
    /// Starting work on an approved order puts it in progress.
    #[oai(
        path = "/jobs/:job_id/clock",
        method = "post",
        operation_id = "clock_job"
    )]
    async fn clock(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        req: &Request,
        job_id: Path<Uuid>,
        body: Json<ClockWrite>,
    ) -> Result<Json<Job>, Problem> {
        let action = ClockAction::try_from(body.0)?;
        let site = site(&state, req)?;
        let job = jobs::clock_job(&state.workshop, &auth.actor, job_id.0, action, &site).await?;
        let card = jobs::get(&state.workshop, &auth.actor, job.id).await?;
        Ok(Json(card.into()))
    }

    /// A job's clocked time
    ///
    /// Needs `repair_orders.read`. The stretches in the order they were started.
    #[oai(
        path = "/jobs/:job_id/time-entries",
        method = "get",
        operation_id = "list_job_time_entries"
    )]
    async fn time_entries(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        job_id: Path<Uuid>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1–200 (default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<Page<TimeEntry>>, Problem> {
        let rows = jobs::time_of(&state.workshop, &auth.actor, job_id.0).await?;
        let items = rows.into_iter().map(TimeEntry::from).collect();
        let page = PageQuery::new(cursor.0, limit.0);
        Ok(Json(Page::from_ordered(items, &page, |e| e.id)?))
    }
}
