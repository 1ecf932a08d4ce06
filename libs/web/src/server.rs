//! Start-up, the route tree, and shutdown.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use poem::{
    Endpoint, EndpointExt, IntoEndpoint, IntoResponse, Response, Route, Server, get, handler,
    http::StatusCode,
    listener::{Acceptor, Listener, TcpListener},
    middleware::CookieJarManager,
    post,
    session::{CookieConfig, ServerSession},
    web::{Data, Json, cookie::SameSite},
};

use crate::{
    api,
    observe::Observe,
    pages::{kit, portal},
    problem,
    session::{BusSessions, Csrf, LoadAuth, SESSION_COOKIE, SESSION_LIFETIME},
    tenant::TenantDispatch,
};
use pitlane_app::{AppState, Config, StartError, prepare, shutdown_signal};

#[handler]
fn healthz() -> &'static str {
    "ok"
}

#[handler]
async fn readyz(state: Data<&AppState>) -> Response {
    let check = Duration::from_secs(2);
    let database = matches!(
        tokio::time::timeout(check, state.store.ping()).await,
        Ok(Ok(()))
    );
    let redis = if state.bus.is_redis() {
        Some(matches!(
            tokio::time::timeout(check, state.bus.ping()).await,
            Ok(Ok(()))
        ))
    } else {
        None
    };
    let ready = database && redis.unwrap_or(true);
    let word = |ok: bool| if ok { "ok" } else { "unavailable" };
    let body = serde_json::json!({
        "status": word(ready),
        "database": word(database),
        "redis": redis.map(word).unwrap_or("not configured"),
    });
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}

async fn metrics_body(state: &AppState) -> Response {
    let mut body = state.metrics.render();
    // The OpenMetrics end marker must stay last.
    if let Some(stripped) = body.strip_suffix("# EOF\n") {
        body.truncate(stripped.len());
    }
    body.push_str(&state.queue_figures.render(&state.store).await);
    if let Some(workers) = &state.workers {
        body.push_str(&pitlane_app::metrics::worker_metrics(&workers.stats()));
    }
    body.push_str("# EOF\n");
    Response::builder()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(body)
}

/// `/metrics` on the platform's host: only with `PITLANE_METRICS_TOKEN` as a bearer token
/// (not served at all without one). Workshops' hosts never serve it.
#[handler]
async fn metrics(req: &poem::Request, state: Data<&AppState>) -> Response {
    let Some(expected) = &state.config.metrics_token else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let given = req
        .headers()
        .get(poem::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !bool::from(subtle::ConstantTimeEq::ct_eq(
        given.as_bytes(),
        expected.as_bytes(),
    )) {
        return Response::builder()
            .status(StatusCode::UNAUTHORIZED)
            .header("WWW-Authenticate", "Bearer")
            .finish();
    }
    metrics_body(&state).await
}

/// `/metrics` on `PITLANE_METRICS_ADDR`, the scraper's own address.
#[handler]
async fn metrics_on_own_address(state: Data<&AppState>) -> Response {
    metrics_body(&state).await
}

/// The whole route tree.
pub fn routes(state: AppState) -> impl Endpoint<Output = Response> {
    let config = state.config.clone();
    let api_service = api::service();

    let csrf = Csrf::new(&config.keyring(), config.is_https());
    let cookie = CookieConfig::default()
        .name(SESSION_COOKIE)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(config.is_https())
        .max_age(SESSION_LIFETIME);

    let tenant_app = Route::new()
        .nest_no_strip(
            "/api/v1",
            api_service
                .into_endpoint()
                .catch_all_error(|err| async move { problem::from_poem_error(err) })
                .with(crate::idempotency::Idempotency)
                .with(crate::rate_limit::ApiRateLimit),
        )
        .at("/events", get(crate::events::events))
        .nest("/", crate::pages::tenant_routes())
        .with(LoadAuth)
        .with(csrf.clone())
        .with(ServerSession::new(
            cookie,
            BusSessions::new(state.bus.kv.clone()),
        ));

    let platform_app = Route::new()
        .at("/metrics", get(metrics))
        .nest("/", crate::pages::platform_routes())
        .with(csrf)
        .with(CookieJarManager::new());

    let platform_hosts = config
        .public_url
        .host_str()
        .map(|h| vec![h.to_ascii_lowercase()])
        .unwrap_or_default();
    let dispatch = TenantDispatch {
        refuse: crate::pages::kit::errors::tenant_refusal,
        tenant_app,
        platform_app,
        store: state.store.clone(),
        cache: state.tenants.clone(),
        base_domain: config.base_domain.clone(),
        platform_hosts,
        plans_enforced: state.billing.gateway.is_some(),
    };

    Route::new()
        .at("/healthz", get(healthz))
        .at("/readyz", get(readyz))
        .at("/static/:file", get(kit::assets::serve))
        .at(
            "/oauth/callback",
            get(portal::sso::callback).with(CookieJarManager::new()),
        )
        .at("/webhooks/sms/inbound", post(crate::webhooks::inbound_sms))
        .at("/webhooks/stripe", post(crate::webhooks::stripe))
        .at("/webhooks/sms/status", post(crate::webhooks::sms_status))
        .at(
            "/api/openapi.json",
            get(poem::endpoint::make_sync(move |_| {
                Response::builder()
                    .content_type("application/json; charset=utf-8")
                    .body(api::served_document())
            })),
        )
        .nest(
            "/api/docs",
            get(poem::endpoint::make_sync(move |_| {
                Response::builder()
                    .content_type("text/html; charset=utf-8")
                    .body(api::served_docs())
            })),
        )
        .nest(
            "/",
            dispatch.with(crate::input_guard::RefuseControlCharacters),
        )
        .data(state.clone())
        .with(crate::compress::Compress)
        .with(crate::client_ip::ResolveClientIp {
            trusted: Arc::new(config.trusted_proxies.clone()),
        })
        .with(Observe {
            metrics: state.metrics.clone(),
        })
}

/// A server running in this process (tests and `serve` both use it).
pub struct RunningServer {
    pub addr: std::net::SocketAddr,
    /// Where `/metrics` is served on its own (`PITLANE_METRICS_ADDR`), once bound.
    pub metrics_addr: Option<std::net::SocketAddr>,
    metrics_task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    pub state: AppState,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    workers: Option<pitlane_notify::WorkersHandle>,
    sweeps: tokio::task::JoinHandle<()>,
}

impl RunningServer {
    /// Stops accepting, lets requests in flight finish (up to 10 s), and waits.
    pub async fn stop(mut self) {
        self.sweeps.abort();
        if let Some(task) = self.metrics_task.take() {
            task.abort();
        }
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
        if let Some(workers) = self.workers.take() {
            workers.stop().await;
        }
    }

    pub async fn wait(self) -> std::io::Result<()> {
        self.task
            .await
            .unwrap_or_else(|e| Err(std::io::Error::other(e)))
    }
}

/// Prepares and starts listening; returns once the port is bound.
pub async fn start(mut config: Config) -> Result<RunningServer, StartError> {
    let addr = config.addr;
    let acceptor = TcpListener::bind(addr.to_string())
        .into_acceptor()
        .await
        .map_err(|e| StartError::Listen {
            addr: addr.to_string(),
            error: e.to_string(),
        })?;
    let bound = acceptor
        .local_addr()
        .into_iter()
        .find_map(|a| a.as_socket_addr().copied())
        .unwrap_or(addr);
    // Listening on any free port (`:0`, as tests do) with the public URL left to its default:
    // links name the port actually bound.
    if config.public_url.port() == Some(0) {
        let _ = config.public_url.set_port(Some(bound.port()));
        config.notify.public_url = config.public_url.as_str().trim_end_matches('/').to_owned();
    }
    let state = prepare(config).await?;
    let (metrics_addr, metrics_task) = match state.config.metrics_addr {
        None => (None, None),
        Some(at) => {
            let acceptor = TcpListener::bind(at.to_string())
                .into_acceptor()
                .await
                .map_err(|e| StartError::Listen {
                    addr: at.to_string(),
                    error: e.to_string(),
                })?;
            let bound_metrics = acceptor
                .local_addr()
                .into_iter()
                .find_map(|a| a.as_socket_addr().copied());
            let app = Route::new()
                .at("/metrics", get(metrics_on_own_address))
                .data(state.clone());
            let task = tokio::spawn(Server::new_with_acceptor(acceptor).run(app));
            (bound_metrics, Some(task))
        }
    };
    let app = routes(state.clone());
    let (shutdown_tx, shutdown_rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        Server::new_with_acceptor(acceptor)
            .run_with_graceful_shutdown(
                app,
                async move {
                    let _ = shutdown_rx.await;
                },
                Some(Duration::from_secs(10)),
            )
            .await
    });
    let workers = state.workers.as_ref().map(pitlane_notify::Workers::start);
    let sweeps = pitlane_app::sweeps::spawn(state.clone());
    Ok(RunningServer {
        addr: bound,
        metrics_addr,
        metrics_task,
        state,
        shutdown: Some(shutdown_tx),
        task,
        workers,
        sweeps,
    })
}

/// `pitlane-server serve`: runs until SIGTERM or Ctrl-C, then drains.
pub async fn serve(config: Config) -> Result<(), StartError> {
    let started = Instant::now();
    let public_url = config.public_url.clone();
    let server = start(config).await?;
    tracing::info!(
        addr = %server.addr,
        startup_ms = started.elapsed().as_millis() as u64,
        "listening; open {public_url}"
    );
    let addr = server.addr;
    let shutdown_signal = shutdown_signal();
    tokio::pin!(shutdown_signal);
    let mut server = server;
    tokio::select! {
        () = &mut shutdown_signal => {
            tracing::info!("shutting down: finishing requests in flight");
            server.sweeps.abort();
            server.shutdown.take().map(|tx| tx.send(()));
            let _ = (&mut server.task).await;
            if let Some(workers) = server.workers.take() {
                workers.stop().await;
            }
        }
        result = &mut server.task => {
            if let Ok(Err(err)) = result {
                return Err(StartError::Listen { addr: addr.to_string(), error: err.to_string() });
            }
        }
    }
    tracing::info!("stopped");
    Ok(())
}
