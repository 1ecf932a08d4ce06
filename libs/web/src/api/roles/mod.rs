//! `/roles`: the workshop's own roles.

pub(crate) mod json;

use pitlane_identity::roles;
use poem::web::Data;
use poem_openapi::{
    OpenApi,
    param::{Path, Query},
    payload::Json,
};
use uuid::Uuid;

use self::json::{CustomRole, CustomRoleWrite};
use super::{
    ApiTags, Caller,
    shapes::{Created, NoContent, Page, PageQuery},
};
use crate::problem::Problem;
use pitlane_app::state::AppState;

pub struct RolesApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Staff")]
impl RolesApi {
    /// List the workshop's own roles
    ///
    /// Needs `staff.manage`. By name.
    #[oai(path = "/roles", method = "get", operation_id = "list_roles")]
    async fn list(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1–200 (default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<Page<CustomRole>>, Problem> {
        let rows = roles::list(&state.store, &auth.actor).await?;
        let items = rows.into_iter().map(CustomRole::from).collect();
        let page = PageQuery::new(cursor.0, limit.0);
        Ok(Json(Page::from_ordered(items, &page, |item| item.id)?))
    }

    /// Create a role
    ///
    /// Needs `staff.manage`; a role cannot have a permission the caller lacks.
    #[oai(path = "/roles", method = "post", operation_id = "create_role")]
    async fn create(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        body: Json<CustomRoleWrite>,
    ) -> Result<Created<CustomRole>, Problem> {
        let row = roles::create(&state.store, &auth.actor, body.0.into()).await?;
        Ok(Created::new(row))
    }

    /// Get a role
    ///
    /// Needs `staff.manage`.
    #[oai(path = "/roles/:role_id", method = "get", operation_id = "get_role")]
    async fn get(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        role_id: Path<Uuid>,
    ) -> Result<Json<CustomRole>, Problem> {
        let row = roles::get(&state.store, &auth.actor, role_id.0).await?;
        Ok(Json(row.into()))
    }

    /// Change a role
    ///
    /// Needs `staff.manage`. Members holding it get the new permissions on their next request.
    #[oai(path = "/roles/:role_id", method = "put", operation_id = "update_role")]
    async fn update(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        role_id: Path<Uuid>,
        body: Json<CustomRoleWrite>,
    ) -> Result<Json<CustomRole>, Problem> {
        let row = roles::update(&state.store, &auth.actor, role_id.0, body.0.into()).await?;
        Ok(Json(row.into()))
    }

    /// Delete a role
    ///
    /// Needs `staff.manage`. Refused (409) while members hold it or invitations offer it.
    #[oai(
        path = "/roles/:role_id",
        method = "delete",
        operation_id = "delete_role"
    )]
    async fn delete(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        role_id: Path<Uuid>,
    ) -> Result<NoContent, Problem> {
        roles::delete(&state.store, &auth.actor, role_id.0).await?;
        Ok(NoContent::Done)
    }
}
