//! Absolute addresses of a tenant's site, for links that leave the browser (e-mails).

use poem::Request;

use crate::{config::Config, tenant::TenantScope};

/// The site as this request reached it: the same host (subdomain, custom domain or the
/// platform host with its `/t/{slug}` prefix) and the public URL's scheme.
pub fn site_of_request(config: &Config, req: &Request, scope: &TenantScope) -> String {
    let scheme = config.public_url.scheme();
    let host = req
        .headers()
        .get(poem::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned)
        .unwrap_or_else(|| {
            config
                .public_url
                .host_str()
                .unwrap_or("localhost")
                .to_owned()
        });
    format!("{scheme}://{host}{}", scope.base)
}

/// A tenant's site by slug: `{slug}.{base domain}` when the deployment has one, otherwise the
/// public URL with the `/t/{slug}` prefix.
pub fn site_of_slug(config: &Config, slug: &str) -> String {
    let public = config.public_url.as_str().trim_end_matches('/');
    match &config.base_domain {
        Some(base) => {
            let scheme = config.public_url.scheme();
            let port = config
                .public_url
                .port()
                .map(|p| format!(":{p}"))
                .unwrap_or_default();
            format!("{scheme}://{slug}.{base}{port}")
        }
        None => format!("{public}/t/{slug}"),
    }
}
