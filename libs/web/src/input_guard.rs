//! Text nobody types never reaches a handler's lookups: a request whose path, query or JSON
//! body holds a control character (NUL above all, which PostgreSQL refuses in text) is
//! answered 422 naming the field, the same in both deployment shapes. Form bodies of the
//! pages are left to the forms, so a page can show the form again with its message; the
//! store refuses such text in any row it writes (see `pitlane_store`'s text guard).

use pitlane_domain::{
    FieldErrors,
    text::{CONTROL_CHARACTERS, has_control_character},
};
use poem::{Endpoint, IntoResponse, Middleware, Request, Response, http::StatusCode};

use crate::{
    pages::kit::{PageCtx, errors::error_page},
    problem::Problem,
};

pub struct RefuseControlCharacters;

impl<E: Endpoint> Middleware<E> for RefuseControlCharacters {
    type Output = RefuseControlCharactersEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        RefuseControlCharactersEndpoint { inner: ep }
    }
}

pub struct RefuseControlCharactersEndpoint<E> {
    inner: E,
}

/// The first field of a query string with a control character.
fn bad_query_field(query: &str) -> Option<String> {
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, v)| has_control_character(k, false) || has_control_character(v, false))
        .map(|(k, _)| k.into_owned())
}

/// The path (`lines[0].description`) of the first JSON string with a control character.
/// Line breaks and tabs are allowed here; single-line fields refuse them where parsed.
fn bad_json_field(value: &serde_json::Value, at: &str) -> Option<String> {
    match value {
        serde_json::Value::String(s) => has_control_character(s, true).then(|| at.to_owned()),
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| bad_json_field(v, &format!("{at}[{i}]"))),
        serde_json::Value::Object(map) => map.iter().find_map(|(k, v)| {
            let path = if at.is_empty() {
                k.clone()
            } else {
                format!("{at}.{k}")
            };
            if has_control_character(k, false) {
                Some(path)
            } else {
                bad_json_field(v, &path)
            }
        }),
        _ => None,
    }
}

fn refusal(req: &Request, field: &str) -> Response {
    if req.uri().path().contains("/api/") {
        Problem::from(FieldErrors::single(field, CONTROL_CHARACTERS)).into_response()
    } else {
        let ctx = PageCtx::from_request(req);
        error_page(
            &ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            "That did not work",
            &format!(
                "The address holds a character that cannot be used ({field}). Go back and try again."
            ),
        )
    }
}

fn is_json(req: &Request) -> bool {
    req.content_type().is_some_and(|ct| {
        let ct = ct.split(';').next().unwrap_or_default().trim();
        ct == "application/json" || ct.ends_with("+json")
    })
}

impl<E: Endpoint> Endpoint for RefuseControlCharactersEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> poem::Result<Response> {
        let path = percent_decoded(req.uri().path());
        if has_control_character(&path, false) {
            return Ok(refusal(&req, "path"));
        }
        if let Some(field) = req.uri().query().and_then(bad_query_field) {
            return Ok(refusal(&req, &field));
        }
        if is_json(&req) {
            let body = req.take_body().into_bytes().await?;
            if let Ok(value) = serde_json::from_slice::<serde_json::Value>(&body)
                && let Some(field) = bad_json_field(&value, "")
            {
                return Ok(refusal(&req, &field));
            }
            req.set_body(body);
        }
        self.inner.call(req).await.map(IntoResponse::into_response)
    }
}

fn percent_decoded(path: &str) -> String {
    url::form_urlencoded::parse(format!("p={}", path.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_field_that_holds_a_control_character() {
        let body = serde_json::json!({"name": "Ada", "lines": [{"description": "ok"}, {"description": "brake\u{0}pads"}]});
        assert_eq!(
            bad_json_field(&body, "").as_deref(),
            Some("lines[1].description")
        );
        let fine = serde_json::json!({"notes": "two\nlines\tand a tab"});
        assert_eq!(bad_json_field(&fine, ""), None);
        assert_eq!(bad_query_field("search=a%00b").as_deref(), Some("search"));
        assert_eq!(bad_query_field("search=a+b&x=%E2%9C%93"), None);
        assert!(has_control_character(
            &percent_decoded("/customers/%00"),
            false
        ));
        assert_eq!(percent_decoded("/a+b/%20c"), "/a+b/ c");
    }
}
