//! `pitlane-worker`: the shared background workers for all tenants. Run as many as you like:
//! each runs the outbox relay and the senders (a member of the Redis Stream consumer group),
//! claims the messages of crashed peers, and answers `/healthz`, `/readyz` and `/metrics`.

use std::{process::ExitCode, time::Duration};

use pitlane_bus::Bus;
use pitlane_notify::Workers;
use pitlane_store::{Store, StoreOptions};
use pitlane_web::Config;
use poem::{
    EndpointExt, IntoResponse, Response, Route, Server, get, handler, http::StatusCode,
    listener::TcpListener, web::Data,
};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Clone)]
struct Probe {
    store: Store,
    bus: Bus,
    workers: Workers,
}

#[handler]
fn healthz() -> &'static str {
    "ok"
}

#[handler]
async fn readyz(probe: Data<&Probe>) -> Response {
    let check = Duration::from_secs(2);
    let db = matches!(
        tokio::time::timeout(check, probe.store.ping()).await,
        Ok(Ok(()))
    );
    let redis = matches!(
        tokio::time::timeout(check, probe.bus.ping()).await,
        Ok(Ok(()))
    );
    if db && redis {
        "ok".into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "unavailable").into_response()
    }
}

#[handler]
fn metrics(probe: Data<&Probe>) -> Response {
    let mut body = pitlane_web::metrics::worker_metrics(&probe.workers.stats());
    body.push_str("# EOF\n");
    Response::builder()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(body)
}

fn main() -> ExitCode {
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(err) => {
            eprintln!("pitlane-worker: {err}");
            return ExitCode::from(2);
        }
    };
    pitlane_web::init_logging(config.log_format);
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
    let listener = TcpListener::bind(addr.clone());
    tracing::info!(%addr, "worker ready");
    let app = Route::new()
        .at("/healthz", get(healthz))
        .at("/readyz", get(readyz))
        .at("/metrics", get(metrics))
        .data(Probe {
            store,
            bus,
            workers,
        });
    let served = Server::new(listener)
        .run_with_graceful_shutdown(
            app,
            pitlane_web::shutdown_signal(),
            Some(Duration::from_secs(10)),
        )
        .await;
    tracing::info!("stopping: finishing messages in flight");
    running.stop().await;
    served?;
    Ok(())
}
