//! Our one door to Stripe's API (async-stripe): the platform's secret key from the
//! environment, an idempotency key derived from our own ids on every write, and retries with
//! backoff on network errors and 5xx answers. The key is the same on every retry, so Stripe
//! does the work once however often we ask.

use std::{fmt, future::Future, time::Duration};

use pitlane_domain::ServiceError;
use stripe::{IdempotencyKey, RequestStrategy, StripeError};

/// `STRIPE_*`: how this deployment talks to Stripe.
#[derive(Clone)]
pub struct StripeSettings {
    /// `STRIPE_SECRET_KEY`: `sk_test_…` or `sk_live_…`; never logged.
    pub secret_key: String,
    /// `STRIPE_WEBHOOK_SECRET`: one or more `whsec_…`, comma-separated, so a secret can be
    /// rotated without refusing events signed with the old one meanwhile.
    pub webhook_secrets: Vec<String>,
    /// `STRIPE_API_BASE`: Stripe's API unless set (tests point it at a fake on 127.0.0.1).
    pub api_base: Option<String>,
    /// `STRIPE_PRICE_<PLAN>`: the Stripe price of each plan, per branch per month.
    pub plan_prices: Vec<(String, String)>,
}

impl fmt::Debug for StripeSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StripeSettings")
            .field("livemode", &self.livemode())
            .field("webhook_secrets", &self.webhook_secrets.len())
            .field("api_base", &self.api_base)
            .finish_non_exhaustive()
    }
}

impl StripeSettings {
    /// Whether the key moves real money: a live deployment refuses test events, and the reverse.
    pub fn livemode(&self) -> bool {
        self.secret_key.starts_with("sk_live_") || self.secret_key.starts_with("rk_live_")
    }

    pub fn price_of(&self, plan: &str) -> Option<&str> {
        self.plan_prices
            .iter()
            .find(|(p, _)| p == plan)
            .map(|(_, price)| price.as_str())
    }
}

/// How many times a call is tried before the customer is told to try again later.
const ATTEMPTS: u32 = 4;

/// Stripe, for the billing services.
#[derive(Clone)]
pub struct Gateway {
    pub(crate) client: stripe::Client,
    pub settings: StripeSettings,
}

impl fmt::Debug for Gateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gateway")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// A call that did not get through, as the caller needs to tell it.
#[derive(Debug)]
pub enum CallError {
    /// Stripe (or the way there) is down: nothing changed, try again later.
    Unavailable(String),
    /// Stripe refused the request itself (4xx): retrying will not help.
    Refused { status: u16, message: String },
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::Unavailable(why) => write!(f, "Stripe is unavailable: {why}"),
            CallError::Refused { status, message } => {
                write!(f, "Stripe refused the request ({status}): {message}")
            }
        }
    }
}

impl std::error::Error for CallError {}

impl CallError {
    /// What a customer or member of staff is told: never Stripe's own words about our keys.
    pub fn into_service_error(self, field: &str) -> ServiceError {
        tracing::warn!(error = %self, "Stripe call failed");
        match self {
            CallError::Unavailable(_) => {
                ServiceError::Conflict(pitlane_domain::FieldErrors::single(
                    field,
                    "card payment is temporarily unavailable, please try again in a few minutes",
                ))
            }
            CallError::Refused { .. } => {
                ServiceError::Conflict(pitlane_domain::FieldErrors::single(
                    field,
                    "Stripe did not accept this request; the workshop has been told",
                ))
            }
        }
    }
}

fn retryable(err: &StripeError) -> bool {
    match err {
        StripeError::Stripe(_, status) => matches!(status, 409 | 429 | 500..=599),
        StripeError::ClientError(_) | StripeError::Timeout => true,
        StripeError::JSONDeserialize(_) | StripeError::ConfigError(_) => false,
    }
}

fn describe(err: StripeError) -> CallError {
    match err {
        StripeError::Stripe(api, status) if (400..500).contains(&status) && status != 429 => {
            CallError::Refused {
                status,
                message: api.message.unwrap_or_default(),
            }
        }
        other => CallError::Unavailable(other.to_string()),
    }
}

impl Gateway {
    pub fn new(settings: StripeSettings) -> Result<Self, String> {
        let mut builder = stripe::ClientBuilder::new(settings.secret_key.clone())
            .timeout(Duration::from_secs(20));
        if let Some(base) = &settings.api_base {
            builder = builder.url(base.clone());
        }
        let client = builder.build().map_err(|e| e.to_string())?;
        Ok(Self { client, settings })
    }

    /// The strategy for one attempt of a write: our idempotency key, sent as is.
    pub(crate) fn idempotent(key: &str) -> RequestStrategy {
        // Our keys are `purpose:uuid…`, never empty and well inside Stripe's 255 characters.
        match IdempotencyKey::new(key) {
            Ok(key) => RequestStrategy::Idempotent(key),
            Err(_) => RequestStrategy::Once,
        }
    }

    /// Runs `attempt` until it succeeds, fails for good, or [`ATTEMPTS`] are spent; waits
    /// 250 ms, 500 ms, 1 s between tries.
    pub(crate) async fn call<T, F, Fut>(&self, what: &str, attempt: F) -> Result<T, CallError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, StripeError>>,
    {
        let mut delay = Duration::from_millis(250);
        for tried in 1..=ATTEMPTS {
            match attempt().await {
                Ok(value) => return Ok(value),
                Err(err) if retryable(&err) && tried < ATTEMPTS => {
                    tracing::info!(call = what, attempt = tried, error = %err, "Stripe call failed; retrying");
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                }
                Err(err) => return Err(describe(err)),
            }
        }
        Err(CallError::Unavailable("no attempt was made".into()))
    }
}
