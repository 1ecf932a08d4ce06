use poem_openapi::{Object, OpenApi, payload::Json};
use uuid::Uuid;

use super::{ApiTags, StaffSession};
use crate::problem::Problem;

/// The signed-in member.
#[derive(Object)]
pub struct Me {
    pub user_id: Uuid,
    pub membership_id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    pub email: String,
    /// The member's role in this workshop.
    pub role: String,
    /// Every permission the role grants, by key (e.g. `settings.manage`).
    pub permissions: Vec<String>,
}

pub struct MeApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Session")]
impl MeApi {
    /// Who am I
    ///
    /// The signed-in member, their role and what it allows.
    #[oai(path = "/me", method = "get", operation_id = "get_me")]
    async fn me(&self, StaffSession(auth): StaffSession) -> Result<Json<Me>, Problem> {
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
            role: auth.actor.role.key().to_owned(),
            permissions,
        }))
    }
}
