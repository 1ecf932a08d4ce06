//! The customer rates a closed repair order or a finished roadside job, reached by the signed
//! link in their message (`/feedback?token=`): one to five stars for the work and for the
//! mechanic, and a comment. Once rated, the link shows what they said and the workshop's
//! reply. Made for a phone; works without JavaScript.

use maud::{Markup, html};
use pitlane_domain::FieldErrors;
use pitlane_frontdesk::feedback::{self, Answer, ForCustomer, LinkState};
use poem::{
    IntoResponse, Route, get, handler,
    web::{Data, Query},
};
use serde::Deserialize;

use crate::pages::kit::{
    PageCtx, PageResult, Pairs,
    forms::{csrf_input, error_summary, query_link, radio_group, status_for, textarea},
    page,
    stars::stars_text,
    submit,
};
use crate::tenant::TenantScope;
use pitlane_app::state::AppState;

pub fn routes(routes: Route) -> Route {
    routes.at("/feedback", get(show).post(rate))
}

#[derive(Deserialize)]
pub struct FeedbackQuery {
    #[serde(default)]
    token: String,
}

const LABELS: &[(&str, &str)] = &[
    ("job", "The work"),
    ("mechanic", "The mechanic"),
    ("comment", "Your comment"),
    ("csrf", "Form"),
];

fn star_choices() -> Vec<(String, String)> {
    (1..=5)
        .rev()
        .map(|n| {
            let label = match n {
                5 => "5 stars: excellent",
                4 => "4 stars: good",
                3 => "3 stars: fair",
                2 => "2 stars: poor",
                _ => "1 star: very poor",
            };
            (n.to_string(), label.to_owned())
        })
        .collect()
}

async fn feedback_page(
    ctx: &PageCtx,
    state: &AppState,
    scope: &TenantScope,
    token: &str,
    form: &Pairs,
    errors: &FieldErrors,
) -> PageResult {
    let found = feedback::for_link(&state.frontdesk, &scope.ctx(), token).await?;
    let title = match found.state {
        LinkState::Open => "How did we do?",
        LinkState::Answered => "Thank you for your rating",
        LinkState::Expired => "This link has expired",
    };
    let body = page(
        ctx,
        title,
        None,
        html! {
            h1 { (title) }
            p class="muted" { (found.view.feedback.label) " · " (found.view.branch_name) }
            (error_summary(errors, LABELS))
            @match found.state {
                LinkState::Open => (rating_form(ctx, &found, token, form, errors)),
                LinkState::Answered => (answered(&found)),
                LinkState::Expired => p { "Ratings are taken for 60 days after the work. Thank you all the same: call or write to us any time." },
            }
        },
    );
    Ok((status_for(errors), body).into_response())
}

fn rating_form(
    ctx: &PageCtx,
    found: &ForCustomer,
    token: &str,
    form: &Pairs,
    errors: &FieldErrors,
) -> Markup {
    let choices = star_choices();
    html! {
        form class="stack" method="post" action=(ctx.link("/feedback")) novalidate {
            (csrf_input(ctx))
            input type="hidden" name="token" value=(token);
            (radio_group("job", "How was the work?", &choices, form.get("job"), errors))
            @if let Some(mechanic) = &found.view.mechanic_name {
                (radio_group("mechanic", &format!("How was {mechanic}, your mechanic?"), &choices, form.get("mechanic"), errors))
            }
            (textarea("comment", "Anything you would like to tell us? (optional)", form.get("comment"), errors))
            p class="hint" { "You can rate once. The workshop reads every rating and may reply." }
            div { button class="button" type="submit" { "Send my rating" } }
        }
    }
}

fn answered(found: &ForCustomer) -> Markup {
    let f = &found.view.feedback;
    html! {
        section class="card" aria-labelledby="yours-heading" {
            h2 id="yours-heading" { "What you said" }
            dl class="facts" {
                @if let Some(job) = found.view.job() {
                    dt { "The work" } dd data-stars=(job.stars()) { (stars_text(job.stars())) }
                }
                @if let (Some(m), Some(name)) = (found.view.mechanic(), &found.view.mechanic_name) {
                    dt { (name) } dd { (stars_text(m.stars())) }
                }
            }
            @if let Some(comment) = &f.comment { blockquote { p { (comment) } } }
            @if found.view.is_hidden() { p class="muted" { "Your comment was removed by the workshop." } }
        }
        @if let Some(reply) = &f.reply {
            section class="card" aria-labelledby="reply-heading" {
                h2 id="reply-heading" { "The workshop's reply" }
                p { (reply) }
                @if let Some(by) = &f.replied_by { p class="muted" { "— " (by) } }
            }
        }
    }
}

#[handler]
async fn show(
    ctx: PageCtx,
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
    Query(q): Query<FeedbackQuery>,
) -> PageResult {
    feedback_page(
        &ctx,
        &state,
        &scope,
        &q.token,
        &Pairs::default(),
        &FieldErrors::new(),
    )
    .await
}

/// The customer's rating; the form comes back with its messages when something is missing.
#[handler]
async fn rate(
    ctx: PageCtx,
    Data(state): Data<&AppState>,
    Data(scope): Data<&TenantScope>,
    form: Pairs,
) -> PageResult {
    let ctx = &ctx;
    submit(
        ctx,
        form,
        |p| async move {
            let stars = |name: &str| p.get(name).parse::<i64>().ok();
            let given = Answer {
                job: stars("job"),
                mechanic: stars("mechanic"),
                comment: Some(p.get("comment").to_owned()),
            };
            let token = p.get("token");
            feedback::answer(&state.frontdesk, &scope.ctx(), token, &given).await?;
            Ok(query_link("/feedback", &[("token", token.to_owned())]))
        },
        |p, errors| async move {
            feedback_page(ctx, state, scope, p.get("token"), &p, &errors).await
        },
    )
    .await
}
