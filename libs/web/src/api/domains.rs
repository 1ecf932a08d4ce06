use chrono::{DateTime, Utc};
use pitlane_store::entity::tenant_domain;
use pitlane_tenancy::domains;
use poem::web::Data;
use poem_openapi::{ApiResponse, Object, OpenApi, param::Path, payload::Json, types::Example};
use uuid::Uuid;

use super::{ApiTags, Caller};
use crate::{problem::Problem, state::AppState};

/// A host name that serves the workshop's pages once the workshop has proved by DNS that it
/// owns it.
#[derive(Object)]
pub struct Domain {
    pub id: Uuid,
    pub host: String,
    pub created_at: DateTime<Utc>,
    /// Whether the domain serves the workshop's pages and appears in its links.
    pub verified: bool,
    pub verified_at: Option<DateTime<Utc>>,
    /// The TXT record to publish: its name and value.
    pub verification_record: VerificationRecord,
    /// When Pitlane last looked, and what was wrong then.
    pub checked_at: Option<DateTime<Utc>>,
    pub check_error: Option<String>,
}

/// The DNS TXT record that proves the workshop owns a host.
#[derive(Object)]
pub struct VerificationRecord {
    /// `_pitlane-challenge.{host}`
    pub name: String,
    /// `pitlane-verify={token}`
    pub value: String,
}

/// A host name to add. Point its DNS at the platform first.
#[derive(Object)]
#[oai(example)]
pub struct DomainWrite {
    pub host: String,
}

impl Example for DomainWrite {
    fn example() -> Self {
        Self {
            host: "service.joes-garage.example".into(),
        }
    }
}

/// All the workshop's custom domains.
#[derive(Object)]
pub struct DomainList {
    pub items: Vec<Domain>,
}

#[derive(ApiResponse)]
pub enum Created {
    /// The domain was added.
    #[oai(status = 201)]
    Created(Json<Domain>),
}

#[derive(ApiResponse)]
pub enum Deleted {
    /// The domain was removed.
    #[oai(status = 204)]
    Deleted,
}

fn to_api(d: tenant_domain::Model) -> Domain {
    let (name, value) = domains::challenge(&d);
    Domain {
        id: d.id,
        verified: d.verified_at.is_some(),
        verified_at: d.verified_at,
        verification_record: VerificationRecord { name, value },
        checked_at: d.checked_at,
        check_error: d.check_error,
        host: d.host,
        created_at: d.created_at,
    }
}

pub struct DomainsApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Domains")]
impl DomainsApi {
    /// List custom domains
    ///
    /// Needs `tenant.read`.
    #[oai(path = "/domains", method = "get", operation_id = "list_domains")]
    async fn list(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
    ) -> Result<Json<DomainList>, Problem> {
        let rows = domains::list(&state.store, &auth.actor).await?;
        Ok(Json(DomainList {
            items: rows.into_iter().map(to_api).collect(),
        }))
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
    ) -> Result<Created, Problem> {
        let base = state.config.base_domain.as_deref();
        let row = domains::add(&state.store, &auth.actor, &body.0.host, base).await?;
        Ok(Created::Created(Json(to_api(row))))
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
        Ok(Json(to_api(
            domains::get(&state.store, &auth.actor, domain_id.0).await?,
        )))
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
        Ok(Json(to_api(row)))
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
    ) -> Result<Deleted, Problem> {
        domains::remove(&state.store, &auth.actor, domain_id.0).await?;
        state.tenants.invalidate(auth.actor.tenant_id);
        Ok(Deleted::Deleted)
    }
}
