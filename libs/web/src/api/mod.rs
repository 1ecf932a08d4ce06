//! The REST API under `/api/v1`, documented by poem-openapi. Handlers are thin: they turn the
//! request into service input and the service's answer into JSON; errors are problem+json.

mod branches;
mod domains;
mod me;
mod messages;
mod notifications;
mod templates;
mod tenant;

use poem::Request;
use poem_openapi::{OpenApiService, SecurityScheme, Tags, auth::ApiKey};

use crate::session::Auth;

#[derive(Tags)]
pub enum ApiTags {
    /// Who is calling, and their notifications.
    Session,
    /// The workshop's own settings and brand.
    Workshop,
    /// The workshop's locations.
    Branches,
    /// Custom host names for the workshop's pages.
    Domains,
    /// E-mail and SMS to customers and staff: delivery state, dead letters, sender settings,
    /// templates, received SMS.
    Messages,
}

/// A signed-in member of the workshop, by the portal's session cookie.
/// Every `/api/v1` operation is scoped to the workshop of the host (or `/t/{slug}` prefix).
#[derive(SecurityScheme)]
#[oai(
    ty = "api_key",
    key_name = "pitlane_session",
    key_in = "cookie",
    checker = "signed_in_member"
)]
pub struct StaffSession(pub Auth);

async fn signed_in_member(req: &Request, _cookie: ApiKey) -> Option<Auth> {
    req.extensions().get::<Auth>().cloned()
}

pub type Apis = (
    me::MeApi,
    tenant::TenantApi,
    branches::BranchesApi,
    domains::DomainsApi,
    messages::MessagesApi,
    templates::TemplatesApi,
    notifications::NotificationsApi,
);

pub fn service() -> OpenApiService<Apis, ()> {
    OpenApiService::new(
        (
            me::MeApi,
            tenant::TenantApi,
            branches::BranchesApi,
            domains::DomainsApi,
            messages::MessagesApi,
            templates::TemplatesApi,
            notifications::NotificationsApi,
        ),
        "Pitlane API",
        env!("CARGO_PKG_VERSION"),
    )
    .description(
        "The Pitlane workshop API. Every operation acts within one workshop (tenant), chosen by the \
         host name (`{slug}.{base domain}` or a custom domain) or a `/t/{slug}` path prefix. \
         Errors are RFC 9457 problem documents (`application/problem+json`). Lists are paged with \
         `cursor` and `limit`; pass the `next_cursor` of one page as the `cursor` of the next.",
    )
}

/// The page size of list operations: 50 unless asked, at most 200.
pub fn page_limit(limit: Option<u64>) -> u64 {
    limit.unwrap_or(50).clamp(1, 200)
}
