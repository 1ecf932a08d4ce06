//! Calendar feeds: the page where members make and revoke private subscription addresses of a
//! mechanic's, bay's or branch's appointments, and the address itself, which calendar apps
//! fetch (`/calendar/{secret}.ics`, no session: the secret is the key).

use chrono::{DateTime, Utc};
use maud::html;
use pitlane_domain::{FieldErrors, ServiceError, permissions::Permission};
use pitlane_frontdesk::{
    feeds::{self, FeedInput},
    resources,
};
use poem::{
    IntoResponse, Response, Route, get, handler,
    http::StatusCode,
    post,
    web::{Data, Path, Redirect},
};
use uuid::Uuid;

use crate::pages::kit::{
    PageResult, Pairs, Staff,
    forms::{csrf_input, error_summary, select, status_for},
    page, table_region,
};
use crate::{links::site_of, tenant::TenantScope};
use pitlane_app::state::AppState;

pub fn routes(routes: Route) -> Route {
    routes
        .at("/portal/calendar/feeds", get(feeds_list).post(create_feed))
        .at("/portal/calendar/feeds/:id/revoke", post(revoke_feed))
        .at("/calendar/:file", get(feed_file))
}

fn when(at: Option<DateTime<Utc>>) -> String {
    at.map_or_else(
        || "—".to_owned(),
        |t| t.format("%Y-%m-%d %H:%M UTC").to_string(),
    )
}

/// What the member may subscribe to, as `kind:id` options: their own appointments as a
/// mechanic, and (front desk) every mechanic, bay and branch.
async fn subjects(staff: &Staff, state: &AppState) -> Result<Vec<(String, String)>, ServiceError> {
    let actor = &staff.actor;
    let mut options = Vec::new();
    if actor.can(Permission::JobsWork) {
        options.push((
            format!("mechanic:{}", actor.membership_id.0),
            "My own appointments".to_owned(),
        ));
    }
    if actor.can(Permission::AppointmentsWrite) {
        for m in resources::mechanics(&state.frontdesk, actor).await? {
            if m.membership_id != actor.membership_id.0 {
                options.push((
                    format!("mechanic:{}", m.membership_id),
                    format!("Mechanic · {}", m.name),
                ));
            }
        }
        let branches = pitlane_tenancy::branches::overview(&state.store, actor, 500).await?;
        for bay in resources::bays(&state.frontdesk, actor, None).await? {
            let branch = branches
                .iter()
                .find(|b| b.id == bay.branch_id)
                .map_or("", |b| b.name.as_str());
            options.push((
                format!("bay:{}", bay.id),
                format!("Bay · {} ({branch})", bay.name),
            ));
        }
        for b in &branches {
            options.push((format!("branch:{}", b.id), format!("Branch · {}", b.name)));
        }
    }
    Ok(options)
}

/// The feeds and the form for a new one; `url` is the address just made, shown only this once.
async fn feeds_page(
    staff: &Staff,
    state: &AppState,
    form: &Pairs,
    errors: &FieldErrors,
    url: Option<String>,
) -> PageResult {
    let ctx = &staff.ctx;
    let rows = feeds::list(&state.frontdesk, &staff.actor).await?;
    let options = subjects(staff, state).await?;
    let body = page(
        ctx,
        "Calendar feeds",
        Some("calendar"),
        html! {
            // Back where the member came from: the calendar, or a mechanic's own jobs.
            @if staff.actor.can(Permission::AppointmentsWrite) {
                p { a href=(ctx.link("/portal/calendar")) { "← Calendar" } }
            } @else {
                p { a href=(ctx.link("/portal/my-jobs")) { "← My jobs" } }
            }
            h1 { "Calendar feeds" }
            p { "Subscribe to appointments in Google Calendar, Apple Calendar or Outlook: make a feed, then add its address as a calendar “from URL” (“subscribe”). Calendars fetch it every few minutes to a few hours, as each app decides; moved appointments move there too." }
            @if let Some(url) = &url {
                div class="notice success" role="status" {
                    p { strong { "Copy the address now: it is shown only this once." } " Whoever has it can read these appointments; revoke the feed if it gets out." }
                    p class="secret" data-feed-url { (url) }
                }
            }
            section class="card" aria-labelledby="feeds-heading" {
                h2 id="feeds-heading" { "Feeds" }
                @if rows.is_empty() { p class="muted" { "No feeds yet." } }
                @else {
                    (table_region("Calendar feeds", html! {
                        table {
                            thead { tr { th scope="col" { "Name" } th scope="col" { "Made" } th scope="col" { "Last fetched" } th scope="col" { "Status" } th scope="col" { span class="visually-hidden" { "Actions" } } } }
                            tbody {
                                @for f in &rows {
                                    tr {
                                        td { (f.name) }
                                        td { (when(Some(f.created_at))) }
                                        td { (when(f.last_fetched_at)) }
                                        td { @if f.revoked_at.is_some() { "Revoked" } @else { "Active" } }
                                        td {
                                            @if f.revoked_at.is_none() {
                                                form method="post" action=(ctx.link(&format!("/portal/calendar/feeds/{}/revoke", f.id))) {
                                                    (csrf_input(ctx))
                                                    button class="link-button" type="submit" { "Revoke" span class="visually-hidden" { " " (f.name) } }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }))
                }
            }
            section class="card" aria-labelledby="new-feed-heading" {
                h2 id="new-feed-heading" { "New feed" }
                (error_summary(errors, &[("subject", "Appointments of"), ("kind", "Appointments of"), ("subject_id", "Appointments of"), ("csrf", "Form")]))
                form class="stack" method="post" action=(ctx.link("/portal/calendar/feeds")) novalidate {
                    (csrf_input(ctx))
                    (select("subject", "Appointments of", &options, form.get("subject"), errors))
                    div { button class="button" type="submit" { "Make the feed" } }
                }
            }
        },
    );
    Ok((status_for(errors), body).into_response())
}

#[handler]
async fn feeds_list(staff: Staff, state: Data<&AppState>) -> PageResult {
    feeds_page(&staff, &state, &Pairs::default(), &FieldErrors::new(), None).await
}

/// `mechanic:{id}` → the service's input; anything else is the form's mistake.
fn feed_input(form: &Pairs) -> Result<FeedInput, ServiceError> {
    let (kind, id) = form.get("subject").split_once(':').unwrap_or_default();
    match Uuid::try_parse(id) {
        Ok(id) if feeds::FeedKind::parse(kind).is_some() => Ok(FeedInput {
            kind: kind.to_owned(),
            subject_id: Some(id),
        }),
        _ => Err(FieldErrors::single("subject", "choose whose appointments to show").into()),
    }
}

/// Not `submit`: the new address is shown on this answer only, never in a URL, a log or
/// the session.
#[handler]
async fn create_feed(
    staff: Staff,
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
    form: Pairs,
) -> PageResult {
    let created = match feed_input(&form) {
        Ok(input) => feeds::create(&state.frontdesk, &staff.actor, &input).await,
        Err(err) => Err(err),
    };
    match created {
        Ok(created) => {
            let url = format!(
                "{}{}",
                site_of(&state.config, &scope),
                feeds::feed_path(&created.secret)
            );
            feeds_page(
                &staff,
                &state,
                &Pairs::default(),
                &FieldErrors::new(),
                Some(url),
            )
            .await
        }
        Err(ServiceError::Invalid(errors) | ServiceError::Conflict(errors)) => {
            feeds_page(&staff, &state, &form, &errors, None).await
        }
        Err(other) => Err(other.into()),
    }
}

#[handler]
async fn revoke_feed(staff: Staff, state: Data<&AppState>, Path(id): Path<Uuid>) -> PageResult {
    feeds::revoke(&state.frontdesk, &staff.actor, id).await?;
    Ok(Redirect::see_other(staff.ctx.link("/portal/calendar/feeds")).into_response())
}

/// The feed itself, for calendar apps: `text/calendar`, or a plain 404 for an address that is
/// unknown, revoked, or whose maker may no longer have it.
#[handler]
async fn feed_file(
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
    Path(file): Path<String>,
) -> PageResult {
    let not_found = || {
        Response::builder()
            .status(StatusCode::NOT_FOUND)
            .content_type("text/plain; charset=utf-8")
            .body("No calendar feed at this address: it was revoked, or it never existed.")
    };
    let Some(secret) = file.strip_suffix(".ics").filter(|s| {
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    }) else {
        return Ok(not_found());
    };
    let site = site_of(&state.config, &scope);
    match feeds::calendar(&state.frontdesk, scope.tenant_id(), &site, secret).await {
        Ok(body) => Ok(Response::builder()
            .content_type("text/calendar; charset=utf-8")
            .header("cache-control", "private, max-age=60")
            .body(body)),
        Err(ServiceError::NotFound) => Ok(not_found()),
        Err(err) => Err(err.into()),
    }
}
