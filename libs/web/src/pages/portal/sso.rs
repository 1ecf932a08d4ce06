//! Sign-in through an identity provider: the start on the workshop's site, the deployment's
//! one callback, and the hand-off back to the workshop's site where the session starts.

use maud::html;
use pitlane_identity::oauth::{self, OAuthRefusal};
use poem::{
    IntoResponse, Request, Response, handler,
    http::StatusCode,
    session::Session,
    web::{
        Data, Path, Query, Redirect,
        cookie::{Cookie, SameSite},
    },
};
use serde::Deserialize;

use super::{
    errors::{error_page, service_error_page},
    forms::local_path,
    layout::{PageCtx, page},
};
use crate::{links::site_of, session::start_session, state::AppState, tenant::TenantScope};

#[derive(Deserialize, Default)]
pub struct StartQuery {
    #[serde(default)]
    next: String,
}

#[handler]
pub async fn start(
    req: &Request,
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
    Path(provider): Path<String>,
    Query(q): Query<StartQuery>,
) -> Response {
    let ctx = PageCtx::from_request(req);
    let Some(provider) = state
        .config
        .oauth_providers
        .iter()
        .find(|p| p.key == provider)
    else {
        return super::errors::not_found_page(&ctx);
    };
    let site = site_of(&state.config, &scope);
    let portal = scope.link("/portal");
    let next = local_path(&q.next, &portal);
    let public = state.config.public_url.as_str();
    let (binding, digest) = oauth::browser_binding();
    match oauth::start(
        &state.identity,
        provider,
        public,
        scope.tenant_id(),
        &site,
        &next,
        &digest,
    )
    .await
    {
        Ok(url) => {
            // Only this browser can take the sign-in back on the workshop's site.
            let mut cookie = Cookie::new_with_str(oauth::BROWSER_COOKIE, binding);
            cookie.set_http_only(true);
            cookie.set_same_site(SameSite::Lax);
            cookie.set_secure(state.config.is_https());
            cookie.set_path("/");
            cookie.set_max_age(std::time::Duration::from_secs(10 * 60));
            req.cookie().add(cookie);
            Redirect::see_other(url).into_response()
        }
        Err(err) => service_error_page(&ctx, err),
    }
}

#[derive(Deserialize, Default)]
pub struct CallbackQuery {
    #[serde(default)]
    code: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    error: String,
}

fn refused(req: &Request, refusal: &OAuthRefusal) -> Response {
    let ctx = PageCtx::from_request(req);
    let body = page(
        &ctx,
        "Sign-in did not work",
        None,
        html! {
            h1 { "Sign-in did not work" }
            p { (refusal.to_string()) "." }
            p { "Go back to your workshop's sign-in page and try again, or sign in with your password." }
        },
    );
    (StatusCode::BAD_REQUEST, body).into_response()
}

/// `{public URL}/oauth/callback`: where every provider sends people back.
#[handler]
pub async fn callback(
    req: &Request,
    state: Data<&AppState>,
    Query(q): Query<CallbackQuery>,
) -> Response {
    if !q.error.is_empty() {
        return refused(req, &OAuthRefusal::Provider(q.error.clone()));
    }
    if q.code.is_empty() || q.state.is_empty() {
        return refused(req, &OAuthRefusal::UnknownState);
    }
    let public = state.config.public_url.as_str();
    match oauth::finish(
        &state.identity,
        &state.config.oauth_providers,
        public,
        &q.state,
        &q.code,
    )
    .await
    {
        Ok(Ok((site, token))) => {
            Redirect::see_other(format!("{site}/signin/handoff?token={token}")).into_response()
        }
        Ok(Err(refusal)) => refused(req, &refusal),
        Err(err) => {
            tracing::error!(error = %err, "finishing a provider sign-in");
            error_page(
                &PageCtx::from_request(req),
                StatusCode::SERVICE_UNAVAILABLE,
                "Sign-in is unavailable",
                "Please try again in a moment.",
            )
        }
    }
}

#[derive(Deserialize, Default)]
pub struct HandoffQuery {
    #[serde(default)]
    token: String,
}

#[handler]
pub async fn handoff(
    req: &Request,
    session: &Session,
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
    Query(q): Query<HandoffQuery>,
) -> Response {
    let ctx = PageCtx::from_request(req);
    let binding = req
        .cookie()
        .get(oauth::BROWSER_COOKIE)
        .map(|c| c.value_str().to_owned());
    match oauth::take_handoff(
        &state.identity,
        scope.tenant_id(),
        &q.token,
        binding.as_deref(),
    )
    .await
    {
        Ok(Some((_, handoff))) if handoff.needs_second_factor => {
            session.renew();
            session.set(
                super::two_factor::SECOND_FACTOR_KEY,
                super::two_factor::PendingSecondFactor {
                    membership_id: pitlane_domain::ids::MembershipId(handoff.membership),
                    name: handoff.name,
                    email: handoff.email,
                    next: handoff.next,
                    at: chrono::Utc::now().timestamp(),
                },
            );
            Redirect::see_other(scope.link("/signin/two-factor")).into_response()
        }
        Ok(Some((actor, handoff))) => {
            start_session(session, &actor, handoff.name, handoff.email);
            let portal = scope.link("/portal");
            let next = local_path(&handoff.next, &portal);
            let next = if next.starts_with(&format!("{}/", scope.base)) {
                next
            } else {
                portal
            };
            Redirect::see_other(next).into_response()
        }
        Ok(None) => refused(req, &OAuthRefusal::UnknownState),
        Err(err) => service_error_page(&ctx, err),
    }
}
