//! Absolute addresses of a tenant's site, for links that leave the browser (e-mails, SMS,
//! redirects to other hosts, Stripe's return addresses, calendar ids).
//!
//! They come from configuration alone, never from the request's `Host` (or any other
//! header): `{slug}.{PITLANE_BASE_DOMAIN}`, `{PITLANE_PUBLIC_URL}/t/{slug}`, or the tenant's
//! own custom domain, which only resolves once the tenant has proved by DNS that it owns it.
//! The request only chooses among these forms (the one it came through, so a sign-in that
//! passes through another host comes back to the same one); it never supplies a host name.

use crate::{config::Config, tenant::TenantScope};

/// The tenant's site for links made while serving one of its requests.
pub fn site_of(config: &Config, scope: &TenantScope) -> String {
    match &scope.verified_host {
        Some(host) => format!("{}://{host}{}", config.public_url.scheme(), port_of(config)),
        // Reached as `/t/{slug}` on the platform's address.
        None if !scope.base.is_empty() => format!(
            "{}{}",
            config.public_url.as_str().trim_end_matches('/'),
            scope.base
        ),
        None => site_of_tenant(config, &scope.tenant.slug),
    }
}

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

fn port_of(config: &Config) -> String {
    config
        .public_url
        .port()
        .map(|p| format!(":{p}"))
        .unwrap_or_default()
}
