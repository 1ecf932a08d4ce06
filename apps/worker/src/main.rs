//! `pitlane-worker`: the shared background workers for all tenants. It connects to the same
//! database and Redis as the servers and answers `/healthz` and `/readyz` for probes; the
//! notification, webhook and reminder consumers are registered here as they are built.

use std::{process::ExitCode, time::Duration};

use pitlane_bus::Bus;
use pitlane_store::{Store, StoreOptions};
use pitlane_web::Config;
use poem::{
    EndpointExt, IntoResponse, Route, Server, get, handler, http::StatusCode,
    listener::TcpListener, web::Data,
};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Clone)]
struct Worker {
    store: Store,
    bus: Bus,
}

#[handler]
fn healthz() -> &'static str {
    "ok"
}

#[handler]
async fn readyz(worker: Data<&Worker>) -> poem::Response {
    let check = Duration::from_secs(2);
    let db = matches!(
        tokio::time::timeout(check, worker.store.ping()).await,
        Ok(Ok(()))
    );
    let redis = matches!(
        tokio::time::timeout(check, worker.bus.ping()).await,
        Ok(Ok(()))
    );
    if db && redis {
        "ok".into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "unavailable").into_response()
    }
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
    let store = Store::connect(&StoreOptions {
        url: config.database_url.clone(),
        max_connections: 4,
    })
    .await?;
    store.check_role_is_safe().await?;
    let bus = Bus::redis(&redis_url, &config.redis_prefix).await?;
    tracing::info!(%addr, "worker ready");
    let app = Route::new()
        .at("/healthz", get(healthz))
        .at("/readyz", get(readyz))
        .data(Worker { store, bus });
    Server::new(TcpListener::bind(addr))
        .run_with_graceful_shutdown(
            app,
            pitlane_web::shutdown_signal(),
            Some(Duration::from_secs(10)),
        )
        .await?;
    Ok(())
}
