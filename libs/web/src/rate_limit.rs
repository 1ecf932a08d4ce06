//! Rate limits on the API for API keys: per key and per workshop (all its keys together),
//! counted in windows of a minute in the shared key-value store, so every server instance
//! counts the same requests. Every answer to a key carries the IETF `RateLimit-Policy` and
//! `RateLimit` fields (draft-ietf-httpapi-ratelimit-headers); a request over either quota is
//! answered 429 with `Retry-After`, and does nothing.
//!
//! Staff's own browsers (sessions) are not counted: the portal's pages are limited by people.
//! When the store cannot be reached the request goes on uncounted: an outage of the counter
//! must not become an outage of the API.

use std::time::Duration;

use poem::{Endpoint, IntoResponse, Middleware, Request, Response, http::StatusCode};

use crate::{problem::Problem, session::Auth};
use pitlane_app::state::AppState;

/// The window quotas are counted in.
const WINDOW_SECONDS: u64 = 60;

/// One quota as the headers name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Quota {
    policy: &'static str,
    limit: u32,
    used: i64,
}

impl Quota {
    fn remaining(self) -> i64 {
        (i64::from(self.limit) - self.used).max(0)
    }

    fn exceeded(self) -> bool {
        self.used > i64::from(self.limit)
    }
}

/// `RateLimit-Policy: "key";q=600;w=60, "tenant";q=3000;w=60`.
fn policy_field(quotas: &[Quota]) -> String {
    quotas
        .iter()
        .map(|q| format!("\"{}\";q={};w={WINDOW_SECONDS}", q.policy, q.limit))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `RateLimit: "key";r=598;t=42, "tenant";r=2990;t=42`.
fn limit_field(quotas: &[Quota], reset: u64) -> String {
    quotas
        .iter()
        .map(|q| format!("\"{}\";r={};t={reset}", q.policy, q.remaining()))
        .collect::<Vec<_>>()
        .join(", ")
}

pub struct ApiRateLimit;

impl<E: Endpoint> Middleware<E> for ApiRateLimit {
    type Output = ApiRateLimitEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        ApiRateLimitEndpoint { inner: ep }
    }
}

pub struct ApiRateLimitEndpoint<E> {
    inner: E,
}

impl<E: Endpoint> Endpoint for ApiRateLimitEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        let key = req
            .extensions()
            .get::<Auth>()
            .and_then(|auth| Some((auth.actor.tenant_id.0, auth.actor.api_key?)));
        let (Some(state), Some((tenant, key))) = (req.data::<AppState>().cloned(), key) else {
            return self.inner.call(req).await.map(IntoResponse::into_response);
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let window = now / WINDOW_SECONDS;
        let reset = WINDOW_SECONDS - now % WINDOW_SECONDS;
        // Kept a little past the window's end, so a slow clock on another instance still
        // counts into it.
        let keep = Duration::from_secs(WINDOW_SECONDS * 2);
        let kv = &state.bus.kv;
        let key_counter = format!("ratelimit:key:{key}:{window}");
        let tenant_counter = format!("ratelimit:tenant:{tenant}:{window}");
        let (by_key, by_tenant) = tokio::join!(
            kv.incr(&key_counter, 1, keep),
            kv.incr(&tenant_counter, 1, keep)
        );
        let (by_key, by_tenant) = match (by_key, by_tenant) {
            (Ok(k), Ok(t)) => (k, t),
            (Err(err), _) | (_, Err(err)) => {
                tracing::warn!(error = %err, "counting API requests; letting this one through");
                return self.inner.call(req).await.map(IntoResponse::into_response);
            }
        };
        let rate = state.config.api_rate;
        let quotas = [
            Quota {
                policy: "key",
                limit: rate.per_key,
                used: by_key,
            },
            Quota {
                policy: "tenant",
                limit: rate.per_tenant,
                used: by_tenant,
            },
        ];
        let mut response = if quotas.iter().any(|q| q.exceeded()) {
            let mut response = Problem::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate-limited",
                "Too many requests",
                Some(format!(
                    "This API key may make {} requests a minute, and the workshop's keys {} together. Try again in {reset} s.",
                    rate.per_key, rate.per_tenant
                )),
            )
            .into_response();
            response.headers_mut().insert("retry-after", reset.into());
            response
        } else {
            self.inner.call(req).await?.into_response()
        };
        let headers = response.headers_mut();
        if let Ok(value) = policy_field(&quotas).parse() {
            headers.insert("ratelimit-policy", value);
        }
        if let Ok(value) = limit_field(&quotas, reset).parse() {
            headers.insert("ratelimit", value);
        }
        Ok(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fields_follow_the_drafts_syntax() {
        let quotas = [
            Quota {
                policy: "key",
                limit: 600,
                used: 2,
            },
            Quota {
                policy: "tenant",
                limit: 3000,
                used: 3001,
            },
        ];
        assert_eq!(
            policy_field(&quotas),
            "\"key\";q=600;w=60, \"tenant\";q=3000;w=60"
        );
        assert_eq!(
            limit_field(&quotas, 42),
            "\"key\";r=598;t=42, \"tenant\";r=0;t=42"
        );
        assert!(!quotas[0].exceeded());
        assert!(quotas[1].exceeded());
    }
}
