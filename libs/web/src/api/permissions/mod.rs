//! `/permissions`: the catalogue custom roles and API keys are built from.

pub(crate) mod json;

use pitlane_domain::permissions::Permission;
use poem_openapi::{OpenApi, param::Query, payload::Json};

use self::json::PermissionEntry;
use super::{
    ApiTags, Caller,
    shapes::{Page, PageQuery},
};
use crate::problem::Problem;

pub struct PermissionsApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Staff")]
impl PermissionsApi {
    /// The permission catalogue
    ///
    /// Any signed-in member. What custom roles and API keys are built from, in the
    /// catalogue's order (grouped by area); the cursor is a permission's key.
    #[oai(
        path = "/permissions",
        method = "get",
        operation_id = "list_permissions"
    )]
    async fn list(
        &self,
        Caller(_auth): Caller,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1–200 (default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<Page<PermissionEntry>>, Problem> {
        let items = Permission::ALL.iter().map(PermissionEntry::from).collect();
        let page = PageQuery::new(cursor.0, limit.0);
        Ok(Json(Page::from_ordered(items, &page, |p| p.key.clone())?))
    }
}
