//! The mechanics' work: jobs, assignment, the job board and applications, the time clock,
//! "my jobs", and earnings per pay period.

use chrono::{DateTime, NaiveDate, Utc};
use pitlane_domain::{
    FieldErrors,
    labour::{ClockAction, PayScheme},
    quantity::{format_percent, format_quantity},
};
use pitlane_store::entity::{job_application, time_entry};
use pitlane_workshop::{earnings, jobs};
use poem::{Request, web::Data};
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Path, Query},
    payload::Json,
    types::Example,
};
use uuid::Uuid;

use super::{ApiTags, Caller, site};
use crate::{problem::Problem, state::AppState};

#[derive(Object)]
pub struct Job {
    pub id: Uuid,
    pub repair_order_id: Uuid,
    /// `RO-1042`.
    pub repair_order_number: String,
    pub branch_id: Uuid,
    pub title: String,
    pub vehicle: String,
    pub skill: Option<String>,
    /// The membership of the mechanic doing it.
    pub mechanic_id: Option<Uuid>,
    /// `open`, `assigned`, `in_progress`, `paused` or `finished`.
    pub status: String,
    pub on_board: bool,
    /// Hours sold on its labour lines.
    pub billed_hours: String,
    /// Seconds on the clock so far.
    pub clocked_seconds: i64,
    /// The reader applied for it (on the board).
    pub applied: bool,
    pub finished_at: Option<DateTime<Utc>>,
}

fn job_api(c: jobs::JobCard) -> Job {
    Job {
        id: c.job.id,
        repair_order_id: c.order.id,
        repair_order_number: c.number(),
        branch_id: c.job.branch_id,
        title: c.job.title,
        vehicle: c.vehicle,
        skill: c.job.skill,
        mechanic_id: c.job.mechanic_id,
        status: c.job.status,
        on_board: c.job.on_board,
        billed_hours: format_quantity(c.billed_milli),
        clocked_seconds: c.clocked.num_seconds(),
        applied: c.applied,
        finished_at: c.job.finished_at,
    }
}

#[derive(Object)]
pub struct JobList {
    pub items: Vec<Job>,
}

#[derive(Object)]
#[oai(example)]
pub struct JobAssignWrite {
    /// The mechanic's membership (see `GET /mechanics`).
    pub mechanic_id: Uuid,
}

impl Example for JobAssignWrite {
    fn example() -> Self {
        Self {
            mechanic_id: Uuid::nil(),
        }
    }
}

#[derive(Object)]
#[oai(example)]
pub struct BoardWrite {
    /// The skill it needs; only mechanics with it see the job.
    pub skill: Option<String>,
}

impl Example for BoardWrite {
    fn example() -> Self {
        Self {
            skill: Some("brakes".into()),
        }
    }
}

#[derive(Object)]
pub struct Application {
    pub id: Uuid,
    pub job_id: Uuid,
    pub mechanic_id: Uuid,
    pub mechanic_name: String,
    pub note: Option<String>,
    /// `pending`, `accepted`, `declined` or `withdrawn`.
    pub status: String,
    pub created_at: DateTime<Utc>,
}

fn application_api(a: job_application::Model, name: String) -> Application {
    Application {
        id: a.id,
        job_id: a.job_id,
        mechanic_id: a.mechanic_id,
        mechanic_name: name,
        note: a.note,
        status: a.status,
        created_at: a.created_at,
    }
}

#[derive(Object)]
pub struct ApplicationList {
    pub items: Vec<Application>,
}

#[derive(Object)]
#[oai(example)]
pub struct ApplicationWrite {
    pub note: Option<String>,
}

impl Example for ApplicationWrite {
    fn example() -> Self {
        Self {
            note: Some("Free from 14:00".into()),
        }
    }
}

#[derive(Object)]
#[oai(example)]
pub struct ClockWrite {
    /// `start`, `pause` or `finish`.
    pub action: String,
}

impl Example for ClockWrite {
    fn example() -> Self {
        Self {
            action: "start".into(),
        }
    }
}

#[derive(Object)]
pub struct TimeEntry {
    pub id: Uuid,
    pub mechanic_id: Uuid,
    pub started_at: DateTime<Utc>,
    /// Unset while the clock runs.
    pub ended_at: Option<DateTime<Utc>>,
}

fn entry_api(e: time_entry::Model) -> TimeEntry {
    TimeEntry {
        id: e.id,
        mechanic_id: e.mechanic_id,
        started_at: e.started_at,
        ended_at: e.ended_at,
    }
}

#[derive(Object)]
pub struct TimeEntryList {
    pub items: Vec<TimeEntry>,
}

#[derive(Object)]
pub struct MechanicEarnings {
    /// The mechanic's membership.
    pub id: Uuid,
    pub name: String,
    /// `hourly`, `flat_rate` or `commission`.
    pub pay_scheme: String,
    /// The rate per hour (hourly, flat rate) in minor units.
    pub rate_minor: Option<i64>,
    /// The share of labour sold (commission), e.g. `35%`.
    pub commission: Option<String>,
    pub clocked_seconds: i64,
    pub billed_hours: String,
    pub labour_sales_minor: i64,
    /// Billed hours ÷ clocked hours; unset when nothing was clocked.
    pub efficiency: Option<String>,
    pub earned_minor: i64,
}

#[derive(Object)]
pub struct EarningsReport {
    pub period_start: NaiveDate,
    /// The first day after the period.
    pub period_end: NaiveDate,
    pub currency: String,
    pub items: Vec<MechanicEarnings>,
}

#[derive(Object)]
#[oai(example)]
pub struct PayWrite {
    /// `hourly`, `flat_rate` or `commission`.
    pub pay_scheme: String,
    /// Per hour, as typed (`22.50`), for hourly and flat rate.
    pub rate: Option<String>,
    /// Percent of labour sold (`35`), for commission.
    pub commission_percent: Option<String>,
}

impl Example for PayWrite {
    fn example() -> Self {
        Self {
            pay_scheme: "flat_rate".into(),
            rate: Some("24.00".into()),
            commission_percent: None,
        }
    }
}

#[derive(Object)]
pub struct PaySettings {
    pub mechanic_id: Uuid,
    pub pay_scheme: String,
    pub rate_minor: i64,
    pub commission: String,
}

#[derive(ApiResponse)]
pub enum ApplicationCreated {
    /// The application was sent to the advisor.
    #[oai(status = 201)]
    Created(Json<Application>),
}

pub struct JobsApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Jobs")]
impl JobsApi {
    /// Jobs
    ///
    /// Needs `repair_orders.read`. Every job not finished yet, and those finished in the last
    /// week, oldest first.
    #[oai(path = "/jobs", method = "get", operation_id = "list_jobs")]
    async fn list(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
    ) -> Result<Json<JobList>, Problem> {
        let rows = jobs::recent_jobs(&state.workshop, &auth.actor).await?;
        Ok(Json(JobList {
            items: rows.into_iter().map(job_api).collect(),
        }))
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
        Ok(Json(job_api(
            jobs::get(&state.workshop, &auth.actor, job_id.0).await?,
        )))
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
        Ok(Json(job_api(
            jobs::get(&state.workshop, &auth.actor, job.id).await?,
        )))
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
        Ok(Json(job_api(
            jobs::get(&state.workshop, &auth.actor, job.id).await?,
        )))
    }

    /// A job's applications
    ///
    /// Needs `repair_orders.read`.
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
    ) -> Result<Json<ApplicationList>, Problem> {
        let rows = jobs::applications(&state.workshop, &auth.actor, job_id.0).await?;
        Ok(Json(ApplicationList {
            items: rows
                .into_iter()
                .map(|(a, name)| application_api(a, name))
                .collect(),
        }))
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
    ) -> Result<ApplicationCreated, Problem> {
        let row = jobs::apply(
            &state.workshop,
            &auth.actor,
            job_id.0,
            body.0.note.as_deref(),
        )
        .await?;
        let name = auth.name.clone();
        Ok(ApplicationCreated::Created(Json(application_api(
            row, name,
        ))))
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
        Ok(Json(job_api(
            jobs::get(&state.workshop, &auth.actor, job.id).await?,
        )))
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
        let action = match body.0.action.trim() {
            "start" => ClockAction::Start,
            "pause" => ClockAction::Pause,
            "finish" => ClockAction::Finish,
            _ => {
                return Err(FieldErrors::single("action", "must be start, pause or finish").into());
            }
        };
        let site = site(&state, req)?;
        let job = jobs::clock_job(&state.workshop, &auth.actor, job_id.0, action, &site).await?;
        Ok(Json(job_api(
            jobs::get(&state.workshop, &auth.actor, job.id).await?,
        )))
    }

    /// A job's clocked time
    ///
    /// Needs `repair_orders.read`.
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
    ) -> Result<Json<TimeEntryList>, Problem> {
        let rows = jobs::time_of(&state.workshop, &auth.actor, job_id.0).await?;
        Ok(Json(TimeEntryList {
            items: rows.into_iter().map(entry_api).collect(),
        }))
    }

    /// The job board
    ///
    /// Needs `jobs.work` (the jobs the caller may take) or `repair_orders.read` (all).
    #[oai(path = "/job-board", method = "get", operation_id = "list_job_board")]
    async fn board(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
    ) -> Result<Json<JobList>, Problem> {
        let rows = jobs::board(&state.workshop, &auth.actor).await?;
        Ok(Json(JobList {
            items: rows.into_iter().map(job_api).collect(),
        }))
    }

    /// My jobs
    ///
    /// Needs `jobs.work`. Unfinished first, then those finished in the last day.
    #[oai(path = "/my-jobs", method = "get", operation_id = "list_my_jobs")]
    async fn mine(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
    ) -> Result<Json<JobList>, Problem> {
        let rows = jobs::my_jobs(&state.workshop, &auth.actor).await?;
        Ok(Json(JobList {
            items: rows.into_iter().map(job_api).collect(),
        }))
    }

    /// Earnings for a pay period
    ///
    /// Needs `jobs.work` (one's own) or `staff.manage` / `reports.view` (everyone's). The
    /// period (weekly, fortnightly or monthly, per workshop) holding `day`, today by default.
    #[oai(path = "/earnings", method = "get", operation_id = "get_earnings")]
    async fn earnings(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        day: Query<Option<NaiveDate>>,
    ) -> Result<Json<EarningsReport>, Problem> {
        let ((start, end), rows) =
            earnings::for_period(&state.workshop, &auth.actor, day.0).await?;
        let currency = state
            .store
            .tenant_by_id(auth.actor.tenant_id)
            .await
            .map_err(pitlane_domain::ServiceError::from)?
            .map(|t| t.currency)
            .unwrap_or_default();
        Ok(Json(EarningsReport {
            period_start: start,
            period_end: end,
            currency,
            items: rows
                .into_iter()
                .map(|e| {
                    let (scheme, rate, commission) = match &e.scheme {
                        PayScheme::Hourly { rate } => ("hourly", Some(*rate), None),
                        PayScheme::FlatRate { rate } => ("flat_rate", Some(*rate), None),
                        PayScheme::Commission { share } => (
                            "commission",
                            None,
                            Some(format!(
                                "{}%",
                                (*share * rust_decimal::Decimal::from(100)).normalize()
                            )),
                        ),
                    };
                    MechanicEarnings {
                        id: e.mechanic_id,
                        name: e.name,
                        pay_scheme: scheme.into(),
                        rate_minor: rate,
                        commission,
                        clocked_seconds: e.work.clocked.num_seconds(),
                        billed_hours: e.work.billed_hours.normalize().to_string(),
                        labour_sales_minor: e.work.labour_sales,
                        efficiency: e.efficiency.map(|x| x.normalize().to_string()),
                        earned_minor: e.earned,
                    }
                })
                .collect(),
        }))
    }

    /// Set how a mechanic is paid
    ///
    /// Needs `staff.manage`.
    #[oai(
        path = "/mechanics/:mechanic_id/pay",
        method = "put",
        operation_id = "set_mechanic_pay"
    )]
    async fn set_pay(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        mechanic_id: Path<Uuid>,
        body: Json<PayWrite>,
    ) -> Result<Json<PaySettings>, Problem> {
        let row = earnings::set_pay(
            &state.workshop,
            &auth.actor,
            mechanic_id.0,
            body.0.pay_scheme.trim(),
            body.0.rate.as_deref(),
            body.0.commission_percent.as_deref(),
        )
        .await?;
        Ok(Json(PaySettings {
            mechanic_id: row.membership_id,
            pay_scheme: row.pay_scheme,
            rate_minor: row.pay_rate_minor,
            commission: format_percent(row.commission_bp),
        }))
    }
}
