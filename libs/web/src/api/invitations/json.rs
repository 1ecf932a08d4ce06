//! Invitations to the staff as the API sends and takes them.

use chrono::{DateTime, Utc};
use pitlane_identity::invitations::{self, InvitationInput};
use pitlane_store::entity::invitation;
use poem_openapi::{Object, types::Example};
use uuid::Uuid;

/// An invitation waiting to be accepted.
#[derive(Object)]
pub struct Invitation {
    pub id: Uuid,
    pub email: String,
    #[oai(nullable)]
    pub name: Option<String>,
    pub role: String,
    #[oai(nullable)]
    pub branch_ids: Option<Vec<Uuid>>,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

impl From<invitation::Model> for Invitation {
    fn from(i: invitation::Model) -> Self {
        Self {
            id: i.id,
            branch_ids: invitations::branches_of(&i),
            email: i.email,
            name: i.name,
            role: match i.custom_role_id {
                Some(id) => format!("custom:{id}"),
                None => i.role,
            },
            expires_at: i.expires_at,
            created_at: i.created_at,
        }
    }
}

/// Whom to invite, with which role and branches. The link in the e-mail is good for 7 days.
#[derive(Object)]
#[oai(example)]
pub struct InvitationWrite {
    pub email: String,
    pub name: Option<String>,
    /// A built-in role key or `custom:{id}`.
    pub role: String,
    /// Limit to these branches; leave out for every branch.
    pub branch_ids: Option<Vec<Uuid>>,
}

impl Example for InvitationWrite {
    fn example() -> Self {
        Self {
            email: "new.mechanic@example.com".into(),
            name: Some("Sam Spanner".into()),
            role: "mechanic".into(),
            branch_ids: None,
        }
    }
}

impl From<InvitationWrite> for InvitationInput {
    fn from(w: InvitationWrite) -> Self {
        Self {
            email: w.email,
            name: w.name,
            role: w.role,
            branches: w.branch_ids,
        }
    }
}
