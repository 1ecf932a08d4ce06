//! `/messages`: e-mail and SMS to customers and staff, their delivery state and dead
//! letters, test messages and received SMS.

pub(crate) mod json;

use pitlane_domain::messages::Channel;
use pitlane_notify::service;
use poem::web::Data;
use poem_openapi::{
    OpenApi,
    param::{Path, Query},
    payload::Json,
};
use uuid::Uuid;

use self::json::{Accepted, Message, ReceivedSms, TestMessage};
use super::{
    ApiTags, Caller,
    shapes::{Page, PageQuery},
};
use crate::problem::Problem;
use pitlane_app::state::AppState;

pub struct MessagesApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Messages")]
impl MessagesApi {
    /// List messages
    ///
    /// Needs `settings.manage`. Oldest first (by id). Filter by `status` (`dead` shows the
    /// dead letters).
    #[oai(path = "/messages", method = "get", operation_id = "list_messages")]
    async fn list(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        status: Query<Option<String>>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1–200 (default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<Page<Message>>, Problem> {
        let page = PageQuery::new(cursor.0, limit.0);
        let found = service::list_messages(
            &state.store,
            &auth.actor,
            status.0.as_deref(),
            page.cursor_id()?,
            page.limit,
        )
        .await?;
        Ok(Json(Page::of(found.items, found.next)))
    }

    /// Get a message
    ///
    /// Needs `settings.manage`.
    #[oai(
        path = "/messages/:message_id",
        method = "get",
        operation_id = "get_message"
    )]
    async fn get(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        message_id: Path<Uuid>,
    ) -> Result<Json<Message>, Problem> {
        let message = service::get_message(&state.store, &auth.actor, message_id.0).await?;
        Ok(Json(message.into()))
    }

    /// Retry a dead message
    ///
    /// Needs `settings.manage`. Only a `dead` message can be retried (409 otherwise); it gets
    /// a fresh set of attempts.
    #[oai(
        path = "/messages/:message_id/retry",
        method = "post",
        operation_id = "retry_message"
    )]
    async fn retry(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        message_id: Path<Uuid>,
    ) -> Result<Accepted, Problem> {
        service::retry_message(&state.store, &state.live, &auth.actor, message_id.0).await?;
        let message = service::get_message(&state.store, &auth.actor, message_id.0).await?;
        Ok(Accepted::Accepted(Json(message.into())))
    }

    /// Send a test message
    ///
    /// Needs `settings.manage`. Sends the `test_message` template by e-mail or SMS with the
    /// workshop's sender settings, to check they work. For SMS, the number is recorded as
    /// consenting (unless it replied STOP, in which case the message is `suppressed`).
    #[oai(
        path = "/messages/test",
        method = "post",
        operation_id = "send_test_message"
    )]
    async fn test(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        body: Json<TestMessage>,
    ) -> Result<Accepted, Problem> {
        let channel = Channel::try_from(&body.0)?;
        let id = service::send_test(
            &state.store,
            &state.outbox,
            &state.live,
            &auth.actor,
            channel,
            &auth.name,
            &body.0.to,
        )
        .await?;
        let message = service::get_message(&state.store, &auth.actor, id).await?;
        Ok(Accepted::Accepted(Json(message.into())))
    }

    /// List received SMS
    ///
    /// Needs `customers.read`. What customers texted to the workshop's number, newest first
    /// (by id).
    #[oai(
        path = "/messages/received",
        method = "get",
        operation_id = "list_received_sms"
    )]
    async fn received(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1–200 (default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<Page<ReceivedSms>>, Problem> {
        let page = PageQuery::new(cursor.0, limit.0);
        let found =
            service::received_sms_page(&state.store, &auth.actor, page.cursor_id()?, page.limit)
                .await?;
        Ok(Json(Page::of(found.items, found.next)))
    }
}
