//! The notification platform under test: servers whose mail goes to an [`SmtpSink`], shared
//! workers in this process or as real `pitlane-worker` processes, and a look at the outbox.

use std::{
    process::{Child, Command, Stdio},
    time::Duration,
};

use pitlane_bus::Bus;
use pitlane_notify::{Workers, WorkersHandle};
use pitlane_store::{
    Store, StoreOptions,
    sea_orm::{ConnectionTrait, DbBackend, Statement},
};

use crate::{Backend, SmtpSink, TestApp, TestDatabase, config_from, test_vars};

/// The deployment's SMS number in tests (a UK mobile number).
pub const DEPLOYMENT_SMS_FROM: &str = "+447911000100";

/// How the notification platform of a test server behaves: fast retries and short leases,
/// so failure paths play out in seconds.
#[derive(Debug, Clone)]
pub struct MessagingOptions {
    pub smtp_port: u16,
    pub attempts: u32,
    pub retry_base_ms: u64,
    pub lease_secs: u64,
    /// The fake SMS provider's API, when SMS should go to one (else to files).
    pub sms_api: Option<String>,
}

impl MessagingOptions {
    pub fn to(sink: &SmtpSink) -> Self {
        Self {
            smtp_port: sink.port(),
            attempts: 3,
            retry_base_ms: 100,
            lease_secs: 2,
            sms_api: None,
        }
    }

    /// SMS go to `fake`, from the deployment number [`DEPLOYMENT_SMS_FROM`].
    pub fn with_sms(mut self, fake: &crate::FakeSms) -> Self {
        self.sms_api = Some(fake.api_url());
        self
    }

    fn vars(&self) -> Vec<(&'static str, String)> {
        let mut vars = vec![
            ("SMTP_URL", format!("smtp://127.0.0.1:{}", self.smtp_port)),
            ("PITLANE_MAIL_FROM", "notifications@pitlane.test".into()),
            ("PITLANE_SEND_ATTEMPTS", self.attempts.to_string()),
            ("PITLANE_RETRY_BASE_MS", self.retry_base_ms.to_string()),
            ("PITLANE_WORKER_LEASE_SECS", self.lease_secs.to_string()),
        ];
        if let Some(api) = &self.sms_api {
            vars.extend([
                ("SMS_API_URL", api.clone()),
                ("SMS_ACCOUNT_SID", crate::sms::ACCOUNT_SID.to_owned()),
                ("SMS_AUTH_TOKEN", crate::sms::AUTH_TOKEN.to_owned()),
                ("SMS_FROM", DEPLOYMENT_SMS_FROM.to_owned()),
            ]);
        }
        vars
    }
}

/// The full variable set of a SaaS-shaped test server with these messaging options.
pub fn messaging_vars(
    db: &TestDatabase,
    options: &MessagingOptions,
) -> Vec<(&'static str, String)> {
    let mut vars = test_vars(db);
    for (name, value) in options.vars() {
        vars.retain(|(n, _)| *n != name);
        vars.push((name, value));
    }
    vars
}

/// A `pitlane-worker` process; killed when dropped.
pub struct WorkerProcess {
    pub child: Child,
}

impl WorkerProcess {
    /// Starts the worker binary at `binary` with the app's configuration and `extra` variables.
    pub fn spawn(
        binary: &str,
        app: &TestApp,
        options: &MessagingOptions,
        extra: &[(&str, &str)],
    ) -> Self {
        let mut command = Command::new(binary);
        command.env_clear();
        for (name, value) in messaging_vars(app.db(), options) {
            command.env(name, value);
        }
        command
            .env("PITLANE_WORKER_ADDR", "127.0.0.1:0")
            .env("PITLANE_PUBLIC_URL", &app.origin)
            .env("RUST_LOG", "info")
            .env("PATH", std::env::var("PATH").unwrap_or_default());
        for (name, value) in extra {
            command.env(name, value);
        }
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("start {binary}: {e}"));
        Self { child }
    }

    /// Waits for the process to end by itself (a crash, say); its exit status.
    pub async fn wait_exit(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = tokio::time::Instant::now() + timeout;
        while tokio::time::Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        None
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

impl TestApp {
    /// The SaaS shape with mail going to `options`' SMTP server. No workers run until a test
    /// starts them ([`TestApp::start_workers`] or [`WorkerProcess`]), as in production.
    pub async fn spawn_messaging(options: &MessagingOptions) -> Self {
        let db = TestDatabase::create().await;
        let config = config_from(&messaging_vars(&db, options));
        Self::spawn_with(Backend::Postgres(db), config).await
    }

    /// Shared workers in this process, as a `pitlane-worker` runs them, under `name`, with
    /// the server's own configuration (database, Redis, mail).
    pub async fn start_workers(&self, name: &str) -> WorkersHandle {
        self.workers(name).await.start()
    }

    /// The shared workers, not started: for a test that drives one part (the relay) itself.
    pub async fn workers(&self, name: &str) -> Workers {
        let config = &self.state().config;
        let store = Store::connect(&StoreOptions {
            url: config
                .database_worker_url
                .clone()
                .unwrap_or_else(|| config.database_url.clone()),
            max_connections: 4,
        })
        .await
        .expect("worker database");
        let bus = Bus::redis(
            config.redis_url.as_deref().expect("redis"),
            &config.redis_prefix,
        )
        .await
        .expect("worker redis");
        let live = pitlane_notify::Live::new(bus.clone());
        Workers::new(store, bus, live, config.notify.clone(), name.to_owned()).expect("workers")
    }

    /// Outbox rows as the owner sees them: (recipient, status, attempts), oldest first.
    pub async fn outbox_rows(&self) -> Vec<(String, String, i32)> {
        let db = self.db().admin().await;
        let rows = db
            .query_all_raw(Statement::from_string(
                DbBackend::Postgres,
                "select recipient, status, attempts from outbox order by created_at, id",
            ))
            .await
            .expect("read the outbox");
        db.close().await.ok();
        rows.into_iter()
            .map(|r| {
                (
                    r.try_get("", "recipient").expect("recipient"),
                    r.try_get("", "status").expect("status"),
                    r.try_get("", "attempts").expect("attempts"),
                )
            })
            .collect()
    }
}
