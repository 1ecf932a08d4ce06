//! Customers on the workshop's branded site: sign in with an e-mailed link (or a password
//! they chose), and their own account page.

use maud::{Markup, html};
use pitlane_domain::{FieldErrors, ServiceError};
use pitlane_identity::customers;
use poem::{
    IntoResponse, Request, Response, Route, get, handler, post,
    session::Session,
    web::{Data, Query, Redirect},
};

use crate::pages::kit::{
    Customer, PageCtx, PageResult, Pairs,
    forms::{Field, csrf_input, error_summary, status_for},
    page, submit,
};
use crate::pages::portal::account::TokenQuery;
use crate::{links::site_of, session::start_session, tenant::TenantScope};
use pitlane_app::state::AppState;

pub fn routes(routes: Route) -> Route {
    routes
        .at("/account", get(home))
        .at("/account/signin", get(link_form).post(send_link))
        .at("/account/magic", get(magic))
        .at("/account/password", post(save_password))
}

fn link_page(ctx: &PageCtx, form: &Pairs, errors: &FieldErrors, sent: bool) -> Response {
    let status = status_for(errors);
    let workshop = ctx.tenant().map(|t| t.name.clone()).unwrap_or_default();
    let body = page(
        ctx,
        "Your account",
        None,
        html! {
            h1 { "Your account at " (workshop) }
            p { "Follow your repairs, approve estimates and pay invoices online. No password needed: we e-mail you a link that signs you in." }
            @if sent {
                div class="notice success" role="status" { "Check your inbox: if the address can have an account here, a sign-in link is on its way. It works once, for 15 minutes." }
            }
            (error_summary(errors, &[("email", "E-mail"), ("name", "Your name"), ("csrf", "Form")]))
            form class="stack" method="post" action=(ctx.link("/account/signin")) novalidate {
                (csrf_input(ctx))
                (Field::new("email", "E-mail", form.get("email")).kind("email").autocomplete("email").required().render(errors))
                (Field::new("name", "Your name (if you are new here)", form.get("name")).autocomplete("name").render(errors))
                div { button class="button" type="submit" { "E-mail me a sign-in link" } }
            }
            p { "Chose a password before? " a href=(format!("{}?next={}", ctx.link("/signin"), ctx.link("/account"))) { "Sign in with it" } "." }
        },
    );
    (status, body).into_response()
}

#[handler]
fn link_form(ctx: PageCtx) -> Response {
    link_page(&ctx, &Pairs::default(), &FieldErrors::new(), false)
}

#[handler]
async fn send_link(
    req: &Request,
    ctx: PageCtx,
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
    pairs: Pairs,
) -> PageResult {
    let site = site_of(&state.config, &scope);
    match customers::request_link(
        &state.identity,
        scope.tenant_id(),
        pairs.get("email"),
        pairs.get("name"),
        &site,
        crate::client_ip::client_ip(req).as_deref(),
    )
    .await
    {
        Ok(()) => Ok(link_page(&ctx, &pairs, &FieldErrors::new(), true)),
        Err(ServiceError::Invalid(errors)) => Ok(link_page(&ctx, &pairs, &errors, false)),
        Err(err) => Err(err.into()),
    }
}

#[handler]
async fn magic(
    ctx: PageCtx,
    session: &Session,
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
    Query(q): Query<TokenQuery>,
) -> PageResult {
    Ok(
        match customers::sign_in_by_link(&state.identity, scope.tenant_id(), &q.token).await? {
            Ok((actor, person)) => {
                start_session(session, &actor, person.name, person.email);
                Redirect::see_other(scope.link("/account")).into_response()
            }
            Err(err) => crate::pages::portal::account::link_problem(
                &ctx,
                err,
                html! { p { a class="button" href=(ctx.link("/account/signin")) { "Send me a new link" } } },
            ),
        },
    )
}

/// The customer's vehicles and visits, each visit with its own link to change it.
async fn mine(state: &AppState, scope: &TenantScope, me: &Customer) -> Markup {
    let ctx = &me.ctx;
    let fd = &state.frontdesk;
    let Ok((_, vehicles, visits)) = pitlane_frontdesk::booking::me(fd, &me.actor).await else {
        return html! { p class="muted" { "Your visits could not be loaded just now." } };
    };
    let site = site_of(&state.config, scope);
    let invoices = pitlane_billing::invoices::of_signed_in_customer(&state.billing, &me.actor)
        .await
        .unwrap_or_default();
    let now = chrono::Utc::now();
    let branches = pitlane_tenancy::branches::public_list(&state.store, &scope.ctx())
        .await
        .unwrap_or_default();
    // Times on the branch's clock, as the customer will see it when they arrive.
    let when = |a: &pitlane_store::entity::appointment::Model| match branches
        .iter()
        .find(|b| b.id == a.branch_id)
    {
        Some(b) => pitlane_frontdesk::appointments::describe_time(b, a.starts_at),
        None => a.starts_at.format("%Y-%m-%d %H:%M UTC").to_string(),
    };
    html! {
        p { a class="button" href=(ctx.link("/book")) { "Book a visit" } " " a class="button secondary" href=(ctx.link("/account/messages")) { "Messages" } }
        @if !vehicles.is_empty() {
            h3 { "Vehicles" }
            ul { @for v in &vehicles { li { (pitlane_frontdesk::vehicles::describe(v)) } } }
        }
        @if !invoices.is_empty() {
            h3 { "Invoices" }
            ul {
                @for i in &invoices {
                    li data-invoice {
                        a href=(pitlane_billing::invoices::customer_link(&state.billing, &site, i.id.into())) { (i.number.clone().unwrap_or_default()) }
                        " · " (pitlane_billing::invoices::total_of(i))
                        " · " (pitlane_domain::invoicing::InvoiceStatus::parse(&i.status).map_or("", |s| s.label()))
                        @let due = pitlane_billing::invoices::balance_due_of(i);
                        @if due.minor > 0 && i.status != "void" { " · " strong { (due) " to pay" } }
                    }
                }
            }
        }
        h3 { "Visits" }
        @if visits.is_empty() { p class="muted" { "No visits yet." } }
        ul {
            @for a in &visits {
                li {
                    @if a.ends_at > now {
                        a href=(pitlane_frontdesk::appointments::manage_link(fd, &site, a)) { (when(a)) }
                    } @else { (when(a)) }
                    " · " (pitlane_domain::appointment::AppointmentStatus::label_for(&a.status))
                }
            }
        }
    }
}

fn home_page(
    me: &Customer,
    errors: &FieldErrors,
    saved: bool,
    has_password: bool,
    visits: Markup,
) -> Response {
    let ctx = &me.ctx;
    let (name, email) = me
        .ctx
        .auth
        .as_ref()
        .map(|a| (a.name.as_str(), a.email.as_str()))
        .unwrap_or_default();
    let body = page(
        ctx,
        "Your account",
        Some("my-account"),
        html! {
            h1 { "Hello, " (name) }
            p class="muted" { "Signed in as " (email) "." }
            section class="card" aria-labelledby="mine-heading" {
                h2 id="mine-heading" { "Your vehicles and repairs" }
                (visits)
            }
            section class="card" aria-labelledby="password-heading" {
                h2 id="password-heading" { "Password (optional)" }
                @if saved { div class="notice success" role="status" { "Your password is saved." } }
                (error_summary(errors, &[("current_password", "Current password"), ("password", "Password"), ("csrf", "Form")]))
                form class="stack" method="post" action=(ctx.link("/account/password")) novalidate {
                    (csrf_input(ctx))
                    @if has_password {
                        (Field::new("current_password", "Current password", "").kind("password").autocomplete("current-password")
                            .required().render(errors))
                    }
                    (Field::new("password", if has_password { "New password" } else { "Choose a password" }, "").kind("password").autocomplete("new-password")
                        .hint("To sign in without waiting for an e-mail. At least 10 characters.").required().render(errors))
                    div { button class="button" type="submit" { "Save the password" } }
                }
            }
        },
    );
    (status_for(errors), body).into_response()
}

#[handler]
async fn home(
    me: Customer,
    req: &Request,
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
) -> Response {
    let has_password = customers::has_password(&state.identity, &me.actor)
        .await
        .unwrap_or(true);
    let visits = mine(&state, &scope, &me).await;
    home_page(
        &me,
        &FieldErrors::new(),
        req.uri().query() == Some("saved"),
        has_password,
        visits,
    )
}

#[handler]
async fn save_password(
    me: Customer,
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
    session: &Session,
    form: Pairs,
) -> PageResult {
    let (me, state) = (&me, state.0);
    let has_password = customers::has_password(&state.identity, &me.actor)
        .await
        .unwrap_or(true);
    submit(
        &me.ctx,
        form,
        |p| async move {
            customers::set_password(
                &state.identity,
                &me.actor,
                p.get("current_password"),
                p.get("password"),
            )
            .await?;
            // Every session of the person ended with the change; this one goes on.
            if let Some(auth) = &me.ctx.auth {
                start_session(session, &me.actor, auth.name.clone(), auth.email.clone());
            }
            Ok("/account?saved".to_owned())
        },
        |_, errors| async move {
            let visits = mine(state, &scope, me).await;
            Ok(home_page(me, &errors, false, has_password, visits))
        },
    )
    .await
}
