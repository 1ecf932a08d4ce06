//! A workshop chain signs up on the platform's main site.

use maud::html;
use pitlane_domain::{FieldErrors, ServiceError};
use pitlane_tenancy::{SignedUp, Signup, TRIAL_DAYS, confirm_workshop, sign_up};
use poem::{
    IntoResponse, Request, Response, Route, get, handler,
    http::StatusCode,
    web::{Data, Query, Redirect},
};

use crate::links::site_of_tenant;
use crate::pages::kit::{
    PageCtx, PageResult, Pairs,
    forms::{Field, csrf_input, error_summary},
    page,
};
use pitlane_app::state::AppState;

pub fn routes(routes: Route) -> Route {
    routes
        .at("/signup", get(signup_form).post(signup))
        .at("/signup/sent", get(sent))
        .at("/signup/confirm", get(confirm_form).post(confirm))
}

#[derive(Default)]
pub struct SignupForm {
    company: String,
    slug: String,
    owner_name: String,
    email: String,
    password: String,
    country: String,
    currency: String,
    time_zone: String,
}

impl From<&Pairs> for SignupForm {
    fn from(p: &Pairs) -> Self {
        Self {
            company: p.get("company").to_owned(),
            slug: p.get("slug").to_owned(),
            owner_name: p.get("owner_name").to_owned(),
            email: p.get("email").to_owned(),
            password: p.get("password").to_owned(),
            country: p.get("country").to_owned(),
            currency: p.get("currency").to_owned(),
            time_zone: p.get("time_zone").to_owned(),
        }
    }
}

const LABELS: &[(&str, &str)] = &[
    ("company", "Company name"),
    ("slug", "Pitlane address"),
    ("owner_name", "Your name"),
    ("email", "E-mail"),
    ("password", "Password"),
    ("country", "Country"),
    ("currency", "Currency"),
    ("time_zone", "Time zone"),
];

fn signup_page(
    ctx: &PageCtx,
    form: &SignupForm,
    errors: &FieldErrors,
    status: StatusCode,
) -> Response {
    let body = page(
        ctx,
        "Sign up your workshop",
        None,
        html! {
            h1 { "Sign up your workshop" }
            p { "Free for " (TRIAL_DAYS) " days, every feature included. No card needed." }
            (error_summary(errors, LABELS))
            form class="stack" method="post" action="/signup" novalidate {
                (csrf_input(ctx))
                (Field::new("company", "Company name", &form.company).autocomplete("organization").required().render(errors))
                (Field::new("slug", "Pitlane address", &form.slug)
                    .hint("Your workshop's address on Pitlane: 3 to 40 lowercase letters, digits and hyphens, such as smith-motors.")
                    .required().render(errors))
                (Field::new("owner_name", "Your name", &form.owner_name).autocomplete("name").required().render(errors))
                (Field::new("email", "E-mail", &form.email).kind("email").autocomplete("email").required().render(errors))
                (Field::new("password", "Password", "").kind("password").autocomplete("new-password")
                    .hint("At least 10 characters. If this e-mail already has a Pitlane login, use its password.").required().render(errors))
                (Field::new("country", "Country", &form.country).autocomplete("country")
                    .hint("Two letters, such as GB, US or DE.").required().render(errors))
                (Field::new("currency", "Currency", &form.currency)
                    .hint("Three letters, such as GBP, USD or EUR.").required().render(errors))
                (Field::new("time_zone", "Time zone", &form.time_zone)
                    .hint("Where your first branch is, such as Europe/London or America/Chicago.").required().render(errors))
                div { button class="button" type="submit" { "Create my workshop" } }
            }
        },
    );
    (status, body).into_response()
}

#[handler]
fn signup_form(ctx: PageCtx) -> Response {
    let form = SignupForm {
        currency: "USD".into(),
        ..SignupForm::default()
    };
    signup_page(&ctx, &form, &FieldErrors::new(), StatusCode::OK)
}

#[handler]
async fn signup(req: &Request, ctx: PageCtx, state: Data<&AppState>, pairs: Pairs) -> PageResult {
    let form = SignupForm::from(&pairs);
    let input = Signup {
        company: form.company.clone(),
        slug: form.slug.clone(),
        owner_name: form.owner_name.clone(),
        email: form.email.clone(),
        password: form.password.clone(),
        country: form.country.clone(),
        currency: form.currency.clone(),
        time_zone: form.time_zone.clone(),
    };
    let config = state.config.clone();
    let ip = crate::client_ip::client_ip(req);
    let platform = config.public_url.as_str().to_owned();
    match sign_up(&state.identity, input, ip.as_deref(), &platform, |slug| {
        site_of_tenant(&config, slug)
    })
    .await
    {
        Ok(SignedUp::Created(tenant)) => {
            let site = site_of_tenant(&state.config, &tenant.slug);
            Ok(Redirect::see_other(format!("{site}/signin?notice=verify")).into_response())
        }
        Ok(SignedUp::CheckEmail) => Ok(Redirect::see_other("/signup/sent").into_response()),
        Err(ServiceError::Invalid(errors) | ServiceError::Conflict(errors)) => Ok(signup_page(
            &ctx,
            &form,
            &errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        )),
        Err(other) => Err(other.into()),
    }
}

/// After a sign-up with an address that already has a login: the same page whatever
/// password was typed, so it tells nobody whether it was right.
#[handler]
fn sent(ctx: PageCtx) -> Response {
    page(
        &ctx,
        "Check your e-mail",
        None,
        html! {
            h1 { "Check your e-mail" }
            div class="notice" role="status" {
                p { "This address already has a Pitlane login. We have e-mailed it a link: open it to confirm the new workshop, then sign in with the password you already have." }
                p { "No message within a few minutes? Look in your spam folder, or sign up again." }
            }
            p { a href="/signup" { "Back to sign-up" } }
        },
    )
    .into_response()
}

/// The link from the confirmation e-mail: a button, so that a mail scanner opening the link
/// confirms nothing.
#[handler]
fn confirm_form(
    ctx: PageCtx,
    Query(q): Query<crate::pages::portal::account::TokenQuery>,
) -> Response {
    page(
        &ctx,
        "Confirm your workshop",
        None,
        html! {
            h1 { "Confirm your workshop" }
            p { "A workshop was signed up on Pitlane with your address. Confirm to become its owner; you then sign in with your Pitlane password." }
            form method="post" action="/signup/confirm" {
                (csrf_input(&ctx))
                input type="hidden" name="token" value=(q.token);
                button class="button" type="submit" { "Confirm and open the workshop" }
            }
        },
    )
    .into_response()
}

#[handler]
async fn confirm(ctx: PageCtx, state: Data<&AppState>, form: Pairs) -> PageResult {
    Ok(
        match confirm_workshop(&state.identity, form.get("token")).await? {
            Ok(workshop) => {
                // Other servers' caches forget it within seconds; this one at once.
                state
                    .tenants
                    .invalidate(pitlane_domain::ids::TenantId(workshop.id));
                let site = site_of_tenant(&state.config, &workshop.slug);
                Redirect::see_other(format!("{site}/signin?notice=confirmed")).into_response()
            }
            Err(err) => crate::pages::portal::account::link_problem(
                &ctx,
                err,
                html! { p { a href="/signup" { "Sign up again" } } },
            ),
        },
    )
}
