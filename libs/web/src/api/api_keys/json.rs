//! API keys as the API sends and takes them.

use chrono::{DateTime, Utc};
use pitlane_domain::permissions::PermissionSet;
use pitlane_identity::api_keys::{CreatedKey, KeyInput};
use pitlane_store::entity::api_key;
use poem_openapi::{Object, types::Example};
use uuid::Uuid;

/// An API key, without its secret.
#[derive(Object)]
pub struct ApiKey {
    pub id: Uuid,
    pub name: String,
    pub permissions: Vec<String>,
    #[oai(nullable)]
    pub expires_at: Option<DateTime<Utc>>,
    #[oai(nullable)]
    pub last_used_at: Option<DateTime<Utc>>,
    #[oai(nullable)]
    pub revoked_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<api_key::Model> for ApiKey {
    fn from(k: api_key::Model) -> Self {
        Self {
            id: k.id,
            permissions: PermissionSet::from_stored(&k.permissions).keys(),
            name: k.name,
            expires_at: k.expires_at,
            last_used_at: k.last_used_at,
            revoked_at: k.revoked_at,
            created_at: k.created_at,
        }
    }
}

/// A new key: its secret is in `secret`, shown this once.
#[derive(Object)]
pub struct NewApiKey {
    pub key: ApiKey,
    /// Send as `Authorization: Bearer {secret}`. It cannot be shown again.
    pub secret: String,
}

impl From<CreatedKey> for NewApiKey {
    fn from(created: CreatedKey) -> Self {
        Self {
            key: created.key.into(),
            secret: created.secret,
        }
    }
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

impl From<ApiKeyWrite> for KeyInput {
    fn from(w: ApiKeyWrite) -> Self {
        Self {
            name: w.name,
            permissions: w.permissions,
            expires_at: w.expires_at,
        }
    }
}
