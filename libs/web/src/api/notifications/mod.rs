//! `/notifications`: the caller's own notifications.

pub(crate) mod json;

use pitlane_notify::staff;
use poem::web::Data;
use poem_openapi::{OpenApi, param::Path, param::Query, payload::Json};
use uuid::Uuid;

use self::json::{Notification, Unread};
use super::{
    ApiTags, Caller,
    shapes::{Page, PageQuery},
};
use crate::problem::Problem;
use pitlane_app::state::AppState;

pub struct NotificationsApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Session")]
impl NotificationsApi {
    /// List my notifications
    ///
    /// Any signed-in member. Their own notifications, newest first (by id); only the unread
    /// ones with `unread=true`. How many are unread: `GET /notifications/unread`.
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
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1–200 (default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<Page<Notification>>, Problem> {
        let page = PageQuery::new(cursor.0, limit.0);
        let found = staff::page(
            &state.store,
            &auth.actor,
            unread.0.unwrap_or(false),
            page.cursor_id()?,
            page.limit,
        )
        .await?;
        Ok(Json(Page::of(found.items, found.next)))
    }

    /// How many of my notifications are unread
    ///
    /// Any signed-in member. The bell's number.
    #[oai(
        path = "/notifications/unread",
        method = "get",
        operation_id = "count_unread_notifications"
    )]
    async fn unread(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
    ) -> Result<Json<Unread>, Problem> {
        let unread = staff::unread_count(&state.store, &auth.actor).await?;
        Ok(Json(Unread { unread }))
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
