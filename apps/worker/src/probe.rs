//! The worker's probe address: `/healthz`, `/readyz` and `/metrics` for the orchestrator and
//! the scraper. Three fixed answers over HTTP/1.1, so the worker needs no web framework.

use std::{convert::Infallible, time::Duration};

use http_body_util::Full;
use hyper::{Request, Response, StatusCode, body::Bytes, server::conn::http1, service::service_fn};
use hyper_util::rt::TokioIo;
use pitlane_bus::Bus;
use pitlane_notify::Workers;
use pitlane_store::Store;
use tokio::net::TcpListener;

#[derive(Clone)]
pub struct Probe {
    pub store: Store,
    pub bus: Bus,
    pub workers: Workers,
}

impl Probe {
    async fn answer(&self, path: &str) -> (StatusCode, &'static str, String) {
        const TEXT: &str = "text/plain; charset=utf-8";
        match path {
            "/healthz" => (StatusCode::OK, TEXT, "ok".into()),
            "/readyz" => {
                let check = Duration::from_secs(2);
                let db = matches!(
                    tokio::time::timeout(check, self.store.ping()).await,
                    Ok(Ok(()))
                );
                let redis = matches!(
                    tokio::time::timeout(check, self.bus.ping()).await,
                    Ok(Ok(()))
                );
                if db && redis {
                    (StatusCode::OK, TEXT, "ok".into())
                } else {
                    (StatusCode::SERVICE_UNAVAILABLE, TEXT, "unavailable".into())
                }
            }
            "/metrics" => {
                let mut body = pitlane_app::metrics::worker_metrics(&self.workers.stats());
                body.push_str("# EOF\n");
                (
                    StatusCode::OK,
                    "text/plain; version=0.0.4; charset=utf-8",
                    body,
                )
            }
            _ => (StatusCode::NOT_FOUND, TEXT, "not found".into()),
        }
    }
}

/// Answers probes on `listener` until `shutdown` resolves.
pub async fn serve(listener: TcpListener, probe: Probe, shutdown: impl Future<Output = ()>) {
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            () = &mut shutdown => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(err) => {
                    tracing::warn!(error = %err, "probe: accept failed");
                    continue;
                }
            },
        };
        let probe = probe.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req: Request<hyper::body::Incoming>| {
                let probe = probe.clone();
                async move {
                    let (status, content_type, body) = probe.answer(req.uri().path()).await;
                    let response = Response::builder()
                        .status(status)
                        .header(hyper::header::CONTENT_TYPE, content_type)
                        .body(Full::new(Bytes::from(body)))
                        .unwrap_or_default();
                    Ok::<_, Infallible>(response)
                }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
