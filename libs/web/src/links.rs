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

/// A tenant's site by slug, for a request to the platform's own site: `{slug}.{base domain}`
/// when the deployment has one, otherwise the platform's address with the `/t/{slug}` prefix.
/// The port is the public URL's, or else the one this request came to.
pub fn site_of_slug(config: &Config, req: &Request, slug: &str) -> String {
    let request_port = req
        .headers()
        .get(poem::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.rsplit_once(':'))
        .and_then(|(_, port)| port.parse::<u16>().ok());
    site_of_tenant(config, slug, request_port)
}

/// A tenant's site with no request at hand (messages from background sweeps): as
/// [`site_of_slug`], with `port` when the public URL has none.
pub fn site_of_tenant(config: &Config, slug: &str, port: Option<u16>) -> String {
    let scheme = config.public_url.scheme();
    let port = config
        .public_url
        .port()
        .or(port)
        .map(|p| format!(":{p}"))
        .unwrap_or_default();
    match &config.base_domain {
        Some(base) => format!("{scheme}://{slug}.{base}{port}"),
        None => {
            let host = config.public_url.host_str().unwrap_or("localhost");
            format!("{scheme}://{host}{port}/t/{slug}")
        }
    }
}
