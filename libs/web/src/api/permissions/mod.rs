//! `/permissions`: the catalogue custom roles and API keys are built from.

pub(crate) mod json;

use pitlane_domain::permissions::Permission;
use poem_openapi::{OpenApi, payload::Json};

use self::json::{PermissionEntry, PermissionList};
use super::{ApiTags, Caller};
use crate::problem::Problem;

pub struct PermissionsApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Staff")]
impl PermissionsApi {
    /// The permission catalogue
    ///
    /// Any signed-in member. What custom roles and API keys are built from.
    #[oai(
        path = "/permissions",
        method = "get",
        operation_id = "list_permissions"
    )]
    async fn list(&self, Caller(_auth): Caller) -> Result<Json<PermissionList>, Problem> {
        Ok(Json(PermissionList {
            items: Permission::ALL.iter().map(PermissionEntry::from).collect(),
        }))
    }
}
