//! Custom domains as the API sends and takes them.

use chrono::{DateTime, Utc};
use pitlane_store::entity::tenant_domain;
use pitlane_tenancy::domains;
use poem_openapi::{Object, types::Example};
use uuid::Uuid;

/// A host name that serves the workshop's pages once the workshop has proved by DNS that it
/// owns it.
#[derive(Object)]
pub struct Domain {
    pub id: Uuid,
    pub host: String,
    pub created_at: DateTime<Utc>,
    /// Whether the domain serves the workshop's pages and appears in its links.
    pub verified: bool,
    #[oai(nullable)]
    pub verified_at: Option<DateTime<Utc>>,
    /// The TXT record to publish: its name and value.
    pub verification_record: VerificationRecord,
    /// When Pitlane last looked, and what was wrong then.
    #[oai(nullable)]
    pub checked_at: Option<DateTime<Utc>>,
    #[oai(nullable)]
    pub check_error: Option<String>,
}

impl From<tenant_domain::Model> for Domain {
    fn from(d: tenant_domain::Model) -> Self {
        let (name, value) = domains::challenge(&d);
        Self {
            id: d.id,
            verified: d.verified_at.is_some(),
            verified_at: d.verified_at,
            verification_record: VerificationRecord { name, value },
            checked_at: d.checked_at,
            check_error: d.check_error,
            host: d.host,
            created_at: d.created_at,
        }
    }
}

/// The DNS TXT record that proves the workshop owns a host.
#[derive(Object)]
pub struct VerificationRecord {
    /// `_pitlane-challenge.{host}`
    pub name: String,
    /// `pitlane-verify={token}`
    pub value: String,
}

/// A host name to add. Point its DNS at the platform first.
#[derive(Object)]
#[oai(example)]
pub struct DomainWrite {
    pub host: String,
}

impl Example for DomainWrite {
    fn example() -> Self {
        Self {
            host: "service.joes-garage.example".into(),
        }
    }
}
