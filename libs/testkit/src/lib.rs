//! The test harness. Every test gets the real server on a random port, backed by a fresh
//! PostgreSQL database (migrated by the owner role, served as the unprivileged application
//! role, exactly as in production) and its own Redis key prefix. Postgres and Redis are
//! required: when they are missing the test fails, it is never skipped.
//!
//! `TEST_POSTGRES_URL` (a superuser URL, default `postgres://postgres@127.0.0.1:5432/postgres`)
//! and `TEST_REDIS_URL` (default `redis://127.0.0.1:6379`) say where they are.

mod browser;
mod dns;
mod http;
mod idp;
mod messaging;
pub mod openapi;
mod s3;
pub mod sms;
mod smtp;
mod sse;
pub mod stripe;
mod world;

use pitlane_app::{AppState, Config};
use pitlane_store::sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use pitlane_web::RunningServer;

pub use browser::{Browser, place};
pub use dns::FakeDns;
pub use http::{Client, csrf_token, tenant_path};
pub use idp::{FakeIdp, IdpUser};
pub use messaging::{DEPLOYMENT_SMS_FROM, MessagingOptions, WorkerProcess, messaging_vars};
pub use openapi::{Answer, checked};
pub use s3::FakeS3;
pub use sms::{FakeSms, SentSms};
pub use smtp::{ReceivedMail, SmtpSink};
pub use sse::{EventStream, SseEvent};
pub use stripe::{FakeStripe, StripeCall};
pub use world::{TenantFixture, weekday_at_ten};

pub const APP_ROLE: &str = "pitlane_app";
/// The shared workers' role: the only one that may claim and finish outbox messages.
pub const WORKER_ROLE: &str = "pitlane_worker";
/// The bearer token that opens `/metrics` on a test server's platform host.
pub const METRICS_TOKEN: &str = "test-metrics-token-0123456789abcdef";
/// Tenant hosts in tests: `{slug}.localhost` reaches 127.0.0.1 in Chromium with no DNS.
pub const BASE_DOMAIN: &str = "localhost";

pub fn postgres_admin_url() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

pub fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// Logs of the server under test go to the test's output (shown for failing tests).
pub fn init_test_logging() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "warn,pitlane_web=info".into()),
        )
        .with_test_writer()
        .try_init();
}

fn with_database(url: &str, database: &str) -> String {
    let mut parsed = url::Url::parse(url).expect("TEST_POSTGRES_URL is a URL");
    parsed.set_path(&format!("/{database}"));
    parsed.to_string()
}

fn with_user(url: &str, user: &str) -> String {
    let mut parsed = url::Url::parse(url).expect("TEST_POSTGRES_URL is a URL");
    let _ = parsed.set_username(user);
    let _ = parsed.set_password(None);
    parsed.to_string()
}

/// A fresh, empty PostgreSQL database for one test.
pub struct TestDatabase {
    pub name: String,
    /// The owner (superuser) connection string: for migrations and for inspecting the schema.
    pub admin_url: String,
    /// The application role's connection string: what the server uses.
    pub app_url: String,
    /// The workers' role's connection string.
    pub worker_url: String,
}

impl TestDatabase {
    pub async fn create() -> Self {
        let admin = postgres_admin_url();
        let server = Database::connect(&admin)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL is required for the tests ({admin}): {e}"));
        let name = format!("pitlane_t_{}", uuid::Uuid::now_v7().simple());
        server
            .execute_unprepared(&format!("create database {name}"))
            .await
            .expect("create the test database");
        server.close().await.ok();
        let admin_url = with_database(&admin, &name);
        let app_url = with_user(&admin_url, APP_ROLE);
        let worker_url = with_user(&admin_url, WORKER_ROLE);
        Self {
            name,
            admin_url,
            app_url,
            worker_url,
        }
    }

    /// Drops the database (closing anything still connected to it).
    pub async fn drop(&self) {
        if let Ok(server) = Database::connect(&postgres_admin_url()).await {
            let _ = server
                .execute_unprepared(&format!(
                    "drop database if exists {} with (force)",
                    self.name
                ))
                .await;
            server.close().await.ok();
        }
    }

    pub async fn admin(&self) -> DatabaseConnection {
        Database::connect(&self.admin_url)
            .await
            .expect("connect as owner")
    }

    pub async fn app(&self) -> DatabaseConnection {
        Database::connect(&self.app_url)
            .await
            .expect("connect as the application role")
    }
}

/// Where the server under test keeps its data: the two deployment shapes.
pub enum Backend {
    /// The SaaS shape: PostgreSQL with row-level security, and Redis.
    Postgres(TestDatabase),
    /// The embedded shape: an SQLite file in a temporary folder, no Redis.
    Sqlite(tempfile::TempDir),
}

/// Both shapes, for tests that must hold in each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Saas,
    Embedded,
}

pub const SHAPES: [Shape; 2] = [Shape::Saas, Shape::Embedded];

/// The server under test.
pub struct TestApp {
    pub server: RunningServer,
    pub backend: Backend,
    /// `http://127.0.0.1:{port}`
    pub origin: String,
}

/// Prints the median, 95th percentile and maximum of timed calls, for the benchmarks.
/// Calls `f` a few times to warm up, then `calls` times, and returns how long each took:
/// what the benchmark examples hand to [`print_timings`].
pub async fn time_calls<F, Fut>(calls: usize, mut f: F) -> anyhow::Result<Vec<std::time::Duration>>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    for _ in 0..3 {
        f().await?;
    }
    let mut samples = Vec::with_capacity(calls);
    for _ in 0..calls {
        let started = std::time::Instant::now();
        f().await?;
        samples.push(started.elapsed());
    }
    Ok(samples)
}

pub fn print_timings(label: &str, mut samples: Vec<std::time::Duration>) {
    samples.sort();
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    println!(
        "{label:<48} median {:>7.2} ms   p95 {:>7.2} ms   max {:>7.2} ms   ({} calls)",
        ms(at(0.5)),
        ms(at(0.95)),
        ms(*samples.last().expect("samples")),
        samples.len()
    );
}

/// The smallest JPEG header a photo check accepts: for tests that upload a photo.
pub const TINY_JPEG: &[u8] = &[
    0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00, 0x01, 0x01, 0x00, 0x00, 0x01,
    0x00, 0x01, 0x00, 0x00, 0xFF, 0xD9,
];

/// The configuration a test server runs with; tests may change it before `spawn_with`.
pub fn test_config(db: &TestDatabase) -> Config {
    config_from(&test_vars(db))
}

/// The variables of [`test_config`], for tests (and worker processes) that add their own.
pub fn test_vars(db: &TestDatabase) -> Vec<(&'static str, String)> {
    let redis_prefix = format!("test:{}:", db.name);
    vec![
        ("PITLANE_ADDR", "127.0.0.1:0".to_owned()),
        ("DATABASE_URL", db.app_url.clone()),
        ("DATABASE_ADMIN_URL", db.admin_url.clone()),
        ("DATABASE_WORKER_URL", db.worker_url.clone()),
        ("REDIS_URL", redis_url()),
        ("PITLANE_REDIS_PREFIX", redis_prefix),
        ("PITLANE_BASE_DOMAIN", BASE_DOMAIN.to_owned()),
        (
            "PITLANE_SECRET_KEY",
            "test-secret-key-that-is-long-enough-0123456789".to_owned(),
        ),
        ("PITLANE_DEMO", "false".to_owned()),
        ("PITLANE_DB_POOL", "4".to_owned()),
        ("PITLANE_METRICS_TOKEN", METRICS_TOKEN.to_owned()),
        // Instances of one test share photos, as servers behind one load balancer would.
        (
            "PITLANE_PHOTO_DIR",
            std::env::temp_dir()
                .join(format!("pitlane-photos-{}", db.name))
                .display()
                .to_string(),
        ),
        // Mail that a test does not send to its own sink goes to a folder, not to the network.
        (
            "PITLANE_MAIL_DIR",
            std::env::temp_dir()
                .join(format!("pitlane-mail-{}", db.name))
                .display()
                .to_string(),
        ),
    ]
}

/// A configuration from exactly these variables (the test's environment is not read).
pub fn config_from(vars: &[(&str, String)]) -> Config {
    Config::from_lookup(|name| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
    })
    .unwrap_or_else(|e| panic!("the test configuration is invalid: {e}"))
}

/// The embedded shape's configuration: SQLite in `dir`, in-process bus.
pub fn embedded_config(dir: &std::path::Path) -> Config {
    let vars = [
        ("PITLANE_ADDR", "127.0.0.1:0".to_owned()),
        (
            "DATABASE_URL",
            format!("sqlite://{}/pitlane.db?mode=rwc", dir.display()),
        ),
        (
            "PITLANE_SECRET_KEY",
            "test-secret-key-that-is-long-enough-0123456789".to_owned(),
        ),
        ("PITLANE_DEMO", "false".to_owned()),
        ("PITLANE_MAIL_DIR", dir.join("mail").display().to_string()),
    ];
    config_from(&vars)
}

impl TestApp {
    /// The SaaS shape: PostgreSQL with row-level security and Redis.
    pub async fn spawn() -> Self {
        let db = TestDatabase::create().await;
        let config = test_config(&db);
        Self::spawn_with(Backend::Postgres(db), config).await
    }

    /// The embedded shape: SQLite and the in-process bus, as `cargo run` starts.
    pub async fn spawn_embedded() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = embedded_config(dir.path());
        Self::spawn_with(Backend::Sqlite(dir), config).await
    }

    pub async fn spawn_shape(shape: Shape) -> Self {
        match shape {
            Shape::Saas => Self::spawn().await,
            Shape::Embedded => Self::spawn_embedded().await,
        }
    }

    /// A shape with its configuration changed first (a fake service's address, say).
    pub async fn spawn_shape_with(shape: Shape, change: impl FnOnce(&mut Config)) -> Self {
        match shape {
            Shape::Saas => {
                let db = TestDatabase::create().await;
                let mut config = test_config(&db);
                change(&mut config);
                Self::spawn_with(Backend::Postgres(db), config).await
            }
            Shape::Embedded => {
                let dir = tempfile::tempdir().expect("temp dir");
                let mut config = embedded_config(dir.path());
                change(&mut config);
                Self::spawn_with(Backend::Sqlite(dir), config).await
            }
        }
    }

    pub async fn spawn_with(backend: Backend, config: Config) -> Self {
        init_test_logging();
        let server = pitlane_web::start(config)
            .await
            .unwrap_or_else(|e| panic!("the server did not start: {e}"));
        let origin = format!("http://127.0.0.1:{}", server.addr.port());
        Self {
            server,
            backend,
            origin,
        }
    }

    /// The PostgreSQL database of a SaaS-shaped app (for tests that inspect it directly).
    pub fn db(&self) -> &TestDatabase {
        match &self.backend {
            Backend::Postgres(db) => db,
            Backend::Sqlite(_) => panic!("this test needs the PostgreSQL shape"),
        }
    }

    pub fn state(&self) -> &AppState {
        &self.server.state
    }

    pub fn port(&self) -> u16 {
        self.server.addr.port()
    }

    /// A client with its own cookie jar, as a new browser would be.
    pub fn client(&self) -> Client {
        Client::new(&self.origin, self.port())
    }

    /// Another server instance on the same database and Redis (a second replica); stop it
    /// before the app.
    pub async fn another_instance(&self) -> RunningServer {
        pitlane_web::start((*self.state().config).clone())
            .await
            .unwrap_or_else(|e| panic!("the second instance did not start: {e}"))
    }

    /// Stops the server and drops the test's database.
    pub async fn stop(self) {
        self.server.stop().await;
        if let Backend::Postgres(db) = &self.backend {
            db.drop().await;
        }
    }
}

/// The OpenAPI document, as `pitlane-server openapi` prints it.
pub fn openapi_spec() -> String {
    pitlane_web::api::document()
}
