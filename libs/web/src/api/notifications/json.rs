//! A member's notifications as the API sends them.

use chrono::{DateTime, Utc};
use pitlane_store::entity::notification;
use poem_openapi::Object;
use uuid::Uuid;

/// Something the reader should know about.
#[derive(Object)]
pub struct Notification {
    pub id: Uuid,
    pub title: String,
    pub body: String,
    /// Where in the portal to deal with it.
    #[oai(nullable)]
    pub link: Option<String>,
    #[oai(nullable)]
    pub read_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<notification::Model> for Notification {
    fn from(n: notification::Model) -> Self {
        Self {
            id: n.id,
            title: n.title,
            body: n.body,
            link: n.link,
            read_at: n.read_at,
            created_at: n.created_at,
        }
    }
}

/// How many of the caller's notifications are unread.
#[derive(Object)]
pub struct Unread {
    /// Unread notifications in all (the bell's number).
    pub unread: u64,
}
