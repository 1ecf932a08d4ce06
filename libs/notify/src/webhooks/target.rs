//! Where a webhook may be delivered. Integrators name any URL, so a URL is a way into the
//! deployment's own network (server-side request forgery): the metadata service at
//! 169.254.169.254, the database, Redis, an admin page on loopback. So an endpoint's URL is
//! checked when it is registered, and before each delivery its host is resolved once and
//! every address it resolves to checked; the delivery then connects to that address (the name
//! stays in the `Host` header and TLS), so a name that answers a public address when checked
//! and an internal one a moment later (DNS rebinding) still reaches nothing inside.
//!
//! Loopback, private, link-local, shared (carrier NAT), multicast, reserved and documentation
//! ranges are refused, in IPv4 and IPv6 (IPv4-mapped and NAT64 addresses by the IPv4 address
//! inside) unless the operator allows them (`allow_private`: a self-hosted workshop whose
//! accounting server is on its own network, or the tests' receiver on 127.0.0.1).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::Url;

/// What the operator allows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TargetPolicy {
    /// Deliver to private and loopback addresses too, and over plain `http`.
    pub allow_private: bool,
}

/// Why a URL is not a place a delivery may go; the message is for the person registering it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("must be an https:// address")]
    NotHttps,
    #[error(
        "must not contain a user name or password; send credentials in the payload's receiver instead"
    )]
    Credentials,
    #[error("must name a host")]
    NoHost,
    #[error("{0} is an internal address (loopback, private, link-local or reserved)")]
    Internal(IpAddr),
    #[error("the host could not be found")]
    Unresolved,
}

/// Checks an endpoint's URL as it is registered.
pub fn check_url(raw: &str, policy: TargetPolicy) -> Result<Url, Refused> {
    let url = Url::parse(raw.trim()).map_err(|_| Refused::NoHost)?;
    match url.scheme() {
        "https" => {}
        "http" if policy.allow_private => {}
        _ => return Err(Refused::NotHttps),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Refused::Credentials);
    }
    match url.host() {
        None => Err(Refused::NoHost),
        Some(url::Host::Ipv4(ip)) => allowed(IpAddr::V4(ip), policy).map(|()| url.clone()),
        Some(url::Host::Ipv6(ip)) => allowed(IpAddr::V6(ip), policy).map(|()| url.clone()),
        Some(url::Host::Domain(name))
            if name.eq_ignore_ascii_case("localhost") || name.ends_with(".localhost") =>
        {
            allowed(IpAddr::V4(Ipv4Addr::LOCALHOST), policy).map(|()| url.clone())
        }
        Some(url::Host::Domain(_)) => Ok(url.clone()),
    }
}

/// Resolves the URL's host once and checks every address it has; the address to connect to.
pub async fn resolve(url: &Url, policy: TargetPolicy) -> Result<SocketAddr, Refused> {
    let host = url.host_str().ok_or(Refused::NoHost)?;
    let port = url.port_or_known_default().ok_or(Refused::NoHost)?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|_| Refused::Unresolved)?
        .collect();
    // One internal address among public ones is refused too: which one a client picks is not
    // ours to know.
    for address in &addresses {
        allowed(address.ip(), policy)?;
    }
    addresses.first().copied().ok_or(Refused::Unresolved)
}

fn allowed(ip: IpAddr, policy: TargetPolicy) -> Result<(), Refused> {
    if policy.allow_private || is_public(ip) {
        Ok(())
    } else {
        Err(Refused::Internal(ip))
    }
}

/// Whether an address is on the public internet.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        // Shared address space (carrier-grade NAT), 100.64.0.0/10.
        || (a == 100 && (64..128).contains(&b))
        // IETF protocol assignments, 192.0.0.0/24.
        || (a == 192 && b == 0 && c == 0)
        // Benchmarking, 198.18.0.0/15.
        || (a == 198 && (b == 18 || b == 19))
        // Reserved, 240.0.0.0/4.
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let segments = ip.segments();
    // NAT64 (64:ff9b::/96) reaches the IPv4 address inside.
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let [a, b] = segments[6].to_be_bytes();
        let [c, d] = segments[7].to_be_bytes();
        return is_public_v4(Ipv4Addr::new(a, b, c, d));
    }
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        // Unique local, fc00::/7 (a cloud's metadata service among them).
        || (segments[0] & 0xfe00) == 0xfc00
        // Link-local, fe80::/10.
        || (segments[0] & 0xffc0) == 0xfe80
        // Documentation, 2001:db8::/32.
        || (segments[0] == 0x2001 && segments[1] == 0x0db8)
        // IPv4-compatible (deprecated), ::/96.
        || segments[..6] == [0, 0, 0, 0, 0, 0])
}

#[cfg(test)]
mod tests {
    use super::*;

    const STRICT: TargetPolicy = TargetPolicy {
        allow_private: false,
    };

    #[test]
    fn internal_addresses_are_refused_and_public_ones_pass() {
        for internal in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fd00:ec2::254",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
            "2001:db8::1",
        ] {
            let ip: IpAddr = internal.parse().expect(internal);
            assert!(!is_public(ip), "{internal} must be refused");
        }
        for public in [
            "93.184.216.34",
            "1.1.1.1",
            "2606:4700:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            let ip: IpAddr = public.parse().expect(public);
            assert!(is_public(ip), "{public} is public");
        }
    }

    #[test]
    fn urls_are_checked_as_they_are_registered() {
        assert!(check_url("https://hooks.example.com/pitlane", STRICT).is_ok());
        assert_eq!(
            check_url("http://hooks.example.com/pitlane", STRICT),
            Err(Refused::NotHttps)
        );
        assert_eq!(
            check_url("https://127.0.0.1/x", STRICT),
            Err(Refused::Internal("127.0.0.1".parse().expect("ip")))
        );
        assert_eq!(
            check_url("https://169.254.169.254/latest/meta-data", STRICT),
            Err(Refused::Internal("169.254.169.254".parse().expect("ip")))
        );
        assert!(matches!(
            check_url("https://[::1]:8443/x", STRICT),
            Err(Refused::Internal(_))
        ));
        assert!(matches!(
            check_url("https://localhost/x", STRICT),
            Err(Refused::Internal(_))
        ));
        assert_eq!(
            check_url("https://user:pw@hooks.example.com/", STRICT),
            Err(Refused::Credentials)
        );
        assert_eq!(
            check_url("ftp://hooks.example.com/", STRICT),
            Err(Refused::NotHttps)
        );
        assert_eq!(check_url("not a url", STRICT), Err(Refused::NoHost));
        let open = TargetPolicy {
            allow_private: true,
        };
        assert!(check_url("http://127.0.0.1:9000/hook", open).is_ok());
    }

    #[tokio::test]
    async fn resolving_checks_every_address_of_the_name() {
        let url = Url::parse("https://localhost:8443/hook").expect("url");
        assert!(matches!(
            resolve(&url, STRICT).await,
            Err(Refused::Internal(_))
        ));
        let open = TargetPolicy {
            allow_private: true,
        };
        let address = resolve(&url, open).await.expect("resolved");
        assert!(address.ip().is_loopback());
        assert_eq!(address.port(), 8443);
    }
}
