//! Pages reached from e-mailed links, and the forms that send them: forgotten password,
//! reset, e-mail verification, accepting a staff invitation. A link that expired, was used or
//! was never ours gets a page saying so, with a way to get a new one.

use maud::{Markup, html};
use pitlane_domain::{FieldErrors, ServiceError};
use pitlane_identity::{
    account, invitations,
    links::{LinkError, Purpose},
};
use poem::{
    IntoResponse, Request, Response, handler,
    http::StatusCode,
    session::Session,
    web::{Data, Form, Query, Redirect},
};
use serde::Deserialize;

use super::{
    errors::service_error_page,
    forms::{Field, csrf_errors, csrf_input, error_summary},
    layout::{PageCtx, page},
};
use crate::{links::site_of, session::start_session, state::AppState, tenant::TenantScope};

#[derive(Deserialize, Default)]
pub struct TokenQuery {
    #[serde(default)]
    pub token: String,
}

pub fn link_problem(ctx: &PageCtx, err: LinkError, offer: Markup) -> Response {
    let (title, text) = match err {
        LinkError::Expired => (
            "This link has expired",
            "Links in our e-mails work for a limited time, for your safety.",
        ),
        LinkError::Used => ("This link was already used", "Each link works once."),
        LinkError::Invalid => (
            "This link does not work",
            "It may have been copied incompletely, or replaced by a newer one.",
        ),
    };
    let body = page(
        ctx,
        title,
        None,
        html! {
            h1 { (title) }
            p { (text) }
            (offer)
        },
    );
    (StatusCode::GONE, body).into_response()
}

// ---- Forgotten password ----

#[derive(Deserialize, Default)]
pub struct ForgotForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
}

fn forgot_page(ctx: &PageCtx, form: &ForgotForm, errors: &FieldErrors, sent: bool) -> Response {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let body = page(
        ctx,
        "Reset your password",
        None,
        html! {
            h1 { "Reset your password" }
            @if sent {
                div class="notice success" role="status" {
                    "If that address belongs to someone here, we have sent it a link to choose a new password. It works for 30 minutes."
                }
            }
            (error_summary(errors, &[("email", "E-mail"), ("csrf", "Form")]))
            form class="stack" method="post" action=(ctx.link("/forgot-password")) novalidate {
                (csrf_input(ctx))
                (Field::new("email", "E-mail", &form.email).kind("email").autocomplete("username").required().render(errors))
                div { button class="button" type="submit" { "Send me a link" } }
            }
            p { a href=(ctx.link("/signin")) { "Back to sign in" } }
        },
    );
    (status, body).into_response()
}

#[handler]
pub fn forgot_form(req: &Request) -> Response {
    forgot_page(
        &PageCtx::from_request(req),
        &ForgotForm::default(),
        &FieldErrors::new(),
        false,
    )
}

#[handler]
pub async fn forgot(
    req: &Request,
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
    Form(form): Form<ForgotForm>,
) -> Response {
    let ctx = PageCtx::from_request(req);
    let csrf = csrf_errors(req, &form.csrf);
    if !csrf.is_empty() {
        return forgot_page(&ctx, &form, &csrf, false);
    }
    let site = site_of(&state.config, &scope);
    let ip = crate::client_ip::client_ip(req);
    match account::request_password_reset(
        &state.identity,
        scope.tenant_id(),
        &form.email,
        &site,
        ip.as_deref(),
    )
    .await
    {
        Ok(()) => forgot_page(&ctx, &form, &FieldErrors::new(), true),
        Err(ServiceError::Invalid(errors)) => forgot_page(&ctx, &form, &errors, false),
        Err(other) => service_error_page(&ctx, other),
    }
}

// ---- Reset ----

#[derive(Deserialize, Default)]
pub struct ResetForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
}

fn ask_for_new_reset(ctx: &PageCtx) -> Markup {
    html! { p { a class="button" href=(ctx.link("/forgot-password")) { "Send me a new link" } } }
}

fn reset_page(ctx: &PageCtx, token: &str, errors: &FieldErrors) -> Response {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let body = page(
        ctx,
        "Choose a new password",
        None,
        html! {
            h1 { "Choose a new password" }
            (error_summary(errors, &[("password", "New password"), ("csrf", "Form")]))
            form class="stack" method="post" action=(ctx.link("/reset-password")) novalidate {
                (csrf_input(ctx))
                input type="hidden" name="token" value=(token);
                (Field::new("password", "New password", "").kind("password").autocomplete("new-password")
                    .hint("At least 10 characters. A few unrelated words make a strong one.").required().render(errors))
                div { button class="button" type="submit" { "Save the new password" } }
            }
        },
    );
    (status, body).into_response()
}

#[handler]
pub async fn reset_form(
    req: &Request,
    state: Data<&AppState>,
    Query(q): Query<TokenQuery>,
) -> Response {
    let ctx = PageCtx::from_request(req);
    match account::check_link(&state.identity, Purpose::ResetPassword, &q.token).await {
        Ok(Ok(())) => reset_page(&ctx, &q.token, &FieldErrors::new()),
        Ok(Err(err)) => link_problem(&ctx, err, ask_for_new_reset(&ctx)),
        Err(other) => service_error_page(&ctx, other),
    }
}

#[handler]
pub async fn reset(
    req: &Request,
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
    Form(form): Form<ResetForm>,
) -> Response {
    let ctx = PageCtx::from_request(req);
    let csrf = csrf_errors(req, &form.csrf);
    if !csrf.is_empty() {
        return reset_page(&ctx, &form.token, &csrf);
    }
    match account::reset_password(
        &state.identity,
        scope.tenant_id(),
        &form.token,
        &form.password,
    )
    .await
    {
        Ok(Ok(_)) => Redirect::see_other(ctx.link("/signin?notice=password-reset")).into_response(),
        Ok(Err(err)) => link_problem(&ctx, err, ask_for_new_reset(&ctx)),
        Err(ServiceError::Invalid(errors)) => reset_page(&ctx, &form.token, &errors),
        Err(other) => service_error_page(&ctx, other),
    }
}

// ---- E-mail verification ----

#[handler]
pub async fn verify_email(
    req: &Request,
    state: Data<&AppState>,
    Query(q): Query<TokenQuery>,
) -> Response {
    let ctx = PageCtx::from_request(req);
    match account::verify_email(&state.identity, &q.token).await {
        Ok(Ok(person)) => page(&ctx, "E-mail address verified", None, html! {
            h1 { "Thank you, your e-mail address is verified" }
            p { (person.email) " is confirmed." }
            p { a class="button" href=(ctx.link(if ctx.auth.is_some() { "/portal" } else { "/signin" })) { "Continue" } }
        }).into_response(),
        Ok(Err(err)) => {
            let offer = if ctx.auth.is_some() {
                html! {
                    form method="post" action=(ctx.link("/portal/account/verify-email")) {
                        (csrf_input(&ctx))
                        button class="button" type="submit" { "Send me a new link" }
                    }
                }
            } else {
                html! { p { "Sign in and choose “Send me a new link” on your account page." } p { a class="button" href=(format!("{}?next={}", ctx.link("/signin"), ctx.link("/portal/account"))) { "Sign in" } } }
            };
            link_problem(&ctx, err, offer)
        }
        Err(other) => service_error_page(&ctx, other),
    }
}

// ---- Invitations ----

#[derive(Deserialize, Default)]
pub struct AcceptForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    token: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
}

fn no_new_invitation(_: &PageCtx) -> Markup {
    html! { p { "Ask whoever invited you to send a new invitation." } }
}

fn accept_page(
    ctx: &PageCtx,
    form: &AcceptForm,
    email: &str,
    has_login: bool,
    errors: &FieldErrors,
) -> Response {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let workshop = ctx.tenant().map(|t| t.name.clone()).unwrap_or_default();
    let body = page(
        ctx,
        "Join the team",
        None,
        html! {
            h1 { "Join " (workshop) }
            p { "This invitation is for " strong { (email) } "." }
            (error_summary(errors, &[("name", "Your name"), ("password", "Password"), ("csrf", "Form")]))
            form class="stack" method="post" action=(ctx.link("/invitations/accept")) novalidate {
                (csrf_input(ctx))
                input type="hidden" name="token" value=(form.token);
                @if has_login {
                    p { "You already have a Pitlane login; accept, then sign in with it." }
                } @else {
                    (Field::new("name", "Your name", &form.name).autocomplete("name").required().render(errors))
                    (Field::new("password", "Choose a password", "").kind("password").autocomplete("new-password")
                        .hint("At least 10 characters.").required().render(errors))
                }
                div { button class="button" type="submit" { "Accept the invitation" } }
            }
        },
    );
    (status, body).into_response()
}

#[handler]
pub async fn accept_form(
    req: &Request,
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
    Query(q): Query<TokenQuery>,
) -> Response {
    let ctx = PageCtx::from_request(req);
    match invitations::open(&state.identity, scope.tenant_id(), &q.token).await {
        Ok(Ok((invitation, has_login))) => {
            let form = AcceptForm {
                token: q.token,
                name: invitation.name.clone().unwrap_or_default(),
                ..AcceptForm::default()
            };
            accept_page(
                &ctx,
                &form,
                &invitation.email,
                has_login,
                &FieldErrors::new(),
            )
        }
        Ok(Err(err)) => link_problem(&ctx, err, no_new_invitation(&ctx)),
        Err(other) => service_error_page(&ctx, other),
    }
}

#[handler]
pub async fn accept(
    req: &Request,
    session: &Session,
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
    Form(form): Form<AcceptForm>,
) -> Response {
    let ctx = PageCtx::from_request(req);
    let opened = match invitations::open(&state.identity, scope.tenant_id(), &form.token).await {
        Ok(Ok(found)) => found,
        Ok(Err(err)) => return link_problem(&ctx, err, no_new_invitation(&ctx)),
        Err(other) => return service_error_page(&ctx, other),
    };
    let csrf = csrf_errors(req, &form.csrf);
    if !csrf.is_empty() {
        return accept_page(&ctx, &form, &opened.0.email, opened.1, &csrf);
    }
    match invitations::accept(
        &state.identity,
        scope.tenant_id(),
        &form.token,
        &form.name,
        &form.password,
    )
    .await
    {
        Ok(Ok(person)) if !opened.1 => {
            // A new login, made just now through the e-mailed link: signed in straight away.
            match pitlane_identity::signin::session_for(
                &state.identity,
                scope.tenant_id(),
                person.id,
            )
            .await
            {
                Ok(Some(actor)) => {
                    start_session(session, &actor, person.name, person.email);
                    Redirect::see_other(ctx.link("/portal")).into_response()
                }
                Ok(None) => Redirect::see_other(ctx.link("/signin")).into_response(),
                Err(other) => service_error_page(&ctx, other),
            }
        }
        Ok(Ok(_)) => Redirect::see_other(ctx.link("/signin?notice=joined")).into_response(),
        Ok(Err(err)) => link_problem(&ctx, err, no_new_invitation(&ctx)),
        Err(ServiceError::Invalid(errors) | ServiceError::Conflict(errors)) => {
            accept_page(&ctx, &form, &opened.0.email, opened.1, &errors)
        }
        Err(other) => service_error_page(&ctx, other),
    }
}
