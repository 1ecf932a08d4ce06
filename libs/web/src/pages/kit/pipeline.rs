//! The way of a page request. The route tree's middleware has already resolved the tenant,
//! loaded the session and checked the form token of every non-GET request (`csrf`); then:
//!
//! 1. the handler names who may open the page by its extractor: [`Staff`] (a signed-in member
//!    of the workshop), [`Customer`] (a signed-in customer), or just [`PageCtx`] (anyone);
//!    the extractor answers everyone else with the sign-in page;
//! 2. a posted form is read as [`Pairs`] and handled by [`submit`]: the service is called,
//!    success redirects, a mistake shows the form again (422) with its messages and what was
//!    typed;
//! 3. the handler returns a [`PageResult`]; any other service error travels inside it to the
//!    error middleware ([`super::errors::PageErrors`]), which draws the themed page.

use pitlane_domain::{Actor, FieldErrors, ServiceError, permissions::Role};
use poem::{
    FromRequest, IntoResponse, Request, RequestBody, Response, error::ResponseError,
    http::StatusCode, web::Redirect,
};

use super::{
    forms::{Pairs, Posted},
    layout::PageCtx,
};

/// What a page handler returns.
pub type PageResult<T = Response> = Result<T, PageError>;

/// Why a page was not drawn; the error middleware turns it into the page to show instead.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error(transparent)]
    Service(#[from] ServiceError),
    /// The page is someone else's: staff on a customer's own pages, or a visitor who must
    /// sign in as a customer first.
    #[error("belongs elsewhere: {0}")]
    Elsewhere(String),
}

impl ResponseError for PageError {
    fn status(&self) -> StatusCode {
        match self {
            PageError::Service(err) => match err {
                ServiceError::Unauthenticated => StatusCode::SEE_OTHER,
                ServiceError::Forbidden(_) => StatusCode::FORBIDDEN,
                ServiceError::NotFound => StatusCode::NOT_FOUND,
                ServiceError::Invalid(_) | ServiceError::Conflict(_) => {
                    StatusCode::UNPROCESSABLE_ENTITY
                }
                ServiceError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            },
            PageError::Elsewhere(_) => StatusCode::SEE_OTHER,
        }
    }

    // Only reached when a page error escapes the error middleware, which renders them all.
    fn as_response(&self) -> Response {
        match self {
            PageError::Elsewhere(to) => Redirect::see_other(to).into_response(),
            PageError::Service(_) => self.status().into_response(),
        }
    }
}

impl<'a> FromRequest<'a> for PageCtx {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        Ok(PageCtx::from_request(req))
    }
}

/// A signed-in member of the workshop (any role but customer: a customer gets 403); the
/// page's services check the role's permissions.
pub struct Staff {
    pub ctx: PageCtx,
    pub actor: Actor,
}

impl<'a> FromRequest<'a> for Staff {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        let ctx = PageCtx::from_request(req);
        match ctx.auth.as_ref().map(|a| a.actor.clone()) {
            None => Err(PageError::Service(ServiceError::Unauthenticated).into()),
            // Customers have their own pages; these are the staff's.
            Some(actor) if actor.role.is(Role::Customer) => {
                Err(PageError::Service(ServiceError::Forbidden("staff")).into())
            }
            Some(actor) => Ok(Staff { ctx, actor }),
        }
    }
}

/// A signed-in customer of the workshop, on their own pages.
pub struct Customer {
    pub ctx: PageCtx,
    pub actor: Actor,
}

impl<'a> FromRequest<'a> for Customer {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        let ctx = PageCtx::from_request(req);
        match ctx.auth.as_ref().map(|a| a.actor.clone()) {
            None => Err(PageError::Elsewhere(ctx.link("/account/signin")).into()),
            Some(actor) if !actor.role.is(Role::Customer) => {
                Err(PageError::Elsewhere(ctx.link("/portal")).into())
            }
            Some(actor) => Ok(Customer { ctx, actor }),
        }
    }
}

impl<'a> FromRequest<'a> for Pairs {
    async fn from_request(_req: &'a Request, body: &mut RequestBody) -> poem::Result<Self> {
        let bytes = body.take()?.into_bytes().await?;
        Ok(Pairs::parse_bytes(&bytes))
    }
}

impl<'a> FromRequest<'a> for Posted {
    async fn from_request(req: &'a Request, body: &mut RequestBody) -> poem::Result<Self> {
        let multipart = req
            .content_type()
            .is_some_and(|t| t.starts_with("multipart/form-data"));
        if !multipart {
            return Ok(Posted {
                form: Pairs::from_request(req, body).await?,
                ..Posted::default()
            });
        }
        let mut upload = poem::web::Multipart::from_request(req, body).await?;
        let mut posted = Posted::default();
        // A part that cannot be read (the upload was cut off, or too large) ends the reading;
        // the form says so rather than failing the request.
        loop {
            let Ok(Some(field)) = upload.next_field().await.map_err(|_| posted.cut_off = true)
            else {
                break;
            };
            let name = field.name().unwrap_or_default().to_owned();
            if field.file_name().is_some() {
                match field.bytes().await {
                    // An empty file input sends an empty part: no file chosen.
                    Ok(bytes) if bytes.is_empty() => {}
                    Ok(bytes) => posted.files.push((name, bytes)),
                    Err(_) => {
                        posted.cut_off = true;
                        break;
                    }
                }
            } else {
                match field.text().await {
                    Ok(text) => posted.form.0.push((name, text)),
                    Err(_) => {
                        posted.cut_off = true;
                        break;
                    }
                }
            }
        }
        Ok(posted)
    }
}

/// The one way a form is handled: `action` calls the service with what was posted and says
/// where to go next; a mistake (invalid input, a conflict) draws the form again through
/// `again`, with the messages and everything typed; any other failure is the error page.
pub async fn submit<A, AF, G, GF>(ctx: &PageCtx, form: Pairs, action: A, again: G) -> PageResult
where
    A: FnOnce(Pairs) -> AF,
    AF: Future<Output = Result<String, ServiceError>>,
    G: FnOnce(Pairs, FieldErrors) -> GF,
    GF: Future<Output = PageResult>,
{
    match action(form.clone()).await {
        Ok(next) => Ok(Redirect::see_other(ctx.link(&next)).into_response()),
        Err(ServiceError::Invalid(errors) | ServiceError::Conflict(errors)) => {
            again(form, errors).await
        }
        Err(err) => Err(err.into()),
    }
}
