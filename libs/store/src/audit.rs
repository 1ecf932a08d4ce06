//! The tenant's audit log: who did what, when. Entries are appended in the same transaction as
//! the change they describe, so there is no change without its entry; nothing edits or deletes
//! them (the store has no such operation and the database refuses it).

use chrono::Utc;
use pitlane_domain::Actor;
use sea_orm::{ActiveValue::Set, EntityTrait};
use uuid::Uuid;

use crate::{
    StoreError, TenantTx,
    entity::{api_key, audit_entry, user},
};

/// Who an entry is about when no member is signed in.
#[derive(Debug, Clone)]
pub enum By<'a> {
    Member(&'a Actor),
    /// Someone not signed in, by what they claimed (the e-mail typed at sign-in, say).
    Visitor(String),
    /// The platform's operators.
    Operator,
}

/// One thing that happened, for the log.
#[derive(Debug, Clone)]
pub struct Event {
    pub action: &'static str,
    pub subject: Option<String>,
    pub detail: serde_json::Value,
    pub ip: Option<String>,
}

impl Event {
    pub fn new(action: &'static str) -> Self {
        Self {
            action,
            subject: None,
            detail: serde_json::Value::Null,
            ip: None,
        }
    }

    pub fn subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    pub fn detail(mut self, detail: serde_json::Value) -> Self {
        self.detail = detail;
        self
    }

    pub fn ip(mut self, ip: Option<&str>) -> Self {
        self.ip = ip.map(str::to_owned);
        self
    }
}

/// Appends an entry in the caller's transaction.
pub async fn record(tx: &TenantTx, by: By<'_>, event: Event) -> Result<(), StoreError> {
    let (user_id, actor) = match by {
        By::Member(actor) => (Some(actor.user_id.0), label_of(tx, actor).await?),
        By::Visitor(claimed) => (None, format!("visitor ({claimed})")),
        By::Operator => (None, "platform operator".to_owned()),
    };
    let detail = if event.detail.is_null() {
        String::new()
    } else {
        event.detail.to_string()
    };
    tx.append_audit(audit_entry::ActiveModel {
        tenant_id: Set(tx.tenant_id().0),
        id: Set(Uuid::now_v7()),
        at: Set(Utc::now()),
        actor_user_id: Set(user_id),
        actor: Set(actor),
        action: Set(event.action.to_owned()),
        subject: Set(event.subject),
        detail: Set(detail),
        ip: Set(event.ip),
    })
    .await?;
    Ok(())
}

async fn label_of(tx: &TenantTx, actor: &Actor) -> Result<String, StoreError> {
    if let Some(key) = actor.api_key {
        let name = tx
            .get::<api_key::Entity>(key)
            .await
            .map(|k| k.name)
            .unwrap_or_default();
        return Ok(format!("API key \u{201c}{name}\u{201d}"));
    }
    let person = tx
        .people()
        .first(user::Entity::find_by_id(actor.user_id.0))
        .await?;
    Ok(person
        .map(|u| u.email)
        .unwrap_or_else(|| actor.user_id.to_string()))
}
