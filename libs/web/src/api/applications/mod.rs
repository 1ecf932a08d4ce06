//! `/applications`: mechanics' applications to work for the workshop.

pub(crate) mod json;

use pitlane_identity::applications;
use poem::{Request, web::Data};
use poem_openapi::{
    OpenApi,
    param::{Path, Query},
    payload::Json,
};
use uuid::Uuid;

use self::json::MechanicApplication;
use super::{
    ApiTags, Caller,
    shapes::{Page, PageQuery},
};
use crate::{links::site_of, problem::Problem, tenant::TenantScope};
use pitlane_app::state::AppState;

pub struct ApplicationsApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Staff")]
impl ApplicationsApi {
    /// List mechanic applications
    ///
    /// Needs `staff.manage`. Pending first, then the others; newest first within each.
    #[oai(
        path = "/applications",
        method = "get",
        operation_id = "list_mechanic_applications"
    )]
    async fn list(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1–200 (default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<Page<MechanicApplication>>, Problem> {
        let rows = applications::list(&state.store, &auth.actor).await?;
        let items = rows.into_iter().map(MechanicApplication::from).collect();
        let page = PageQuery::new(cursor.0, limit.0);
        Ok(Json(Page::from_ordered(items, &page, |item| item.id)?))
    }

    /// Get a mechanic application
    ///
    /// Needs `staff.manage`.
    #[oai(
        path = "/applications/:application_id",
        method = "get",
        operation_id = "get_mechanic_application"
    )]
    async fn get(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        application_id: Path<Uuid>,
    ) -> Result<Json<MechanicApplication>, Problem> {
        let row = applications::get(&state.store, &auth.actor, application_id.0).await?;
        Ok(Json(row.into()))
    }

    /// Approve a mechanic application
    ///
    /// Needs `staff.manage`. Invites the applicant as a mechanic of the branches they chose.
    #[oai(
        path = "/applications/:application_id/approve",
        method = "post",
        operation_id = "approve_mechanic_application"
    )]
    async fn approve(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        req: &Request,
        application_id: Path<Uuid>,
    ) -> Result<Json<MechanicApplication>, Problem> {
        decide(&state, req, &auth, application_id.0, true).await
    }

    /// Reject a mechanic application
    ///
    /// Needs `staff.manage`.
    #[oai(
        path = "/applications/:application_id/reject",
        method = "post",
        operation_id = "reject_mechanic_application"
    )]
    async fn reject(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        req: &Request,
        application_id: Path<Uuid>,
    ) -> Result<Json<MechanicApplication>, Problem> {
        decide(&state, req, &auth, application_id.0, false).await
    }
}

/// Approves or rejects an application; approval invites from the workshop's site as reached.
async fn decide(
    state: &AppState,
    req: &Request,
    auth: &crate::session::Auth,
    id: Uuid,
    approve: bool,
) -> Result<Json<MechanicApplication>, Problem> {
    let scope = req
        .extensions()
        .get::<TenantScope>()
        .ok_or(pitlane_domain::ServiceError::NotFound)?;
    let site = site_of(&state.config, scope);
    let row =
        applications::decide(&state.identity, &auth.actor, &auth.name, id, approve, &site).await?;
    Ok(Json(row.into()))
}
