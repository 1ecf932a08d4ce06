//! API keys and the audit log.

use chrono::{DateTime, Utc};
use pitlane_domain::permissions::PermissionSet;
use pitlane_identity::{
    api_keys::{self, KeyInput},
    audit::{self, Filter},
};
use pitlane_store::entity::{api_key, audit_entry};
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

/// An API key, without its secret.
#[derive(Object)]
pub struct ApiKey {
    pub id: Uuid,
    pub name: String,
    pub permissions: Vec<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Object)]
pub struct ApiKeyList {
    pub items: Vec<ApiKey>,
}

/// A new key: its secret is in `secret`, shown this once.
#[derive(Object)]
pub struct NewApiKey {
    pub key: ApiKey,
    /// Send as `Authorization: Bearer {secret}`. It cannot be shown again.
    pub secret: String,
}

#[derive(Object)]
#[oai(example)]
pub struct ApiKeyWrite {
    pub name: String,
    /// Permission keys; none beyond the creator's own role.
    pub permissions: Vec<String>,
    pub expires_at: Option<DateTime<Utc>>,
}

impl Example for ApiKeyWrite {
    fn example() -> Self {
        Self {
            name: "Accounting export".into(),
            permissions: vec!["tenant.read".into()],
            expires_at: None,
        }
    }
}

fn key_api(k: api_key::Model) -> ApiKey {
    ApiKey {
        id: k.id,
        permissions: PermissionSet::from_stored(&k.permissions).keys(),
        name: k.name,
        expires_at: k.expires_at,
        last_used_at: k.last_used_at,
        revoked_at: k.revoked_at,
        created_at: k.created_at,
    }
}

/// One audit log entry.
#[derive(Object)]
pub struct AuditEntry {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    /// Who: an e-mail address, `API key “name”`, `visitor (…)` or `platform operator`.
    pub actor: String,
    pub actor_user_id: Option<Uuid>,
    /// What, such as `sign_in.failed`, `member.role_changed`, `api_key.created`.
    pub action: String,
    pub subject: Option<String>,
    /// Details as JSON text, when there are any.
    pub detail: Option<String>,
    pub ip: Option<String>,
}

#[derive(Object)]
pub struct AuditPage {
    pub items: Vec<AuditEntry>,
    /// Pass as `before` for older entries.
    pub next_cursor: Option<Uuid>,
}

fn entry_api(e: audit_entry::Model) -> AuditEntry {
    AuditEntry {
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

#[derive(ApiResponse)]
pub enum KeyCreated {
    /// The key was created; keep its secret now.
    #[oai(status = 201)]
    Created(Json<NewApiKey>),
}

pub struct AccessApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Access")]
impl AccessApi {
    /// List API keys
    ///
    /// Needs `api_keys.manage`.
    #[oai(path = "/api-keys", method = "get", operation_id = "list_api_keys")]
    async fn list(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
    ) -> Result<Json<ApiKeyList>, Problem> {
        let rows = api_keys::list(&state.store, &auth.actor).await?;
        Ok(Json(ApiKeyList {
            items: rows.into_iter().map(key_api).collect(),
        }))
    }

    /// Create an API key
    ///
    /// Needs `api_keys.manage`, from a person's session (keys cannot make keys). The secret
    /// is in the answer only.
    #[oai(path = "/api-keys", method = "post", operation_id = "create_api_key")]
    async fn create(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        body: Json<ApiKeyWrite>,
    ) -> Result<KeyCreated, Problem> {
        let created = api_keys::create(
            &state.store,
            &auth.actor,
            KeyInput {
                name: body.0.name,
                permissions: body.0.permissions,
                expires_at: body.0.expires_at,
            },
        )
        .await?;
        Ok(KeyCreated::Created(Json(NewApiKey {
            key: key_api(created.key),
            secret: created.secret,
        })))
    }

    /// Revoke an API key
    ///
    /// Needs `api_keys.manage`. The key stops working at once.
    #[oai(
        path = "/api-keys/:key_id",
        method = "delete",
        operation_id = "revoke_api_key"
    )]
    async fn revoke(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        key_id: Path<Uuid>,
    ) -> Result<Json<ApiKey>, Problem> {
        Ok(Json(key_api(
            api_keys::revoke(&state.store, &auth.actor, key_id.0).await?,
        )))
    }

    /// Read the audit log
    ///
    /// Needs `audit.view`. Newest first. `action` matches an action or its start
    /// (`member.`); `actor` matches part of who; `since`/`until` bound the time.
    #[oai(path = "/audit", method = "get", operation_id = "list_audit_entries")]
    #[allow(clippy::too_many_arguments)]
    async fn audit(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        action: Query<Option<String>>,
        actor: Query<Option<String>>,
        since: Query<Option<DateTime<Utc>>>,
        until: Query<Option<DateTime<Utc>>>,
        before: Query<Option<Uuid>>,
        limit: Query<Option<u64>>,
    ) -> Result<Json<AuditPage>, Problem> {
        let filter = Filter {
            action: action.0,
            actor: actor.0,
            since: since.0,
            until: until.0,
        };
        let page = audit::list(
            &state.store,
            &auth.actor,
            &filter,
            before.0,
            page_limit(limit.0),
        )
        .await?;
        Ok(Json(AuditPage {
            items: page.items.into_iter().map(entry_api).collect(),
            next_cursor: page.next,
        }))
    }
}
