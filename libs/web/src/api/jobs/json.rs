//! The mechanics' jobs: assignment, the job board and its applications, the time clock.
//! `Job` is also what `/job-board` and `/my-jobs` list.

use chrono::{DateTime, Utc};
use pitlane_domain::{FieldErrors, labour::ClockAction, quantity::format_quantity};
use pitlane_store::entity::{job_application, time_entry};
use pitlane_workshop::jobs::JobCard;
use poem_openapi::{Object, types::Example};
use uuid::Uuid;

#[derive(Object)]
pub struct Job {
    pub id: Uuid,
    pub repair_order_id: Uuid,
    /// `RO-1042`.
    pub repair_order_number: String,
    pub branch_id: Uuid,
    pub title: String,
    pub vehicle: String,
    #[oai(nullable)]
    pub skill: Option<String>,
    /// The membership of the mechanic doing it.
    #[oai(nullable)]
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
    #[oai(nullable)]
    pub finished_at: Option<DateTime<Utc>>,
}

impl From<JobCard> for Job {
    fn from(c: JobCard) -> Self {
        Self {
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
    #[oai(nullable)]
    pub note: Option<String>,
    /// `pending`, `accepted`, `declined` or `withdrawn`.
    pub status: String,
    pub created_at: DateTime<Utc>,
}

/// An application with the name of the mechanic who sent it.
impl From<(job_application::Model, String)> for Application {
    fn from((a, name): (job_application::Model, String)) -> Self {
        Self {
            id: a.id,
            job_id: a.job_id,
            mechanic_id: a.mechanic_id,
            mechanic_name: name,
            note: a.note,
            status: a.status,
            created_at: a.created_at,
        }
    }
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

/// An unknown action is a field error.
impl TryFrom<ClockWrite> for ClockAction {
    type Error = FieldErrors;

    fn try_from(w: ClockWrite) -> Result<Self, FieldErrors> {
        match w.action.trim() {
            "start" => Ok(ClockAction::Start),
            "pause" => Ok(ClockAction::Pause),
            "finish" => Ok(ClockAction::Finish),
            _ => Err(FieldErrors::single(
                "action",
                "must be start, pause or finish",
            )),
        }
    }
}

#[derive(Object)]
pub struct TimeEntry {
    pub id: Uuid,
    pub mechanic_id: Uuid,
    pub started_at: DateTime<Utc>,
    /// Unset while the clock runs.
    #[oai(nullable)]
    pub ended_at: Option<DateTime<Utc>>,
}

impl From<time_entry::Model> for TimeEntry {
    fn from(e: time_entry::Model) -> Self {
        Self {
            id: e.id,
            mechanic_id: e.mechanic_id,
            started_at: e.started_at,
            ended_at: e.ended_at,
        }
    }
}
