//! The operator's view of the shared queues, on the platform host: backlog, throughput,
//! failures and dead letters per tenant. Opened with `PITLANE_OPERATOR_TOKEN` (HTTP Basic,
//! any user name); without that variable the view does not exist.

use std::collections::BTreeMap;

use base64::{Engine, engine::general_purpose::STANDARD};
use maud::html;
use pitlane_store::OutboxStat;
use poem::{
    IntoResponse, Request, Response, handler,
    http::{StatusCode, header},
    web::{Data, Json},
};
use subtle::ConstantTimeEq;
use uuid::Uuid;

use super::layout::{PageCtx, page};
use crate::state::AppState;

fn authorized(req: &Request, token: &str) -> bool {
    let Some(value) = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let given = if let Some(basic) = value.strip_prefix("Basic ") {
        STANDARD
            .decode(basic.trim())
            .ok()
            .and_then(|raw| String::from_utf8(raw).ok())
            .and_then(|pair| pair.split_once(':').map(|(_, p)| p.to_owned()))
    } else {
        value.strip_prefix("Bearer ").map(|t| t.trim().to_owned())
    };
    given.is_some_and(|g| bool::from(g.as_bytes().ct_eq(token.as_bytes())))
}

fn gate(req: &Request, state: &AppState) -> Option<Response> {
    let Some(token) = state.config.operator_token.as_deref() else {
        return Some(StatusCode::NOT_FOUND.into_response());
    };
    if authorized(req, token) {
        None
    } else {
        Some(
            Response::builder()
                .status(StatusCode::UNAUTHORIZED)
                .header(header::WWW_AUTHENTICATE, "Basic realm=\"Pitlane operator\"")
                .body("operator token required"),
        )
    }
}

/// One tenant's line in the view.
#[derive(Debug, Default, serde::Serialize)]
pub struct TenantQueue {
    pub tenant_id: Uuid,
    pub tenant: String,
    pub due: i64,
    pub scheduled: i64,
    pub in_flight: i64,
    pub dead: i64,
    pub suppressed: i64,
    pub sent_last_5_minutes: i64,
}

pub fn summarize(stats: &[OutboxStat]) -> BTreeMap<Uuid, TenantQueue> {
    let mut tenants: BTreeMap<Uuid, TenantQueue> = BTreeMap::new();
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

async fn queues(state: &AppState) -> Result<Vec<TenantQueue>, String> {
    let stats = state
        .store
        .outbox_stats()
        .await
        .map_err(|e| e.to_string())?;
    let mut rows: Vec<TenantQueue> = summarize(&stats).into_values().collect();
    for row in &mut rows {
        row.tenant = match state
            .store
            .tenant_by_id(pitlane_domain::ids::TenantId(row.tenant_id))
            .await
        {
            Ok(Some(t)) => t.slug,
            _ => row.tenant_id.to_string(),
        };
    }
    Ok(rows)
}

#[handler]
pub async fn queues_json(req: &Request, state: Data<&AppState>) -> Response {
    if let Some(denied) = gate(req, &state) {
        return denied;
    }
    match queues(&state).await {
        Ok(rows) => Json(serde_json::json!({ "tenants": rows })).into_response(),
        Err(err) => {
            tracing::error!(error = %err, "operator queue view");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

#[handler]
pub async fn queues_page(req: &Request, state: Data<&AppState>) -> Response {
    if let Some(denied) = gate(req, &state) {
        return denied;
    }
    let ctx = PageCtx::from_request(req);
    let (rows, dead) = match (queues(&state).await, state.store.outbox_dead(50).await) {
        (Ok(rows), Ok(dead)) => (rows, dead),
        _ => return StatusCode::SERVICE_UNAVAILABLE.into_response(),
    };
    let body = html! {
        h1 { "Message queues" }
        p class="muted" { "All tenants. Refresh for current figures; the same numbers are on /metrics." }
        table {
            thead { tr {
                th scope="col" { "Tenant" } th scope="col" { "Due now" } th scope="col" { "Scheduled" }
                th scope="col" { "In flight" } th scope="col" { "Sent (5 min)" } th scope="col" { "Dead" } th scope="col" { "Opted out" }
            } }
            tbody {
                @for r in &rows {
                    tr { td { (r.tenant) } td { (r.due) } td { (r.scheduled) } td { (r.in_flight) } td { (r.sent_last_5_minutes) } td { (r.dead) } td { (r.suppressed) } }
                }
            }
        }
        h2 { "Latest dead letters" }
        table {
            thead { tr { th scope="col" { "Tenant" } th scope="col" { "Message" } th scope="col" { "To" } th scope="col" { "Tries" } th scope="col" { "Last error" } } }
            tbody {
                @for m in &dead {
                    tr { td { (m.tenant_id) } td { (m.kind) " · " (m.channel) } td { (m.recipient) } td { (m.attempts) } td { (m.last_error.as_deref().unwrap_or("")) } }
                }
            }
        }
    };
    page(&ctx, "Message queues", None, body).into_response()
}
