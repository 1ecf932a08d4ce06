//! Customer feedback as the API sends and takes it. Text an admin hid is never sent: its
//! `comment` is null and `hidden` true.

use chrono::{DateTime, Utc};
use pitlane_frontdesk::feedback::FeedbackView;
use poem_openapi::{Enum, Object, types::Example};
use uuid::Uuid;

/// Which ratings to list.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[oai(rename_all = "snake_case")]
pub enum FeedbackFilter {
    #[default]
    All,
    /// Two stars or fewer, for the work or the mechanic.
    Low,
    /// Not replied to yet.
    Unreplied,
}

impl From<FeedbackFilter> for pitlane_frontdesk::feedback::Filter {
    fn from(f: FeedbackFilter) -> Self {
        use pitlane_frontdesk::feedback::Filter;
        match f {
            FeedbackFilter::All => Filter::All,
            FeedbackFilter::Low => Filter::Low,
            FeedbackFilter::Unreplied => Filter::Unreplied,
        }
    }
}

/// A customer's rating of a closed repair order or a finished roadside job (or the request
/// for one, until they answer).
#[derive(Object)]
pub struct Feedback {
    pub id: Uuid,
    /// `repair_order` or `roadside`.
    pub subject: String,
    #[oai(nullable)]
    pub repair_order_id: Option<Uuid>,
    #[oai(nullable)]
    pub roadside_request_id: Option<Uuid>,
    /// What was rated, as staff read it: "RO-00012 · Volkswagen Golf".
    pub label: String,
    pub branch_id: Uuid,
    pub branch_name: String,
    pub customer_id: Uuid,
    pub customer_name: String,
    /// The membership of the mechanic rated.
    #[oai(nullable)]
    pub mechanic_id: Option<Uuid>,
    #[oai(nullable)]
    pub mechanic_name: Option<String>,
    pub asked_at: DateTime<Utc>,
    #[oai(nullable)]
    pub answered_at: Option<DateTime<Utc>>,
    /// One to five, for the work.
    #[oai(nullable)]
    pub job_stars: Option<i16>,
    /// One to five, for the mechanic.
    #[oai(nullable)]
    pub mechanic_stars: Option<i16>,
    /// Null when none was written, or when it was hidden.
    #[oai(nullable)]
    pub comment: Option<String>,
    /// An admin hid the comment.
    pub hidden: bool,
    #[oai(nullable)]
    pub hidden_by: Option<String>,
    #[oai(nullable)]
    pub hidden_reason: Option<String>,
    #[oai(nullable)]
    pub reply: Option<String>,
    #[oai(nullable)]
    pub replied_at: Option<DateTime<Utc>>,
    #[oai(nullable)]
    pub replied_by: Option<String>,
}

impl From<FeedbackView> for Feedback {
    fn from(v: FeedbackView) -> Self {
        let hidden = v.is_hidden();
        let f = v.feedback;
        Self {
            id: f.id,
            subject: f.subject,
            repair_order_id: f.repair_order_id,
            roadside_request_id: f.roadside_request_id,
            label: f.label,
            branch_id: f.branch_id,
            branch_name: v.branch_name,
            customer_id: f.customer_id,
            customer_name: v.customer_name,
            mechanic_id: f.mechanic_id,
            mechanic_name: v.mechanic_name,
            asked_at: f.asked_at,
            answered_at: f.answered_at,
            job_stars: f.job_stars,
            mechanic_stars: f.mechanic_stars,
            comment: f.comment,
            hidden,
            hidden_by: f.hidden_by,
            hidden_reason: f.hidden_reason,
            reply: f.reply,
            replied_at: f.replied_at,
            replied_by: f.replied_by,
        }
    }
}

/// A reply to a rating.
#[derive(Object)]
#[oai(example)]
pub struct FeedbackReplyWrite {
    /// 1–2,000 characters.
    pub body: String,
}

impl Example for FeedbackReplyWrite {
    fn example() -> Self {
        Self {
            body: "Thank you, and sorry about the wait: we have changed how we book tyre work."
                .into(),
        }
    }
}

/// Hiding a rating's text.
#[derive(Object)]
#[oai(example)]
pub struct FeedbackHideWrite {
    /// Why, 1–200 characters (kept in the audit log).
    pub reason: String,
}

impl Example for FeedbackHideWrite {
    fn example() -> Self {
        Self {
            reason: "Abusive language".into(),
        }
    }
}
