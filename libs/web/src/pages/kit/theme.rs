//! The day/night switch without JavaScript: remembers the choice in a cookie and goes back.
//! Served on the platform's pages and every workshop's.

use pitlane_domain::brand::ThemePreference;
use poem::{
    IntoResponse, Request, Response, Route, handler,
    http::StatusCode,
    post,
    web::{
        Redirect,
        cookie::{Cookie, SameSite},
    },
};

use super::{
    errors::error_page,
    forms::{Pairs, local_path},
    layout::{PageCtx, THEME_COOKIE},
};

pub fn routes(routes: Route) -> Route {
    routes.at("/theme", post(set_theme))
}

#[handler]
pub fn set_theme(req: &Request, ctx: PageCtx, form: Pairs) -> Response {
    let Ok(theme) = ThemePreference::parse(form.get("theme")) else {
        return error_page(
            &ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            "Unknown theme",
            "Choose Day, Night or Auto.",
        );
    };
    let mut cookie = Cookie::new_with_str(THEME_COOKIE, theme.as_str());
    cookie.set_path("/");
    cookie.set_same_site(SameSite::Lax);
    cookie.set_max_age(std::time::Duration::from_secs(365 * 24 * 60 * 60));
    req.cookie().add(cookie);
    Redirect::see_other(local_path(form.get("back"), &ctx.link("/"))).into_response()
}
