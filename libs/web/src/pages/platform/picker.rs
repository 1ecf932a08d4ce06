//! The platform's own sign-in: one login, then a choice of the person's workshops.

use maud::html;
use pitlane_domain::FieldErrors;
use pitlane_identity::{Refusal, signin::platform_sign_in};
use poem::{
    IntoResponse, Request, Response, handler,
    http::StatusCode,
    web::{Data, Form},
};
use serde::Deserialize;

use super::{
    auth::client_ip,
    errors::service_error_page,
    forms::{Field, csrf_errors, csrf_input, error_summary},
    layout::{PageCtx, page},
};
use crate::{links::site_of_tenant, state::AppState};

#[derive(Deserialize, Default)]
pub struct PlatformSignIn {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

fn form_page(
    ctx: &PageCtx,
    form: &PlatformSignIn,
    errors: &FieldErrors,
    status: StatusCode,
) -> Response {
    let body = page(
        ctx,
        "Sign in",
        None,
        html! {
            h1 { "Sign in to Pitlane" }
            p { "One login for every workshop you work for." }
            (error_summary(errors, &[("email", "E-mail"), ("password", "Password"), ("csrf", "Form")]))
            form class="stack" method="post" action="/signin" novalidate {
                (csrf_input(ctx))
                (Field::new("email", "E-mail", &form.email).kind("email").autocomplete("username").required().render(errors))
                (Field::new("password", "Password", "").kind("password").autocomplete("current-password").required().render(errors))
                div { button class="button" type="submit" { "Sign in" } }
            }
            p class="muted" { "New here? " a href="/signup" { "Sign up your workshop" } "." }
        },
    );
    (status, body).into_response()
}

#[handler]
pub fn sign_in_form(req: &Request) -> Response {
    form_page(
        &PageCtx::from_request(req),
        &PlatformSignIn::default(),
        &FieldErrors::new(),
        StatusCode::OK,
    )
}

#[handler]
pub async fn sign_in(
    req: &Request,
    state: Data<&AppState>,
    Form(form): Form<PlatformSignIn>,
) -> Response {
    let ctx = PageCtx::from_request(req);
    let csrf = csrf_errors(req, &form.csrf);
    if !csrf.is_empty() {
        return form_page(&ctx, &form, &csrf, StatusCode::FORBIDDEN);
    }
    let ip = client_ip(req);
    match platform_sign_in(&state.identity, &form.email, &form.password, ip.as_deref()).await {
        Ok(Ok(workshops)) => {
            let body = page(
                &ctx,
                "Choose a workshop",
                None,
                html! {
                    h1 { "Choose a workshop" }
                    @if workshops.is_empty() {
                        p { "Your login is not a member of any active workshop. Ask a workshop for an invitation, or " a href="/signup" { "sign up your own" } "." }
                    } @else {
                        ul class="workshops" {
                            @for w in &workshops {
                                li {
                                    a class="button" href=(format!("{}/signin/handoff?token={}", site_of_tenant(&state.config, &w.tenant.slug), w.handoff)) { (w.tenant.name) }
                                    " " span class="muted" { (w.role) }
                                }
                            }
                        }
                        p class="muted" { "These links work for five minutes." }
                    }
                },
            );
            body.into_response()
        }
        Ok(Err(Refusal::Locked(locked))) => form_page(
            &ctx,
            &form,
            &FieldErrors::single(
                "password",
                format!(
                    "too many attempts; try again in {} minute(s), or reset your password from your workshop's sign-in page",
                    locked.minutes
                ),
            ),
            StatusCode::TOO_MANY_REQUESTS,
        ),
        Ok(Err(_)) => form_page(
            &ctx,
            &form,
            &FieldErrors::single("password", "the e-mail or password is not right"),
            StatusCode::UNAUTHORIZED,
        ),
        Err(err) => service_error_page(&ctx, err),
    }
}
