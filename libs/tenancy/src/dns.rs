//! Looking up TXT records, behind a trait: the real resolver in production (the system's
//! configured name servers, or one given by `PITLANE_DNS_SERVER`), a DNS server of the
//! tests' own on 127.0.0.1 in tests, reached through the same real resolver.

use std::net::SocketAddr;

use hickory_resolver::{
    TokioResolver,
    config::{ConnectionConfig, NameServerConfig, ResolverConfig},
    net::runtime::TokioRuntimeProvider,
    proto::rr::RData,
};

#[async_trait::async_trait]
pub trait TxtResolver: Send + Sync {
    /// The TXT strings published at `name`; empty when it has none. `Err` when the
    /// question could not be answered at all (a timeout, a server failure).
    async fn txt(&self, name: &str) -> Result<Vec<String>, String>;
}

pub struct DnsResolver {
    resolver: TokioResolver,
}

impl DnsResolver {
    /// The system's name servers (`/etc/resolv.conf`).
    pub fn system() -> Result<Self, String> {
        let resolver = TokioResolver::builder_tokio()
            .map_err(|e| e.to_string())?
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self { resolver })
    }

    /// One name server, over UDP and TCP.
    pub fn at(server: SocketAddr) -> Result<Self, String> {
        let connection = |mut c: ConnectionConfig| {
            c.port = server.port();
            c
        };
        let name_server = NameServerConfig::new(
            server.ip(),
            true,
            vec![
                connection(ConnectionConfig::udp()),
                connection(ConnectionConfig::tcp()),
            ],
        );
        let config = ResolverConfig::from_parts(None, Vec::new(), vec![name_server]);
        let mut builder =
            TokioResolver::builder_with_config(config, TokioRuntimeProvider::default());
        // A record just published must be seen at once when its owner presses "check".
        builder.options_mut().cache_size = 0;
        let resolver = builder.build().map_err(|e| e.to_string())?;
        Ok(Self { resolver })
    }
}

#[async_trait::async_trait]
impl TxtResolver for DnsResolver {
    async fn txt(&self, name: &str) -> Result<Vec<String>, String> {
        let fqdn = format!("{}.", name.trim_end_matches('.'));
        match self.resolver.txt_lookup(fqdn.as_str()).await {
            Ok(lookup) => Ok(lookup
                .answers()
                .iter()
                .filter_map(|record| match &record.data {
                    RData::TXT(txt) => Some(
                        txt.txt_data
                            .iter()
                            .map(|part| String::from_utf8_lossy(part).into_owned())
                            .collect::<String>(),
                    ),
                    _ => None,
                })
                .collect()),
            Err(err) if err.is_no_records_found() || err.is_nx_domain() => Ok(Vec::new()),
            Err(err) => Err(err.to_string()),
        }
    }
}

/// For a machine without DNS configuration: every question goes unanswered.
pub struct NoDns;

#[async_trait::async_trait]
impl TxtResolver for NoDns {
    async fn txt(&self, _name: &str) -> Result<Vec<String>, String> {
        Err("this server has no DNS resolver configured (PITLANE_DNS_SERVER)".into())
    }
}
