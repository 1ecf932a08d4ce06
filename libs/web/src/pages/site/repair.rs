//! The customer's page for their repair order, reached by the signed link in their messages
//! (`/repair?token=`): where the car is (live, through `/repair/events`), the estimate to
//! approve or decline line by line, the inspection report with its photos, and the timeline.
//! Made for a phone; works without JavaScript.

use maud::{Markup, html};
use pitlane_domain::{
    FieldErrors, ServiceError,
    ids::RepairOrderId,
    repair_order::{LineDecision, RepairOrderStatus},
};
use pitlane_workshop::{
    approval,
    inspections::{self, InspectionView},
    lines,
    orders::{self, OrderView},
};
use poem::{
    IntoResponse, Request, Route, get, handler, post,
    web::{Data, Path, Query, Redirect},
};
use serde::Deserialize;

use crate::pages::kit::{
    PageCtx, PageResult, Pairs,
    forms::{csrf_input, error_summary, query_link, status_for},
    page, submit, table_region,
};
use crate::{links::site_of, tenant::TenantScope};
use pitlane_app::state::AppState;

pub fn routes(routes: Route) -> Route {
    routes
        .at("/repair", get(show_order))
        .at("/repair/answer", post(answer_estimate))
        .at("/repair/follow", post(follow))
        .at("/repair/events", get(order_events))
        .at("/repair/photos/:id", get(order_photo))
}

#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
    #[serde(default)]
    done: Option<String>,
}

/// The steps a customer follows, in order.
const STEPS: [RepairOrderStatus; 6] = [
    RepairOrderStatus::Estimate,
    RepairOrderStatus::Approved,
    RepairOrderStatus::InProgress,
    RepairOrderStatus::QualityCheck,
    RepairOrderStatus::ReadyForPickup,
    RepairOrderStatus::Invoiced,
];

fn step_of(status: RepairOrderStatus) -> usize {
    use RepairOrderStatus::*;
    match status {
        Estimate | SentForApproval => 0,
        Approved => 1,
        InProgress | WaitingForParts => 2,
        QualityCheck => 3,
        ReadyForPickup => 4,
        Invoiced | Closed | Cancelled => 5,
    }
}

/// What the customer reads for each state.
fn headline(status: RepairOrderStatus) -> &'static str {
    use RepairOrderStatus::*;
    match status {
        Estimate => "We are looking at your vehicle and preparing an estimate.",
        SentForApproval => "Your estimate is ready: please approve or decline each item below.",
        Approved => "Thank you. The work is approved and will start shortly.",
        InProgress => "Our mechanics are working on your vehicle.",
        WaitingForParts => "We are waiting for parts to arrive.",
        QualityCheck => "The work is done and being checked.",
        ReadyForPickup => "Your vehicle is ready to collect.",
        Invoiced => "Your invoice is ready.",
        Closed => "All done. Thank you for your visit.",
        Cancelled => "This repair order was cancelled.",
    }
}

struct View<'a> {
    token: &'a str,
    notice: Option<&'static str>,
    form: Pairs,
    errors: FieldErrors,
}

async fn repair_page(
    ctx: &PageCtx,
    state: &AppState,
    scope: &TenantScope,
    view: View<'_>,
) -> PageResult {
    let order = approval::for_customer(&state.workshop, scope.ctx(), view.token).await?;
    let reports =
        inspections::of_order(&state.workshop, scope.ctx(), RepairOrderId(order.order.id)).await?;
    let title = format!(
        "Your {}",
        pitlane_frontdesk::vehicles::describe(&order.vehicle)
    );
    let body = page(ctx, &title, None, repair_body(ctx, &order, &reports, &view));
    Ok((status_for(&view.errors), body).into_response())
}

fn repair_body(
    ctx: &PageCtx,
    o: &OrderView,
    reports: &[InspectionView],
    view: &View<'_>,
) -> Markup {
    let status = o.status();
    let here = query_link("/repair", &[("token", view.token.to_owned())]);
    let events = query_link("/repair/events", &[("token", view.token.to_owned())]);
    let photo = |id: uuid::Uuid| {
        ctx.link(&query_link(
            &format!("/repair/photos/{id}"),
            &[("token", view.token.to_owned())],
        ))
    };
    let pending: Vec<_> = o
        .lines
        .iter()
        .filter(|l| lines::decision(l) == LineDecision::Pending)
        .collect();
    let answering = status == RepairOrderStatus::SentForApproval && !pending.is_empty();
    html! {
        h1 { (pitlane_frontdesk::vehicles::describe(&o.vehicle)) }
        p class="muted" { (o.number()) " · " (o.branch.name) }
        @if let Some(notice) = view.notice { div class="notice success" role="status" { (notice) } }
        (error_summary(&view.errors, &[("decisions", "Your answer")]))
        div id="repair-live" data-live="repair" data-refresh=(ctx.link(&here)) data-events-src=(ctx.link(&events)) {
            section class="card" aria-labelledby="status-heading" {
                h2 id="status-heading" { "Status: " strong data-status=(status.key()) { (status.label()) } }
                p { (headline(status)) }
                @if status != RepairOrderStatus::Cancelled {
                    ol class="steps" {
                        @for (i, step) in STEPS.iter().enumerate() {
                            li data-done=[(i < step_of(status)).then_some("yes")]
                               aria-current=[(i == step_of(status)).then_some("step")] { (step.label()) }
                        }
                    }
                }
            }
            section class="card" aria-labelledby="timeline-heading" {
                h2 id="timeline-heading" { "What has happened" }
                ol class="timeline" {
                    @for event in orders::customer_timeline(o).into_iter().rev() {
                        li {
                            time datetime=(event.created_at.to_rfc3339()) {
                                (pitlane_frontdesk::appointments::describe_time(&o.branch, event.created_at))
                            }
                            " — " (event.detail.as_deref().unwrap_or(""))
                        }
                    }
                }
            }
        }
        @if answering {
            section class="card" aria-labelledby="answer-heading" {
                h2 id="answer-heading" { "Your estimate" }
                p { "Approve the work you want done and decline the rest. Declined work is noted, so we can remind you later." }
                form class="stack" method="post" action=(ctx.link("/repair/answer")) novalidate {
                    (csrf_input(ctx))
                    input type="hidden" name="token" value=(view.token);
                    input type="hidden" name="version" value=(o.order.approval_version);
                    @for line in &pending {
                        @let name = format!("d_{}", line.id);
                        @let chosen = view.form.get(&name);
                        fieldset class="answer" {
                            legend {
                                (line.description) " · "
                                strong { (o.line_amount(line)) }
                            }
                            label { input type="radio" name=(name) value="approved" checked[chosen == "approved"]; " Approve" }
                            label { input type="radio" name=(name) value="declined" checked[chosen == "declined"]; " Decline" }
                        }
                    }
                    p { "Estimated total if you approve everything: " strong { (o.money(o.totals.total)) } ", tax included." }
                    div { button class="button" type="submit" { "Send my answer" } }
                }
            }
        }
        // A draft estimate is the workshop's until it is sent.
        @if !o.lines.is_empty() && status != RepairOrderStatus::Estimate {
            section class="card" aria-labelledby="estimate-heading" {
                h2 id="estimate-heading" { @if answering { "All items" } @else { "The work" } }
                (table_region("Items", html! {
                    table {
                        thead { tr { th scope="col" { "Item" } th scope="col" { "Amount" } th scope="col" { "Your answer" } } }
                        tbody {
                            @for line in &o.lines {
                                tr {
                                    td { (line.description) }
                                    td { (o.line_amount(line)) }
                                    td { span class="badge" data-decision=(line.decision) {
                                        @match lines::decision(line) {
                                            LineDecision::Approved => "Approved",
                                            LineDecision::Declined => "Declined",
                                            LineDecision::Pending => "Waiting",
                                        }
                                    } }
                                }
                            }
                        }
                    }
                }))
                dl class="facts" {
                    dt { "Approved work" } dd { (o.money(o.approved.total)) " incl. " (o.money(o.approved.tax)) " tax" }
                }
                @if let (Some(method), Some(at)) = (&o.order.approval_method, o.order.approved_at) {
                    p class="muted" { "Answered " (approval::Method::parse(method).map_or("", |m| m.label())) " on "
                        (pitlane_frontdesk::appointments::describe_time(&o.branch, at)) "." }
                }
            }
        }
        @for report in reports {
            section class="card" aria-labelledby=(format!("inspection-{}", report.inspection.id)) {
                h2 id=(format!("inspection-{}", report.inspection.id)) { (report.inspection.name) }
                @let findings: Vec<_> = report.items.iter().filter(|(i, _)| matches!(i.rating.as_deref(), Some("red" | "yellow"))).collect();
                @let good = report.items.iter().filter(|(i, _)| i.rating.as_deref() == Some("green")).count();
                @if findings.is_empty() {
                    p { "Nothing needs attention." }
                }
                ul class="findings" {
                    @for (item, photos) in &findings {
                        li data-rating=[item.rating.as_deref()] {
                            strong { @if item.rating.as_deref() == Some("red") { "Needs attention now: " } @else { "Soon: " } (item.label) }
                            @if let Some(note) = &item.note { p { (note) } }
                            @for p in photos {
                                a href=(photo(p.id)) { img src=(photo(p.id)) alt=(format!("Photo: {}", item.label)) loading="lazy" width="240"; }
                            }
                        }
                    }
                }
                p class="muted" { (good) " points checked and fine." }
            }
        }
        @if status.is_open() {
            section class="card" aria-labelledby="follow-heading" {
                h2 id="follow-heading" { "Messages" }
                p { @if o.order.follow_updates { "We will message you at every step." } @else { "We will message you when your vehicle is ready." } }
                form method="post" action=(ctx.link("/repair/follow")) {
                    (csrf_input(ctx))
                    input type="hidden" name="token" value=(view.token);
                    input type="hidden" name="follow" value=(if o.order.follow_updates { "no" } else { "yes" });
                    button class="button secondary" type="submit" {
                        @if o.order.follow_updates { "Only tell me when it is ready" } @else { "Tell me at every step" }
                    }
                }
            }
        }
        @if let Some(phone) = &o.branch.phone {
            p { "Questions? Call us on " a href=(format!("tel:{}", phone.replace(' ', ""))) { (phone) } "." }
        }
    }
}

#[handler]
async fn show_order(
    ctx: PageCtx,
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
    Query(q): Query<TokenQuery>,
) -> PageResult {
    let notice = match q.done.as_deref() {
        Some("answered") => Some("Thank you: your answer is with the workshop."),
        Some("messages") => Some("Your choice of messages is saved."),
        _ => None,
    };
    repair_page(
        &ctx,
        &state,
        &scope,
        View {
            token: &q.token,
            notice,
            form: Pairs(Vec::new()),
            errors: FieldErrors::new(),
        },
    )
    .await
}

/// The customer's answer to the estimate, line by line.
#[handler]
async fn answer_estimate(
    ctx: PageCtx,
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
    form: Pairs,
) -> PageResult {
    let token = form.get("token").to_owned();
    let (ctx, state, scope) = (&ctx, state.0, scope.0);
    submit(
        ctx,
        form,
        |p| async move {
            let mut answers = Vec::new();
            let mut errors = FieldErrors::new();
            for (key, value) in &p.0 {
                let Some(id) = key
                    .strip_prefix("d_")
                    .and_then(|id| uuid::Uuid::try_parse(id).ok())
                else {
                    continue;
                };
                match LineDecision::parse(value) {
                    Some(d) if d != LineDecision::Pending => answers.push((id, d)),
                    _ => errors.add("decisions", "choose approve or decline for each item"),
                }
            }
            if !errors.is_empty() {
                return Err(errors.into());
            }
            let site = site_of(&state.config, scope);
            let version = p.get("version").parse().unwrap_or(-1);
            let token = p.get("token");
            approval::answer_online(
                &state.workshop,
                scope.ctx(),
                token,
                version,
                &answers,
                &site,
            )
            .await?;
            Ok(query_link(
                "/repair",
                &[("token", token.to_owned()), ("done", "answered".into())],
            ))
        },
        |form, errors| async move {
            let view = View {
                token: &token,
                notice: None,
                form,
                errors,
            };
            repair_page(ctx, state, scope, view).await
        },
    )
    .await
}

/// The customer's choice of messages: every step, or only when it is ready.
#[handler]
async fn follow(state: Data<&AppState>, scope: Data<&TenantScope>, form: Pairs) -> PageResult {
    let token = form.get("token").to_owned();
    approval::follow_by_link(
        &state.workshop,
        scope.ctx(),
        &token,
        form.get("follow") == "yes",
    )
    .await?;
    let next = query_link("/repair", &[("token", token), ("done", "messages".into())]);
    Ok(Redirect::see_other(scope.link(&next)).into_response())
}

/// A photo of the order's inspection, for the customer holding its link.
#[handler]
async fn order_photo(
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
    Path(id): Path<String>,
    Query(q): Query<TokenQuery>,
) -> PageResult {
    let id = uuid::Uuid::try_parse(&id).map_err(|_| ServiceError::NotFound)?;
    let photo = inspections::photo_for_customer(&state.workshop, scope.ctx(), &q.token, id).await?;
    Ok(crate::api::photo_file(photo))
}

/// The order's live updates for the customer holding its link: only events addressed to this
/// order, never the workshop's other work.
#[handler]
async fn order_events(
    req: &Request,
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
    Query(q): Query<TokenQuery>,
) -> PageResult {
    let order =
        approval::order_of_link(&state.workshop, &q.token).map_err(|_| ServiceError::NotFound)?;
    // The link must belong to this workshop's order, not only carry a good signature.
    approval::for_customer(&state.workshop, scope.ctx(), &q.token).await?;
    Ok(crate::events::link_stream(
        &state,
        req,
        scope.tenant.id,
        order.into(),
        pitlane_domain::live::Topic::Repair,
    )
    .await)
}
