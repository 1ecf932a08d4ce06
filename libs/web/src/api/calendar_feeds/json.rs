//! Calendar feeds as the API sends and takes them.

use chrono::{DateTime, Utc};
use pitlane_frontdesk::feeds::FeedInput;
use pitlane_store::entity::calendar_feed;
use poem_openapi::{Object, types::Example};
use uuid::Uuid;

/// A private calendar subscription, without its address (shown once, when made).
#[derive(Object)]
pub struct CalendarFeed {
    pub id: Uuid,
    /// `mechanic`, `bay` or `branch`.
    pub kind: String,
    /// The mechanic's membership, the bay or the branch whose appointments it shows.
    pub subject_id: Uuid,
    /// What calendars call it.
    pub name: String,
    pub created_at: DateTime<Utc>,
    /// When a calendar last fetched it (noted at most hourly).
    #[oai(nullable)]
    pub last_fetched_at: Option<DateTime<Utc>>,
    #[oai(nullable)]
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<calendar_feed::Model> for CalendarFeed {
    fn from(f: calendar_feed::Model) -> Self {
        Self {
            id: f.id,
            subject_id: f
                .mechanic_id
                .or(f.bay_id)
                .or(f.branch_id)
                .unwrap_or_default(),
            kind: f.kind,
            name: f.name,
            created_at: f.created_at,
            last_fetched_at: f.last_fetched_at,
            revoked_at: f.revoked_at,
        }
    }
}

/// A new feed: its private address is in `url`, shown this once.
#[derive(Object)]
pub struct NewCalendarFeed {
    pub feed: CalendarFeed,
    /// The iCalendar subscription address (RFC 5545) to add to a calendar app. Whoever has it
    /// can read the appointments in it: it cannot be shown again, and revoking the feed ends it.
    pub url: String,
}

#[derive(Object)]
#[oai(example)]
pub struct CalendarFeedWrite {
    /// `mechanic`, `bay` or `branch`.
    pub kind: String,
    /// The mechanic's membership, the bay or the branch; leave it out for your own
    /// appointments as a mechanic.
    pub subject_id: Option<Uuid>,
}

impl Example for CalendarFeedWrite {
    fn example() -> Self {
        Self {
            kind: "mechanic".into(),
            subject_id: None,
        }
    }
}

impl From<CalendarFeedWrite> for FeedInput {
    fn from(w: CalendarFeedWrite) -> Self {
        Self {
            kind: w.kind,
            subject_id: w.subject_id,
        }
    }
}
