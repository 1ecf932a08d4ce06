//! The customer's own chat with the workshop. It updates live; without JavaScript a reload
//! shows the same.

use maud::{Markup, html};
use pitlane_app::AppState;
use pitlane_domain::FieldErrors;
use pitlane_frontdesk::conversations::{self, Thread};
use poem::{IntoResponse, Route, get, handler, web::Data};

use crate::pages::kit::{
    Customer, PageCtx, PageResult, Pairs,
    chat::messages,
    forms::{csrf_input, error_summary, status_for, textarea},
    page, submit,
};

const LABELS: &[(&str, &str)] = &[("body", "Message")];

pub fn routes(routes: Route) -> Route {
    routes.at("/account/messages", get(show).post(write))
}

fn chat(ctx: &PageCtx, t: &Thread, typed: &str, errors: &FieldErrors) -> Markup {
    let workshop = ctx.tenant().map(|t| t.name.clone()).unwrap_or_default();
    html! {
        p { a href=(ctx.link("/account")) { "← Your account" } }
        h1 { "Messages with " (workshop) }
        div id="thread" data-live="conversations" data-refresh=(ctx.link("/account/messages")) {
            (messages(&t.messages, "in"))
        }
        (error_summary(errors, LABELS))
        form class="stack" method="post" action=(ctx.link("/account/messages")) novalidate {
            (csrf_input(ctx))
            (textarea("body", "Your message", typed, errors))
            div { button class="button" type="submit" { "Send" } }
        }
    }
}

async fn chat_page(
    state: &AppState,
    me: &Customer,
    typed: &str,
    errors: &FieldErrors,
) -> PageResult {
    let t = conversations::mine(&state.frontdesk, &me.actor).await?;
    let body = page(
        &me.ctx,
        "Messages",
        Some("my-messages"),
        chat(&me.ctx, &t, typed, errors),
    );
    Ok((status_for(errors), body).into_response())
}

#[handler]
async fn show(me: Customer, state: Data<&AppState>) -> PageResult {
    chat_page(&state, &me, "", &FieldErrors::new()).await
}

#[handler]
async fn write(me: Customer, Data(state): Data<&AppState>, form: Pairs) -> PageResult {
    let me = &me;
    submit(
        &me.ctx,
        form,
        |p| async move {
            conversations::customer_writes(&state.frontdesk, &me.actor, p.get("body")).await?;
            Ok("/account/messages".to_owned())
        },
        |p, errors| async move { chat_page(state, me, p.get("body"), &errors).await },
    )
    .await
}
