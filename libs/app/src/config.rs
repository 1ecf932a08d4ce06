//! One typed configuration, read from the environment (and `.env`) and checked at start.
//! A bad value stops start-up with one line naming the variable (exit code 2).

use std::{net::SocketAddr, path::PathBuf};

use rand::Rng;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Clone)]
pub struct Config {
    /// Where the server listens (`PITLANE_ADDR`).
    pub addr: SocketAddr,
    /// The application's database (`DATABASE_URL`): `sqlite://…` embedded or `postgres://…`.
    pub database_url: String,
    /// The owner role used by migrations on PostgreSQL (`DATABASE_ADMIN_URL`).
    pub database_admin_url: Option<String>,
    /// The shared workers' own role on PostgreSQL (`DATABASE_WORKER_URL`): the only one that
    /// may claim, finish and purge messages of the outbox.
    pub database_worker_url: Option<String>,
    pub database_pool_size: u32,
    /// Redis for sessions, pub/sub and queues (`REDIS_URL`); in-process when absent.
    pub redis_url: Option<String>,
    /// Prefix of every Redis key, so deployments (and tests) can share one Redis.
    pub redis_prefix: String,
    /// The address people reach the platform at (`PITLANE_PUBLIC_URL`).
    pub public_url: url::Url,
    /// Tenants live at `{slug}.{base_domain}` (`PITLANE_BASE_DOMAIN`).
    pub base_domain: Option<String>,
    /// The secret every key is derived from (`PITLANE_SECRET_KEY`); see `pitlane_identity::keys`.
    pub secret_key: Vec<u8>,
    /// The secret before the last rotation (`PITLANE_SECRET_KEY_PREVIOUS`): still verifies
    /// links and CSRF tokens and opens sealed TOTP secrets, never signs anything new.
    pub secret_key_previous: Option<Vec<u8>>,
    pub log_format: LogFormat,
    /// Create the demo tenant on start (`PITLANE_DEMO`; on by default when embedded).
    pub demo: bool,
    /// The notification platform: SMTP, retries, leases, budgets.
    pub notify: pitlane_notify::NotifyConfig,
    /// `PITLANE_OPERATOR_TOKEN`: opens the operator's queue view (`/operator/queues`).
    pub operator_token: Option<String>,
    /// `PITLANE_METRICS_ADDR`: a second address that serves `/metrics` alone (an internal
    /// network for the scraper).
    pub metrics_addr: Option<SocketAddr>,
    /// `PITLANE_METRICS_TOKEN`: `/metrics` on the platform's own host, for this bearer token.
    /// With neither, `/metrics` is not served at all.
    pub metrics_token: Option<String>,
    /// How long sign-in stays locked after too many wrong passwords (and the window they
    /// are counted in).
    pub signin_lockout: std::time::Duration,
    /// Requests an API key may make a minute, and all of a workshop's keys together
    /// (`PITLANE_API_KEY_RATE`, `PITLANE_API_TENANT_RATE`).
    pub api_rate: ApiRate,
    /// Identity providers staff may sign in with (`OAUTH_*`).
    pub oauth_providers: Vec<pitlane_identity::oauth::Provider>,
    /// Where inspection photos are kept (`PITLANE_PHOTO_DIR`; beside the SQLite file when
    /// embedded). Several server instances must share it.
    pub photo_dir: PathBuf,
    /// Photos in an S3-compatible bucket instead (`PITLANE_S3_*`), for several instances.
    pub photo_s3: Option<pitlane_workshop::storage::S3Settings>,
    /// The name server that checks custom domains' TXT records (`PITLANE_DNS_SERVER`, an
    /// address like 1.1.1.1:53); the system's (`/etc/resolv.conf`) when unset.
    pub dns_server: Option<SocketAddr>,
    /// Proxies whose `X-Forwarded-For` / `Forwarded` headers are believed
    /// (`PITLANE_TRUSTED_PROXIES`, addresses or CIDR ranges); none by default.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Map tiles for the roadside pages (`PITLANE_MAP_TILES`, a URL template with `{z}`, `{x}`
    /// and `{y}`, and `PITLANE_MAP_ATTRIBUTION`); without it (the default, and offline) the
    /// pages draw a plan of both positions instead of a map.
    pub map_tiles: Option<MapTiles>,
    /// Stripe (`STRIPE_SECRET_KEY`, `STRIPE_WEBHOOK_SECRET`, `STRIPE_API_BASE`,
    /// `STRIPE_PRICE_STARTER|GROWTH|CHAIN`); card payments and plans are off without it.
    pub stripe: Option<pitlane_billing::StripeSettings>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Secrets and credentials in URLs stay out of logs.
        f.debug_struct("Config")
            .field("addr", &self.addr)
            .field("embedded", &self.is_embedded())
            .field("redis", &self.redis_url.is_some())
            .field("public_url", &self.public_url.as_str())
            .field("base_domain", &self.base_domain)
            .finish_non_exhaustive()
    }
}

/// Where map tiles come from, and whose they are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapTiles {
    /// `https://tile.openstreetmap.org/{z}/{x}/{y}.png`.
    pub url: String,
    pub attribution: String,
}

/// The API's rate limits, in requests a minute (the `RateLimit-Policy` a key's answers carry).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiRate {
    /// One API key.
    pub per_key: u32,
    /// Every key of one workshop together.
    pub per_tenant: u32,
}

/// A configuration problem: which variable, and what is wrong with it.
#[derive(Debug, thiserror::Error)]
#[error("{var}: {problem}")]
pub struct ConfigError {
    pub var: &'static str,
    pub problem: String,
}

fn bad(var: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        var,
        problem: problem.into(),
    }
}

pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";
pub const DEFAULT_SQLITE_URL: &str = "sqlite://data/pitlane.db?mode=rwc";
const SECRET_FILE: &str = "data/secret_key";

impl Config {
    /// Reads the process environment, after loading `.env` if there is one.
    pub fn from_env() -> Result<Self, ConfigError> {
        // A missing .env is normal; a malformed one is reported.
        if let Err(err) = dotenvy::dotenv()
            && !err.not_found()
        {
            return Err(bad(".env", err.to_string()));
        }
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Builds the configuration from any source of variables (tests pass a map).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let var = |name: &str| {
            get(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };

        let addr_raw = var("PITLANE_ADDR").unwrap_or_else(|| DEFAULT_ADDR.to_owned());
        let addr: SocketAddr = addr_raw.parse().map_err(|_| {
            bad(
                "PITLANE_ADDR",
                format!("{addr_raw:?} is not an address like 127.0.0.1:8080"),
            )
        })?;

        let database_url = var("DATABASE_URL").unwrap_or_else(|| DEFAULT_SQLITE_URL.to_owned());
        let embedded = if database_url.starts_with("sqlite:") {
            true
        } else if database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://")
        {
            false
        } else {
            return Err(bad(
                "DATABASE_URL",
                "must start with sqlite:// or postgres://",
            ));
        };
        if !embedded {
            url::Url::parse(&database_url)
                .map_err(|e| bad("DATABASE_URL", format!("not a valid URL: {e}")))?;
        }
        let database_admin_url = var("DATABASE_ADMIN_URL");
        let database_worker_url = var("DATABASE_WORKER_URL");
        if database_worker_url
            .as_ref()
            .is_some_and(|w| !(w.starts_with("postgres://") || w.starts_with("postgresql://")))
        {
            return Err(bad("DATABASE_WORKER_URL", "must be a postgres:// URL"));
        }
        if let Some(admin) = &database_admin_url {
            if embedded {
                return Err(bad(
                    "DATABASE_ADMIN_URL",
                    "only applies to PostgreSQL; leave it unset with SQLite",
                ));
            }
            if !(admin.starts_with("postgres://") || admin.starts_with("postgresql://")) {
                return Err(bad("DATABASE_ADMIN_URL", "must start with postgres://"));
            }
        }
        let database_pool_size = match var("PITLANE_DB_POOL") {
            None => {
                if embedded {
                    4
                } else {
                    16
                }
            }
            Some(raw) => raw
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=500).contains(n))
                .ok_or_else(|| bad("PITLANE_DB_POOL", "must be a whole number from 1 to 500"))?,
        };

        let redis_url = var("REDIS_URL");
        if let Some(redis) = &redis_url
            && !(redis.starts_with("redis://") || redis.starts_with("rediss://"))
        {
            return Err(bad("REDIS_URL", "must start with redis:// or rediss://"));
        }
        let redis_prefix = var("PITLANE_REDIS_PREFIX").unwrap_or_else(|| "pitlane:".to_owned());

        let public_raw = var("PITLANE_PUBLIC_URL").unwrap_or_else(|| format!("http://{addr}"));
        let public_url = url::Url::parse(&public_raw)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
            .ok_or_else(|| {
                bad(
                    "PITLANE_PUBLIC_URL",
                    format!("{public_raw:?} is not an http(s) URL"),
                )
            })?;

        let base_domain = match var("PITLANE_BASE_DOMAIN") {
            Some(raw) => Some(
                pitlane_domain::text::Host::parse(&raw)
                    .map_err(|e| bad("PITLANE_BASE_DOMAIN", e.to_string()))?
                    .into_inner(),
            ),
            // Browsers send *.localhost to this machine, so tenant hosts work with no DNS.
            None if embedded => Some("localhost".to_owned()),
            None => None,
        };

        let secret_key = match var("PITLANE_SECRET_KEY") {
            Some(key) if key.len() >= 32 => key.into_bytes(),
            Some(_) => return Err(bad("PITLANE_SECRET_KEY", "must be at least 32 characters")),
            None if embedded => embedded_secret().map_err(|e| bad("PITLANE_SECRET_KEY", e))?,
            None => {
                return Err(bad(
                    "PITLANE_SECRET_KEY",
                    "is required outside embedded mode (generate one with: openssl rand -hex 32)",
                ));
            }
        };

        let secret_key_previous = match var("PITLANE_SECRET_KEY_PREVIOUS") {
            Some(key) if key.len() >= 32 => Some(key.into_bytes()),
            Some(_) => {
                return Err(bad(
                    "PITLANE_SECRET_KEY_PREVIOUS",
                    "must be at least 32 characters",
                ));
            }
            None => None,
        };
        if secret_key_previous.as_deref() == Some(secret_key.as_slice()) {
            return Err(bad(
                "PITLANE_SECRET_KEY_PREVIOUS",
                "is the same as PITLANE_SECRET_KEY; after a rotation it holds the old key",
            ));
        }

        let log_format = match var("PITLANE_LOG_FORMAT").as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(bad(
                    "PITLANE_LOG_FORMAT",
                    format!("{other:?} is not text or json"),
                ));
            }
        };

        let demo = match var("PITLANE_DEMO").as_deref() {
            None => embedded,
            Some("1" | "true" | "yes" | "on") => true,
            Some("0" | "false" | "no" | "off") => false,
            Some(other) => {
                return Err(bad(
                    "PITLANE_DEMO",
                    format!("{other:?} is not true or false"),
                ));
            }
        };

        let mail_domain = base_domain
            .clone()
            .or_else(|| public_url.host_str().map(str::to_owned))
            .unwrap_or_else(|| "localhost".into());
        let data_dir = sqlite_dir_of(&database_url);
        let photo_dir = match var("PITLANE_PHOTO_DIR") {
            Some(dir) if !dir.trim().is_empty() => PathBuf::from(dir.trim()),
            _ => data_dir
                .clone()
                .unwrap_or_else(|| PathBuf::from("data"))
                .join("photos"),
        };
        let photo_s3 = match var("PITLANE_S3_ENDPOINT").filter(|e| !e.trim().is_empty()) {
            None => None,
            Some(endpoint) => {
                url::Url::parse(endpoint.trim())
                    .ok()
                    .filter(|u| matches!(u.scheme(), "http" | "https"))
                    .ok_or_else(|| bad("PITLANE_S3_ENDPOINT", "must be an http(s) URL"))?;
                let required = |name: &'static str| {
                    var(name)
                        .filter(|v| !v.trim().is_empty())
                        .ok_or_else(|| bad(name, "is needed with PITLANE_S3_ENDPOINT"))
                };
                Some(pitlane_workshop::storage::S3Settings {
                    endpoint: endpoint.trim().to_owned(),
                    bucket: required("PITLANE_S3_BUCKET")?,
                    region: var("PITLANE_S3_REGION").unwrap_or_else(|| "us-east-1".into()),
                    access_key: required("PITLANE_S3_ACCESS_KEY")?,
                    secret_key: required("PITLANE_S3_SECRET_KEY")?,
                })
            }
        };
        let stripe = match var("STRIPE_SECRET_KEY").filter(|k| !k.trim().is_empty()) {
            None => None,
            Some(key) => {
                let key = key.trim().to_owned();
                if !["sk_test_", "sk_live_", "rk_test_", "rk_live_"]
                    .iter()
                    .any(|p| key.starts_with(p))
                {
                    return Err(bad(
                        "STRIPE_SECRET_KEY",
                        "must be a Stripe secret key (sk_test_… or sk_live_…)",
                    ));
                }
                let webhook_secrets: Vec<String> = var("STRIPE_WEBHOOK_SECRET")
                    .unwrap_or_default()
                    .split(',')
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .collect();
                if webhook_secrets.is_empty() {
                    return Err(bad(
                        "STRIPE_WEBHOOK_SECRET",
                        "is needed with STRIPE_SECRET_KEY (whsec_…; several comma-separated while rotating)",
                    ));
                }
                let api_base = var("STRIPE_API_BASE").filter(|b| !b.trim().is_empty());
                if let Some(base) = &api_base
                    && !url::Url::parse(base.trim())
                        .is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
                {
                    return Err(bad("STRIPE_API_BASE", "must be an http(s) URL"));
                }
                let plan_prices = pitlane_domain::plans::PLANS
                    .iter()
                    .filter_map(|plan| {
                        var(&format!("STRIPE_PRICE_{}", plan.key.to_uppercase()))
                            .filter(|p| !p.trim().is_empty())
                            .map(|price| (plan.key.to_owned(), price.trim().to_owned()))
                    })
                    .collect();
                Some(pitlane_billing::StripeSettings {
                    secret_key: key,
                    webhook_secrets,
                    api_base: api_base.map(|b| b.trim().trim_end_matches('/').to_owned() + "/"),
                    plan_prices,
                })
            }
        };
        let notify = pitlane_notify::NotifyConfig::from_lookup(
            var,
            &mail_domain,
            public_url.as_str(),
            data_dir,
        )
        .map_err(|e| bad(e.var, e.problem))?;
        let signin_lockout = match var("PITLANE_SIGNIN_LOCKOUT_SECONDS") {
            None => std::time::Duration::from_secs(15 * 60),
            Some(raw) => match raw.trim().parse::<u64>() {
                Ok(secs) if (1..=86_400).contains(&secs) => std::time::Duration::from_secs(secs),
                _ => {
                    return Err(bad(
                        "PITLANE_SIGNIN_LOCKOUT_SECONDS",
                        "must be a number of seconds from 1 to 86400",
                    ));
                }
            },
        };
        let per_minute = |name: &'static str, default: u32| match var(name) {
            None => Ok(default),
            Some(raw) => raw
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=1_000_000).contains(n))
                .ok_or_else(|| {
                    bad(
                        name,
                        "must be a number of requests a minute from 1 to 1000000",
                    )
                }),
        };
        let api_rate = ApiRate {
            per_key: per_minute("PITLANE_API_KEY_RATE", 600)?,
            per_tenant: per_minute("PITLANE_API_TENANT_RATE", 3_000)?,
        };
        let oauth_providers = oauth_providers(&var)?;
        let dns_server = match var("PITLANE_DNS_SERVER") {
            None => None,
            Some(raw) => Some(raw.parse::<SocketAddr>().map_err(|_| {
                bad(
                    "PITLANE_DNS_SERVER",
                    format!("{raw:?} is not an address like 1.1.1.1:53"),
                )
            })?),
        };
        let trusted_proxies = match var("PITLANE_TRUSTED_PROXIES") {
            None => Vec::new(),
            Some(raw) => parse_trusted(&raw).map_err(|e| bad("PITLANE_TRUSTED_PROXIES", e))?,
        };
        let metrics_addr = match var("PITLANE_METRICS_ADDR") {
            None => None,
            Some(raw) => Some(raw.parse::<SocketAddr>().map_err(|_| {
                bad(
                    "PITLANE_METRICS_ADDR",
                    format!("{raw:?} is not an address like 10.0.0.5:9100"),
                )
            })?),
        };
        let metrics_token = var("PITLANE_METRICS_TOKEN");
        if metrics_token.as_ref().is_some_and(|t| t.len() < 24) {
            return Err(bad(
                "PITLANE_METRICS_TOKEN",
                "must be at least 24 characters",
            ));
        }
        let map_tiles = match var("PITLANE_MAP_TILES") {
            Some(url) if !url.trim().is_empty() => {
                let url = url.trim().to_owned();
                let web = url.starts_with("https://") || url.starts_with("http://");
                if !web || !["{z}", "{x}", "{y}"].iter().all(|p| url.contains(p)) {
                    return Err(bad(
                        "PITLANE_MAP_TILES",
                        "must be an http(s) URL template with {z}, {x} and {y}",
                    ));
                }
                Some(MapTiles {
                    url,
                    attribution: var("PITLANE_MAP_ATTRIBUTION")
                        .filter(|a| !a.trim().is_empty())
                        .unwrap_or_else(|| "© OpenStreetMap contributors".into()),
                })
            }
            _ => None,
        };
        let operator_token = var("PITLANE_OPERATOR_TOKEN");
        if operator_token.as_ref().is_some_and(|t| t.len() < 24) {
            return Err(bad(
                "PITLANE_OPERATOR_TOKEN",
                "must be at least 24 characters",
            ));
        }

        Ok(Self {
            notify,
            operator_token,
            metrics_addr,
            metrics_token,
            signin_lockout,
            api_rate,
            oauth_providers,
            trusted_proxies,
            dns_server,
            photo_dir,
            photo_s3,
            map_tiles,
            stripe,
            addr,
            database_url,
            database_admin_url,
            database_worker_url,
            database_pool_size,
            redis_url,
            redis_prefix,
            public_url,
            base_domain,
            secret_key,
            secret_key_previous,
            log_format,
            demo,
        })
    }

    /// Every key of the deployment, derived from the secret (and the previous one).
    pub fn keyring(&self) -> pitlane_identity::keys::Keyring {
        pitlane_identity::keys::Keyring::new(&self.secret_key, self.secret_key_previous.as_deref())
    }

    pub fn is_embedded(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }

    pub fn is_https(&self) -> bool {
        self.public_url.scheme() == "https"
    }

    /// For SQLite: the folder the database file lives in, created on start.
    pub fn sqlite_dir(&self) -> Option<PathBuf> {
        sqlite_dir_of(&self.database_url)
    }
}

fn sqlite_dir_of(database_url: &str) -> Option<PathBuf> {
    let path = database_url.strip_prefix("sqlite://")?.split('?').next()?;
    PathBuf::from(path).parent().map(PathBuf::from)
}

/// Google and Microsoft by their client credentials; one generic provider by its URLs.
fn oauth_providers(
    var: &impl Fn(&str) -> Option<String>,
) -> Result<Vec<pitlane_identity::oauth::Provider>, ConfigError> {
    use pitlane_identity::oauth::Provider;
    let scopes = |raw: Option<String>| {
        raw.unwrap_or_else(|| "openid email profile".into())
            .split_whitespace()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let pair =
        |id: &'static str, secret: &'static str| -> Result<Option<(String, String)>, ConfigError> {
            match (var(id), var(secret)) {
                (Some(id), Some(secret)) => Ok(Some((id, secret))),
                (None, None) => Ok(None),
                (Some(_), None) => Err(bad(secret, format!("is required with {id}"))),
                (None, Some(_)) => Err(bad(id, format!("is required with {secret}"))),
            }
        };
    let url = |name: &'static str| -> Result<String, ConfigError> {
        let raw =
            var(name).ok_or_else(|| bad(name, "is required for the generic identity provider"))?;
        url::Url::parse(&raw)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .map(|u| u.to_string())
            .ok_or_else(|| bad(name, format!("{raw:?} is not an http(s) URL")))
    };
    let mut providers = Vec::new();
    if let Some((client_id, client_secret)) =
        pair("OAUTH_GOOGLE_CLIENT_ID", "OAUTH_GOOGLE_CLIENT_SECRET")?
    {
        providers.push(Provider {
            key: "google".into(),
            label: "Google".into(),
            client_id,
            client_secret,
            authorize_url: "https://accounts.google.com/o/oauth2/v2/auth".into(),
            token_url: "https://oauth2.googleapis.com/token".into(),
            userinfo_url: "https://openidconnect.googleapis.com/v1/userinfo".into(),
            scopes: scopes(None),
            directories: Vec::new(),
        });
    }
    if let Some((client_id, client_secret)) =
        pair("OAUTH_MICROSOFT_CLIENT_ID", "OAUTH_MICROSOFT_CLIENT_SECRET")?
    {
        // Only named directories: `common`, `organizations` or `consumers` would let any
        // Microsoft account in, verified address or not.
        let directories: Vec<String> = var("OAUTH_MICROSOFT_TENANT")
            .unwrap_or_default()
            .split(',')
            .map(|d| d.trim().to_ascii_lowercase())
            .filter(|d| !d.is_empty())
            .collect();
        if directories.is_empty()
            || directories.iter().any(|d| {
                ["common", "organizations", "consumers"].contains(&d.as_str())
                    || uuid::Uuid::try_parse(d).is_err()
            })
        {
            return Err(bad(
                "OAUTH_MICROSOFT_TENANT",
                "needs the directory (tenant) id of each Microsoft Entra directory whose staff may sign in, comma-separated; common, organizations and consumers are not accepted",
            ));
        }
        // One directory signs in at its own endpoints; several at the work-account ones,
        // and the ID token's directory is checked against the list either way.
        let endpoint = if directories.len() == 1 {
            directories[0].clone()
        } else {
            "organizations".to_owned()
        };
        // Other clouds (US Government, China) have their own sign-in and Graph hosts.
        let login = var("OAUTH_MICROSOFT_LOGIN_URL")
            .unwrap_or_else(|| "https://login.microsoftonline.com".into());
        let login = login.trim_end_matches('/');
        let userinfo = var("OAUTH_MICROSOFT_USERINFO_URL")
            .unwrap_or_else(|| "https://graph.microsoft.com/oidc/userinfo".into());
        providers.push(Provider {
            key: "microsoft".into(),
            label: "Microsoft".into(),
            client_id,
            client_secret,
            authorize_url: format!("{login}/{endpoint}/oauth2/v2.0/authorize"),
            token_url: format!("{login}/{endpoint}/oauth2/v2.0/token"),
            userinfo_url: userinfo,
            scopes: scopes(None),
            directories,
        });
    }
    if let Some((client_id, client_secret)) =
        pair("OAUTH_GENERIC_CLIENT_ID", "OAUTH_GENERIC_CLIENT_SECRET")?
    {
        providers.push(Provider {
            key: "sso".into(),
            label: var("OAUTH_GENERIC_NAME").unwrap_or_else(|| "single sign-on".into()),
            client_id,
            client_secret,
            authorize_url: url("OAUTH_GENERIC_AUTHORIZE_URL")?,
            token_url: url("OAUTH_GENERIC_TOKEN_URL")?,
            userinfo_url: url("OAUTH_GENERIC_USERINFO_URL")?,
            scopes: scopes(var("OAUTH_GENERIC_SCOPES")),
            directories: Vec::new(),
        });
    }
    Ok(providers)
}

/// Embedded mode keeps a generated secret in `data/`, so sessions survive restarts.
fn embedded_secret() -> Result<Vec<u8>, String> {
    let path = PathBuf::from(SECRET_FILE);
    if let Ok(existing) = std::fs::read_to_string(&path)
        && existing.trim().len() >= 32
    {
        return Ok(existing.trim().as_bytes().to_vec());
    }
    let secret: String = rand::rng()
        .sample_iter(rand::distr::Alphanumeric)
        .take(48)
        .map(char::from)
        .collect();
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    std::fs::write(&path, &secret).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(secret.into_bytes())
}

/// Parses `PITLANE_TRUSTED_PROXIES`: addresses or CIDR ranges, comma-separated.
pub fn parse_trusted(raw: &str) -> Result<Vec<ipnet::IpNet>, String> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|entry| {
            entry
                .parse::<ipnet::IpNet>()
                .or_else(|_| entry.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| format!("{entry:?} is not an address or a CIDR range"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn postgres_needs_a_secret() {
        let err = config(&[("DATABASE_URL", "postgres://app@db/pitlane")]).unwrap_err();
        assert_eq!(err.var, "PITLANE_SECRET_KEY");
        let ok = config(&[
            ("DATABASE_URL", "postgres://app@db/pitlane"),
            ("PITLANE_SECRET_KEY", &"k".repeat(32)),
        ])
        .unwrap();
        assert!(!ok.is_embedded());
        assert!(!ok.demo);
        assert_eq!(ok.base_domain, None);
    }

    #[test]
    fn bad_values_name_their_variable() {
        let secret = "k".repeat(32);
        for (var, value) in [
            ("PITLANE_ADDR", "nowhere"),
            ("DATABASE_URL", "mysql://x"),
            ("REDIS_URL", "http://x"),
            ("PITLANE_PUBLIC_URL", "ftp://x"),
            ("PITLANE_BASE_DOMAIN", "bad_domain"),
            ("PITLANE_LOG_FORMAT", "xml"),
            ("PITLANE_DB_POOL", "0"),
            ("PITLANE_API_KEY_RATE", "0"),
            ("PITLANE_API_TENANT_RATE", "many"),
            ("PITLANE_DEMO", "maybe"),
            ("SMTP_URL", "http://mail"),
            ("PITLANE_MAIL_FROM", "nobody"),
            ("PITLANE_SEND_ATTEMPTS", "0"),
            ("PITLANE_FAULT", "everything"),
            ("PITLANE_OPERATOR_TOKEN", "short"),
        ] {
            let err = config(&[(var, value), ("PITLANE_SECRET_KEY", &secret)]).unwrap_err();
            assert_eq!(err.var, var, "{value}");
            assert!(err.to_string().starts_with(var));
        }
    }
}
