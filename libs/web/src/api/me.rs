use poem_openapi::{Object, OpenApi, payload::Json};
use uuid::Uuid;

use super::{ApiTags, Caller};
use crate::problem::Problem;

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
    pub branch_ids: Option<Vec<Uuid>>,
    /// Set when the caller is an API key.
    pub api_key_id: Option<Uuid>,
    /// Every permission the role grants, by key (e.g. `settings.manage`).
    pub permissions: Vec<String>,
}

pub struct MeApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Session")]
impl MeApi {
    /// Who am I
    ///
    /// Any signed-in member or API key. The caller, their role, branches and what they may do.
    #[oai(path = "/me", method = "get", operation_id = "get_me")]
    async fn me(&self, Caller(auth): Caller) -> Result<Json<Me>, Problem> {
        let permissions = pitlane_domain::permissions::Permission::ALL
            .iter()
            .filter(|p| auth.actor.can(**p))
            .map(|p| p.key().to_owned())
            .collect();
        Ok(Json(Me {
            user_id: auth.actor.user_id.0,
            membership_id: auth.actor.membership_id.0,
            tenant_id: auth.actor.tenant_id.0,
            name: auth.name,
            email: auth.email,
            role: auth.actor.role.key(),
            role_name: auth.actor.role.label().to_owned(),
            branch_ids: auth.actor.branches.limited().map(<[Uuid]>::to_vec),
            api_key_id: auth.actor.api_key,
            permissions,
        }))
    }
}
