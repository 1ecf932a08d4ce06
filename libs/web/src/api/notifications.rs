use chrono::{DateTime, Utc};
use pitlane_notify::staff;
use poem::web::Data;
use poem_openapi::{Object, OpenApi, param::Path, param::Query, payload::Json};
use uuid::Uuid;

use super::{ApiTags, Caller, page_limit};
use crate::{problem::Problem, state::AppState};

/// Something the reader should know about.
#[derive(Object)]
pub struct Notification {
    pub id: Uuid,
    pub title: String,
    pub body: String,
    /// Where in the portal to deal with it.
    pub link: Option<String>,
    pub read_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Object)]
pub struct NotificationList {
    pub items: Vec<Notification>,
    /// Unread notifications in all (the bell's number).
    pub unread: u64,
}

#[derive(Object)]
pub struct Unread {
    pub unread: u64,
}

pub struct NotificationsApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Session")]
impl NotificationsApi {
    /// List my notifications
    ///
    /// Any signed-in member. Their own notifications, newest first, with the unread count.
    #[oai(
        path = "/notifications",
        method = "get",
        operation_id = "list_notifications"
    )]
    async fn list(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        unread: Query<Option<bool>>,
        limit: Query<Option<u64>>,
    ) -> Result<Json<NotificationList>, Problem> {
        let (rows, unread) = staff::list(
            &state.store,
            &auth.actor,
            unread.0.unwrap_or(false),
            page_limit(limit.0),
        )
        .await?;
        Ok(Json(NotificationList {
            items: rows
                .into_iter()
                .map(|n| Notification {
                    id: n.id,
                    title: n.title,
                    body: n.body,
                    link: n.link,
                    read_at: n.read_at,
                    created_at: n.created_at,
                })
                .collect(),
            unread,
        }))
    }

    /// Mark a notification read
    ///
    /// Any signed-in member, for their own notifications.
    #[oai(
        path = "/notifications/:notification_id/read",
        method = "post",
        operation_id = "mark_notification_read"
    )]
    async fn read(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        notification_id: Path<Uuid>,
    ) -> Result<Json<Unread>, Problem> {
        let unread = staff::mark_read(
            &state.store,
            &state.live,
            &auth.actor,
            Some(notification_id.0),
        )
        .await?;
        Ok(Json(Unread { unread }))
    }

    /// Mark all my notifications read
    ///
    /// Any signed-in member, for their own notifications.
    #[oai(
        path = "/notifications/read-all",
        method = "post",
        operation_id = "mark_all_notifications_read"
    )]
    async fn read_all(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
    ) -> Result<Json<Unread>, Problem> {
        let unread = staff::mark_read(&state.store, &state.live, &auth.actor, None).await?;
        Ok(Json(Unread { unread }))
    }
}
