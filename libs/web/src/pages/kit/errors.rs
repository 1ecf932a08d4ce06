//! Error pages: themed, readable, with the request id, never a stack trace.

use maud::html;
use pitlane_domain::ServiceError;
use poem::{
    Endpoint, IntoResponse, Middleware, Request, Response, http::StatusCode, web::Redirect,
};

use super::{
    layout::{PageCtx, page},
    pipeline::PageError,
};
use crate::{
    observe::Unmatched, problem::Problem, request_id::current_request_id, tenant::TenantRefusal,
};

pub fn error_page(ctx: &PageCtx, status: StatusCode, title: &str, message: &str) -> Response {
    let request_id = current_request_id();
    let body = page(
        ctx,
        title,
        None,
        html! {
            h1 { (title) }
            p { (message) }
            @if status.is_server_error() {
                @if let Some(id) = &request_id {
                    p class="muted" { "If this keeps happening, quote this reference: " code { (id) } }
                }
            }
            p { a href=(ctx.link("/")) { "Go to the home page" } }
        },
    );
    (status, body).into_response()
}

fn platform_ctx() -> PageCtx {
    PageCtx {
        scope: None,
        auth: None,
        csrf: String::new(),
        theme_choice: None,
        path: "/".into(),
        unread: None,
    }
}

/// A workshop refused before its routes (see [`TenantRefusal`]): problem+json on the API,
/// a page on the platform's look otherwise (the workshop's own look is not loaded yet).
pub fn tenant_refusal(refusal: &TenantRefusal, is_api: bool) -> Response {
    let (status, kind, api_title, api_detail, page_title, page_text) = match refusal {
        TenantRefusal::Unknown { label } => (
            StatusCode::NOT_FOUND,
            "unknown-tenant",
            "No workshop at this address",
            None,
            "No workshop here",
            format!(
                "There is no workshop called “{label}” on Pitlane. Check the address for typos."
            ),
        ),
        TenantRefusal::Suspended { name } => (
            StatusCode::FORBIDDEN,
            "tenant-suspended",
            "This workshop's account is suspended",
            Some(
                "Its data is kept; the owner can contact Pitlane support to reactivate it."
                    .to_owned(),
            ),
            "Account suspended",
            format!(
                "{name}'s Pitlane account is suspended. Nothing has been deleted; the owner can contact Pitlane support to reactivate it."
            ),
        ),
        // Only the API is reached by a key alone.
        TenantRefusal::UnknownKey => (
            StatusCode::UNAUTHORIZED,
            "api-key-needed",
            "Send one of the workshop's API keys",
            Some(
                "At this address a request is for the workshop whose key it sends, as `Authorization: Bearer pl_…` (made under Settings → API keys); none was sent, or the key is not known. A signed-in browser uses the workshop's own address instead."
                    .to_owned(),
            ),
            "API key needed",
            "Send one of the workshop's API keys.".to_owned(),
        ),
        // Reading, paying and choosing a plan still work; the banner says what to do.
        TenantRefusal::ReadOnly { banner } => (
            StatusCode::FORBIDDEN,
            "workshop-read-only",
            "The workshop is read-only until its plan is paid",
            Some(banner.clone()),
            "Read-only",
            banner.clone(),
        ),
    };
    if is_api {
        return Problem::new(status, kind, api_title, api_detail).into_response();
    }
    error_page(&platform_ctx(), status, page_title, &page_text)
}

/// Answers a failed page action: sign-in for the unauthenticated, a readable page otherwise.
pub fn service_error_page(ctx: &PageCtx, err: ServiceError) -> Response {
    match err {
        ServiceError::Unauthenticated => sign_in_redirect(ctx),
        ServiceError::Forbidden(permission) => error_page(
            ctx,
            StatusCode::FORBIDDEN,
            "Not allowed",
            &format!(
                "Your role does not allow this. Ask an owner or admin for the {permission} permission."
            ),
        ),
        ServiceError::NotFound => not_found_page(ctx),
        ServiceError::Invalid(errors) | ServiceError::Conflict(errors) => error_page(
            ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            "Please check your input",
            &errors.to_string(),
        ),
        err @ ServiceError::Internal(_) => {
            tracing::error!(error = %err.chain(), "internal error");
            internal_error_page(ctx)
        }
    }
}

pub fn not_found_page(ctx: &PageCtx) -> Response {
    error_page(
        ctx,
        StatusCode::NOT_FOUND,
        "Page not found",
        "There is nothing at this address.",
    )
}

pub fn internal_error_page(ctx: &PageCtx) -> Response {
    error_page(
        ctx,
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong",
        "Something went wrong on our side. It has been logged; please try again in a moment.",
    )
}

pub fn sign_in_redirect(ctx: &PageCtx) -> Response {
    let next: String = url::form_urlencoded::byte_serialize(ctx.path.as_bytes()).collect();
    Redirect::see_other(format!("{}?next={next}", ctx.link("/signin"))).into_response()
}

/// Turns what page handlers fail with (a service's error in a [`PageError`], no such route,
/// a form that is not a form) into themed pages.
pub struct PageErrors;

impl<E: Endpoint> Middleware<E> for PageErrors {
    type Output = PageErrorsEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        PageErrorsEndpoint { inner: ep }
    }
}

pub struct PageErrorsEndpoint<E> {
    inner: E,
}

impl<E: Endpoint> Endpoint for PageErrorsEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        let ctx = PageCtx::from_request(&req);
        match self.inner.call(req).await {
            Ok(response) => Ok(response.into_response()),
            Err(err) if err.is::<PageError>() => Ok(match err.downcast::<PageError>() {
                Ok(PageError::Service(err)) => service_error_page(&ctx, err),
                Ok(PageError::Elsewhere(to)) => Redirect::see_other(to).into_response(),
                Err(err) => err.into_response(),
            }),
            Err(err) if err.is_from_response() => Ok(err.into_response()),
            Err(err) => {
                let status = err.status();
                let mut response = if status == StatusCode::NOT_FOUND {
                    not_found_page(&ctx)
                } else if status.is_server_error() {
                    tracing::error!(error = %err, "page failed");
                    internal_error_page(&ctx)
                } else if status == StatusCode::METHOD_NOT_ALLOWED {
                    error_page(
                        &ctx,
                        status,
                        "Not available",
                        "This address does not accept that kind of request.",
                    )
                } else {
                    error_page(
                        &ctx,
                        status,
                        "That did not work",
                        "The request could not be read. Go back and try again.",
                    )
                };
                if err.is::<poem::error::NotFoundError>() {
                    response.extensions_mut().insert(Unmatched);
                }
                Ok(response)
            }
        }
    }
}
