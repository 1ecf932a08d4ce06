//! The branch as the API sends and takes it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use pitlane_domain::{FieldErrors, ServiceError};
use pitlane_store::entity::branch;
use pitlane_tenancy::branches::{self, BranchInput};
use poem_openapi::{Object, types::Example};
use uuid::Uuid;

/// A location of the workshop.
#[derive(Object)]
pub struct Branch {
    pub id: Uuid,
    pub name: String,
    #[oai(nullable)]
    pub address_line1: Option<String>,
    #[oai(nullable)]
    pub address_line2: Option<String>,
    #[oai(nullable)]
    pub city: Option<String>,
    #[oai(nullable)]
    pub postal_code: Option<String>,
    #[oai(nullable)]
    pub region: Option<String>,
    /// ISO 3166-1 alpha-2, e.g. `DE`.
    #[oai(nullable)]
    pub country: Option<String>,
    #[oai(nullable)]
    pub phone: Option<String>,
    /// IANA time zone; business hours and reminders use it.
    pub time_zone: String,
    /// Opening intervals per day (`mon`…`sun`) in local time, e.g. `{"mon": [["08:00", "17:00"]]}`.
    pub business_hours: BTreeMap<String, Vec<Vec<String>>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<branch::Model> for Branch {
    fn from(b: branch::Model) -> Self {
        let hours = branches::hours_of(&b)
            .0
            .into_iter()
            .map(|(day, spans)| (day, spans.into_iter().map(|[a, z]| vec![a, z]).collect()))
            .collect();
        Self {
            id: b.id,
            name: b.name,
            address_line1: b.address_line1,
            address_line2: b.address_line2,
            city: b.city,
            postal_code: b.postal_code,
            region: b.region,
            country: b.country,
            phone: b.phone,
            time_zone: b.time_zone,
            business_hours: hours,
            created_at: b.created_at,
            updated_at: b.updated_at,
        }
    }
}

/// A new or changed branch.
#[derive(Object)]
#[oai(example)]
pub struct BranchWrite {
    pub name: String,
    pub address_line1: Option<String>,
    pub address_line2: Option<String>,
    pub city: Option<String>,
    pub postal_code: Option<String>,
    pub region: Option<String>,
    pub country: Option<String>,
    pub phone: Option<String>,
    pub time_zone: String,
    /// Omit to keep the current hours (Monday–Friday 08:00–17:00 for a new branch).
    pub business_hours: Option<BTreeMap<String, Vec<Vec<String>>>>,
}

impl Example for BranchWrite {
    fn example() -> Self {
        Self {
            name: "Harbour Road".into(),
            address_line1: Some("12 Harbour Road".into()),
            address_line2: None,
            city: Some("Hamburg".into()),
            postal_code: Some("20457".into()),
            region: None,
            country: Some("DE".into()),
            phone: Some("+49 40 1234567".into()),
            time_zone: "Europe/Berlin".into(),
            business_hours: Some(BTreeMap::from([(
                "mon".to_owned(),
                vec![vec!["08:00".to_owned(), "17:00".to_owned()]],
            )])),
        }
    }
}

impl TryFrom<BranchWrite> for BranchInput {
    type Error = ServiceError;

    fn try_from(w: BranchWrite) -> Result<Self, ServiceError> {
        let business_hours = match w.business_hours {
            None => None,
            Some(days) => {
                let mut parsed = BTreeMap::new();
                for (day, spans) in days {
                    let mut intervals = Vec::new();
                    for span in spans {
                        let [open, close]: [String; 2] = span.try_into().map_err(|_| {
                            FieldErrors::single(
                                "business_hours",
                                format!("{day}: each interval is [opening, closing]"),
                            )
                        })?;
                        intervals.push([open, close]);
                    }
                    parsed.insert(day, intervals);
                }
                Some(parsed)
            }
        };
        Ok(BranchInput {
            name: w.name,
            address_line1: w.address_line1,
            address_line2: w.address_line2,
            city: w.city,
            postal_code: w.postal_code,
            region: w.region,
            country: w.country,
            phone: w.phone,
            time_zone: w.time_zone,
            business_hours,
        })
    }
}
