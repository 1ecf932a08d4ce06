//! The audit log as the API sends it.

use chrono::{DateTime, Utc};
use pitlane_store::entity::audit_entry;
use poem_openapi::Object;
use uuid::Uuid;

/// One audit log entry.
#[derive(Object)]
pub struct AuditEntry {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    /// Who: an e-mail address, `API key “name”`, `visitor (…)` or `platform operator`.
    pub actor: String,
    #[oai(nullable)]
    pub actor_user_id: Option<Uuid>,
    /// What, such as `sign_in.failed`, `member.role_changed`, `api_key.created`.
    pub action: String,
    #[oai(nullable)]
    pub subject: Option<String>,
    /// Details as JSON text, when there are any.
    #[oai(nullable)]
    pub detail: Option<String>,
    #[oai(nullable)]
    pub ip: Option<String>,
}

impl From<audit_entry::Model> for AuditEntry {
    fn from(e: audit_entry::Model) -> Self {
        Self {
            id: e.id,
            at: e.at,
            actor: e.actor,
            actor_user_id: e.actor_user_id,
            action: e.action,
            subject: e.subject,
            detail: (!e.detail.is_empty()).then_some(e.detail),
            ip: e.ip,
        }
    }
}
