//! The form token, checked once for every page request that changes something. A handler
//! cannot forget it: the middleware sits on the whole page tree, and a request without a
//! valid token never reaches a handler.
//!
//! The token is the `csrf` field of an url-encoded form. A multipart form (a photo upload)
//! carries it in its address (`?csrf=…`) instead, so the upload need not be read twice.

use maud::html;
use poem::{
    Endpoint, IntoResponse, Middleware, Request, Response,
    http::{Method, StatusCode},
};

use super::{
    forms::Pairs,
    layout::{PageCtx, page},
};
use crate::session::Csrf;

/// Refuses every non-GET page request whose form token does not belong to the visitor.
pub struct RequireFormToken;

impl<E: Endpoint> Middleware<E> for RequireFormToken {
    type Output = RequireFormTokenEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        RequireFormTokenEndpoint { inner: ep }
    }
}

pub struct RequireFormTokenEndpoint<E> {
    inner: E,
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

impl<E: Endpoint> Endpoint for RequireFormTokenEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> poem::Result<Response> {
        if is_safe(req.method()) {
            return self.inner.call(req).await.map(IntoResponse::into_response);
        }
        let multipart = req
            .content_type()
            .is_some_and(|t| t.starts_with("multipart/form-data"));
        let form = if multipart {
            Pairs::parse(req.uri().query().unwrap_or_default())
        } else {
            let body = req.take_body().into_bytes().await?;
            let form = Pairs::parse_bytes(&body);
            req.set_body(body);
            form
        };
        if Csrf::verify(&req, form.get("csrf")) {
            return self.inner.call(req).await.map(IntoResponse::into_response);
        }
        Ok(expired(&PageCtx::from_request(&req), &form))
    }
}

/// Fields never shown back, even to the person who typed them.
const SECRET: &[&str] = &[
    "csrf",
    "password",
    "current_password",
    "new_password",
    "code",
    "token",
];

/// Nothing was changed: says why, and shows what was typed so nothing is lost.
fn expired(ctx: &PageCtx, form: &Pairs) -> Response {
    let typed: Vec<&(String, String)> = form
        .0
        .iter()
        .filter(|(name, value)| !SECRET.contains(&name.as_str()) && !value.trim().is_empty())
        .collect();
    let body = page(
        ctx,
        "Form expired",
        None,
        html! {
            h1 { "Form expired" }
            div class="notice error" role="alert" {
                p { "Nothing was changed: this form expired or came from another site. Please go back, reload the page and send it again." }
            }
            @if !typed.is_empty() {
                section class="card" aria-labelledby="typed-heading" {
                    h2 id="typed-heading" { "What you typed" }
                    dl class="facts" {
                        @for (name, value) in &typed {
                            dt { (name.replace('_', " ")) }
                            dd { (value) }
                        }
                    }
                }
            }
            p { a href=(ctx.link("/")) { "Go to the home page" } }
        },
    );
    (StatusCode::FORBIDDEN, body).into_response()
}
