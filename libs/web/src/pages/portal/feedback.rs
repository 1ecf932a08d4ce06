//! Customer feedback for staff: the inbox of ratings (all, low, not replied to), one rating
//! with the reply form and, for admins, hiding abusive text; and a mechanic's own ratings.

use maud::{Markup, html};
use pitlane_domain::permissions::Permission;
use pitlane_frontdesk::feedback::{self, FeedbackView, Filter};
use pitlane_store::TimeCursor;
use poem::{
    IntoResponse, Route, get, handler, post,
    web::{Data, Path, Query},
};
use serde::Deserialize;
use uuid::Uuid;

use crate::pages::kit::{
    PageResult, Pairs, Returned, Staff,
    forms::{
        Field, csrf_input, error_summary, error_summary_in, query_link, status_for, textarea,
    },
    page, submit,
};
use crate::pages::kit::stars::stars_text;
use crate::{links::site_of, tenant::TenantScope};
use pitlane_app::state::AppState;

pub fn routes(routes: Route) -> Route {
    routes
        .at("/portal/feedback", get(list))
        .at("/portal/feedback/:id", get(show))
        .at("/portal/feedback/:id/reply", post(reply))
        .at("/portal/feedback/:id/hide", post(hide))
        .at("/portal/ratings", get(mine))
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    filter: String,
    #[serde(default)]
    after: String,
}

/// One rating as a card: the stars, what was said, by whom, about what.
fn card(ctx: &crate::pages::kit::PageCtx, v: &FeedbackView, link: bool, customer: bool) -> Markup {
    let f = &v.feedback;
    html! {
        article class="card feedback" data-low=[v.is_low().then_some("yes")] data-feedback=(f.id) {
            h2 {
                @if link { a href=(ctx.link(&format!("/portal/feedback/{}", f.id))) { (f.label) } }
                @else { (f.label) }
            }
            p class="muted" {
                @if customer { (v.customer_name) " · " }
                (v.branch_name)
                @if let Some(at) = f.answered_at { " · " time datetime=(at.to_rfc3339()) { (at.format("%Y-%m-%d")) } }
            }
            dl class="facts" {
                @if let Some(job) = v.job() { dt { "The work" } dd { (stars_text(job.stars())) } }
                @if let Some(m) = v.mechanic() {
                    dt { "The mechanic" @if let Some(name) = &v.mechanic_name { " (" (name) ")" } }
                    dd { (stars_text(m.stars())) }
                }
            }
            @if let Some(comment) = &f.comment { blockquote { p { (comment) } } }
            @if v.is_hidden() {
                p class="muted" data-hidden="yes" {
                    "Text hidden"
                    @if let Some(by) = &f.hidden_by { " by " (by) }
                    @if let Some(why) = &f.hidden_reason { ": " (why) }
                    "."
                }
            }
            @if let Some(answer) = &f.reply {
                p { strong { "Reply" @if let Some(by) = &f.replied_by { " from " (by) } ": " } (answer) }
            }
        }
    }
}

#[handler]
async fn list(staff: Staff, state: Data<&AppState>, Query(q): Query<ListQuery>) -> PageResult {
    let (ctx, actor) = (&staff.ctx, &staff.actor);
    let filter = Filter::parse(&q.filter).unwrap_or_default();
    let after = TimeCursor::parse(&q.after);
    let found = feedback::inbox(&state.frontdesk, actor, filter, after, 50).await?;
    let body = page(
        ctx,
        "Feedback",
        Some("feedback"),
        html! {
            h1 { "Feedback" }
            nav class="toolbar" aria-label="Which ratings" {
                @for f in Filter::ALL {
                    @let href = ctx.link(&query_link("/portal/feedback", &[("filter", f.key().to_owned())]));
                    a href=(href) aria-current=[(f == filter).then_some("page")] { (f.label()) }
                }
            }
            @if found.items.is_empty() { p class="muted" { "No ratings yet." } }
            @for v in &found.items { (card(ctx, v, true, true)) }
            @if let Some(next) = found.next {
                p { a href=(ctx.link(&query_link("/portal/feedback", &[("filter", filter.key().to_owned()), ("after", next.to_string())]))) { "Older ratings" } }
            }
        },
    );
    Ok(body.into_response())
}

const REPLY_LABELS: &[(&str, &str)] = &[("body", "Reply"), ("csrf", "Form")];
const HIDE_LABELS: &[(&str, &str)] = &[("reason", "Why"), ("csrf", "Form")];

async fn rating_page(
    staff: &Staff,
    state: &AppState,
    id: Uuid,
    r: Returned,
) -> PageResult {
    let (ctx, actor) = (&staff.ctx, &staff.actor);
    let v = feedback::get(&state.frontdesk, actor, id).await?;
    // The reply form shows the reply given, unless it came back with what was typed.
    let reply_typed = match r.typed("reply") {
        Some(typed) => typed.get("body"),
        None => v.feedback.reply.as_deref().unwrap_or(""),
    };
    let (reply_errors, hide_errors) = (r.errors_of("reply"), r.errors_of("hide"));
    let base = format!("/portal/feedback/{id}");
    let body = page(
        ctx,
        &v.feedback.label,
        Some("feedback"),
        html! {
            p { a href=(ctx.link("/portal/feedback")) { "← Feedback" } }
            h1 { "Rating from " a href=(ctx.link(&format!("/portal/customers/{}", v.feedback.customer_id))) { (v.customer_name) } }
            (card(ctx, &v, false, false))
            @if v.feedback.answered_at.is_none() {
                p class="muted" { "The customer has not rated this yet." }
            } @else {
                section class="card" aria-labelledby="reply-heading" {
                    h2 id="reply-heading" { @if v.feedback.reply.is_some() { "Change the reply" } @else { "Reply" } }
                    (error_summary(reply_errors, REPLY_LABELS))
                    form class="stack" method="post" action=(ctx.link(&format!("{base}/reply"))) novalidate {
                        (csrf_input(ctx))
                        (textarea("body", "Your reply", reply_typed, reply_errors))
                        p class="hint" { "The customer sees it on their rating page and in their messages, and gets it by text (if they agreed) or e-mail." }
                        div { button class="button" type="submit" { "Send the reply" } }
                    }
                }
            }
            @if actor.can(Permission::FeedbackModerate) && v.feedback.comment.is_some() {
                section class="card" aria-labelledby="hide-heading" {
                    h2 id="hide-heading" { "Hide the text" }
                    p { "For abuse or personal details: the text is hidden everywhere, for good. The stars still count." }
                    (error_summary_in(hide_errors, HIDE_LABELS, Some("hide")))
                    form class="stack" method="post" action=(ctx.link(&format!("{base}/hide"))) novalidate {
                        (csrf_input(ctx))
                        (Field::new("reason", "Why", r.value("hide", "reason")).within("hide").render(hide_errors))
                        div { button class="button secondary" type="submit" { "Hide the text" } }
                    }
                }
            }
        },
    );
    Ok((status_for(&r.errors), body).into_response())
}

#[handler]
async fn show(staff: Staff, state: Data<&AppState>, Path(id): Path<Uuid>) -> PageResult {
    rating_page(&staff, &state, id, Returned::default()).await
}

#[handler]
async fn reply(
    staff: Staff,
    Data(state): Data<&AppState>,
    Data(scope): Data<&TenantScope>,
    Path(id): Path<Uuid>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    let site = site_of(&state.config, scope);
    let site = &site;
    submit(
        &staff.ctx,
        form,
        |p| async move {
            feedback::reply(&state.frontdesk, &staff.actor, id, p.get("body"), site).await?;
            Ok(format!("/portal/feedback/{id}"))
        },
        |p, errors| async move {
            rating_page(staff, state, id, Returned::new("reply", p, errors)).await
        },
    )
    .await
}

#[handler]
async fn hide(
    staff: Staff,
    Data(state): Data<&AppState>,
    Path(id): Path<Uuid>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    submit(
        &staff.ctx,
        form,
        |p| async move {
            feedback::hide(&state.frontdesk, &staff.actor, id, p.get("reason")).await?;
            Ok(format!("/portal/feedback/{id}"))
        },
        |p, errors| async move {
            rating_page(staff, state, id, Returned::new("hide", p, errors)).await
        },
    )
    .await
}

/// A mechanic's own ratings.
#[handler]
async fn mine(staff: Staff, state: Data<&AppState>) -> PageResult {
    let (ctx, actor) = (&staff.ctx, &staff.actor);
    let mine = feedback::mine(&state.frontdesk, actor).await?;
    let s = &mine.summary;
    let body = page(
        ctx,
        "My ratings",
        Some("ratings"),
        html! {
            h1 { "My ratings" }
            dl class="facts" {
                dt { "Average" }
                dd data-average=[s.average_centi()] {
                    @match s.average_centi() {
                        Some(c) => { (format!("{}.{:02}", c / 100, c % 100)) " of 5 stars" }
                        None => "No ratings yet",
                    }
                }
                dt { "Ratings" } dd { (s.answered) " of " (s.asked) " customers asked" }
            }
            @for v in &mine.ratings { (card(ctx, v, false, false)) }
        },
    );
    Ok(body.into_response())
}
