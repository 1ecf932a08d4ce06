//! Mechanics' applications as the API sends them.

use chrono::{DateTime, Utc};
use pitlane_store::entity::mechanic_application;
use poem_openapi::Object;
use uuid::Uuid;

/// A mechanic's application to work for the workshop.
#[derive(Object)]
pub struct MechanicApplication {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    #[oai(nullable)]
    pub phone: Option<String>,
    pub experience_years: i32,
    pub certifications: String,
    pub branch_ids: Vec<Uuid>,
    #[oai(nullable)]
    pub message: Option<String>,
    /// `pending`, `approved` or `rejected`.
    pub status: String,
    #[oai(nullable)]
    pub decided_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<mechanic_application::Model> for MechanicApplication {
    fn from(a: mechanic_application::Model) -> Self {
        Self {
            id: a.id,
            branch_ids: a
                .branch_ids
                .split_whitespace()
                .filter_map(|b| Uuid::try_parse(b).ok())
                .collect(),
            name: a.name,
            email: a.email,
            phone: a.phone,
            experience_years: a.experience_years,
            certifications: a.certifications,
            message: a.message,
            status: a.status,
            decided_at: a.decided_at,
            created_at: a.created_at,
        }
    }
}
