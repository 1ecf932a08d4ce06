//! The one error mapping of the API: RFC 9457 `application/problem+json`.

use pitlane_domain::{FieldErrors, ServiceError};
use poem::{IntoResponse, Response, http::StatusCode};
use poem_openapi::{
    ApiResponse, Object,
    registry::{MetaMediaType, MetaResponse, MetaResponses, Registry},
    types::{ToJSON, Type},
};

use crate::request_id::current_request_id;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// One field that failed validation.
#[derive(Debug, Clone, Object)]
pub struct ProblemField {
    /// The field's name as sent (e.g. `primary_color`).
    pub field: String,
    pub message: String,
}

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Object)]
pub struct ProblemDocument {
    /// A stable URI naming the kind of problem.
    #[oai(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    #[oai(skip_serializing_if_is_none)]
    pub detail: Option<String>,
    /// Quote this when asking for help: it finds the request in our logs.
    #[oai(skip_serializing_if_is_none)]
    pub request_id: Option<String>,
    /// Per-field messages, for 422.
    #[oai(skip_serializing_if_is_none)]
    pub errors: Option<Vec<ProblemField>>,
    /// For 409 on a booking: times still free to choose from instead.
    #[oai(skip_serializing_if_is_none)]
    pub free_slots: Option<Vec<SlotSuggestion>>,
}

/// A free time offered when the one asked for was taken.
#[derive(Debug, Clone, Object)]
pub struct SlotSuggestion {
    pub starts_at: chrono::DateTime<chrono::Utc>,
    pub ends_at: chrono::DateTime<chrono::Utc>,
}

/// Every error an API operation can answer.
#[derive(Debug, Clone)]
pub struct Problem(pub Box<ProblemDocument>);

impl Problem {
    pub fn new(status: StatusCode, kind: &str, title: &str, detail: Option<String>) -> Self {
        Self(Box::new(ProblemDocument {
            kind: format!("https://pitlane.dev/problems/{kind}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail,
            request_id: current_request_id(),
            errors: None,
            free_slots: None,
        }))
    }

    pub fn invalid(status: StatusCode, kind: &str, title: &str, errors: &FieldErrors) -> Self {
        let mut problem = Self::new(status, kind, title, Some(errors.to_string()));
        problem.0.errors = Some(
            errors
                .0
                .iter()
                .map(|e| ProblemField {
                    field: e.field.clone(),
                    message: e.message.clone(),
                })
                .collect(),
        );
        problem
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", "Not found", None)
    }

    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Something went wrong on our side",
            Some("The error was logged with this request id.".into()),
        )
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.0.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

/// Input the handler itself found wrong: the same 422 as the services' own.
impl From<FieldErrors> for Problem {
    fn from(errors: FieldErrors) -> Self {
        ServiceError::Invalid(errors).into()
    }
}

impl From<ServiceError> for Problem {
    fn from(err: ServiceError) -> Self {
        match err {
            ServiceError::Unauthenticated => Self::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "Sign in first",
                Some("Send the session cookie of a signed-in member of this workshop.".into()),
            ),
            ServiceError::Forbidden(permission) => Self::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "Your role does not allow this",
                Some(format!("This needs the {permission} permission.")),
            ),
            ServiceError::NotFound => Self::not_found(),
            ServiceError::Invalid(errors) => Self::invalid(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation",
                "Some fields need attention",
                &errors,
            ),
            ServiceError::Conflict(errors) => Self::invalid(
                StatusCode::CONFLICT,
                "conflict",
                "That clashes with existing data",
                &errors,
            ),
            err @ ServiceError::Internal(_) => {
                tracing::error!(error = %err.chain(), "internal error");
                Self::internal()
            }
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = self.0.to_json_string();
        Response::builder()
            .status(status)
            .content_type(PROBLEM_JSON)
            .body(body)
    }
}

impl From<Problem> for poem::Error {
    fn from(problem: Problem) -> Self {
        poem::Error::from_response(problem.into_response())
    }
}

const DOCUMENTED: &[(u16, &str)] = &[
    (
        400,
        "The request could not be read (malformed JSON, a bad id)",
    ),
    (401, "Not signed in"),
    (403, "Signed in, but the role does not allow this"),
    (404, "No such resource in this workshop"),
    (409, "Clashes with existing data"),
    (
        415,
        "The body is not in a format this operation reads (send `Content-Type: application/json`)",
    ),
    (422, "Some fields are invalid; `errors` lists them"),
    (
        429,
        "Too many requests with this API key or the workshop's keys this minute; `Retry-After` says when to try again",
    ),
    (
        500,
        "Something went wrong on our side; quote `request_id` when asking for help",
    ),
];

impl ApiResponse for Problem {
    fn meta() -> MetaResponses {
        MetaResponses {
            responses: DOCUMENTED
                .iter()
                .map(|(status, description)| MetaResponse {
                    description,
                    status: Some(*status),
                    status_range: None,
                    content: vec![MetaMediaType {
                        content_type: PROBLEM_JSON,
                        schema: ProblemDocument::schema_ref(),
                    }],
                    headers: vec![],
                })
                .collect(),
        }
    }

    fn register(registry: &mut Registry) {
        ProblemDocument::register(registry);
    }
}

/// Turns any error that escaped a handler (a body that is not JSON, a missing cookie, a bad
/// path parameter) into a problem document, so the API never answers in another format.
pub fn from_poem_error(err: poem::Error) -> Response {
    // A problem response made by a handler passes through unchanged.
    if err.is_from_response() {
        return err.into_response();
    }
    let status = err.status();
    if status.is_server_error() {
        tracing::error!(error = %err, "unhandled error");
        return Problem::internal().into_response();
    }
    if err.is::<poem_openapi::error::AuthorizationError>() || status == StatusCode::UNAUTHORIZED {
        return Problem::from(ServiceError::Unauthenticated).into_response();
    }
    if status == StatusCode::NOT_FOUND {
        return Problem::not_found().into_response();
    }
    if status == StatusCode::METHOD_NOT_ALLOWED {
        return Problem::new(status, "method-not-allowed", "Method not allowed", None)
            .into_response();
    }
    Problem::new(
        status,
        "bad-request",
        "The request could not be read",
        Some(err.to_string()),
    )
    .into_response()
}
