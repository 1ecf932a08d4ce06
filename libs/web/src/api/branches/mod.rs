//! `/branches`: the workshop's locations.

pub(crate) mod json;
pub mod roadside_settings;
pub mod workshop_rates;

use pitlane_tenancy::branches::{self, BranchInput};
use poem::web::Data;
use poem_openapi::{
    OpenApi,
    param::{Path, Query},
    payload::Json,
};
use uuid::Uuid;

use self::json::{Branch, BranchWrite};
use super::{
    ApiTags, Caller,
    shapes::{Created, Page, PageQuery},
};
use crate::problem::Problem;
use pitlane_app::state::AppState;

pub struct BranchesApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Branches")]
impl BranchesApi {
    /// List branches
    ///
    /// Needs `tenant.read`. In creation order.
    #[oai(path = "/branches", method = "get", operation_id = "list_branches")]
    async fn list(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1–200 (default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<Page<Branch>>, Problem> {
        let page = PageQuery::new(cursor.0, limit.0);
        let found =
            branches::list(&state.store, &auth.actor, page.cursor_id()?, page.limit).await?;
        Ok(Json(Page::of(found.items, found.next)))
    }

    /// Create a branch
    ///
    /// Needs `settings.manage`.
    #[oai(path = "/branches", method = "post", operation_id = "create_branch")]
    async fn create(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        req: &poem::Request,
        body: Json<BranchWrite>,
    ) -> Result<Created<Branch>, Problem> {
        let input: BranchInput = body.0.try_into()?;
        pitlane_billing::subscriptions::allow_one_more(
            &state.billing,
            &auth.actor,
            pitlane_billing::subscriptions::Limit::Branches,
            &super::site(&state, req)?,
        )
        .await?;
        let created = branches::create(&state.store, &auth.actor, input).await?;
        Ok(Created::new(created))
    }

    /// Get a branch
    ///
    /// Needs `tenant.read`.
    #[oai(
        path = "/branches/:branch_id",
        method = "get",
        operation_id = "get_branch"
    )]
    async fn get(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        branch_id: Path<Uuid>,
    ) -> Result<Json<Branch>, Problem> {
        let branch = branches::get(&state.store, &auth.actor, branch_id.0).await?;
        Ok(Json(branch.into()))
    }

    /// Change a branch
    ///
    /// Needs `settings.manage`. All fields are replaced (business hours only when sent).
    /// Moving a branch to another time zone moves its documents to other local days: the
    /// report figures are rebuilt in the same transaction.
    #[oai(
        path = "/branches/:branch_id",
        method = "put",
        operation_id = "update_branch"
    )]
    async fn update(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        branch_id: Path<Uuid>,
        body: Json<BranchWrite>,
    ) -> Result<Json<Branch>, Problem> {
        let input: BranchInput = body.0.try_into()?;
        let updated = pitlane_reports::figures::update_branch(
            &state.reports,
            &auth.actor,
            branch_id.0,
            input,
        )
        .await?;
        Ok(Json(updated.into()))
    }
}
