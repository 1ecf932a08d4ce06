//! Throttling of password guesses, per account and per address, on the shared key-value store
//! (Redis in the SaaS shape, so every instance counts together; memory when embedded).
//!
//! Failures are counted in a window; at the limit the account (or address) is locked for the
//! lockout period, and sign-in answers "try again in N minutes" without checking the password.

use std::{sync::Arc, time::Duration};

use chrono::Utc;
use pitlane_bus::KeyValue;

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub per_account: i64,
    pub per_address: i64,
    pub window: Duration,
    pub lockout: Duration,
}

impl Default for Limits {
    /// Five wrong passwords for one account, or thirty from one address, in fifteen minutes.
    fn default() -> Self {
        Self {
            per_account: 5,
            per_address: 30,
            window: Duration::from_secs(15 * 60),
            lockout: Duration::from_secs(15 * 60),
        }
    }
}

#[derive(Clone)]
pub struct Throttle {
    kv: Arc<dyn KeyValue>,
    limits: Limits,
}

/// Sign-in is refused for this long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Locked {
    pub minutes: u64,
}

impl Throttle {
    pub fn new(kv: Arc<dyn KeyValue>, limits: Limits) -> Self {
        Self { kv, limits }
    }

    fn keys(tenant: &str, account: &str, address: Option<&str>) -> Vec<(String, bool)> {
        let mut keys = vec![(format!("throttle:signin:{tenant}:account:{account}"), true)];
        if let Some(address) = address {
            keys.push((format!("throttle:signin:address:{address}"), false));
        }
        keys
    }

    /// Whether this account or address is locked out now.
    pub async fn check(
        &self,
        scope: &str,
        account: &str,
        address: Option<&str>,
    ) -> Result<(), Locked> {
        for (key, _) in Self::keys(scope, account, address) {
            if let Ok(Some(until)) = self.kv.get(&format!("{key}:locked")).await {
                let until = String::from_utf8_lossy(&until).parse::<i64>().unwrap_or(0);
                let left = until - Utc::now().timestamp();
                if left > 0 {
                    return Err(Locked {
                        minutes: (left as u64).div_ceil(60),
                    });
                }
            }
        }
        Ok(())
    }

    /// Counts a failure; returns the lockout it caused, if any. A store that cannot be reached
    /// counts nothing: sign-in stays possible, and the failure is logged.
    pub async fn failed(
        &self,
        scope: &str,
        account: &str,
        address: Option<&str>,
    ) -> Option<Locked> {
        let mut locked = None;
        for (key, per_account) in Self::keys(scope, account, address) {
            let limit = if per_account {
                self.limits.per_account
            } else {
                self.limits.per_address
            };
            match self.kv.incr(&key, 1, self.limits.window).await {
                Ok(count) if count >= limit => {
                    let until = Utc::now().timestamp() + self.limits.lockout.as_secs() as i64;
                    let _ = self
                        .kv
                        .set(
                            &format!("{key}:locked"),
                            until.to_string().as_bytes(),
                            Some(self.limits.lockout),
                        )
                        .await;
                    let _ = self.kv.delete(&key).await;
                    locked = Some(Locked {
                        minutes: self.limits.lockout.as_secs().div_ceil(60),
                    });
                }
                Ok(_) => {}
                Err(err) => tracing::warn!(error = %err, "sign-in throttle unavailable"),
            }
        }
        locked
    }

    /// Forgets an account's failures after it signed in.
    pub async fn succeeded(&self, scope: &str, account: &str) {
        for (key, _) in Self::keys(scope, account, None) {
            let _ = self.kv.delete(&key).await;
        }
    }

    /// Counts one more use of `key` in `window`; the count so far (0 when the store is down).
    pub async fn count(&self, key: &str, window: Duration) -> i64 {
        self.kv.incr(key, 1, window).await.unwrap_or(0)
    }
}
