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
    IntoResponse, Request, Response, Route, get, handler,
    http::StatusCode,
    session::Session,
    web::{Data, Query, Redirect},
};
use serde::Deserialize;

use crate::pages::kit::{
    PageCtx, PageResult, Pairs,
    forms::{Field, csrf_input, error_summary, status_for},
    page,
};
use crate::{links::site_of, session::start_session, tenant::TenantScope};
use pitlane_app::state::AppState;

pub fn routes(routes: Route) -> Route {
    routes
        .at("/forgot-password", get(forgot_form).post(forgot))
        .at("/reset-password", get(reset_form).post(reset))
        .at("/verify-email", get(verify_email))
        .at("/invitations/accept", get(accept_form).post(accept))
}

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

fn forgot_page(ctx: &PageCtx, form: &Pairs, errors: &FieldErrors, sent: bool) -> Response {
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
                (Field::new("email", "E-mail", form.get("email")).kind("email").autocomplete("username").required().render(errors))
                div { button class="button" type="submit" { "Send me a link" } }
            }
            p { a href=(ctx.link("/signin")) { "Back to sign in" } }
        },
    );
    (status_for(errors), body).into_response()
}

#[handler]
fn forgot_form(ctx: PageCtx) -> Response {
    forgot_page(&ctx, &Pairs::default(), &FieldErrors::new(), false)
}

#[handler]
async fn forgot(
    ctx: PageCtx,
    req: &Request,
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
    form: Pairs,
) -> PageResult {
    let site = site_of(&state.config, &scope);
    let ip = crate::client_ip::client_ip(req);
    match account::request_password_reset(
        &state.identity,
        scope.tenant_id(),
        form.get("email"),
        &site,
        ip.as_deref(),
    )
    .await
    {
        Ok(()) => Ok(forgot_page(&ctx, &form, &FieldErrors::new(), true)),
        Err(ServiceError::Invalid(errors)) => Ok(forgot_page(&ctx, &form, &errors, false)),
        Err(other) => Err(other.into()),
    }
}

// ---- Reset ----

fn ask_for_new_reset(ctx: &PageCtx) -> Markup {
    html! { p { a class="button" href=(ctx.link("/forgot-password")) { "Send me a new link" } } }
}

fn reset_page(ctx: &PageCtx, token: &str, errors: &FieldErrors) -> Response {
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
    (status_for(errors), body).into_response()
}

#[handler]
async fn reset_form(
    ctx: PageCtx,
    state: Data<&AppState>,
    Query(q): Query<TokenQuery>,
) -> PageResult {
    Ok(
        match account::check_link(&state.identity, Purpose::ResetPassword, &q.token).await? {
            Ok(()) => reset_page(&ctx, &q.token, &FieldErrors::new()),
            Err(err) => link_problem(&ctx, err, ask_for_new_reset(&ctx)),
        },
    )
}

#[handler]
async fn reset(
    ctx: PageCtx,
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
    form: Pairs,
) -> PageResult {
    let token = form.get("token");
    match account::reset_password(
        &state.identity,
        scope.tenant_id(),
        token,
        form.get("password"),
    )
    .await
    {
        Ok(Ok(_)) => {
            Ok(Redirect::see_other(ctx.link("/signin?notice=password-reset")).into_response())
        }
        Ok(Err(err)) => Ok(link_problem(&ctx, err, ask_for_new_reset(&ctx))),
        Err(ServiceError::Invalid(errors)) => Ok(reset_page(&ctx, token, &errors)),
        Err(other) => Err(other.into()),
    }
}

// ---- E-mail verification ----

#[handler]
async fn verify_email(
    ctx: PageCtx,
    state: Data<&AppState>,
    Query(q): Query<TokenQuery>,
) -> PageResult {
    Ok(match account::verify_email(&state.identity, &q.token).await? {
        Ok(person) => page(&ctx, "E-mail address verified", None, html! {
            h1 { "Thank you, your e-mail address is verified" }
            p { (person.email) " is confirmed." }
            p { a class="button" href=(ctx.link(if ctx.auth.is_some() { "/portal" } else { "/signin" })) { "Continue" } }
        }).into_response(),
        Err(err) => {
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
    })
}

// ---- Invitations ----

fn no_new_invitation(_: &PageCtx) -> Markup {
    html! { p { "Ask whoever invited you to send a new invitation." } }
}

/// The invitation's form; `form` is what was typed (`token`, `name`), never the password.
fn accept_page(
    ctx: &PageCtx,
    form: &Pairs,
    email: &str,
    has_login: bool,
    errors: &FieldErrors,
) -> Response {
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
                input type="hidden" name="token" value=(form.get("token"));
                @if has_login {
                    p { "You already have a Pitlane login; accept, then sign in with it." }
                } @else {
                    (Field::new("name", "Your name", form.get("name")).autocomplete("name").required().render(errors))
                    (Field::new("password", "Choose a password", "").kind("password").autocomplete("new-password")
                        .hint("At least 10 characters.").required().render(errors))
                }
                div { button class="button" type="submit" { "Accept the invitation" } }
            }
        },
    );
    (status_for(errors), body).into_response()
}

#[handler]
async fn accept_form(
    ctx: PageCtx,
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
    Query(q): Query<TokenQuery>,
) -> PageResult {
    Ok(
        match invitations::open(&state.identity, scope.tenant_id(), &q.token).await? {
            Ok((invitation, has_login)) => {
                let form = Pairs(vec![
                    ("token".to_owned(), q.token),
                    (
                        "name".to_owned(),
                        invitation.name.clone().unwrap_or_default(),
                    ),
                ]);
                accept_page(
                    &ctx,
                    &form,
                    &invitation.email,
                    has_login,
                    &FieldErrors::new(),
                )
            }
            Err(err) => link_problem(&ctx, err, no_new_invitation(&ctx)),
        },
    )
}

#[handler]
async fn accept(
    ctx: PageCtx,
    session: &Session,
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
    form: Pairs,
) -> PageResult {
    let token = form.get("token");
    let (invitation, has_login) =
        match invitations::open(&state.identity, scope.tenant_id(), token).await? {
            Ok(found) => found,
            Err(err) => return Ok(link_problem(&ctx, err, no_new_invitation(&ctx))),
        };
    match invitations::accept(
        &state.identity,
        scope.tenant_id(),
        token,
        form.get("name"),
        form.get("password"),
    )
    .await
    {
        Ok(Ok(person)) if !has_login => {
            // A new login, made just now through the e-mailed link: signed in straight away.
            let actor = pitlane_identity::signin::session_for(
                &state.identity,
                scope.tenant_id(),
                person.id,
            )
            .await?;
            Ok(match actor {
                Some(actor) => {
                    start_session(session, &actor, person.name, person.email);
                    Redirect::see_other(ctx.link("/portal")).into_response()
                }
                None => Redirect::see_other(ctx.link("/signin")).into_response(),
            })
        }
        Ok(Ok(_)) => Ok(Redirect::see_other(ctx.link("/signin?notice=joined")).into_response()),
        Ok(Err(err)) => Ok(link_problem(&ctx, err, no_new_invitation(&ctx))),
        Err(ServiceError::Invalid(errors) | ServiceError::Conflict(errors)) => Ok(accept_page(
            &ctx,
            &form,
            &invitation.email,
            has_login,
            &errors,
        )),
        Err(other) => Err(other.into()),
    }
}
