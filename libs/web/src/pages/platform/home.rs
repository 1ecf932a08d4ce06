//! The platform's front page, and its "go to your workshop" box.

use maud::html;
use poem::{IntoResponse, Response, Route, get, handler, web::Redirect};
use serde::Deserialize;

use crate::pages::kit::{PageCtx, page};

pub fn routes(routes: Route) -> Route {
    routes.at("/", get(platform_home)).at("/go", get(go))
}

#[handler]
fn platform_home(ctx: PageCtx) -> Response {
    page(
        &ctx,
        "Workshop software",
        None,
        html! {
            h1 { "Pitlane" }
            p { "Workshop management for auto repair chains: bookings, repair orders, mechanics, parts and payments." }
            div class="card" {
                h2 { "Go to your workshop" }
                form class="stack" method="get" action="/go" {
                    div class="field" {
                        label for="f-slug" { "Workshop address" }
                        span class="hint" id="f-slug-hint" { "The name in your workshop's Pitlane address, such as demo." }
                        input id="f-slug" name="slug" type="text" required aria-describedby="f-slug-hint" autocomplete="organization";
                    }
                    div { button class="button" type="submit" { "Continue" } }
                }
                p class="muted" { "Trying Pitlane? " a href="/t/demo/signin" { "Sign in to the demo workshop" } "." }
                p { a class="button" href="/signup" { "Sign up your workshop" } " — free for " (pitlane_tenancy::TRIAL_DAYS) " days." }
                p { "Work for several workshops? " a href="/signin" { "Sign in once and choose" } "." }
            }
        },
    )
    .into_response()
}

#[derive(Deserialize)]
pub struct GoQuery {
    #[serde(default)]
    slug: String,
}

/// The front page's "go to your workshop" box.
#[handler]
fn go(poem::web::Query(q): poem::web::Query<GoQuery>) -> Response {
    match pitlane_domain::text::Slug::parse(&q.slug) {
        Ok(slug) => Redirect::see_other(format!("/t/{slug}/signin")).into_response(),
        Err(_) => Redirect::see_other("/").into_response(),
    }
}
