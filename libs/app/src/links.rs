//! Absolute addresses made from configuration alone (never from a request): a tenant's site
//! by its slug, and the host that names the deployment in stable identifiers.

use crate::config::Config;

/// A tenant's site by slug: `{slug}.{base domain}` with the public URL's scheme and port,
/// or the public URL with the `/t/{slug}` prefix when the deployment has no base domain.
pub fn site_of_tenant(config: &Config, slug: &str) -> String {
    let scheme = config.public_url.scheme();
    match &config.base_domain {
        Some(base) => format!("{scheme}://{slug}.{base}{}", port_of(config)),
        None => format!(
            "{}/t/{slug}",
            config.public_url.as_str().trim_end_matches('/')
        ),
    }
}

/// The host that names this deployment in stable identifiers (calendar UIDs, message ids).
pub fn deployment_host(config: &Config) -> String {
    config
        .base_domain
        .clone()
        .or_else(|| config.public_url.host_str().map(str::to_owned))
        .unwrap_or_else(|| "localhost".to_owned())
}

pub fn port_of(config: &Config) -> String {
    config
        .public_url
        .port()
        .map(|p| format!(":{p}"))
        .unwrap_or_default()
}
