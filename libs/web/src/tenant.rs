//! Tenant resolution: from the Host (`{slug}.{base}` or a registered custom domain), a
//! `/t/{slug}/…` path prefix, or (the API's one base URL) the API key of a request to
//! `/api/v1/…` on the platform's host. The tenant's pages and API are served below it; everything
//! else is the platform's own site.

use std::sync::Arc;

pub use pitlane_app::tenants::TenantCache;
use pitlane_domain::ids::TenantId;
use pitlane_store::{Store, TenantCtx, entity::tenant};
use poem::{Endpoint, IntoResponse, Request, Response, http::uri::PathAndQuery};

/// The tenant a request is for, and how its links are written.
#[derive(Clone, Debug)]
pub struct TenantScope {
    pub tenant: Arc<tenant::Model>,
    /// `""` when the tenant is the host, `/t/{slug}` when it came from the path.
    pub base: String,
    /// The tenant's own (DNS-verified) custom domain, when the request came through one:
    /// links made for this request may point there.
    pub verified_host: Option<String>,
}

impl TenantScope {
    pub fn ctx(&self) -> TenantCtx {
        TenantCtx::new(TenantId(self.tenant.id))
    }

    pub fn tenant_id(&self) -> TenantId {
        TenantId(self.tenant.id)
    }

    /// A link within this tenant's site.
    pub fn link(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }
}

enum Target {
    Platform,
    /// A tenant slug, and the path prefix it came from (empty for hosts).
    Slug(String, String),
    CustomHost(String),
    /// `/api/v1/...` on the platform's host: the workshop of the API key it carries (by the
    /// hash of its secret), the API's one base URL; `None` when it carries no key.
    ApiKey(Option<String>),
}

fn host_of(req: &Request) -> Option<String> {
    let raw = req
        .headers()
        .get(poem::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| req.uri().host())?;
    // Strip the port; IPv6 literals are never tenant hosts.
    let host = if raw.starts_with('[') {
        raw
    } else {
        raw.split(':').next().unwrap_or(raw)
    };
    Some(host.trim_end_matches('.').to_ascii_lowercase())
}

fn target(req: &Request, base_domain: Option<&str>, platform_hosts: &[String]) -> Target {
    let by_host = match host_of(req) {
        None => Target::Platform,
        Some(host) => target_of_host(host, base_domain, platform_hosts),
    };
    // `/t/{slug}/…` is the platform's way to reach a workshop: never honoured under a
    // workshop's own host, so one workshop's domain cannot serve another's pages.
    if let Target::Platform = by_host
        && let Some(rest) = req.uri().path().strip_prefix("/t/")
    {
        let slug = rest
            .split('/')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        return Target::Slug(slug.clone(), format!("/t/{slug}"));
    }
    if let Target::Platform = by_host
        && is_api_path(req.uri().path())
    {
        return Target::ApiKey(api_key_hash(req));
    }
    by_host
}

fn is_api_path(path: &str) -> bool {
    path == "/api/v1" || path.starts_with("/api/v1/")
}

/// The lookup hash of a `Bearer` API key, when the request carries one.
fn api_key_hash(req: &Request) -> Option<String> {
    let value = req
        .headers()
        .get(poem::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    pitlane_identity::api_keys::lookup_hash(value.strip_prefix("Bearer ")?)
}

fn target_of_host(host: String, base_domain: Option<&str>, platform_hosts: &[String]) -> Target {
    if platform_hosts.contains(&host) {
        return Target::Platform;
    }
    if let Some(base) = base_domain {
        if host == base || host == format!("www.{base}") {
            return Target::Platform;
        }
        if let Some(slug) = host.strip_suffix(&format!(".{base}"))
            && !slug.contains('.')
        {
            return Target::Slug(slug.to_owned(), String::new());
        }
    }
    if host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[') || host == "localhost" {
        return Target::Platform;
    }
    Target::CustomHost(host)
}

/// Why a request for a workshop is refused before it reaches the workshop's routes. This layer
/// only decides; the page kit (a themed page, or problem+json under `/api/`) renders it, given
/// as `refuse`, so tenant resolution stays below the pages.
#[derive(Debug, Clone)]
pub enum TenantRefusal {
    /// No workshop at this slug or host (the label is what was asked for).
    Unknown { label: String },
    /// The workshop's account is suspended; its data is kept.
    Suspended { name: String },
    /// A change refused while the workshop is read-only for non-payment; the banner says why.
    ReadOnly { banner: String },
    /// An API request at the one base URL without a key, or with one that is no workshop's.
    UnknownKey,
}

/// Renders a refusal: `is_api` asks for problem+json instead of a page.
pub type RenderRefusal = fn(&TenantRefusal, bool) -> Response;

/// Routes each request to the tenant's site or the platform's, after resolving the tenant.
pub struct TenantDispatch<T, P> {
    pub refuse: RenderRefusal,
    pub tenant_app: T,
    pub platform_app: P,
    pub store: Store,
    pub cache: Arc<TenantCache>,
    pub base_domain: Option<String>,
    /// Hosts that always mean the platform (the public URL's host).
    pub platform_hosts: Vec<String>,
    /// The platform bills workshops for their plan (Stripe is configured): a workshop past
    /// due becomes read-only. A self-hosted deployment without Stripe has no plans to enforce.
    pub plans_enforced: bool,
}

impl<T: Endpoint, P: Endpoint> Endpoint for TenantDispatch<T, P> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> poem::Result<Response> {
        let is_api = req.uri().path().contains("/api/");
        // What was asked for, refused as unknown when no workshop answers to it.
        let (tenant, base, unknown, verified_host) =
            match target(&req, self.base_domain.as_deref(), &self.platform_hosts) {
                Target::Platform => {
                    return self
                        .platform_app
                        .call(req)
                        .await
                        .map(IntoResponse::into_response);
                }
                Target::Slug(slug, base) => (
                    self.cache.by_slug(&self.store, &slug).await,
                    base,
                    TenantRefusal::Unknown { label: slug },
                    None,
                ),
                Target::CustomHost(host) => (
                    self.cache.by_host(&self.store, &host).await,
                    String::new(),
                    TenantRefusal::Unknown {
                        label: host.clone(),
                    },
                    Some(host),
                ),
                Target::ApiKey(None) => {
                    return Ok((self.refuse)(&TenantRefusal::UnknownKey, is_api));
                }
                Target::ApiKey(Some(hash)) => (
                    self.cache.by_api_key(&self.store, &hash).await,
                    String::new(),
                    TenantRefusal::UnknownKey,
                    None,
                ),
            };
        let tenant = match tenant {
            // A workshop waiting for its owner's confirmation serves nothing yet.
            Ok(Some(tenant)) if !tenant.awaiting_owner => tenant,
            Ok(_) => return Ok((self.refuse)(&unknown, is_api)),
            Err(err) => {
                tracing::error!(error = %err, "resolving tenant");
                return Err(poem::Error::from_status(
                    poem::http::StatusCode::SERVICE_UNAVAILABLE,
                ));
            }
        };
        tracing::Span::current().record("tenant", tenant.slug.as_str());
        if tenant.is_suspended() {
            let refusal = TenantRefusal::Suspended {
                name: tenant.name.clone(),
            };
            return Ok((self.refuse)(&refusal, is_api));
        }
        if !base.is_empty() {
            strip_prefix(&mut req, &base);
        }
        if let Some(banner) = self
            .plans_enforced
            .then(|| refused_while_read_only(&req, &tenant))
            .flatten()
        {
            return Ok((self.refuse)(&TenantRefusal::ReadOnly { banner }, is_api));
        }
        req.extensions_mut().insert(TenantScope {
            tenant,
            base,
            verified_host,
        });
        self.tenant_app
            .call(req)
            .await
            .map(IntoResponse::into_response)
    }
}

/// A workshop past its grace period (or its trial) may read, pay and choose a plan, but
/// staff changes are refused with the banner saying what to do.
fn refused_while_read_only(req: &Request, tenant: &tenant::Model) -> Option<String> {
    use pitlane_billing::subscriptions::Standing;
    if matches!(
        *req.method(),
        poem::http::Method::GET | poem::http::Method::HEAD | poem::http::Method::OPTIONS
    ) {
        return None;
    }
    let standing = Standing::of(tenant, chrono::Utc::now());
    if standing.allows_changes() {
        return None;
    }
    let path = req.uri().path();
    let staff_change = path.starts_with("/portal") || path.starts_with("/api/v1");
    let always_open = [
        "/portal/settings/plan",
        "/portal/settings/payments",
        "/api/v1/billing",
    ];
    if !staff_change || always_open.iter().any(|p| path.starts_with(p)) {
        return None;
    }
    standing.banner()
}

/// `/t/demo/portal?x=1` → `/portal?x=1`, so the tenant's routes are the same in both modes.
fn strip_prefix(req: &mut Request, base: &str) {
    let uri = req.uri().clone();
    let rest = uri.path().strip_prefix(base).unwrap_or("/");
    let path = if rest.is_empty() { "/" } else { rest };
    let path_and_query = match uri.query() {
        Some(q) => format!("{path}?{q}"),
        None => path.to_owned(),
    };
    let mut parts = uri.into_parts();
    parts.path_and_query = PathAndQuery::try_from(path_and_query.as_str()).ok();
    if let Ok(new_uri) = poem::http::Uri::from_parts(parts) {
        *req.uri_mut() = new_uri;
    }
}
