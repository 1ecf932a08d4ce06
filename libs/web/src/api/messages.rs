use chrono::{DateTime, Utc};
use pitlane_domain::{FieldErrors, ServiceError, messages::Channel};
use pitlane_notify::service::{self, MessageSummary};
use poem::web::Data;
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Path, Query},
    payload::Json,
    types::Example,
};
use uuid::Uuid;

use super::{ApiTags, Caller, page_limit};
use crate::{problem::Problem, state::AppState};

/// An e-mail or SMS the workshop sent or will send, with how its delivery went.
#[derive(Object)]
pub struct Message {
    pub id: Uuid,
    /// What the message is: `booking_confirmation`, `appointment_reminder`, `test_message`…
    pub kind: String,
    /// `email` or `sms`.
    pub channel: String,
    pub recipient: String,
    /// `pending` (waiting for its time or a retry), `queued`, `sending`, `sent`, `dead` (gave
    /// up; can be retried), `suppressed` (the recipient opted out) or `cancelled`.
    pub status: String,
    pub attempts: i32,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// For SMS, what the carrier reported after the provider accepted it: `delivered`,
    /// `undelivered`, `failed`…
    pub delivery_status: Option<String>,
    /// Not sent before this time.
    pub not_before: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<MessageSummary> for Message {
    fn from(m: MessageSummary) -> Self {
        Self {
            id: m.id,
            kind: m.kind,
            channel: m.channel,
            recipient: m.recipient,
            status: m.status,
            attempts: m.attempts,
            last_error: m.last_error,
            delivery_status: m.delivery_status,
            not_before: m.not_before,
            sent_at: m.sent_at,
            created_at: m.created_at,
        }
    }
}

#[derive(Object)]
pub struct MessageList {
    pub items: Vec<Message>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<Uuid>,
}

/// Where to send a test message.
#[derive(Object)]
#[oai(example)]
pub struct TestMessage {
    /// An e-mail address, or for `sms` a phone number (with `+` and the country code, or
    /// national in the country of the workshop's first branch).
    pub to: String,
    /// `email` (the default) or `sms`.
    pub channel: Option<String>,
}

impl Example for TestMessage {
    fn example() -> Self {
        Self {
            to: "owner@joes-garage.example".into(),
            channel: Some("email".into()),
        }
    }
}

/// An SMS a customer sent to the workshop's number.
#[derive(Object)]
pub struct ReceivedSms {
    pub id: Uuid,
    /// The sender's number, E.164.
    pub from: String,
    pub body: String,
    /// `stop`, `start` or `help` when the message was that keyword (honoured automatically).
    pub keyword: Option<String>,
    pub received_at: DateTime<Utc>,
}

/// How the workshop's e-mail looks to recipients.
#[derive(Object)]
#[oai(example)]
pub struct Sender {
    /// The name shown as the sender; the workshop's name when empty.
    pub sender_name: Option<String>,
    /// Where customers' replies go; when empty they go nowhere.
    pub reply_to: Option<String>,
    /// The number SMS come from and customers reply to (E.164); the deployment's default
    /// number when empty.
    pub sms_sender: Option<String>,
}

impl Example for Sender {
    fn example() -> Self {
        Self {
            sender_name: Some("Joe's Garage".into()),
            reply_to: Some("desk@joes-garage.example".into()),
            sms_sender: None,
        }
    }
}

impl From<service::SenderSettings> for Sender {
    fn from(s: service::SenderSettings) -> Self {
        Self {
            sender_name: s.sender_name,
            reply_to: s.reply_to,
            sms_sender: s.sms_sender,
        }
    }
}

#[derive(ApiResponse)]
pub enum Accepted {
    /// Written to the outbox; the workers send it shortly.
    #[oai(status = 202)]
    Accepted(Json<Message>),
}

pub struct MessagesApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Messages")]
impl MessagesApi {
    /// List messages
    ///
    /// Needs `settings.manage`. Filter by `status` (`dead` shows the dead letters).
    #[oai(path = "/messages", method = "get", operation_id = "list_messages")]
    async fn list(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        status: Query<Option<String>>,
        cursor: Query<Option<Uuid>>,
        limit: Query<Option<u64>>,
    ) -> Result<Json<MessageList>, Problem> {
        let page = service::list_messages(
            &state.store,
            &auth.actor,
            status.0.as_deref(),
            cursor.0,
            page_limit(limit.0),
        )
        .await?;
        Ok(Json(MessageList {
            items: page.items.into_iter().map(Message::from).collect(),
            next_cursor: page.next,
        }))
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
        Ok(Json(
            service::get_message(&state.store, &auth.actor, message_id.0)
                .await?
                .into(),
        ))
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
        let channel = match body.0.channel.as_deref() {
            None | Some("email") => Channel::Email,
            Some("sms") => Channel::Sms,
            Some(_) => {
                return Err(ServiceError::Invalid(FieldErrors::single(
                    "channel",
                    "must be email or sms",
                ))
                .into());
            }
        };
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
    /// Needs `customers.read`. What customers texted to the workshop's number, newest first.
    #[oai(
        path = "/messages/received",
        method = "get",
        operation_id = "list_received_sms"
    )]
    async fn received(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        limit: Query<Option<u64>>,
    ) -> Result<Json<Vec<ReceivedSms>>, Problem> {
        let rows = service::received_sms(&state.store, &auth.actor, page_limit(limit.0)).await?;
        Ok(Json(
            rows.into_iter()
                .map(|r| ReceivedSms {
                    id: r.id,
                    from: r.from,
                    body: r.body,
                    keyword: r.keyword,
                    received_at: r.received_at,
                })
                .collect(),
        ))
    }

    /// Get the sender settings
    ///
    /// Needs `settings.manage`.
    #[oai(path = "/workshop/sender", method = "get", operation_id = "get_sender")]
    async fn sender(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
    ) -> Result<Json<Sender>, Problem> {
        let s = service::sender_settings(&state.store, &auth.actor).await?;
        Ok(Json(s.into()))
    }

    /// Change the sender settings
    ///
    /// Needs `settings.manage`. Empty or absent fields clear the setting.
    #[oai(
        path = "/workshop/sender",
        method = "put",
        operation_id = "update_sender"
    )]
    async fn update_sender(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        body: Json<Sender>,
    ) -> Result<Json<Sender>, Problem> {
        let s = service::update_sender(
            &state.store,
            &state.config.notify,
            &auth.actor,
            service::SenderInput {
                sender_name: body.0.sender_name.as_deref().unwrap_or(""),
                reply_to: body.0.reply_to.as_deref().unwrap_or(""),
                sms_sender: body.0.sms_sender.as_deref().unwrap_or(""),
            },
        )
        .await?;
        Ok(Json(s.into()))
    }
}
