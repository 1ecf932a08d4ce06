//! Limits on messages that anyone may cause without signing in (a guest's booking code, a
//! customer's sign-in link, a password reset). Each costs the workshop money or reputation,
//! and a bot that makes them for premium numbers earns from SMS pumping. Three counters,
//! each over the last hour: per client address, per destination (across all workshops), and
//! per workshop. The counters live in the shared key-value store; if it is down the request
//! goes through (the outbox still paces what is sent) and the lapse is logged.

use std::{sync::Arc, time::Duration};

use pitlane_bus::KeyValue;
use pitlane_domain::ids::TenantId;

#[derive(Clone)]
pub struct SendLimits {
    kv: Arc<dyn KeyValue>,
    pub per_ip: i64,
    pub per_destination: i64,
    pub per_tenant: i64,
}

const WINDOW: Duration = Duration::from_secs(60 * 60);

impl SendLimits {
    /// The limits in force: 10 an hour from one address, 5 to one destination, 300 for one
    /// workshop.
    pub fn new(kv: Arc<dyn KeyValue>) -> Self {
        Self {
            kv,
            per_ip: 10,
            per_destination: 5,
            per_tenant: 300,
        }
    }

    /// Counts one message to `destination` asked for from `ip` at `tenant`; the reason to
    /// refuse it when any limit is passed.
    pub async fn allow(
        &self,
        tenant: TenantId,
        ip: Option<&str>,
        destination: &str,
    ) -> Result<(), &'static str> {
        let destination = destination.trim().to_lowercase();
        let mut counters = vec![
            (
                format!("sends:to:{destination}"),
                self.per_destination,
                "too many messages were sent to that address in the last hour; try again later or call the workshop",
            ),
            (
                format!("sends:tenant:{tenant}"),
                self.per_tenant,
                "this workshop is sending too many of these messages just now; try again later or call the workshop",
            ),
        ];
        if let Some(ip) = ip {
            counters.push((
                format!("sends:ip:{ip}"),
                self.per_ip,
                "too many messages were asked for from your network in the last hour; try again later",
            ));
        }
        for (key, limit, reason) in counters {
            match self.kv.incr(&key, 1, WINDOW).await {
                Ok(count) if count > limit => {
                    tracing::warn!(%tenant, key, "anonymous send limit reached");
                    return Err(reason);
                }
                Ok(_) => {}
                Err(err) => tracing::warn!(error = %err, "send limits unavailable; allowing"),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> SendLimits {
        SendLimits {
            per_ip: 3,
            per_destination: 2,
            per_tenant: 4,
            ..SendLimits::new(pitlane_bus::Bus::in_process().kv)
        }
    }

    #[tokio::test]
    async fn each_counter_caps_on_its_own() {
        let limits = limits();
        let (alpha, bravo) = (TenantId::new(), TenantId::new());
        // Per destination, across workshops and addresses, whatever the case of the address.
        assert!(limits.allow(alpha, None, "ann@example.com").await.is_ok());
        assert!(limits.allow(bravo, None, "ANN@example.com").await.is_ok());
        let refused = limits.allow(alpha, None, "ann@example.com").await;
        assert!(refused.is_err_and(|r| r.contains("to that address")));
        // Per client address (each send for another workshop, so only the address counts).
        for n in 0..3 {
            let to = format!("guest{n}@example.com");
            let ok = limits
                .allow(TenantId::new(), Some("203.0.113.7"), &to)
                .await;
            assert!(ok.is_ok());
        }
        let refused = limits
            .allow(TenantId::new(), Some("203.0.113.7"), "guest9@example.com")
            .await;
        assert!(refused.is_err_and(|r| r.contains("your network")));
        // Per workshop: alpha's first send counted (the refused one stopped at its address).
        for n in 0..3 {
            let to = format!("other{n}@example.com");
            assert!(limits.allow(alpha, None, &to).await.is_ok());
        }
        let refused = limits.allow(alpha, None, "last@example.com").await;
        assert!(refused.is_err_and(|r| r.contains("this workshop")));
        // Another network and another workshop are not held back by them.
        assert!(
            limits
                .allow(TenantId::new(), Some("198.51.100.1"), "fresh@example.com")
                .await
                .is_ok()
        );
    }
}
