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

/// Leaflet (BSD-2-Clause, vendored unchanged), for the roadside pages when map tiles are
/// configured; nothing else loads it.
const LEAFLET_JS: &str = include_str!("../../../assets/vendor/leaflet-1.9.4/leaflet.js");
const LEAFLET_CSS: &str = include_str!("../../../assets/vendor/leaflet-1.9.4/leaflet.css");

#[handler]
pub fn leaflet_script() -> Response {
    asset(LEAFLET_JS, "text/javascript; charset=utf-8")
}

#[handler]
pub fn leaflet_stylesheet() -> Response {
    asset(LEAFLET_CSS, "text/css; charset=utf-8")
}

fn asset(body: &'static str, content_type: &'static str) -> Response {
    Response::builder()
        .content_type(content_type)
        .header(header::CACHE_CONTROL, "public, max-age=31536000, immutable")
        .body(body)
}
