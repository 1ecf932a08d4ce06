//! The bell: staff notifications, their unread count in the page header, and marking read.

use maud::html;
use pitlane_notify::staff as notices;
use poem::{
    IntoResponse, Route, get, handler, post,
    web::{Data, Path, Redirect},
};
use uuid::Uuid;

use crate::pages::kit::{
    PageResult, Pairs, Staff,
    forms::{csrf_input, local_path},
    page,
};
use pitlane_app::state::AppState;

pub fn routes(routes: Route) -> Route {
    routes
        .at("/portal/notifications", get(list))
        .at("/portal/notifications/read-all", post(read_all))
        .at("/portal/notifications/:id/read", post(read))
}

#[handler]
async fn list(staff: Staff, state: Data<&AppState>) -> PageResult {
    let ctx = &staff.ctx;
    let (rows, unread) = notices::list(&state.store, &staff.actor, false, 100).await?;
    let body = html! {
        h1 { "Notifications" }
        @if unread > 0 {
            form method="post" action=(ctx.link("/portal/notifications/read-all")) {
                (csrf_input(ctx))
                button class="button secondary" type="submit" { "Mark all as read" }
            }
        }
        @if rows.is_empty() {
            p { "Nothing yet. You will be told here when a message cannot be sent or a customer texts you." }
        } @else {
            ul class="notifications" {
                @for n in &rows {
                    li class=(if n.read_at.is_none() { "unread card" } else { "card" }) {
                        strong { (n.title) }
                        @if n.read_at.is_none() { " " span class="badge" { "New" } }
                        p { (n.body) }
                        p class="muted" { (n.created_at.format("%Y-%m-%d %H:%M UTC")) }
                        form method="post" action=(ctx.link(&format!("/portal/notifications/{}/read", n.id))) class="inline-form" {
                            (csrf_input(ctx))
                            @if let Some(link) = &n.link {
                                input type="hidden" name="next" value=(link);
                                button class="button" type="submit" { "Open" }
                            } @else if n.read_at.is_none() {
                                button class="button secondary" type="submit" { "Mark as read" }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(page(ctx, "Notifications", Some("notifications"), body).into_response())
}

/// Marks one notification (or all) read and goes to the notification's link (`next`), or
/// back to the list.
async fn mark(staff: &Staff, state: &AppState, id: Option<Uuid>, form: &Pairs) -> PageResult {
    notices::mark_read(&state.store, &state.live, &staff.actor, id).await?;
    let next = local_path(form.get("next"), "/portal/notifications");
    Ok(Redirect::see_other(staff.ctx.link(&next)).into_response())
}

#[handler]
async fn read(
    staff: Staff,
    state: Data<&AppState>,
    Path(id): Path<Uuid>,
    form: Pairs,
) -> PageResult {
    mark(&staff, &state, Some(id), &form).await
}

#[handler]
async fn read_all(staff: Staff, state: Data<&AppState>, form: Pairs) -> PageResult {
    mark(&staff, &state, None, &form).await
}
