//! The stylesheet and script, embedded in the binary and cached by browsers for a year (the
//! address carries the version).

use poem::{Response, handler, http::header};

use super::layout::{CSS, JS};

#[handler]
pub fn stylesheet() -> Response {
    asset(CSS, "text/css; charset=utf-8")
}

#[handler]
pub fn script() -> Response {
    asset(JS, "text/javascript; charset=utf-8")
}

fn asset(body: &'static str, content_type: &'static str) -> Response {
    Response::builder()
        .content_type(content_type)
        .header(header::CACHE_CONTROL, "public, max-age=31536000, immutable")
        .body(body)
}
