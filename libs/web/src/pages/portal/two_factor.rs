//! Two-factor sign-in: the code step after the password, setting up an authenticator with
//! recovery codes, and the workshop's security settings (require single sign-on for staff,
//! require two-factor for owners and admins).

use maud::html;
use pitlane_domain::{FieldErrors, ServiceError, ids::MembershipId};
use pitlane_identity::two_factor;
use pitlane_tenancy::security::SecuritySettings;
use poem::{
    IntoResponse, Request, Response, Route, get, handler,
    http::StatusCode,
    post,
    session::Session,
    web::{Data, Redirect},
};
use serde::{Deserialize, Serialize};

use crate::client_ip::client_ip;
use crate::pages::kit::{
    PageCtx, PageResult, Pairs, Staff,
    forms::{Field, csrf_input, error_summary, local_path, status_for},
    page, submit,
};
use crate::{session::start_session, tenant::TenantScope};
use pitlane_app::state::AppState;

pub fn routes(routes: Route) -> Route {
    routes
        .at("/signin/two-factor", get(code_form).post(check_code))
        .at("/portal/account/two-factor", get(setup_form).post(enable))
        .at("/portal/account/two-factor/disable", post(disable))
        .at(
            "/portal/settings/security",
            get(security).post(save_security),
        )
}

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
fn code_form(ctx: PageCtx, session: &Session) -> Response {
    if session
        .get::<PendingSecondFactor>(SECOND_FACTOR_KEY)
        .is_none()
    {
        return Redirect::see_other(ctx.link("/signin")).into_response();
    }
    code_page(&ctx, &FieldErrors::new(), StatusCode::OK)
}

#[handler]
async fn check_code(
    ctx: PageCtx,
    req: &Request,
    session: &Session,
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
    form: Pairs,
) -> PageResult {
    let Some(pending) = session
        .get::<PendingSecondFactor>(SECOND_FACTOR_KEY)
        .filter(|p| chrono::Utc::now().timestamp() - p.at < SECOND_FACTOR_WINDOW_SECS)
    else {
        session.remove(SECOND_FACTOR_KEY);
        return Ok(Redirect::see_other(ctx.link("/signin")).into_response());
    };
    let actor = pitlane_identity::access::current_actor(
        &state.store,
        scope.tenant_id(),
        pending.membership_id,
    )
    .await?
    .ok_or(ServiceError::Unauthenticated)?;
    let ip = client_ip(req);
    Ok(
        match two_factor::verify(&state.identity, &actor, form.get("code"), ip.as_deref()).await? {
            Ok(()) => {
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
            Err(pitlane_identity::Refusal::Locked(locked)) => code_page(
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
            Err(_) => code_page(
                &ctx,
                &FieldErrors::single("code", "that code is not right"),
                StatusCode::UNAUTHORIZED,
            ),
        },
    )
}

// ---- Setting up an authenticator ----

#[derive(Serialize, Deserialize)]
struct Setup {
    secret: String,
    uri: String,
}

async fn setup_page(
    staff: &Staff,
    state: &AppState,
    session: &Session,
    errors: &FieldErrors,
    codes: Option<Vec<String>>,
) -> PageResult {
    let ctx = &staff.ctx;
    let enabled = two_factor::is_enabled(&state.identity, staff.actor.user_id.0).await?;
    let setup = session.get::<Setup>(SETUP_KEY).unwrap_or_else(|| {
        let issuer = ctx.tenant().map_or("Pitlane", |t| t.name.as_str());
        let email = ctx.auth.as_ref().map_or("", |a| a.email.as_str());
        let (secret, uri) = two_factor::new_secret(issuer, email);
        let setup = Setup { secret, uri };
        session.set(SETUP_KEY, &setup);
        setup
    });
    let required = req_required(ctx);
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
    Ok((status_for(errors), body).into_response())
}

fn req_required(ctx: &PageCtx) -> bool {
    ctx.tenant().is_some_and(|t| t.require_two_factor)
}

#[handler]
async fn setup_form(staff: Staff, session: &Session, state: Data<&AppState>) -> PageResult {
    setup_page(&staff, &state, session, &FieldErrors::new(), None).await
}

#[handler]
async fn enable(
    staff: Staff,
    session: &Session,
    state: Data<&AppState>,
    form: Pairs,
) -> PageResult {
    let Some(setup) = session.get::<Setup>(SETUP_KEY) else {
        return setup_page(
            &staff,
            &state,
            session,
            &FieldErrors::single("code", "start again: scan the new key"),
            None,
        )
        .await;
    };
    // Not `submit`: the recovery codes are shown on this answer, once, never in a redirect.
    match two_factor::enable(
        &state.identity,
        &staff.actor,
        &setup.secret,
        form.get("code"),
    )
    .await
    {
        Ok(codes) => {
            session.remove(SETUP_KEY);
            setup_page(&staff, &state, session, &FieldErrors::new(), Some(codes)).await
        }
        Err(ServiceError::Invalid(errors)) => {
            setup_page(&staff, &state, session, &errors, None).await
        }
        Err(err) => Err(err.into()),
    }
}

#[handler]
async fn disable(
    staff: Staff,
    session: &Session,
    Data(state): Data<&AppState>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    submit(
        &staff.ctx,
        form,
        |p| async move {
            two_factor::disable(&state.identity, &staff.actor, p.get("code")).await?;
            Ok("/portal/account/two-factor".to_owned())
        },
        |_, errors| async move { setup_page(staff, state, session, &errors, None).await },
    )
    .await
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
    (status_for(errors), body).into_response()
}

#[handler]
async fn security(staff: Staff, req: &Request, state: Data<&AppState>) -> PageResult {
    let settings = pitlane_tenancy::security::get(&state.store, &staff.actor).await?;
    Ok(security_page(
        &staff.ctx,
        &state,
        settings,
        &FieldErrors::new(),
        req.uri().query() == Some("saved"),
    ))
}

/// The settings as ticked on the form.
fn settings_of(form: &Pairs) -> SecuritySettings {
    SecuritySettings {
        require_sso: form.get("require_sso") == "yes",
        require_two_factor: form.get("require_two_factor") == "yes",
        sso_trusts_mfa: form.get("sso_trusts_mfa") == "yes",
    }
}

#[handler]
async fn save_security(staff: Staff, Data(state): Data<&AppState>, form: Pairs) -> PageResult {
    let staff = &staff;
    submit(
        &staff.ctx,
        form,
        |p| async move {
            let sso_available = !state.config.oauth_providers.is_empty();
            pitlane_tenancy::security::update(
                &state.store,
                &staff.actor,
                settings_of(&p),
                sso_available,
            )
            .await?;
            state.tenants.invalidate(staff.actor.tenant_id);
            Ok("/portal/settings/security?saved".to_owned())
        },
        |p, errors| async move {
            Ok(security_page(
                &staff.ctx,
                state,
                settings_of(&p),
                &errors,
                false,
            ))
        },
    )
    .await
}
