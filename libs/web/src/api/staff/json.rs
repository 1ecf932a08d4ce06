//! Members of staff as the API sends and takes them.

use chrono::{DateTime, Utc};
use pitlane_domain::permissions::BranchScope;
use pitlane_identity::members::{Member, MemberChange};
use poem_openapi::{
    Object,
    types::{Example, MaybeUndefined},
};
use uuid::Uuid;

/// A member of the workshop's staff.
#[derive(Object)]
pub struct StaffMember {
    /// The membership's id.
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    pub email: String,
    /// `owner`, `admin`, `manager`, `service_advisor`, `mechanic`, `customer`, or
    /// `custom:{id}` for one of the workshop's own roles.
    pub role: String,
    pub role_name: String,
    /// The branches the member is limited to; `null` for every branch.
    #[oai(nullable)]
    pub branch_ids: Option<Vec<Uuid>>,
    pub active: bool,
    pub joined_at: DateTime<Utc>,
}

impl From<Member> for StaffMember {
    fn from(m: Member) -> Self {
        Self {
            id: m.membership_id,
            user_id: m.user_id,
            name: m.name,
            email: m.email,
            role: m.role.key(),
            role_name: m.role.label().to_owned(),
            branch_ids: match m.branches {
                BranchScope::All => None,
                BranchScope::Only(ids) => Some(ids),
            },
            active: m.active,
            joined_at: m.joined_at,
        }
    }
}

/// What to change about a member; leave a field out to keep it.
#[derive(Object)]
#[oai(example)]
pub struct StaffChange {
    pub role: Option<String>,
    /// A list limits the member to those branches; `null` gives every branch.
    pub branch_ids: MaybeUndefined<Vec<Uuid>>,
    /// `false` deactivates the member (their sessions end at once); `true` restores them.
    pub active: Option<bool>,
}

impl Example for StaffChange {
    fn example() -> Self {
        Self {
            role: Some("service_advisor".into()),
            branch_ids: MaybeUndefined::Undefined,
            active: None,
        }
    }
}

impl From<StaffChange> for MemberChange {
    fn from(c: StaffChange) -> Self {
        Self {
            role: c.role,
            branches: match c.branch_ids {
                MaybeUndefined::Undefined => None,
                MaybeUndefined::Null => Some(None),
                MaybeUndefined::Value(ids) => Some(Some(ids)),
            },
            active: c.active,
        }
    }
}
