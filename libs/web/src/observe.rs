//! The outermost layer of every request: a request id, a tracing span, metrics,
//! and a 500 with that id (never a dropped connection) when a handler panics.

use std::{sync::Arc, time::Instant};

use poem::{
    Endpoint, IntoResponse, Middleware, Request, Response,
    http::HeaderValue,
    http::StatusCode,
    middleware::{CatchPanic, CatchPanicEndpoint},
};
use tracing::Instrument;

use pitlane_app::metrics::{LatencyLabels, Metrics, RequestLabels, route_label};

use crate::request_id::{self, REQUEST_ID_HEADER};

/// Marks a response whose route was not found, for the metrics label.
#[derive(Clone, Copy)]
pub struct Unmatched;

pub struct Observe {
    pub metrics: Arc<Metrics>,
}

type PanicFn = fn(Box<dyn std::any::Any + Send>) -> Response;

impl<E: Endpoint> Middleware<E> for Observe {
    type Output = ObserveEndpoint<CatchPanicEndpoint<E, PanicFn>>;

    fn transform(&self, ep: E) -> Self::Output {
        ObserveEndpoint {
            inner: CatchPanic::new()
                .with_handler(panic_response as PanicFn)
                .transform(ep),
            metrics: self.metrics.clone(),
        }
    }
}

pub struct ObserveEndpoint<E> {
    inner: E,
    metrics: Arc<Metrics>,
}

fn panic_response(_: Box<dyn std::any::Any + Send>) -> Response {
    tracing::error!("handler panicked");
    crate::problem::Problem::internal().into_response()
}

fn accepted_request_id(req: &Request) -> Option<String> {
    // A caller's id is kept when it is short and plain, so logs can be joined across services.
    let id = req.headers().get(REQUEST_ID_HEADER)?.to_str().ok()?;
    let plain = !id.is_empty()
        && id.len() <= 64
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    plain.then(|| id.to_owned())
}

impl<E: Endpoint> Endpoint for ObserveEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        let started = Instant::now();
        let request_id =
            accepted_request_id(&req).unwrap_or_else(|| uuid::Uuid::now_v7().simple().to_string());
        let method = req.method().to_string();
        let path = req.uri().path().to_owned();
        let span = tracing::info_span!("request", id = %request_id, %method, %path, tenant = tracing::field::Empty, status = tracing::field::Empty);
        let result = request_id::scope(
            request_id.clone(),
            async { self.inner.call(req).await.map(IntoResponse::into_response) }
                .instrument(span.clone()),
        )
        .await;
        let mut response = match result {
            Ok(response) => response,
            Err(err) => request_id::scope(request_id.clone(), async { err.into_response() }).await,
        };
        let status = response.status();
        let matched =
            status != StatusCode::NOT_FOUND || response.extensions().get::<Unmatched>().is_none();
        let route = route_label(&path, matched);
        self.metrics
            .requests
            .get_or_create(&RequestLabels {
                method: method.clone(),
                route: route.clone(),
                status: status.as_u16(),
            })
            .inc();
        self.metrics
            .latency
            .get_or_create(&LatencyLabels { method, route })
            .observe(started.elapsed().as_secs_f64());
        if let Ok(value) = HeaderValue::from_str(&request_id) {
            response.headers_mut().insert(REQUEST_ID_HEADER, value);
        }
        span.record("status", status.as_u16());
        if status.is_server_error() {
            tracing::error!(parent: &span, status = status.as_u16(), elapsed_ms = started.elapsed().as_millis() as u64, "request failed");
        } else {
            tracing::debug!(parent: &span, status = status.as_u16(), elapsed_ms = started.elapsed().as_millis() as u64, "request");
        }
        Ok(response)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use poem::{EndpointExt, Route, get, handler, test::TestClient};

    use super::Observe;
    use crate::request_id::REQUEST_ID_HEADER;
    use pitlane_app::metrics::Metrics;

    #[handler]
    fn boom() -> &'static str {
        panic!("a bug in a handler")
    }

    #[tokio::test]
    async fn a_panicking_handler_answers_500_with_its_request_id() {
        let metrics = Arc::new(Metrics::default());
        let app = Route::new().at("/boom", get(boom)).with(Observe {
            metrics: metrics.clone(),
        });
        let response = TestClient::new(app).get("/boom").send().await;
        response.assert_status(poem::http::StatusCode::INTERNAL_SERVER_ERROR);
        response.assert_content_type("application/problem+json");
        let id = response.0.headers()[REQUEST_ID_HEADER]
            .to_str()
            .expect("ascii")
            .to_owned();
        let body = response.0.into_body().into_string().await.expect("body");
        assert!(body.contains(&id), "the body quotes the request id: {body}");
        assert!(
            !body.contains("a bug in a handler"),
            "the panic message stays in the logs"
        );
        assert!(metrics.render().contains("status=\"500\""));
    }
}
