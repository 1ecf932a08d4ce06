//! Customers as the API sends and takes them: contact details, consent, notes.

use chrono::{DateTime, Utc};
use pitlane_frontdesk::{
    customers::{self, ConsentChange, CustomerInput},
    privacy::Erased,
};
use pitlane_store::entity::{customer, customer_note};
use poem_openapi::{Object, types::Example};
use uuid::Uuid;

/// One kind of consent: when and how it was given (both empty: not given).
#[derive(Object)]
pub struct ConsentRecord {
    pub given: bool,
    #[oai(nullable)]
    pub given_at: Option<DateTime<Utc>>,
    /// How it was given, e.g. "signed at the front desk".
    #[oai(nullable)]
    pub how: Option<String>,
}

impl ConsentRecord {
    /// The consent given at `at` (if at all) in the way `how`.
    fn new(at: Option<DateTime<Utc>>, how: Option<String>) -> Self {
        Self {
            given: at.is_some(),
            given_at: at,
            how,
        }
    }
}

#[derive(Object)]
pub struct CustomerConsent {
    pub email: ConsentRecord,
    pub sms: ConsentRecord,
    pub marketing: ConsentRecord,
    #[oai(nullable)]
    pub marketing_unsubscribed_at: Option<DateTime<Utc>>,
}

/// A customer of the workshop.
#[derive(Object)]
pub struct Customer {
    pub id: Uuid,
    pub name: String,
    #[oai(nullable)]
    pub email: Option<String>,
    /// E.164, e.g. `+4915112345678`.
    #[oai(nullable)]
    pub phone: Option<String>,
    #[oai(nullable)]
    pub company: Option<String>,
    #[oai(nullable)]
    pub address: Option<String>,
    pub tags: Vec<String>,
    pub consent: CustomerConsent,
    /// Whether the customer has a login on the workshop's site.
    pub has_account: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<customer::Model> for Customer {
    fn from(c: customer::Model) -> Self {
        Self {
            tags: customers::tags_of(&c),
            consent: CustomerConsent {
                email: ConsentRecord::new(c.email_consent_at, c.email_consent_source),
                sms: ConsentRecord::new(c.sms_consent_at, c.sms_consent_source),
                marketing: ConsentRecord::new(c.marketing_consent_at, c.marketing_consent_source),
                marketing_unsubscribed_at: c.marketing_unsubscribed_at,
            },
            has_account: c.user_id.is_some(),
            id: c.id,
            name: c.name,
            email: c.email,
            phone: c.phone,
            company: c.company,
            address: c.address,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// A new or changed customer. Phone numbers without `+` are read in the workshop's country.
#[derive(Object)]
#[oai(example)]
pub struct CustomerWrite {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub company: Option<String>,
    pub address: Option<String>,
    #[oai(default)]
    pub tags: Vec<String>,
}

impl Example for CustomerWrite {
    fn example() -> Self {
        Self {
            name: "Anna Müller".into(),
            email: Some("anna.mueller@example.com".into()),
            phone: Some("+49 151 12345678".into()),
            company: None,
            address: Some("Hafenstraße 1, 20457 Hamburg".into()),
            tags: vec!["fleet".into(), "vip".into()],
        }
    }
}

impl From<CustomerWrite> for CustomerInput {
    fn from(w: CustomerWrite) -> Self {
        Self {
            name: w.name,
            email: w.email,
            phone: w.phone,
            company: w.company,
            address: w.address,
            tags: w.tags,
        }
    }
}

/// A change of consent: `true` gives it now, `false` withdraws it, absent leaves it.
#[derive(Object)]
#[oai(example)]
pub struct ConsentWrite {
    pub email: Option<bool>,
    pub sms: Option<bool>,
    pub marketing: Option<bool>,
    /// How the customer gave it; required when giving consent.
    #[oai(default)]
    pub source: String,
}

impl Example for ConsentWrite {
    fn example() -> Self {
        Self {
            email: Some(true),
            sms: Some(true),
            marketing: Some(false),
            source: "signed at the front desk".into(),
        }
    }
}

impl From<ConsentWrite> for ConsentChange {
    fn from(w: ConsentWrite) -> Self {
        Self {
            email: w.email,
            sms: w.sms,
            marketing: w.marketing,
            source: w.source,
        }
    }
}

#[derive(Object)]
pub struct Note {
    pub id: Uuid,
    pub body: String,
    #[oai(nullable)]
    pub author: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<customer_note::Model> for Note {
    fn from(n: customer_note::Model) -> Self {
        Self {
            id: n.id,
            body: n.body,
            author: n.author_name,
            created_at: n.created_at,
        }
    }
}

#[derive(Object)]
#[oai(example)]
pub struct NoteWrite {
    pub body: String,
}

impl Example for NoteWrite {
    fn example() -> Self {
        Self {
            body: "Prefers a call before any extra work.".into(),
        }
    }
}

#[derive(Object)]
#[oai(example)]
pub struct MergeRequest {
    /// The duplicate to fold into this customer; it is gone afterwards.
    pub duplicate_id: Uuid,
}

impl Example for MergeRequest {
    fn example() -> Self {
        Self {
            duplicate_id: Uuid::nil(),
        }
    }
}

/// What an erasure did.
#[derive(Object)]
pub struct ErasureReport {
    pub pending_appointments_removed: u64,
    pub notes_removed: u64,
    pub vehicles_unlinked: u64,
}

impl From<Erased> for ErasureReport {
    fn from(done: Erased) -> Self {
        Self {
            pending_appointments_removed: done.appointments_removed,
            notes_removed: done.notes_removed,
            vehicles_unlinked: done.vehicles_unlinked,
        }
    }
}
