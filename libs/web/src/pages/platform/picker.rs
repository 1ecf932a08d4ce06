//! The platform's own sign-in: one login, then a choice of the person's workshops.

use maud::html;
use pitlane_domain::FieldErrors;
use pitlane_identity::{Refusal, signin::platform_sign_in};
use poem::{IntoResponse, Request, Response, Route, get, handler, http::StatusCode, web::Data};

use crate::client_ip::client_ip;
use crate::links::site_of_tenant;
use crate::pages::kit::{
    PageCtx, PageResult, Pairs,
    forms::{Field, csrf_input, error_summary},
    page,
};
use pitlane_app::state::AppState;

pub fn routes(routes: Route) -> Route {
    routes.at("/signin", get(sign_in_form).post(sign_in))
}

#[derive(Default)]
pub struct PlatformSignIn {
    email: String,
    password: String,
}

impl From<&Pairs> for PlatformSignIn {
    fn from(p: &Pairs) -> Self {
        Self {
            email: p.get("email").to_owned(),
            password: p.get("password").to_owned(),
        }
    }
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
            (error_summary(errors, &[("email", "E-mail"), ("password", "Password")]))
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
fn sign_in_form(ctx: PageCtx) -> Response {
    form_page(
        &ctx,
        &PlatformSignIn::default(),
        &FieldErrors::new(),
        StatusCode::OK,
    )
}

#[handler]
async fn sign_in(req: &Request, ctx: PageCtx, state: Data<&AppState>, pairs: Pairs) -> PageResult {
    let form = PlatformSignIn::from(&pairs);
    let ip = client_ip(req);
    let answer = match platform_sign_in(&state.identity, &form.email, &form.password, ip.as_deref())
        .await?
    {
        Ok(workshops) => {
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
        Err(Refusal::Locked(locked)) => form_page(
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
        Err(_) => form_page(
            &ctx,
            &form,
            &FieldErrors::single("password", "the e-mail or password is not right"),
            StatusCode::UNAUTHORIZED,
        ),
    };
    Ok(answer)
}
