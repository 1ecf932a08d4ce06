//! What the portal and API offer tenants about their messages: the sender settings, a test
//! send, the list of messages with their delivery state, and retrying a dead letter.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use pitlane_domain::{
    Actor, FieldErrors, ServiceError,
    messages::MessageKind,
    permissions::Permission,
    text::{DisplayName, Email},
};
use pitlane_store::{
    Page, Store, TenantCtx,
    entity::{outbox, tenant},
    sea_orm::{ActiveValue::Set, ColumnTrait, IntoActiveModel, QueryFilter},
};
use uuid::Uuid;

use crate::{Outbox, OutgoingMessage, Recipient};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SenderSettings {
    pub sender_name: Option<String>,
    pub reply_to: Option<String>,
    /// The workshop's name: what recipients see when no sender name is set.
    pub workshop_name: String,
}

pub async fn sender_settings(store: &Store, actor: &Actor) -> Result<SenderSettings, ServiceError> {
    actor.require(Permission::SettingsManage)?;
    let tx = store.tx(&TenantCtx::new(actor.tenant_id)).await?;
    let row = tx.get::<tenant::Entity>(actor.tenant_id.0).await?;
    tx.commit().await?;
    Ok(settings_of(row))
}

fn settings_of(row: tenant::Model) -> SenderSettings {
    SenderSettings {
        sender_name: row.email_sender_name,
        reply_to: row.email_reply_to,
        workshop_name: row.name,
    }
}

fn optional(raw: &str) -> Option<&str> {
    Some(raw.trim()).filter(|s| !s.is_empty())
}

/// Sets the name recipients see and where their replies go. Empty fields clear a setting.
pub async fn update_sender(
    store: &Store,
    actor: &Actor,
    sender_name: &str,
    reply_to: &str,
) -> Result<SenderSettings, ServiceError> {
    actor.require(Permission::SettingsManage)?;
    let mut errors = FieldErrors::new();
    let name = match optional(sender_name) {
        Some(raw) if raw.contains(['<', '>', '"', '@', '\r', '\n']) => {
            errors.add("sender_name", "use a plain name, without < > \" or @");
            None
        }
        Some(raw) => errors
            .check("sender_name", DisplayName::parse(raw, 80))
            .map(|n| Some(n.into_inner())),
        None => Some(None),
    };
    let reply = match optional(reply_to) {
        Some(raw) => errors
            .check("reply_to", Email::parse(raw))
            .map(|e| Some(e.into_inner())),
        None => Some(None),
    };
    let (Some(name), Some(reply)) = (name, reply) else {
        return Err(ServiceError::Invalid(errors));
    };
    let tx = store.tx(&TenantCtx::new(actor.tenant_id)).await?;
    let mut row = tx
        .get::<tenant::Entity>(actor.tenant_id.0)
        .await?
        .into_active_model();
    row.email_sender_name = Set(name);
    row.email_reply_to = Set(reply);
    row.updated_at = Set(Utc::now());
    let updated = tx.update(row).await?;
    tx.commit().await?;
    tracing::info!(tenant = %actor.tenant_id, "sender settings updated");
    Ok(settings_of(updated))
}

/// Sends the test message to `to`, so the owner sees what customers will get.
pub async fn send_test_email(
    store: &Store,
    outbox: &Outbox,
    actor: &Actor,
    sent_by: &str,
    to: &str,
) -> Result<Uuid, ServiceError> {
    actor.require(Permission::SettingsManage)?;
    let address = Email::parse(to)
        .map_err(|e| ServiceError::Invalid(FieldErrors::single("to", e.to_string())))?;
    let tx = store.tx(&TenantCtx::new(actor.tenant_id)).await?;
    let vars = BTreeMap::from([("sent_by".to_owned(), sent_by.to_owned())]);
    let enqueued = outbox
        .enqueue(
            &tx,
            OutgoingMessage {
                kind: MessageKind::TestMessage,
                to: Recipient::Email {
                    address,
                    name: None,
                },
                vars,
                attachments: Vec::new(),
                send_at: None,
                // Every click is a new test.
                idempotency_key: format!("test:{}", Uuid::now_v7()),
            },
        )
        .await?;
    tx.commit().await?;
    Ok(enqueued.id())
}

/// A message as its tenant sees it in lists: what, to whom, and how delivery went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageSummary {
    pub id: Uuid,
    pub kind: String,
    pub channel: String,
    pub recipient: String,
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub not_before: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<outbox::Model> for MessageSummary {
    fn from(m: outbox::Model) -> Self {
        Self {
            id: m.id,
            kind: m.kind,
            channel: m.channel,
            recipient: m.recipient,
            status: m.status,
            attempts: m.attempts,
            last_error: m.last_error,
            not_before: m.not_before,
            sent_at: m.sent_at,
            created_at: m.created_at,
        }
    }
}

pub const STATUSES: [&str; 7] = [
    "pending",
    "queued",
    "sending",
    "sent",
    "dead",
    "suppressed",
    "cancelled",
];

/// The tenant's messages, oldest first from the cursor, optionally of one status.
pub async fn list_messages(
    store: &Store,
    actor: &Actor,
    status: Option<&str>,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Page<MessageSummary>, ServiceError> {
    actor.require(Permission::SettingsManage)?;
    if let Some(status) = status
        && !STATUSES.contains(&status)
    {
        return Err(ServiceError::Invalid(FieldErrors::single(
            "status",
            format!("must be one of {}", STATUSES.join(", ")),
        )));
    }
    let tx = store.tx(&TenantCtx::new(actor.tenant_id)).await?;
    let mut query = tx.select::<outbox::Entity>();
    if let Some(status) = status {
        query = query.filter(outbox::Column::Status.eq(status));
    }
    let page = tx.page(query, after, limit.clamp(1, 200)).await?;
    tx.commit().await?;
    Ok(Page {
        items: page.items.into_iter().map(MessageSummary::from).collect(),
        next: page.next,
    })
}

pub async fn get_message(
    store: &Store,
    actor: &Actor,
    id: Uuid,
) -> Result<MessageSummary, ServiceError> {
    actor.require(Permission::SettingsManage)?;
    let tx = store.tx(&TenantCtx::new(actor.tenant_id)).await?;
    let row = tx.get::<outbox::Entity>(id).await?;
    tx.commit().await?;
    Ok(row.into())
}

/// Sends a dead letter again, with a fresh set of attempts.
pub async fn retry_message(store: &Store, actor: &Actor, id: Uuid) -> Result<(), ServiceError> {
    actor.require(Permission::SettingsManage)?;
    let tx = store.tx(&TenantCtx::new(actor.tenant_id)).await?;
    let row = tx.get::<outbox::Entity>(id).await?;
    if row.status != "dead" {
        return Err(ServiceError::Conflict(FieldErrors::single(
            "status",
            format!(
                "only a dead message can be retried; this one is {}",
                row.status
            ),
        )));
    }
    tx.retry_message(id).await?;
    tx.commit().await?;
    tracing::info!(tenant = %actor.tenant_id, message = %id, "dead letter retried");
    Ok(())
}
