//! Staff sign-in and sign-out.

use maud::html;
use pitlane_domain::FieldErrors;
use poem::{
    IntoResponse, Request, Response, handler,
    http::StatusCode,
    session::Session,
    web::{Data, Form, Query, Redirect},
};
use serde::Deserialize;

use super::{
    errors::service_error_page,
    forms::{Field, csrf_errors, csrf_input, error_summary, local_path},
    layout::{PageCtx, page},
};
use crate::{session::start_session, state::AppState, tenant::TenantScope};
use pitlane_identity::Refusal;

#[derive(Deserialize, Default)]
pub struct SignInQuery {
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
        _ => None,
    }
}

#[derive(Deserialize, Default)]
pub struct SignInForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
    /// The identity providers offered (filled by the handler, never from the form).
    #[serde(skip)]
    providers: Vec<(String, String)>,
}

fn providers_of(req: &Request) -> Vec<(String, String)> {
    req.data::<AppState>()
        .map(|state| {
            state
                .config
                .oauth_providers
                .iter()
                .map(|p| (p.key.clone(), p.label.clone()))
                .collect()
        })
        .unwrap_or_default()
}

fn sign_in_page(
    ctx: &PageCtx,
    form: &SignInForm,
    errors: &FieldErrors,
    status: StatusCode,
) -> Response {
    sign_in_with_notice(ctx, form, errors, status, None)
}

fn sign_in_with_notice(
    ctx: &PageCtx,
    form: &SignInForm,
    errors: &FieldErrors,
    status: StatusCode,
    notice: Option<&str>,
) -> Response {
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
                input type="hidden" name="next" value=(form.next);
                (Field::new("email", "E-mail", &form.email).kind("email").autocomplete("username").required().render(errors))
                (Field::new("password", "Password", "").kind("password").autocomplete("current-password").required().render(errors))
                div { button class="button" type="submit" { "Sign in" } }
            }
            p { a href=(ctx.link("/forgot-password")) { "Forgot your password?" } }
            @if !form.providers.is_empty() {
                section aria-labelledby="sso-heading" {
                    h2 id="sso-heading" { "Or sign in with" }
                    @for (key, label) in &form.providers {
                        p { a class="button" href=(format!("{}?next={}", ctx.link(&format!("/signin/oauth/{key}")), form.next)) { "Sign in with " (label) } }
                    }
                }
            }
        },
    );
    (status, body).into_response()
}

#[handler]
pub fn sign_in_form(req: &Request, Query(q): Query<SignInQuery>) -> Response {
    let ctx = PageCtx::from_request(req);
    if ctx.auth.is_some() {
        return Redirect::see_other(ctx.link("/portal")).into_response();
    }
    let form = SignInForm {
        next: q.next,
        providers: providers_of(req),
        ..SignInForm::default()
    };
    sign_in_with_notice(
        &ctx,
        &form,
        &FieldErrors::new(),
        StatusCode::OK,
        notice_text(&q.notice),
    )
}

#[handler]
pub async fn sign_in(
    req: &Request,
    session: &Session,
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
    Form(mut form): Form<SignInForm>,
) -> Response {
    let ctx = PageCtx::from_request(req);
    form.providers = providers_of(req);
    let csrf = csrf_errors(req, &form.csrf);
    if !csrf.is_empty() {
        return sign_in_page(&ctx, &form, &csrf, StatusCode::FORBIDDEN);
    }
    let ip = client_ip(req);
    match pitlane_identity::sign_in(
        &state.identity,
        scope.tenant_id(),
        &form.email,
        &form.password,
        ip.as_deref(),
    )
    .await
    {
        Ok(Ok(signed_in)) if signed_in.second_factor => {
            // The password was right; the session starts after the code. A fresh id already.
            session.renew();
            session.set(
                super::two_factor::SECOND_FACTOR_KEY,
                super::two_factor::PendingSecondFactor {
                    membership_id: signed_in.actor.membership_id,
                    name: signed_in.name,
                    email: signed_in.email,
                    next: form.next.clone(),
                    at: chrono::Utc::now().timestamp(),
                },
            );
            Redirect::see_other(scope.link("/signin/two-factor")).into_response()
        }
        Ok(Ok(signed_in)) => {
            let customer = signed_in
                .actor
                .role
                .is(pitlane_domain::permissions::Role::Customer);
            start_session(session, &signed_in.actor, signed_in.name, signed_in.email);
            let portal = scope.link(if customer { "/account" } else { "/portal" });
            let next = local_path(&form.next, &portal);
            let next = if next.starts_with(&format!("{}/", scope.base)) {
                next
            } else {
                portal
            };
            Redirect::see_other(next).into_response()
        }
        Ok(Err(Refusal::WrongCredentials)) => {
            let errors = FieldErrors::single("password", "the e-mail or password is not right");
            sign_in_page(&ctx, &form, &errors, StatusCode::UNAUTHORIZED)
        }
        Ok(Err(Refusal::Locked(locked))) => {
            let minutes = match locked.minutes {
                1 => "1 minute".to_owned(),
                n => format!("{n} minutes"),
            };
            let errors = FieldErrors::single(
                "password",
                format!("too many attempts; try again in {minutes}, or reset your password"),
            );
            sign_in_page(&ctx, &form, &errors, StatusCode::TOO_MANY_REQUESTS)
        }
        Ok(Err(Refusal::SsoRequired)) => {
            let errors = FieldErrors::single(
                "password",
                "this workshop signs its staff in with single sign-on; use the button below",
            );
            sign_in_page(&ctx, &form, &errors, StatusCode::FORBIDDEN)
        }
        Err(other) => service_error_page(&ctx, other),
    }
}

pub use crate::client_ip::client_ip;

#[derive(Deserialize)]
pub struct SignOutForm {
    #[serde(default)]
    csrf: String,
}

#[handler]
pub fn sign_out(req: &Request, session: &Session, Form(form): Form<SignOutForm>) -> Response {
    let ctx = PageCtx::from_request(req);
    if csrf_errors(req, &form.csrf).is_empty() {
        session.purge();
    }
    Redirect::see_other(ctx.link("/signin")).into_response()
}
