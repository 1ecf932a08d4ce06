//! The operator's console on the platform host: the workshops (search, plan and usage,
//! suspend and reactivate, each audited in the workshop's log) and the shared queues (backlog,
//! throughput, failures and dead letters per tenant). Opened with `PITLANE_OPERATOR_TOKEN` (HTTP Basic,
//! any user name); without that variable the view does not exist.

use base64::{Engine, engine::general_purpose::STANDARD};
use maud::html;
use poem::{
    FromRequest, IntoResponse, Request, RequestBody, Response, Route, get, handler,
    http::{StatusCode, header},
    post,
    web::{Data, Json, Path, Query, Redirect},
};
use subtle::ConstantTimeEq;
use uuid::Uuid;

use pitlane_app::{
    AppState,
    metrics::{TenantQueue, summarize},
};

use crate::pages::kit::{PageCtx, PageResult, Pairs, page, table_region};

pub fn routes(routes: Route) -> Route {
    routes
        .at("/operator/queues", get(queues_page))
        .at("/operator/api/queues", get(queues_json))
        .at("/operator/tenants", get(tenants_page))
        .at("/operator/api/tenants", get(tenants_json))
        .at("/operator/tenants/:id", get(tenant_page))
        .at("/operator/tenants/:id/status", post(tenant_status))
}

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

/// The operator, holding `PITLANE_OPERATOR_TOKEN`; everyone else is answered before any
/// handler runs (404 when the deployment has no operator token, 401 otherwise).
pub struct Operator;

impl<'a> FromRequest<'a> for Operator {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        let token = req
            .data::<AppState>()
            .and_then(|state| state.config.operator_token.as_deref());
        match token {
            None => Err(poem::Error::from_status(StatusCode::NOT_FOUND)),
            Some(token) if authorized(req, token) => Ok(Operator),
            Some(_) => Err(poem::Error::from_response(
                Response::builder()
                    .status(StatusCode::UNAUTHORIZED)
                    .header(header::WWW_AUTHENTICATE, "Basic realm=\"Pitlane operator\"")
                    .body("operator token required"),
            )),
        }
    }
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
async fn queues_json(_: Operator, state: Data<&AppState>) -> Response {
    match queues(&state).await {
        Ok(rows) => Json(serde_json::json!({ "tenants": rows })).into_response(),
        Err(err) => {
            tracing::error!(error = %err, "operator queue view");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

#[handler]
async fn queues_page(_: Operator, ctx: PageCtx, state: Data<&AppState>) -> Response {
    let (rows, dead) = match (queues(&state).await, state.store.outbox_dead(50).await) {
        (Ok(rows), Ok(dead)) => (rows, dead),
        _ => return StatusCode::SERVICE_UNAVAILABLE.into_response(),
    };
    let body = html! {
        h1 { "Message queues" }
        p class="muted" { "All tenants. Refresh for current figures; the same numbers are on /metrics." }
        (table_region("Message queues", html! {
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
        }))
        h2 { "Latest dead letters" }
        (table_region("Latest dead letters", html! {
            table {
                thead { tr { th scope="col" { "Tenant" } th scope="col" { "Message" } th scope="col" { "To" } th scope="col" { "Tries" } th scope="col" { "Last error" } } }
                tbody {
                    @for m in &dead {
                        tr { td { (m.tenant_id) } td { (m.kind) " · " (m.channel) } td { (m.recipient) } td { (m.attempts) } td { (m.last_error.as_deref().unwrap_or("")) } }
                    }
                }
            }
        }))
    };
    page(&ctx, "Message queues", None, body).into_response()
}

// ---- Tenants ----

#[derive(serde::Deserialize, Default)]
pub struct TenantSearch {
    #[serde(default)]
    q: String,
}

#[derive(serde::Serialize)]
struct TenantLine {
    id: Uuid,
    slug: String,
    name: String,
    status: String,
    plan: String,
    trial_ends_at: Option<chrono::DateTime<chrono::Utc>>,
    created_at: chrono::DateTime<chrono::Utc>,
}

async fn tenant_lines(
    state: &AppState,
    q: &str,
) -> Result<Vec<TenantLine>, pitlane_store::StoreError> {
    Ok(state
        .store
        .tenants_matching(Some(q), 200)
        .await?
        .into_iter()
        .map(|t| TenantLine {
            id: t.id,
            slug: t.slug,
            name: t.name,
            status: t.status,
            plan: t.plan,
            trial_ends_at: t.trial_ends_at,
            created_at: t.created_at,
        })
        .collect())
}

#[handler]
async fn tenants_json(
    _: Operator,
    state: Data<&AppState>,
    Query(q): Query<TenantSearch>,
) -> Response {
    match tenant_lines(&state, &q.q).await {
        Ok(rows) => Json(serde_json::json!({ "tenants": rows })).into_response(),
        Err(err) => {
            tracing::error!(error = %err, "operator tenant list");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

#[handler]
async fn tenants_page(
    _: Operator,
    ctx: PageCtx,
    state: Data<&AppState>,
    Query(q): Query<TenantSearch>,
) -> Response {
    let Ok(rows) = tenant_lines(&state, &q.q).await else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    let body = html! {
        h1 { "Workshops" }
        p { a href="/operator/queues" { "Message queues" } }
        form method="get" action="/operator/tenants" class="filters" {
            div class="field" {
                label for="f-q" { "Search by address or name" }
                input id="f-q" name="q" type="search" value=(q.q);
            }
            div { button class="button" type="submit" { "Search" } }
        }
        (table_region("Workshops", html! {
            table {
                thead { tr { th scope="col" { "Workshop" } th scope="col" { "Address" } th scope="col" { "Plan" } th scope="col" { "Status" } th scope="col" { "Since" } } }
                tbody {
                    @for t in &rows {
                        tr {
                            td { a href=(format!("/operator/tenants/{}", t.id)) { (t.name) } }
                            td { (t.slug) }
                            td { (t.plan) @if let Some(end) = t.trial_ends_at { " (until " (end.format("%Y-%m-%d")) ")" } }
                            td { (t.status) }
                            td { (t.created_at.format("%Y-%m-%d")) }
                        }
                    }
                }
            }
        }))
        @if rows.is_empty() { p class="muted" { "No workshop matches." } }
    };
    page(&ctx, "Workshops", None, body).into_response()
}

fn usage_page(
    ctx: &PageCtx,
    usage: &pitlane_tenancy::operator::Usage,
    errors: &pitlane_domain::FieldErrors,
) -> Response {
    let t = &usage.tenant;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let body = html! {
        p { a href="/operator/tenants" { "← Workshops" } }
        h1 { (t.name) }
        p class="muted" { "Opening this page is recorded in the workshop's audit log." }
        dl {
            dt { "Address" } dd { (t.slug) }
            dt { "Status" } dd { (t.status) }
            dt { "Plan" } dd { (t.plan) @if let Some(end) = t.trial_ends_at { " (trial until " (end.format("%Y-%m-%d")) ")" } }
            dt { "Country, currency" } dd { (t.country.as_deref().unwrap_or("—")) ", " (t.currency) }
            dt { "Active members" } dd { (usage.active_members) }
            dt { "Branches" } dd { (usage.branches) }
            dt { "Messages in the last 30 days" } dd { (usage.messages_last_30_days) }
        }
        (crate::pages::kit::forms::error_summary(errors, &[("reason", "Reason")]))
        form class="stack" method="post" action=(format!("/operator/tenants/{}/status", t.id)) {
            (crate::pages::kit::forms::csrf_input(ctx))
            @if t.is_suspended() {
                input type="hidden" name="active" value="true";
                button class="button" type="submit" { "Reactivate " (t.name) }
            } @else {
                input type="hidden" name="active" value="false";
                (crate::pages::kit::forms::Field::new("reason", "Why suspend it", "").hint("Kept in the workshop's audit log.").required().render(errors))
                button class="button danger" type="submit" { "Suspend " (t.name) }
            }
        }
    };
    (status, page(ctx, &t.name, None, body)).into_response()
}

#[handler]
async fn tenant_page(
    _: Operator,
    ctx: PageCtx,
    state: Data<&AppState>,
    Path(id): Path<Uuid>,
) -> PageResult {
    let usage =
        pitlane_tenancy::operator::usage(&state.store, pitlane_domain::ids::TenantId(id)).await?;
    Ok(usage_page(
        &ctx,
        &usage,
        &pitlane_domain::FieldErrors::new(),
    ))
}

#[handler]
async fn tenant_status(
    _: Operator,
    ctx: PageCtx,
    state: Data<&AppState>,
    Path(id): Path<Uuid>,
    form: Pairs,
) -> PageResult {
    let tenant = pitlane_domain::ids::TenantId(id);
    match pitlane_tenancy::operator::set_active(
        &state.store,
        tenant,
        form.get("active") == "true",
        form.get("reason"),
    )
    .await
    {
        Ok(_) => {
            state.tenants.invalidate(tenant);
            Ok(Redirect::see_other(format!("/operator/tenants/{id}")).into_response())
        }
        Err(pitlane_domain::ServiceError::Invalid(errors)) => {
            let usage = pitlane_tenancy::operator::usage(&state.store, tenant).await?;
            Ok(usage_page(&ctx, &usage, &errors))
        }
        Err(err) => Err(err.into()),
    }
}
