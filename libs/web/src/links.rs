//! Absolute addresses of a tenant's site, for links that leave the browser (e-mails, SMS,
//! redirects to other hosts, Stripe's return addresses, calendar ids).
//!
//! They come from configuration alone, never from the request's `Host` (or any other
//! header): `{slug}.{PITLANE_BASE_DOMAIN}`, `{PITLANE_PUBLIC_URL}/t/{slug}`, or the tenant's
//! own custom domain, which only resolves once the tenant has proved by DNS that it owns it.
//! The request only chooses among these forms (the one it came through, so a sign-in that
//! passes through another host comes back to the same one); it never supplies a host name.

pub use pitlane_app::links::{deployment_host, site_of_tenant};
use pitlane_app::{Config, links::port_of};

use crate::tenant::TenantScope;

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
