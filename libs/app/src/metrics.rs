//! Prometheus metrics: request counts and latency histograms per route.

use std::sync::Mutex;

use prometheus_client::{
    encoding::{EncodeLabelSet, text::encode},
    metrics::{counter::Counter, family::Family, histogram::Histogram},
    registry::Registry,
};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub method: String,
    pub route: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct LatencyLabels {
    pub method: String,
    pub route: String,
}

pub struct Metrics {
    registry: Mutex<Registry>,
    pub requests: Family<RequestLabels, Counter>,
    pub latency: Family<LatencyLabels, Histogram>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("pitlane");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<LatencyLabels, Histogram>::new_with_constructor(|| {
            Histogram::new([
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ])
        });
        registry.register("http_requests", "HTTP requests answered", requests.clone());
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request",
            latency.clone(),
        );
        Self {
            registry: Mutex::new(registry),
            requests,
            latency,
        }
    }
}

impl Metrics {
    pub fn render(&self) -> String {
        let mut out = String::new();
        let registry = self
            .registry
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Writing into a String cannot fail.
        let _ = encode(&mut out, &registry);
        out
    }
}

/// A route label with ids and tenant slugs taken out, so the number of series stays bounded.
pub fn route_label(path: &str, matched: bool) -> String {
    if !matched {
        return "unmatched".to_owned();
    }
    let mut segments = path.split('/').filter(|s| !s.is_empty()).peekable();
    let mut out = Vec::new();
    if segments.peek() == Some(&"t") {
        segments.next();
        segments.next();
        out.push("t/{tenant}".to_owned());
    }
    for segment in segments {
        let is_id =
            uuid::Uuid::parse_str(segment).is_ok() || segment.chars().all(|c| c.is_ascii_digit());
        out.push(if is_id {
            "{id}".to_owned()
        } else {
            segment.to_owned()
        });
    }
    format!("/{}", out.join("/"))
}

/// One tenant's line of the outbox: the operator's queue view and `/metrics` both show it.
#[derive(Debug, Default, serde::Serialize)]
pub struct TenantQueue {
    pub tenant_id: uuid::Uuid,
    pub tenant: String,
    pub due: i64,
    pub scheduled: i64,
    pub in_flight: i64,
    pub dead: i64,
    pub suppressed: i64,
    pub sent_last_5_minutes: i64,
}

pub fn summarize(
    stats: &[pitlane_store::OutboxStat],
) -> std::collections::BTreeMap<uuid::Uuid, TenantQueue> {
    let mut tenants: std::collections::BTreeMap<uuid::Uuid, TenantQueue> =
        std::collections::BTreeMap::new();
    for s in stats {
        let t = tenants.entry(s.tenant_id).or_insert_with(|| TenantQueue {
            tenant_id: s.tenant_id,
            ..TenantQueue::default()
        });
        match (s.status.as_str(), s.due) {
            ("pending", true) => t.due += s.messages,
            ("pending", false) => t.scheduled += s.messages,
            ("queued" | "sending", _) => t.in_flight += s.messages,
            ("dead", _) => t.dead += s.messages,
            ("suppressed", _) => t.suppressed += s.messages,
            ("sent", _) => t.sent_last_5_minutes += s.messages,
            _ => {}
        }
    }
    tenants
}

/// The outbox's figures for `/metrics`, read at most every 15 seconds however often the
/// scraper (or someone else) asks.
#[derive(Default)]
pub struct QueueFigures {
    cached: tokio::sync::Mutex<Option<(std::time::Instant, String)>>,
}

const QUEUE_FIGURES_TTL: std::time::Duration = std::time::Duration::from_secs(15);

impl QueueFigures {
    pub async fn render(&self, store: &pitlane_store::Store) -> String {
        let mut cached = self.cached.lock().await;
        if let Some((at, text)) = cached.as_ref()
            && at.elapsed() < QUEUE_FIGURES_TTL
        {
            return text.clone();
        }
        let text = match store.outbox_stats().await {
            Ok(stats) => {
                let rows: Vec<_> = summarize(&stats).into_values().collect();
                queue_metrics(&rows)
            }
            Err(err) => {
                tracing::warn!(error = %err, "outbox figures for /metrics");
                String::new()
            }
        };
        *cached = Some((std::time::Instant::now(), text.clone()));
        text
    }
}

/// The outbox per tenant, as gauges (read from the database at scrape time).
pub fn queue_metrics(rows: &[TenantQueue]) -> String {
    use std::fmt::Write;
    let mut out = String::from(
        "# HELP pitlane_outbox_messages Messages in the outbox by tenant and state.\n# TYPE pitlane_outbox_messages gauge\n",
    );
    for r in rows {
        for (state, n) in [
            ("due", r.due),
            ("scheduled", r.scheduled),
            ("in_flight", r.in_flight),
            ("dead", r.dead),
            ("suppressed", r.suppressed),
            ("sent_last_5m", r.sent_last_5_minutes),
        ] {
            let _ = writeln!(
                out,
                "pitlane_outbox_messages{{tenant=\"{}\",state=\"{state}\"}} {n}",
                r.tenant_id
            );
        }
    }
    out
}

/// The counters of the workers running in this process.
pub fn worker_metrics(stats: &pitlane_notify::WorkerStats) -> String {
    use std::{fmt::Write, sync::atomic::Ordering::Relaxed};
    let mut out = String::from(
        "# HELP pitlane_worker_messages_total Messages handled by this process's workers, by outcome.\n# TYPE pitlane_worker_messages_total counter\n",
    );
    for (outcome, counter) in [
        ("relayed", &stats.relayed),
        ("sent", &stats.sent),
        ("retried", &stats.retried),
        ("dead", &stats.dead),
        ("suppressed", &stats.suppressed),
        ("skipped", &stats.skipped),
        ("reclaimed", &stats.reclaimed),
    ] {
        let _ = writeln!(
            out,
            "pitlane_worker_messages_total{{outcome=\"{outcome}\"}} {}",
            counter.load(Relaxed)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::route_label;

    #[test]
    fn labels_hide_ids_and_tenants() {
        assert_eq!(
            route_label(
                "/t/demo/api/v1/branches/0195f3c2-8d1e-7c3a-9b1e-2f3a4b5c6d7e",
                true
            ),
            "/t/{tenant}/api/v1/branches/{id}"
        );
        assert_eq!(route_label("/healthz", true), "/healthz");
        assert_eq!(route_label("/wp-admin.php", false), "unmatched");
    }
}
