//! The one-click unsubscribe of offers and reminders. Both the page's button and mail
//! programs' one-click unsubscribe (RFC 8058) post with the link's own token and no form
//! token, so this route stands outside the form-token middleware.

use maud::html;
use pitlane_app::AppState;
use pitlane_domain::ServiceError;
use pitlane_frontdesk::campaigns;
use poem::{
    IntoResponse, Response, Route, get, handler,
    http::StatusCode,
    web::{Data, Query},
};
use serde::Deserialize;

use crate::{
    pages::kit::{PageCtx, PageResult, errors::error_page, page},
    tenant::TenantScope,
};

/// Outside the form-token middleware: the link's token is the proof.
pub fn routes(routes: Route) -> Route {
    routes.at("/unsubscribe", get(unsubscribe_form).post(unsubscribe))
}

#[derive(Deserialize)]
pub struct UnsubscribeQuery {
    #[serde(default)]
    token: String,
}

/// The link in a message: a button, so mail scanners that follow links do not unsubscribe
/// anyone; mail programs' one-click unsubscribe posts straight to [`unsubscribe`].
#[handler]
pub fn unsubscribe_form(ctx: PageCtx, Query(q): Query<UnsubscribeQuery>) -> Response {
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
    ctx: PageCtx,
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
    Query(q): Query<UnsubscribeQuery>,
) -> PageResult {
    match campaigns::unsubscribe(&state.frontdesk, &scope.ctx(), &q.token).await {
        Ok(_) => Ok(page(
            &ctx,
            "Unsubscribed",
            None,
            html! {
                h1 { "You are unsubscribed" }
                p { "You will get no more offers or service reminders from " (scope.tenant.name) ". Messages about your bookings still reach you." }
            },
        )
        .into_response()),
        Err(ServiceError::NotFound) => Ok(error_page(
            &ctx,
            StatusCode::NOT_FOUND,
            "Link not recognised",
            "This unsubscribe link is not valid here. Reply to the e-mail and the workshop will take you off the list.",
        )),
        Err(err) => Err(err.into()),
    }
}
