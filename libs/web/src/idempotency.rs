//! `Idempotency-Key` on the API's POSTs: a client that retries a request whose answer it
//! never saw (a timeout, a dropped connection) sends the same key and gets the first answer
//! back, instead of a second payment, refund or message. The same key with a different
//! request is a mistake: 422. A key whose first request is still running: 409.
//!
//! Keys belong to the caller (the workshop and the member or API key acting), so one
//! caller's key never answers for another. Answers are kept for 24 hours in the shared
//! key-value store; server errors are not kept, so they may be retried.

use std::time::Duration;

use base64::{Engine, engine::general_purpose::STANDARD};
use pitlane_domain::FieldErrors;
use poem::{
    Body, Endpoint, IntoResponse, Middleware, Request, Response,
    http::{Method, StatusCode},
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{problem::Problem, session::Auth, tenant::TenantScope};
use pitlane_app::state::AppState;

pub const HEADER: &str = "idempotency-key";
const KEEP: Duration = Duration::from_secs(24 * 60 * 60);
const RUNNING: Duration = Duration::from_secs(60);

#[derive(Serialize, Deserialize)]
struct Stored {
    fingerprint: String,
    status: u16,
    content_type: Option<String>,
    body: String,
}

pub struct Idempotency;

impl<E: Endpoint> Middleware<E> for Idempotency {
    type Output = IdempotencyEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        IdempotencyEndpoint { inner: ep }
    }
}

pub struct IdempotencyEndpoint<E> {
    inner: E,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn problem(status: StatusCode, kind: &str, title: &str, detail: &str) -> Response {
    Problem::new(status, kind, title, Some(detail.to_owned())).into_response()
}

impl<E: Endpoint> Endpoint for IdempotencyEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> poem::Result<Response> {
        let key = req
            .headers()
            .get(HEADER)
            .map(|v| v.to_str().map(str::to_owned));
        let (Method::POST, Some(key)) = (req.method().clone(), key) else {
            return self.inner.call(req).await.map(IntoResponse::into_response);
        };
        let Ok(key) = key.map(|k| k.trim().to_owned()) else {
            return Ok(
                Problem::from(FieldErrors::single("Idempotency-Key", "must be plain text"))
                    .into_response(),
            );
        };
        if key.is_empty() || key.len() > 255 {
            return Ok(Problem::from(FieldErrors::single(
                "Idempotency-Key",
                "must be 1 to 255 characters",
            ))
            .into_response());
        }
        let (Some(state), Some(scope)) = (
            req.data::<AppState>().cloned(),
            req.extensions().get::<TenantScope>().cloned(),
        ) else {
            return self.inner.call(req).await.map(IntoResponse::into_response);
        };
        // Without a caller the operation answers 401 anyway: nothing to remember.
        let Some(caller) = req
            .extensions()
            .get::<Auth>()
            .map(|a| a.actor.membership_id.0)
        else {
            return self.inner.call(req).await.map(IntoResponse::into_response);
        };
        let body = req.take_body().into_bytes().await?;
        let fingerprint = {
            let mut h = Sha256::new();
            h.update(req.method().as_str().as_bytes());
            h.update(b" ");
            h.update(req.uri().path().as_bytes());
            h.update(b"?");
            h.update(req.uri().query().unwrap_or_default().as_bytes());
            h.update(b"\n");
            h.update(&body);
            hex(&h.finalize())
        };
        let slot = format!(
            "idempotency:{}:{caller}:{}",
            scope.tenant.id,
            hex(&Sha256::digest(key.as_bytes()))
        );
        let kv = &state.bus.kv;
        match kv.get(&slot).await {
            Ok(Some(raw)) => {
                if let Ok(stored) = serde_json::from_slice::<Stored>(&raw) {
                    return Ok(replay(stored, &fingerprint));
                }
            }
            Ok(None) => {}
            Err(err) => {
                tracing::warn!(error = %err, "idempotency keys unavailable");
                return Ok(problem(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "Try again shortly",
                    "Requests with an Idempotency-Key cannot be checked just now.",
                ));
            }
        }
        let lock = format!("{slot}:running");
        if kv.incr(&lock, 1, RUNNING).await.unwrap_or(1) > 1 {
            return Ok(problem(
                StatusCode::CONFLICT,
                "idempotency-in-progress",
                "A request with this Idempotency-Key is still running",
                "Wait for its answer, then send the same request again to read it.",
            ));
        }
        req.set_body(body);
        let response = self.inner.call(req).await.map(IntoResponse::into_response);
        let response = match response {
            Ok(response) => response,
            Err(err) => err.into_response(),
        };
        let (parts, body) = response.into_parts();
        let bytes = body.into_bytes().await.unwrap_or_default();
        if !parts.status.is_server_error() {
            let stored = Stored {
                fingerprint,
                status: parts.status.as_u16(),
                content_type: parts
                    .headers
                    .get(poem::http::header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned),
                body: STANDARD.encode(&bytes),
            };
            if let Ok(raw) = serde_json::to_vec(&stored)
                && let Err(err) = kv.set(&slot, &raw, Some(KEEP)).await
            {
                tracing::warn!(error = %err, "keeping an idempotent answer");
            }
        }
        let _ = kv.delete(&lock).await;
        Ok(Response::from_parts(parts, Body::from(bytes)))
    }
}

fn replay(stored: Stored, fingerprint: &str) -> Response {
    if stored.fingerprint != fingerprint {
        return Problem::from(FieldErrors::single(
            "Idempotency-Key",
            "was already used with a different request; use a new key for a new request",
        ))
        .into_response();
    }
    let mut builder = Response::builder()
        .status(StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK))
        .header("Idempotent-Replayed", "true");
    if let Some(ct) = stored.content_type {
        builder = builder.content_type(ct);
    }
    builder.body(STANDARD.decode(stored.body).unwrap_or_default())
}
