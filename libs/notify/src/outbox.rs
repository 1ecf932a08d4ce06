//! The one typed function that capabilities call to send a message.

use std::{collections::BTreeMap, time::Duration};

use base64::{Engine, engine::general_purpose::STANDARD};
use chrono::{DateTime, Utc};
use pitlane_domain::{
    ServiceError,
    messages::{Channel, MessageKind},
    text::Email,
};
use pitlane_store::{Enqueued, NewOutboxRow, TenantTx};
use serde::{Deserialize, Serialize};

/// Who a message goes to. SMS numbers are E.164 (`+447700900123`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    Email {
        address: Email,
        name: Option<String>,
    },
    Sms {
        phone: String,
    },
}

impl Recipient {
    pub fn channel(&self) -> Channel {
        match self {
            Recipient::Email { .. } => Channel::Email,
            Recipient::Sms { .. } => Channel::Sms,
        }
    }

    fn address(&self) -> &str {
        match self {
            Recipient::Email { address, .. } => address.as_str(),
            Recipient::Sms { phone } => phone,
        }
    }
}

/// A file sent with an e-mail (a calendar entry, an invoice PDF).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    #[serde(with = "base64_bytes")]
    pub content: Vec<u8>,
}

mod base64_bytes {
    use super::{Engine, STANDARD};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        STANDARD.decode(text).map_err(serde::de::Error::custom)
    }
}

/// What the outbox row's `data` holds: everything the sender needs, fixed at enqueue time.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageData {
    pub vars: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_name: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
}

/// A message to send, as a capability describes it.
#[derive(Debug, Clone)]
pub struct OutgoingMessage {
    pub kind: MessageKind,
    pub to: Recipient,
    /// Values for the kind's variables ([`MessageKind::variables`]); all must be given.
    pub vars: BTreeMap<String, String>,
    pub attachments: Vec<Attachment>,
    /// Not before this time (reminders); `None` sends as soon as possible.
    pub send_at: Option<DateTime<Utc>>,
    /// The same key twice writes one message: retried requests never send twice.
    pub idempotency_key: String,
}

/// The enqueue side of the platform, configured once per process.
#[derive(Debug, Clone, Copy)]
pub struct Outbox {
    bulk_interval: Duration,
}

impl Outbox {
    pub fn new(config: &crate::NotifyConfig) -> Self {
        Self {
            bulk_interval: config.bulk_interval(),
        }
    }

    /// Writes `message` in the caller's transaction. It is sent only if that transaction
    /// commits, and at most once per idempotency key.
    pub async fn enqueue(
        &self,
        tx: &TenantTx,
        message: OutgoingMessage,
    ) -> Result<Enqueued, ServiceError> {
        let kind = message.kind;
        if let Some(missing) = kind
            .variables()
            .iter()
            .find(|name| !message.vars.contains_key(**name))
        {
            // A capability forgot a variable: a bug in our code, caught before anything is sent.
            return Err(ServiceError::internal(format!(
                "{} message without its {missing} variable",
                kind.as_str()
            )));
        }
        if message.idempotency_key.is_empty() || message.idempotency_key.len() > 200 {
            return Err(ServiceError::internal(
                "an idempotency key of 1 to 200 characters is required",
            ));
        }
        let (to_name, attachments) = match &message.to {
            Recipient::Email { name, .. } => (name.clone(), message.attachments),
            Recipient::Sms { .. } => (None, Vec::new()),
        };
        let data = MessageData {
            vars: message.vars,
            to_name,
            attachments,
        };
        let row = NewOutboxRow {
            kind: kind.as_str().to_owned(),
            channel: message.to.channel().as_str().to_owned(),
            recipient: message.to.address().to_owned(),
            data: serde_json::to_value(&data).map_err(ServiceError::internal)?,
            idempotency_key: message.idempotency_key,
            bulk: kind.is_bulk(),
            not_before: message.send_at.unwrap_or_else(Utc::now),
        };
        Ok(tx.enqueue(row, self.bulk_interval).await?)
    }
}
