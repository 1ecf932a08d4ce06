//! Staff sign-in and sign-out.

use maud::html;
use pitlane_domain::{FieldErrors, ServiceError};
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
use crate::{
    session::{AUTH_KEY, SessionAuth},
    state::AppState,
    tenant::TenantScope,
};

#[derive(Deserialize, Default)]
pub struct SignInQuery {
    #[serde(default)]
    next: String,
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
}

fn sign_in_page(
    ctx: &PageCtx,
    form: &SignInForm,
    errors: &FieldErrors,
    status: StatusCode,
) -> Response {
    let tenant_name = ctx.tenant().map(|t| t.name.clone()).unwrap_or_default();
    let body = page(
        ctx,
        "Sign in",
        None,
        html! {
            h1 { "Sign in to " (tenant_name) }
            (error_summary(errors, &[("email", "E-mail"), ("password", "Password"), ("csrf", "Form")]))
            form class="stack" method="post" action=(ctx.link("/signin")) novalidate {
                (csrf_input(ctx))
                input type="hidden" name="next" value=(form.next);
                (Field::new("email", "E-mail", &form.email).kind("email").autocomplete("username").required().render(errors))
                (Field::new("password", "Password", "").kind("password").autocomplete("current-password").required().render(errors))
                div { button class="button" type="submit" { "Sign in" } }
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
        ..SignInForm::default()
    };
    sign_in_page(&ctx, &form, &FieldErrors::new(), StatusCode::OK)
}

#[handler]
pub async fn sign_in(
    req: &Request,
    session: &Session,
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
    Form(form): Form<SignInForm>,
) -> Response {
    let ctx = PageCtx::from_request(req);
    let csrf = csrf_errors(req, &form.csrf);
    if !csrf.is_empty() {
        return sign_in_page(&ctx, &form, &csrf, StatusCode::FORBIDDEN);
    }
    match pitlane_identity::sign_in(&state.store, scope.tenant_id(), &form.email, &form.password)
        .await
    {
        Ok(signed_in) => {
            // A fresh session id at sign-in: an id planted before cannot be ridden (no fixation).
            session.renew();
            session.set(
                AUTH_KEY,
                SessionAuth {
                    tenant_id: signed_in.actor.tenant_id,
                    user_id: signed_in.actor.user_id,
                    membership_id: signed_in.actor.membership_id,
                    role: signed_in.actor.role.key().to_owned(),
                    name: signed_in.name,
                    email: signed_in.email,
                },
            );
            tracing::info!(user = %signed_in.actor.user_id, "signed in");
            let portal = scope.link("/portal");
            let next = local_path(&form.next, &portal);
            let next = if next.starts_with(&format!("{}/", scope.base)) {
                next
            } else {
                portal
            };
            Redirect::see_other(next).into_response()
        }
        Err(ServiceError::Unauthenticated) => {
            tracing::info!("sign-in refused");
            let errors = FieldErrors::single("password", "the e-mail or password is not right");
            sign_in_page(&ctx, &form, &errors, StatusCode::UNAUTHORIZED)
        }
        Err(other) => service_error_page(&ctx, other),
    }
}

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
