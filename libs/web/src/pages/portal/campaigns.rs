//! Campaigns to customers who agreed to offers.

use maud::html;
use pitlane_domain::{FieldErrors, ServiceError};
use pitlane_frontdesk::campaigns::{self, CampaignInput, Segment};
use poem::{
    IntoResponse, Route, get, handler,
    web::{Data, Query},
};
use serde::Deserialize;

use crate::pages::kit::{
    self, PageResult, Pairs, Staff,
    forms::{Field, csrf_input, error_summary, status_for, textarea},
    page,
};
use crate::{links::site_of, tenant::TenantScope};
use pitlane_app::state::AppState;

pub fn routes(routes: Route) -> Route {
    routes.at("/portal/campaigns", get(campaign_form).post(submit))
}

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
        declined_work: p.get("declined_work") == "yes",
    }
}

/// The campaign the estimates report offers in one click: its customers with declined work
/// nobody has followed up, a headline and message ready to send.
fn declined_work_campaign() -> Pairs {
    Pairs(vec![
        ("declined_work".into(), "yes".into()),
        (
            "headline".into(),
            "The work we recommended for your vehicle".into(),
        ),
        (
            "body".into(),
            "On your last visit we recommended some work that you chose to leave for later. \
             Reply to this e-mail or book online and we will get it done at a time that suits you."
                .into(),
        ),
    ])
}

fn campaign_page(
    staff: &Staff,
    p: &Pairs,
    errors: &FieldErrors,
    notice: Option<String>,
) -> PageResult {
    let ctx = &staff.ctx;
    staff
        .actor
        .require(pitlane_domain::permissions::Permission::SettingsManage)?;
    let body = page(
        ctx,
        "Campaigns",
        Some("customers"),
        html! {
            p { a href=(ctx.link("/portal/customers")) { "← Customers" } }
            h1 { "Send a campaign" }
            p { "Goes by e-mail only to customers who agreed to offers and have not unsubscribed. Every e-mail has a one-click unsubscribe link that takes effect at once." }
            @if let Some(n) = &notice { div class="notice success" role="status" { (n) } }
            (error_summary(errors, LABELS))
            form class="stack card" method="post" action=(ctx.link("/portal/campaigns")) novalidate {
                (csrf_input(ctx))
                h2 { "Who" }
                div class="grid-2" {
                    (Field::new("tag", "Customers tagged (optional)", p.get("tag")).hint("Such as fleet").render(errors))
                    (Field::new("inactive_days", "Not seen for at least (days, optional)", p.get("inactive_days")).kind("number").render(errors))
                }
                div class="field checks" {
                    label class="check" {
                        input type="checkbox" name="declined_work" value="yes" checked[p.get("declined_work") == "yes"];
                        " Only customers with declined work nobody has followed up: each e-mail lists their own, and sending marks it followed up"
                    }
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
    Ok((status_for(errors), body).into_response())
}

#[derive(Deserialize)]
pub struct SentQuery {
    sent: Option<u64>,
    /// `declined`: the estimates report's follow-up campaign, filled in.
    segment: Option<String>,
}

#[handler]
async fn campaign_form(staff: Staff, Query(q): Query<SentQuery>) -> PageResult {
    let notice = q.sent.map(|n| {
        format!("Sending to {n} customers. Their e-mails go out paced over the next minutes.")
    });
    let typed = match q.segment.as_deref() {
        Some("declined") => declined_work_campaign(),
        _ => Pairs::default(),
    };
    campaign_page(&staff, &typed, &FieldErrors::new(), notice)
}

/// Counting the recipients answers with the form and the count; sending goes on to a fresh
/// page, so a reload cannot send the campaign again.
#[handler]
async fn submit(
    staff: Staff,
    Data(state): Data<&AppState>,
    Data(scope): Data<&TenantScope>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    let fd = &state.frontdesk;
    if form.get("action") == "preview" {
        let mut errors = FieldErrors::new();
        let segment = segment_of(&form, &mut errors);
        if !errors.is_empty() {
            return campaign_page(staff, &form, &errors, None);
        }
        return match campaigns::preview(fd, &staff.actor, &segment).await {
            Ok(n) => {
                let notice = format!("{n} customers would receive this campaign now.");
                campaign_page(staff, &form, &FieldErrors::new(), Some(notice))
            }
            Err(ServiceError::Invalid(e)) => campaign_page(staff, &form, &e, None),
            Err(err) => Err(err.into()),
        };
    }
    let site = site_of(&state.config, scope);
    let site = &site;
    kit::submit(
        &staff.ctx,
        form,
        |p| async move {
            let mut errors = FieldErrors::new();
            let segment = segment_of(&p, &mut errors);
            if !errors.is_empty() {
                return Err(errors.into());
            }
            let input = CampaignInput {
                headline: p.get("headline").to_owned(),
                body: p.get("body").to_owned(),
                segment,
            };
            let sent = campaigns::send(fd, &staff.actor, input, site).await?;
            Ok(format!("/portal/campaigns?sent={}", sent.recipients))
        },
        |p, errors| async move { campaign_page(staff, &p, &errors, None) },
    )
    .await
}
