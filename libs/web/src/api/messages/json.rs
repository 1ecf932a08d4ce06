//! Messages the workshop sends and the SMS it receives, as the API sends and takes them.

use chrono::{DateTime, Utc};
use pitlane_domain::{FieldErrors, ServiceError, messages::Channel};
use pitlane_notify::service::{MessageSummary, ReceivedSms as Received};
use poem_openapi::{ApiResponse, Object, payload::Json, types::Example};
use uuid::Uuid;

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
    #[oai(nullable)]
    pub last_error: Option<String>,
    /// For SMS, what the carrier reported after the provider accepted it: `delivered`,
    /// `undelivered`, `failed`…
    #[oai(nullable)]
    pub delivery_status: Option<String>,
    /// Not sent before this time.
    pub not_before: DateTime<Utc>,
    #[oai(nullable)]
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

#[derive(ApiResponse)]
pub enum Accepted {
    /// Written to the outbox; the workers send it shortly.
    #[oai(status = 202)]
    Accepted(Json<Message>),
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

impl TryFrom<&TestMessage> for Channel {
    type Error = ServiceError;

    /// E-mail unless SMS is asked for; anything else is a 422.
    fn try_from(m: &TestMessage) -> Result<Self, ServiceError> {
        match m.channel.as_deref() {
            None | Some("email") => Ok(Channel::Email),
            Some("sms") => Ok(Channel::Sms),
            Some(_) => Err(ServiceError::Invalid(FieldErrors::single(
                "channel",
                "must be email or sms",
            ))),
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
    #[oai(nullable)]
    pub keyword: Option<String>,
    pub received_at: DateTime<Utc>,
}

impl From<Received> for ReceivedSms {
    fn from(r: Received) -> Self {
        Self {
            id: r.id,
            from: r.from,
            body: r.body,
            keyword: r.keyword,
            received_at: r.received_at,
        }
    }
}
