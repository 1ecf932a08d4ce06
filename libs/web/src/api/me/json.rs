//! The caller as the API sends it.

use pitlane_domain::permissions::Permission;
use poem_openapi::Object;
use uuid::Uuid;

use crate::session::Auth;

/// The signed-in member.
#[derive(Object)]
pub struct Me {
    pub user_id: Uuid,
    pub membership_id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    pub email: String,
    /// The member's role in this workshop: a built-in key or `custom:{id}`.
    pub role: String,
    /// The role's name as people read it.
    pub role_name: String,
    /// The branches the member is limited to; `null` for every branch.
    #[oai(nullable)]
    pub branch_ids: Option<Vec<Uuid>>,
    /// Set when the caller is an API key.
    #[oai(nullable)]
    pub api_key_id: Option<Uuid>,
    /// Every permission the role grants, by key (e.g. `settings.manage`).
    pub permissions: Vec<String>,
}

impl From<Auth> for Me {
    fn from(auth: Auth) -> Self {
        let permissions = Permission::ALL
            .iter()
            .filter(|p| auth.actor.can(**p))
            .map(|p| p.key().to_owned())
            .collect();
        Self {
            user_id: auth.actor.user_id.0,
            membership_id: auth.actor.membership_id.0,
            tenant_id: auth.actor.tenant_id.0,
            role: auth.actor.role.key(),
            role_name: auth.actor.role.label().to_owned(),
            branch_ids: auth.actor.branches.limited().map(<[Uuid]>::to_vec),
            api_key_id: auth.actor.api_key,
            name: auth.name,
            email: auth.email,
            permissions,
        }
    }
}
