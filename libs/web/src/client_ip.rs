//! The address a request came from, for throttles, abuse limits and the audit log.
//!
//! Behind an ingress the socket's peer is the proxy, and `X-Forwarded-For` is whatever the
//! client wrote plus what each proxy appended. So the header is believed only as far as
//! proxies the deployment names (`PITLANE_TRUSTED_PROXIES`): walking it from the right, the
//! first address that is not a trusted proxy is the client. With no trusted proxies the
//! header is ignored and the peer is the client.

use std::net::IpAddr;

use ipnet::IpNet;
use poem::{Endpoint, Middleware, Request};

/// The client's address, put in the request by [`ResolveClientIp`].
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub Option<IpAddr>);

pub use pitlane_app::config::parse_trusted;

/// The client of a request whose peer is `peer`, given the forwarding headers.
pub fn resolve(
    peer: Option<IpAddr>,
    forwarded_for: &[&str],
    forwarded: &[&str],
    trusted: &[IpNet],
) -> Option<IpAddr> {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    let peer = peer?;
    if !is_trusted(&peer) {
        return Some(peer);
    }
    // Every hop, left (the original client) to right (the proxy nearest to us).
    let mut hops: Vec<IpAddr> = Vec::new();
    if forwarded.is_empty() {
        for header in forwarded_for {
            hops.extend(header.split(',').filter_map(|h| parse_hop(h.trim())));
        }
    } else {
        for header in forwarded {
            for element in header.split(',') {
                let for_value = element.split(';').find_map(|pair| {
                    let (key, value) = pair.trim().split_once('=')?;
                    key.trim()
                        .eq_ignore_ascii_case("for")
                        .then(|| value.trim().trim_matches('"'))
                });
                if let Some(ip) = for_value.and_then(parse_hop) {
                    hops.push(ip);
                }
            }
        }
    }
    let client = hops.iter().rev().find(|ip| !is_trusted(ip)).copied();
    // Every hop trusted: the leftmost is as far as anyone can tell.
    client.or_else(|| hops.first().copied()).or(Some(peer))
}

/// One hop: `203.0.113.7`, `203.0.113.7:4711`, `[2001:db8::1]:4711` or `2001:db8::1`.
fn parse_hop(raw: &str) -> Option<IpAddr> {
    if let Ok(ip) = raw.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Some(rest) = raw.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    raw.rsplit_once(':')?.0.parse().ok()
}

/// Puts [`ClientIp`] into every request.
pub struct ResolveClientIp {
    pub trusted: std::sync::Arc<Vec<IpNet>>,
}

impl<E: Endpoint> Middleware<E> for ResolveClientIp {
    type Output = ResolveClientIpEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        ResolveClientIpEndpoint {
            inner: ep,
            trusted: self.trusted.clone(),
        }
    }
}

pub struct ResolveClientIpEndpoint<E> {
    inner: E,
    trusted: std::sync::Arc<Vec<IpNet>>,
}

impl<E: Endpoint> Endpoint for ResolveClientIpEndpoint<E> {
    type Output = E::Output;

    async fn call(&self, mut req: Request) -> poem::Result<Self::Output> {
        let peer = req.remote_addr().as_socket_addr().map(|a| a.ip());
        let values = |name: &str| -> Vec<String> {
            req.headers()
                .get_all(name)
                .iter()
                .filter_map(|v| v.to_str().ok().map(str::to_owned))
                .collect()
        };
        let forwarded_for = values("x-forwarded-for");
        let forwarded = values("forwarded");
        let forwarded_for: Vec<&str> = forwarded_for.iter().map(String::as_str).collect();
        let forwarded: Vec<&str> = forwarded.iter().map(String::as_str).collect();
        let client = resolve(peer, &forwarded_for, &forwarded, &self.trusted);
        req.extensions_mut().insert(ClientIp(client));
        self.inner.call(req).await
    }
}

/// The client's address as text, for throttles and the audit log.
pub fn client_ip(req: &Request) -> Option<String> {
    match req.extensions().get::<ClientIp>() {
        Some(ClientIp(ip)) => ip.map(|ip| ip.to_string()),
        None => req
            .remote_addr()
            .as_socket_addr()
            .map(|a| a.ip().to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn the_header_counts_only_behind_trusted_proxies() {
        let trusted = parse_trusted("10.0.0.0/8, 192.0.2.1").unwrap();
        // Straight from the internet: the header is the client's own words.
        assert_eq!(
            resolve(Some(ip("198.51.100.9")), &["1.2.3.4"], &[], &trusted),
            Some(ip("198.51.100.9"))
        );
        // Behind the ingress: the first untrusted hop from the right.
        assert_eq!(
            resolve(
                Some(ip("10.1.2.3")),
                &["1.2.3.4, 203.0.113.7, 192.0.2.1"],
                &[],
                &trusted
            ),
            Some(ip("203.0.113.7")),
            "a spoofed leftmost entry is not believed"
        );
        assert_eq!(
            resolve(
                Some(ip("10.1.2.3")),
                &[],
                &["for=\"[2001:db8::1]:4711\";proto=https, for=10.0.0.5"],
                &trusted
            ),
            Some(ip("2001:db8::1"))
        );
        // No trusted proxies: the header is never read.
        assert_eq!(
            resolve(Some(ip("10.1.2.3")), &["1.2.3.4"], &[], &[]),
            Some(ip("10.1.2.3"))
        );
        assert!(parse_trusted("10.0.0.0/8, nonsense").is_err());
    }
}
