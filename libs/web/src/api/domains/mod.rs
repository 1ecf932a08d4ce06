//! `/domains`: custom host names for the workshop's pages.

pub(crate) mod json;

use pitlane_tenancy::domains;
use poem::web::Data;
use poem_openapi::{
    OpenApi,
    param::{Path, Query},
    payload::Json,
};
use uuid::Uuid;

use self::json::{Domain, DomainWrite};
use super::{
    ApiTags, Caller,
    shapes::{Created, NoContent, Page, PageQuery},
};
use crate::problem::Problem;
use pitlane_app::state::AppState;

pub struct DomainsApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Domains")]
impl DomainsApi {
    /// List custom domains
    ///
    /// Needs `tenant.read`. In the order they were added.
    #[oai(path = "/domains", method = "get", operation_id = "list_domains")]
    async fn list(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1–200 (default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<Page<Domain>>, Problem> {
        let rows = domains::list(&state.store, &auth.actor).await?;
        let items = rows.into_iter().map(Domain::from).collect();
        let page = PageQuery::new(cursor.0, limit.0);
        Ok(Json(Page::from_ordered(items, &page, |item| item.id)?))
    }

    /// Add a custom domain
    ///
    /// Needs `settings.manage`. A host can serve one workshop only.
    #[oai(path = "/domains", method = "post", operation_id = "add_domain")]
    async fn add(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        body: Json<DomainWrite>,
    ) -> Result<Created<Domain>, Problem> {
        let base = state.config.base_domain.as_deref();
        let row = domains::add(&state.store, &auth.actor, &body.0.host, base).await?;
        Ok(Created::new(row))
    }

    /// Get a custom domain
    ///
    /// Needs `tenant.read`.
    #[oai(
        path = "/domains/:domain_id",
        method = "get",
        operation_id = "get_domain"
    )]
    async fn get(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        domain_id: Path<Uuid>,
    ) -> Result<Json<Domain>, Problem> {
        let row = domains::get(&state.store, &auth.actor, domain_id.0).await?;
        Ok(Json(row.into()))
    }

    /// Check a custom domain's DNS record now
    ///
    /// Needs `settings.manage`. Looks up the TXT record `verification_record` names: found,
    /// the domain is verified and serves the workshop's pages; not found, 422 says what to
    /// publish. Pitlane also checks every hour by itself.
    #[oai(
        path = "/domains/:domain_id/verify",
        method = "post",
        operation_id = "verify_domain"
    )]
    async fn verify(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        domain_id: Path<Uuid>,
    ) -> Result<Json<Domain>, Problem> {
        let row =
            domains::verify(&state.store, state.dns.as_ref(), &auth.actor, domain_id.0).await?;
        state.tenants.invalidate(auth.actor.tenant_id);
        Ok(Json(row.into()))
    }

    /// Remove a custom domain
    ///
    /// Needs `settings.manage`.
    #[oai(
        path = "/domains/:domain_id",
        method = "delete",
        operation_id = "remove_domain"
    )]
    async fn remove(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        domain_id: Path<Uuid>,
    ) -> Result<NoContent, Problem> {
        domains::remove(&state.store, &auth.actor, domain_id.0).await?;
        state.tenants.invalidate(auth.actor.tenant_id);
        Ok(NoContent::Done)
    }
}
