//! Campaigns to customers who agreed to offers, and the public one-click unsubscribe.

use maud::html;
use pitlane_domain::{FieldErrors, ServiceError};
use pitlane_frontdesk::campaigns::{self, CampaignInput, Segment};
use poem::{
    IntoResponse, Request, Response, handler,
    http::StatusCode,
    web::{Data, Query, Redirect},
};
use serde::Deserialize;

use super::{
    customers::staff,
    errors::{error_page, service_error_page},
    forms::{Field, Pairs, csrf_errors, csrf_input, error_summary, status_for, textarea},
    layout::{PageCtx, page},
};
use crate::{links::site_of, state::AppState, tenant::TenantScope};

const LABELS: &[(&str, &str)] = &[
    ("headline", "Headline"),
    ("body", "Message"),
    ("tag", "Tag"),
    ("inactive_days", "Not seen for"),
    ("csrf", "Form"),
];

fn segment_of(p: &Pairs, errors: &mut FieldErrors) -> Segment {
    Segment {
        tag: p.optional("tag"),
        inactive_days: p.parsed("inactive_days", "write a whole number of days", errors),
    }
}

async fn campaign_page(
    req: &Request,
    p: &Pairs,
    errors: &FieldErrors,
    notice: Option<String>,
) -> Response {
    let ctx = PageCtx::from_request(req);
    let actor = match staff(&ctx) {
        Ok(a) => a,
        Err(r) => return r,
    };
    if let Err(err) = actor.require(pitlane_domain::permissions::Permission::SettingsManage) {
        return service_error_page(&ctx, err);
    }
    let body = page(
        &ctx,
        "Campaigns",
        Some("customers"),
        html! {
            p { a href=(ctx.link("/portal/customers")) { "← Customers" } }
            h1 { "Send a campaign" }
            p { "Goes by e-mail only to customers who agreed to offers and have not unsubscribed. Every e-mail has a one-click unsubscribe link that takes effect at once." }
            @if let Some(n) = &notice { div class="notice success" role="status" { (n) } }
            (error_summary(errors, LABELS))
            form class="stack card" method="post" action=(ctx.link("/portal/campaigns")) novalidate {
                (csrf_input(&ctx))
                h2 { "Who" }
                div class="grid-2" {
                    (Field::new("tag", "Customers tagged (optional)", p.get("tag")).hint("Such as fleet").render(errors))
                    (Field::new("inactive_days", "Not seen for at least (days, optional)", p.get("inactive_days")).kind("number").render(errors))
                }
                h2 { "What" }
                (Field::new("headline", "Headline", p.get("headline")).required().render(errors))
                (textarea("body", "Message", p.get("body"), errors))
                div class="actions" {
                    button class="button secondary" type="submit" name="action" value="preview" { "Count the recipients" }
                    button class="button" type="submit" name="action" value="send" { "Send" }
                }
            }
        },
    );
    (status_for(errors), body).into_response()
}

#[derive(Deserialize)]
pub struct SentQuery {
    sent: Option<u64>,
}

#[handler]
pub async fn campaign_form(req: &Request, Query(q): Query<SentQuery>) -> Response {
    let notice = q.sent.map(|n| {
        format!("Sending to {n} customers. Their e-mails go out paced over the next minutes.")
    });
    campaign_page(req, &Pairs::default(), &FieldErrors::new(), notice).await
}

#[handler]
pub async fn submit(
    req: &Request,
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
    body: String,
) -> Response {
    let ctx = PageCtx::from_request(req);
    let actor = match staff(&ctx) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let p = Pairs::parse(&body);
    let mut errors = csrf_errors(req, p.get("csrf"));
    if !errors.is_empty() {
        return campaign_page(req, &p, &errors, None).await;
    }
    let segment = segment_of(&p, &mut errors);
    if !errors.is_empty() {
        return campaign_page(req, &p, &errors, None).await;
    }
    let fd = &state.frontdesk;
    let outcome = if p.get("action") == "preview" {
        campaigns::preview(fd, actor, &segment).await.map(|n| {
            let notice = format!("{n} customers would receive this campaign now.");
            (notice, None)
        })
    } else {
        let site = site_of(&state.config, &scope);
        let input = CampaignInput {
            headline: p.get("headline").to_owned(),
            body: p.get("body").to_owned(),
            segment,
        };
        // Sent: on to a fresh page, so a reload cannot send the campaign again.
        campaigns::send(fd, actor, input, &site).await.map(|sent| {
            let next = ctx.link(&format!("/portal/campaigns?sent={}", sent.recipients));
            (String::new(), Some(next))
        })
    };
    match outcome {
        Ok((_, Some(next))) => Redirect::see_other(next).into_response(),
        Ok((notice, None)) => campaign_page(req, &p, &FieldErrors::new(), Some(notice)).await,
        Err(ServiceError::Invalid(e)) => campaign_page(req, &p, &e, None).await,
        Err(err) => service_error_page(&ctx, err),
    }
}

#[derive(Deserialize)]
pub struct UnsubscribeQuery {
    #[serde(default)]
    token: String,
}

/// The link in a message: a button, so mail scanners that follow links do not unsubscribe
/// anyone; mail programs' one-click unsubscribe posts straight to [`unsubscribe`].
#[handler]
pub fn unsubscribe_form(req: &Request, Query(q): Query<UnsubscribeQuery>) -> Response {
    let ctx = PageCtx::from_request(req);
    let workshop = ctx.tenant().map(|t| t.name.clone()).unwrap_or_default();
    let action = format!(
        "{}?token={}",
        ctx.link("/unsubscribe"),
        url::form_urlencoded::byte_serialize(q.token.as_bytes()).collect::<String>()
    );
    page(
        &ctx,
        "Unsubscribe",
        None,
        html! {
            h1 { "Unsubscribe" }
            p { "Stop offers and service reminders from " (workshop) "? Messages about your bookings still reach you." }
            form method="post" action=(action) {
                button class="button" type="submit" { "Unsubscribe" }
            }
        },
    )
    .into_response()
}

#[handler]
pub async fn unsubscribe(
    req: &Request,
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
    Query(q): Query<UnsubscribeQuery>,
) -> Response {
    let ctx = PageCtx::from_request(req);
    match campaigns::unsubscribe(&state.frontdesk, &scope.ctx(), &q.token).await {
        Ok(_) => page(
            &ctx,
            "Unsubscribed",
            None,
            html! {
                h1 { "You are unsubscribed" }
                p { "You will get no more offers or service reminders from " (scope.tenant.name) ". Messages about your bookings still reach you." }
            },
        )
        .into_response(),
        Err(ServiceError::NotFound) => error_page(
            &ctx,
            StatusCode::NOT_FOUND,
            "Link not recognised",
            "This unsubscribe link is not valid here. Reply to the e-mail and the workshop will take you off the list.",
        ),
        Err(err) => service_error_page(&ctx, err),
    }
}
