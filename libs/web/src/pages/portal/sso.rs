//! Sign-in through an identity provider: the start on the workshop's site, the deployment's
//! one callback, and the hand-off back to the workshop's site where the session starts.

use maud::html;
use pitlane_domain::ServiceError;
use pitlane_identity::oauth::{self, OAuthRefusal};
use poem::{
    IntoResponse, Request, Response, Route, get, handler,
    http::StatusCode,
    session::Session,
    web::{
        Data, Path, Query, Redirect,
        cookie::{Cookie, SameSite},
    },
};
use serde::Deserialize;

use crate::pages::kit::{PageCtx, PageResult, errors::error_page, forms::local_path, page};
use crate::{links::site_of, session::start_session, tenant::TenantScope};
use pitlane_app::state::AppState;

pub fn routes(routes: Route) -> Route {
    routes
        .at("/signin/oauth/:provider", get(start))
        .at("/signin/handoff", get(handoff))
}

#[derive(Deserialize, Default)]
struct StartQuery {
    #[serde(default)]
    next: String,
}

#[handler]
async fn start(
    req: &Request,
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
    Path(provider): Path<String>,
    Query(q): Query<StartQuery>,
) -> PageResult {
    let Some(provider) = state
        .config
        .oauth_providers
        .iter()
        .find(|p| p.key == provider)
    else {
        return Err(ServiceError::NotFound.into());
    };
    let site = site_of(&state.config, &scope);
    let portal = scope.link("/portal");
    let next = local_path(&q.next, &portal);
    let public = state.config.public_url.as_str();
    let (binding, digest) = oauth::browser_binding();
    let url = oauth::start(
        &state.identity,
        provider,
        public,
        scope.tenant_id(),
        &site,
        &next,
        &digest,
    )
    .await?;
    // Only this browser can take the sign-in back on the workshop's site.
    let mut cookie = Cookie::new_with_str(oauth::BROWSER_COOKIE, binding);
    cookie.set_http_only(true);
    cookie.set_same_site(SameSite::Lax);
    cookie.set_secure(state.config.is_https());
    cookie.set_path("/");
    cookie.set_max_age(std::time::Duration::from_secs(10 * 60));
    req.cookie().add(cookie);
    Ok(Redirect::see_other(url).into_response())
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

fn refused(ctx: &PageCtx, refusal: &OAuthRefusal) -> Response {
    let body = page(
        ctx,
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

/// `{public URL}/oauth/callback`: where every provider sends people back. It is mounted
/// outside the page trees (no error middleware there), so it draws every answer itself.
#[handler]
pub async fn callback(
    ctx: PageCtx,
    state: Data<&AppState>,
    Query(q): Query<CallbackQuery>,
) -> Response {
    if !q.error.is_empty() {
        return refused(&ctx, &OAuthRefusal::Provider(q.error.clone()));
    }
    if q.code.is_empty() || q.state.is_empty() {
        return refused(&ctx, &OAuthRefusal::UnknownState);
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
        Ok(Err(refusal)) => refused(&ctx, &refusal),
        Err(err) => {
            tracing::error!(error = %err, "finishing a provider sign-in");
            error_page(
                &ctx,
                StatusCode::SERVICE_UNAVAILABLE,
                "Sign-in is unavailable",
                "Please try again in a moment.",
            )
        }
    }
}

#[derive(Deserialize, Default)]
struct HandoffQuery {
    #[serde(default)]
    token: String,
}

#[handler]
async fn handoff(
    ctx: PageCtx,
    req: &Request,
    session: &Session,
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
    Query(q): Query<HandoffQuery>,
) -> PageResult {
    let binding = req
        .cookie()
        .get(oauth::BROWSER_COOKIE)
        .map(|c| c.value_str().to_owned());
    let taken = oauth::take_handoff(
        &state.identity,
        scope.tenant_id(),
        &q.token,
        binding.as_deref(),
    )
    .await?;
    Ok(match taken {
        Some((_, handoff)) if handoff.needs_second_factor => {
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
        Some((actor, handoff)) => {
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
        None => refused(&ctx, &OAuthRefusal::UnknownState),
    })
}
