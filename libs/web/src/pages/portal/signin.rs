//! Staff sign-in and sign-out.

use maud::html;
use pitlane_domain::FieldErrors;
use poem::{
    IntoResponse, Request, Response, Route, get, handler,
    http::StatusCode,
    post,
    session::Session,
    web::{Data, Query, Redirect},
};
use serde::Deserialize;

use crate::pages::kit::{
    PageCtx, PageResult, Pairs,
    forms::{Field, csrf_input, error_summary, local_path},
    page,
};
use crate::{session::start_session, tenant::TenantScope};
use pitlane_app::state::AppState;
use pitlane_identity::Refusal;

pub fn routes(routes: Route) -> Route {
    routes
        .at("/signin", get(sign_in_form).post(sign_in))
        .at("/signout", post(sign_out))
}

#[derive(Deserialize, Default)]
struct SignInQuery {
    #[serde(default)]
    next: String,
    #[serde(default)]
    notice: String,
}

/// Messages a redirect to the sign-in page can ask for (a fixed set: no text from the URL).
fn notice_text(key: &str) -> Option<&'static str> {
    match key {
        "password-reset" => Some(
            "Your password is changed, and every other session is signed out. Sign in with the new one.",
        ),
        "joined" => Some("You have joined the workshop. Sign in with your Pitlane login."),
        "signed-out-everywhere" => Some("You are signed out on every device."),
        "verify" => Some("We sent you an e-mail with a link to verify your address."),
        "confirmed" => Some("Your workshop is open. Sign in with your Pitlane password."),
        _ => None,
    }
}

/// The identity providers offered.
fn providers_of(state: &AppState) -> Vec<(String, String)> {
    state
        .config
        .oauth_providers
        .iter()
        .map(|p| (p.key.clone(), p.label.clone()))
        .collect()
}

/// The sign-in form; `form` is what was typed (`email`, `next`), never the password.
fn sign_in_page(
    ctx: &PageCtx,
    state: &AppState,
    form: &Pairs,
    errors: &FieldErrors,
    status: StatusCode,
    notice: Option<&str>,
) -> Response {
    let providers = providers_of(state);
    let next = form.get("next");
    let tenant_name = ctx.tenant().map(|t| t.name.clone()).unwrap_or_default();
    let body = page(
        ctx,
        "Sign in",
        None,
        html! {
            h1 { "Sign in to " (tenant_name) }
            @if let Some(notice) = notice { div class="notice success" role="status" { (notice) } }
            (error_summary(errors, &[("email", "E-mail"), ("password", "Password"), ("csrf", "Form")]))
            form class="stack" method="post" action=(ctx.link("/signin")) novalidate {
                (csrf_input(ctx))
                input type="hidden" name="next" value=(next);
                (Field::new("email", "E-mail", form.get("email")).kind("email").autocomplete("username").required().render(errors))
                (Field::new("password", "Password", "").kind("password").autocomplete("current-password").required().render(errors))
                div { button class="button" type="submit" { "Sign in" } }
            }
            p { a href=(ctx.link("/forgot-password")) { "Forgot your password?" } }
            @if !providers.is_empty() {
                section aria-labelledby="sso-heading" {
                    h2 id="sso-heading" { "Or sign in with" }
                    @for (key, label) in &providers {
                        p { a class="button" href=(format!("{}?next={}", ctx.link(&format!("/signin/oauth/{key}")), next)) { "Sign in with " (label) } }
                    }
                }
            }
        },
    );
    (status, body).into_response()
}

#[handler]
fn sign_in_form(ctx: PageCtx, state: Data<&AppState>, Query(q): Query<SignInQuery>) -> Response {
    if ctx.auth.is_some() {
        return Redirect::see_other(ctx.link("/portal")).into_response();
    }
    let form = Pairs(vec![("next".to_owned(), q.next)]);
    sign_in_page(
        &ctx,
        &state,
        &form,
        &FieldErrors::new(),
        StatusCode::OK,
        notice_text(&q.notice),
    )
}

#[handler]
async fn sign_in(
    ctx: PageCtx,
    req: &Request,
    session: &Session,
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
    form: Pairs,
) -> PageResult {
    let ip = client_ip(req);
    let refused =
        |errors: FieldErrors, status| sign_in_page(&ctx, &state, &form, &errors, status, None);
    Ok(
        match pitlane_identity::sign_in(
            &state.identity,
            scope.tenant_id(),
            form.get("email"),
            form.get("password"),
            ip.as_deref(),
        )
        .await?
        {
            Ok(signed_in) if signed_in.second_factor => {
                // The password was right; the session starts after the code. A fresh id already.
                session.renew();
                session.set(
                    super::two_factor::SECOND_FACTOR_KEY,
                    super::two_factor::PendingSecondFactor {
                        membership_id: signed_in.actor.membership_id,
                        name: signed_in.name,
                        email: signed_in.email,
                        next: form.get("next").to_owned(),
                        at: chrono::Utc::now().timestamp(),
                    },
                );
                Redirect::see_other(scope.link("/signin/two-factor")).into_response()
            }
            Ok(signed_in) => {
                let customer = signed_in
                    .actor
                    .role
                    .is(pitlane_domain::permissions::Role::Customer);
                start_session(session, &signed_in.actor, signed_in.name, signed_in.email);
                let portal = scope.link(if customer { "/account" } else { "/portal" });
                let next = local_path(form.get("next"), &portal);
                let next = if next.starts_with(&format!("{}/", scope.base)) {
                    next
                } else {
                    portal
                };
                Redirect::see_other(next).into_response()
            }
            Err(Refusal::WrongCredentials) => refused(
                FieldErrors::single("password", "the e-mail or password is not right"),
                StatusCode::UNAUTHORIZED,
            ),
            Err(Refusal::Locked(locked)) => {
                let minutes = match locked.minutes {
                    1 => "1 minute".to_owned(),
                    n => format!("{n} minutes"),
                };
                refused(
                    FieldErrors::single(
                        "password",
                        format!(
                            "too many attempts; try again in {minutes}, or reset your password"
                        ),
                    ),
                    StatusCode::TOO_MANY_REQUESTS,
                )
            }
            Err(Refusal::SsoRequired) => refused(
                FieldErrors::single(
                    "password",
                    "this workshop signs its staff in with single sign-on; use the button below",
                ),
                StatusCode::FORBIDDEN,
            ),
        },
    )
}

use crate::client_ip::client_ip;

#[handler]
fn sign_out(ctx: PageCtx, session: &Session) -> Response {
    session.purge();
    Redirect::see_other(ctx.link("/signin")).into_response()
}
