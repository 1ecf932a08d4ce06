//! The bell: staff notifications, their unread count in the page header, and marking read.

use maud::html;
use pitlane_notify::staff;
use poem::{
    Endpoint, IntoResponse, Middleware, Request, Response, Result, handler,
    http::Method,
    web::{Data, Form, Path, Redirect},
};
use serde::Deserialize;
use uuid::Uuid;

use super::{
    errors::{expired_form, service_error_page, sign_in_redirect},
    forms::{csrf_errors, csrf_input, local_path},
    layout::{PageCtx, page},
};
use crate::{session::Auth, state::AppState};

/// The reader's unread count, for the bell in the page header.
#[derive(Debug, Clone, Copy)]
pub struct UnreadCount(pub u64);

/// Reads the unread count for signed-in page views (one indexed count), so every page's
/// header shows the bell without JavaScript.
pub struct LoadUnread;

impl<E: Endpoint> Middleware<E> for LoadUnread {
    type Output = LoadUnreadEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        LoadUnreadEndpoint { inner: ep }
    }
}

pub struct LoadUnreadEndpoint<E> {
    inner: E,
}

impl<E: Endpoint> Endpoint for LoadUnreadEndpoint<E> {
    type Output = E::Output;

    async fn call(&self, mut req: Request) -> Result<Self::Output> {
        if req.method() == Method::GET
            && let Some(auth) = req.extensions().get::<Auth>().cloned()
            && let Some(state) = req.data::<AppState>()
        {
            // Usually read with the session already, in the same statement.
            let counted = match auth.unread {
                Some(n) => Ok(n),
                None => staff::unread_count(&state.store, &auth.actor).await,
            };
            match counted {
                Ok(n) => {
                    req.extensions_mut().insert(UnreadCount(n));
                }
                Err(err) => tracing::warn!(error = %err, "unread notifications"),
            }
        }
        self.inner.call(req).await
    }
}

#[handler]
pub async fn list(req: &Request, state: Data<&AppState>) -> Response {
    let ctx = PageCtx::from_request(req);
    let Some(auth) = ctx.auth.as_ref() else {
        return sign_in_redirect(&ctx);
    };
    let (rows, unread) = match staff::list(&state.store, &auth.actor, false, 100).await {
        Ok(list) => list,
        Err(err) => return service_error_page(&ctx, err),
    };
    let body = html! {
        h1 { "Notifications" }
        @if unread > 0 {
            form method="post" action=(ctx.link("/portal/notifications/read-all")) {
                (csrf_input(&ctx))
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
                            (csrf_input(&ctx))
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
    page(&ctx, "Notifications", Some("notifications"), body).into_response()
}

#[derive(Deserialize, Default)]
pub struct ReadForm {
    #[serde(default)]
    csrf: String,
    /// Where to go after marking read (the notification's link).
    #[serde(default)]
    next: String,
}

async fn mark(req: &Request, state: &AppState, id: Option<Uuid>, form: &ReadForm) -> Response {
    let ctx = PageCtx::from_request(req);
    let Some(auth) = ctx.auth.as_ref() else {
        return sign_in_redirect(&ctx);
    };
    if !csrf_errors(req, &form.csrf).is_empty() {
        return expired_form(&ctx);
    }
    match staff::mark_read(&state.store, &state.live, &auth.actor, id).await {
        Ok(_) => {
            let next = local_path(&form.next, "/portal/notifications");
            Redirect::see_other(ctx.link(&next)).into_response()
        }
        Err(err) => service_error_page(&ctx, err),
    }
}

#[handler]
pub async fn read(
    req: &Request,
    state: Data<&AppState>,
    Path(id): Path<Uuid>,
    Form(form): Form<ReadForm>,
) -> Response {
    mark(req, &state, Some(id), &form).await
}

#[handler]
pub async fn read_all(
    req: &Request,
    state: Data<&AppState>,
    Form(form): Form<ReadForm>,
) -> Response {
    mark(req, &state, None, &form).await
}
