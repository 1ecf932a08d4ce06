//! `pitlane-worker`: the shared background workers for all tenants. Run as many as you like:
//! each runs the outbox relay and the senders (a member of the Redis Stream consumer group),
//! claims the messages of crashed peers, and answers `/healthz`, `/readyz` and `/metrics`.

mod probe;

use std::process::ExitCode;

use pitlane_app::Config;
use pitlane_bus::Bus;
use pitlane_notify::Workers;
use pitlane_store::{Store, StoreOptions};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(err) => {
            eprintln!("pitlane-worker: {err}");
            return ExitCode::from(2);
        }
    };
    pitlane_app::init_logging(config.log_format);
    let addr = std::env::var("PITLANE_WORKER_ADDR").unwrap_or_else(|_| "127.0.0.1:8081".into());
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("pitlane-worker: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(config, addr)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("pitlane-worker: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(config: Config, addr: String) -> anyhow::Result<()> {
    let Some(redis_url) = config.redis_url.clone() else {
        anyhow::bail!("REDIS_URL is required: in embedded mode the server runs the workers itself");
    };
    // The workers' own role (DATABASE_WORKER_URL): the web server's cannot claim messages.
    let store = Store::connect(&StoreOptions {
        url: config
            .database_worker_url
            .clone()
            .unwrap_or_else(|| config.database_url.clone()),
        max_connections: 8,
    })
    .await?;
    store.check_role_is_safe().await?;
    store.check_schema().await?;
    let bus = Bus::redis(&redis_url, &config.redis_prefix).await?;
    let workers = Workers::new(
        store.clone(),
        bus.clone(),
        pitlane_notify::Live::new(bus.clone()),
        config.notify.clone(),
        Workers::default_consumer_name(),
    )
    .map_err(|e| anyhow::anyhow!("mail: {e}"))?;
    let running = workers.start();
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    tracing::info!(%addr, "worker ready");
    probe::serve(
        listener,
        probe::Probe {
            store,
            bus,
            workers,
        },
        pitlane_app::shutdown_signal(),
    )
    .await;
    tracing::info!("stopping: finishing messages in flight");
    running.stop().await;
    Ok(())
}
