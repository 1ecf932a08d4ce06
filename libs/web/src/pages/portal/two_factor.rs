//! Two-factor sign-in: the code step after the password, setting up an authenticator with
//! recovery codes, and the workshop's security settings (require single sign-on for staff,
//! require two-factor for owners and admins).

use maud::html;
use pitlane_domain::{FieldErrors, ServiceError, ids::MembershipId};
use pitlane_identity::two_factor;
use pitlane_tenancy::security::SecuritySettings;
use poem::{
    IntoResponse, Request, Response, handler,
    http::StatusCode,
    session::Session,
    web::{Data, Redirect},
};
use serde::{Deserialize, Serialize};

use super::{
    auth::client_ip,
    errors::{expired_form, service_error_page, sign_in_redirect},
    forms::{Field, Pairs, csrf_errors, csrf_input, error_summary, local_path},
    layout::{PageCtx, page},
};
use crate::{session::start_session, state::AppState, tenant::TenantScope};

pub const SECOND_FACTOR_KEY: &str = "second_factor";
const SETUP_KEY: &str = "totp_setup";
/// The code step must follow the password within this long.
const SECOND_FACTOR_WINDOW_SECS: i64 = 5 * 60;

/// A sign-in whose password was right, waiting for its code.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingSecondFactor {
    pub membership_id: MembershipId,
    pub name: String,
    pub email: String,
    pub next: String,
    pub at: i64,
}

fn code_page(ctx: &PageCtx, errors: &FieldErrors, status: StatusCode) -> Response {
    let body = page(
        ctx,
        "Your sign-in code",
        None,
        html! {
            h1 { "Enter the code from your authenticator" }
            (error_summary(errors, &[("code", "Code"), ("csrf", "Form")]))
            form class="stack" method="post" action=(ctx.link("/signin/two-factor")) novalidate {
                (csrf_input(ctx))
                (Field::new("code", "Code", "").autocomplete("one-time-code")
                    .hint("Six digits from your app, or one of your recovery codes.").required().render(errors))
                div { button class="button" type="submit" { "Continue" } }
            }
        },
    );
    (status, body).into_response()
}

#[handler]
pub fn code_form(req: &Request, session: &Session) -> Response {
    let ctx = PageCtx::from_request(req);
    if session
        .get::<PendingSecondFactor>(SECOND_FACTOR_KEY)
        .is_none()
    {
        return Redirect::see_other(ctx.link("/signin")).into_response();
    }
    code_page(&ctx, &FieldErrors::new(), StatusCode::OK)
}

#[handler]
pub async fn check_code(
    req: &Request,
    session: &Session,
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
    body: String,
) -> Response {
    let ctx = PageCtx::from_request(req);
    let pairs = Pairs::parse(&body);
    let csrf = csrf_errors(req, pairs.get("csrf"));
    if !csrf.is_empty() {
        return code_page(&ctx, &csrf, StatusCode::FORBIDDEN);
    }
    let Some(pending) = session
        .get::<PendingSecondFactor>(SECOND_FACTOR_KEY)
        .filter(|p| chrono::Utc::now().timestamp() - p.at < SECOND_FACTOR_WINDOW_SECS)
    else {
        session.remove(SECOND_FACTOR_KEY);
        return Redirect::see_other(ctx.link("/signin")).into_response();
    };
    let actor = pitlane_identity::access::current_actor(
        &state.store,
        scope.tenant_id(),
        pending.membership_id,
    )
    .await;
    let actor = match actor {
        Ok(Some(actor)) => actor,
        Ok(None) => return sign_in_redirect(&ctx),
        Err(err) => return service_error_page(&ctx, err),
    };
    let ip = client_ip(req);
    match two_factor::verify(&state.identity, &actor, pairs.get("code"), ip.as_deref()).await {
        Ok(Ok(())) => {
            session.remove(SECOND_FACTOR_KEY);
            start_session(session, &actor, pending.name, pending.email);
            let portal = scope.link("/portal");
            let next = local_path(&pending.next, &portal);
            let next = if next.starts_with(&format!("{}/", scope.base)) {
                next
            } else {
                portal
            };
            Redirect::see_other(next).into_response()
        }
        Ok(Err(pitlane_identity::Refusal::Locked(locked))) => code_page(
            &ctx,
            &FieldErrors::single(
                "code",
                format!(
                    "too many wrong codes; try again in {} minute(s)",
                    locked.minutes
                ),
            ),
            StatusCode::TOO_MANY_REQUESTS,
        ),
        Ok(Err(_)) => code_page(
            &ctx,
            &FieldErrors::single("code", "that code is not right"),
            StatusCode::UNAUTHORIZED,
        ),
        Err(err) => service_error_page(&ctx, err),
    }
}

// ---- Setting up an authenticator ----

#[derive(Serialize, Deserialize)]
struct Setup {
    secret: String,
    uri: String,
}

async fn setup_page(
    ctx: &PageCtx,
    state: &AppState,
    session: &Session,
    errors: &FieldErrors,
    codes: Option<Vec<String>>,
) -> Response {
    let Some(auth) = &ctx.auth else {
        return sign_in_redirect(ctx);
    };
    let enabled = match two_factor::is_enabled(&state.identity, auth.actor.user_id.0).await {
        Ok(e) => e,
        Err(err) => return service_error_page(ctx, err),
    };
    let setup = session.get::<Setup>(SETUP_KEY).unwrap_or_else(|| {
        let issuer = ctx.tenant().map_or("Pitlane", |t| t.name.as_str());
        let (secret, uri) = two_factor::new_secret(issuer, &auth.email);
        let setup = Setup { secret, uri };
        session.set(SETUP_KEY, &setup);
        setup
    });
    let required = req_required(ctx);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let body = page(
        ctx,
        "Two-factor sign-in",
        Some("account"),
        html! {
            p { a href=(ctx.link("/portal/account")) { "← Your account" } }
            h1 { "Two-factor sign-in" }
            @if required && !enabled {
                div class="notice error" role="alert" { "This workshop requires owners and admins to use two-factor sign-in. Set it up to continue." }
            }
            @if let Some(codes) = &codes {
                div class="notice success" role="status" {
                    p { strong { "Two-factor sign-in is on. Keep these recovery codes somewhere safe: each works once, and they are shown only now." } }
                    ul class="secret" data-recovery-codes { @for c in codes { li { code { (c) } } } }
                }
            }
            (error_summary(errors, &[("code", "Code"), ("csrf", "Form")]))
            @if enabled {
                p { "Two-factor sign-in is on. After your password you enter the code your authenticator app shows." }
                form class="stack" method="post" action=(ctx.link("/portal/account/two-factor/disable")) novalidate {
                    (csrf_input(ctx))
                    (Field::new("code", "Current code", "").autocomplete("one-time-code").required().render(errors))
                    button class="button danger" type="submit" { "Turn two-factor sign-in off" }
                }
            } @else {
                ol {
                    li { "Open an authenticator app (such as Google Authenticator, Microsoft Authenticator or 1Password)." }
                    li { "Add an account with this key: " code class="secret" data-totp-secret { (setup.secret) } " (or open " a href=(setup.uri) { "this link" } " on your phone)." }
                    li { "Enter the six-digit code it shows." }
                }
                form class="stack" method="post" action=(ctx.link("/portal/account/two-factor")) novalidate {
                    (csrf_input(ctx))
                    (Field::new("code", "Code", "").autocomplete("one-time-code").required().render(errors))
                    button class="button" type="submit" { "Turn two-factor sign-in on" }
                }
            }
        },
    );
    (status, body).into_response()
}

fn req_required(ctx: &PageCtx) -> bool {
    ctx.tenant().is_some_and(|t| t.require_two_factor)
}

#[handler]
pub async fn setup_form(req: &Request, session: &Session, state: Data<&AppState>) -> Response {
    let ctx = PageCtx::from_request(req);
    setup_page(&ctx, &state, session, &FieldErrors::new(), None).await
}

#[handler]
pub async fn enable(
    req: &Request,
    session: &Session,
    state: Data<&AppState>,
    body: String,
) -> Response {
    let ctx = PageCtx::from_request(req);
    let Some(auth) = ctx.auth.clone() else {
        return sign_in_redirect(&ctx);
    };
    let pairs = Pairs::parse(&body);
    let csrf = csrf_errors(req, pairs.get("csrf"));
    if !csrf.is_empty() {
        return setup_page(&ctx, &state, session, &csrf, None).await;
    }
    let Some(setup) = session.get::<Setup>(SETUP_KEY) else {
        return setup_page(
            &ctx,
            &state,
            session,
            &FieldErrors::single("code", "start again: scan the new key"),
            None,
        )
        .await;
    };
    match two_factor::enable(
        &state.identity,
        &auth.actor,
        &setup.secret,
        pairs.get("code"),
    )
    .await
    {
        Ok(codes) => {
            session.remove(SETUP_KEY);
            setup_page(&ctx, &state, session, &FieldErrors::new(), Some(codes)).await
        }
        Err(ServiceError::Invalid(errors)) => {
            setup_page(&ctx, &state, session, &errors, None).await
        }
        Err(err) => service_error_page(&ctx, err),
    }
}

#[handler]
pub async fn disable(
    req: &Request,
    session: &Session,
    state: Data<&AppState>,
    body: String,
) -> Response {
    let ctx = PageCtx::from_request(req);
    let Some(auth) = ctx.auth.clone() else {
        return sign_in_redirect(&ctx);
    };
    let pairs = Pairs::parse(&body);
    if !csrf_errors(req, pairs.get("csrf")).is_empty() {
        return expired_form(&ctx);
    }
    match two_factor::disable(&state.identity, &auth.actor, pairs.get("code")).await {
        Ok(()) => Redirect::see_other(ctx.link("/portal/account/two-factor")).into_response(),
        Err(ServiceError::Invalid(errors)) => {
            setup_page(&ctx, &state, session, &errors, None).await
        }
        Err(err) => service_error_page(&ctx, err),
    }
}

// ---- The workshop's security settings ----

fn security_page(
    ctx: &PageCtx,
    state: &AppState,
    settings: SecuritySettings,
    errors: &FieldErrors,
    saved: bool,
) -> Response {
    let providers: Vec<&str> = state
        .config
        .oauth_providers
        .iter()
        .map(|p| p.label.as_str())
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let body = page(
        ctx,
        "Security",
        Some("settings"),
        html! {
            p { a href=(ctx.link("/portal/settings")) { "← Settings" } }
            h1 { "Sign-in security" }
            @if saved { div class="notice success" role="status" { "Saved." } }
            (error_summary(errors, &[("require_sso", "Single sign-on"), ("csrf", "Form")]))
            form class="stack" method="post" action=(ctx.link("/portal/settings/security")) {
                (csrf_input(ctx))
                div class="field" id="f-require_sso" {
                    label class="check" {
                        input type="checkbox" name="require_sso" value="yes" checked[settings.require_sso];
                        " Staff must sign in with single sign-on"
                    }
                    span class="hint" {
                        @if providers.is_empty() { "No identity provider is configured on this Pitlane deployment." }
                        @else { "Through " (providers.join(" or ")) ". Owners can still use their password, so nobody is locked out." }
                    }
                    @if let Some(error) = errors.message_for("require_sso") { span class="error" { (error) } }
                }
                div class="field" {
                    label class="check" {
                        input type="checkbox" name="require_two_factor" value="yes" checked[settings.require_two_factor];
                        " Owners and admins must use two-factor sign-in"
                    }
                }
                div class="field" {
                    label class="check" {
                        input type="checkbox" name="sso_trusts_mfa" value="yes" checked[settings.sso_trusts_mfa];
                        " Trust the identity provider's own second factor"
                    }
                    span class="hint" { "Leave this off unless your provider asks everyone for a second factor: otherwise people with two-factor sign-in also enter their code after single sign-on." }
                }
                div { button class="button" type="submit" { "Save" } }
            }
        },
    );
    (status, body).into_response()
}

#[handler]
pub async fn security(req: &Request, state: Data<&AppState>) -> Response {
    let ctx = PageCtx::from_request(req);
    let Some(auth) = &ctx.auth else {
        return sign_in_redirect(&ctx);
    };
    match pitlane_tenancy::security::get(&state.store, &auth.actor).await {
        Ok(settings) => security_page(
            &ctx,
            &state,
            settings,
            &FieldErrors::new(),
            req.uri().query() == Some("saved"),
        ),
        Err(err) => service_error_page(&ctx, err),
    }
}

#[handler]
pub async fn save_security(req: &Request, state: Data<&AppState>, body: String) -> Response {
    let ctx = PageCtx::from_request(req);
    let Some(auth) = ctx.auth.clone() else {
        return sign_in_redirect(&ctx);
    };
    let pairs = Pairs::parse(&body);
    let settings = SecuritySettings {
        require_sso: pairs.get("require_sso") == "yes",
        require_two_factor: pairs.get("require_two_factor") == "yes",
        sso_trusts_mfa: pairs.get("sso_trusts_mfa") == "yes",
    };
    let csrf = csrf_errors(req, pairs.get("csrf"));
    if !csrf.is_empty() {
        return security_page(&ctx, &state, settings, &csrf, false);
    }
    let sso_available = !state.config.oauth_providers.is_empty();
    match pitlane_tenancy::security::update(&state.store, &auth.actor, settings, sso_available)
        .await
    {
        Ok(_) => {
            state.tenants.invalidate(auth.actor.tenant_id);
            Redirect::see_other(ctx.link("/portal/settings/security?saved")).into_response()
        }
        Err(ServiceError::Invalid(errors)) => security_page(&ctx, &state, settings, &errors, false),
        Err(err) => service_error_page(&ctx, err),
    }
}
