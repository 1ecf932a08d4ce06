//! The stylesheet and scripts, embedded in the binary. Each is served at an address that
//! carries a hash of its content (`/static/app.3f9c0a1b2c.css`), so browsers keep it for a
//! year without asking again (`immutable`), and a new build's assets are new addresses. The
//! plain address (`/static/app.css`) answers too, for pages a browser cached before a
//! deploy, with an `ETag`, so asking again costs a `304`. Compression is `compress`'s.

use std::sync::LazyLock;

use poem::{
    Request, Response, handler,
    http::{StatusCode, header},
    web::Path,
};
use sha2::{Digest, Sha256};

use super::layout::{CSS, JS};

/// Leaflet (BSD-2-Clause, vendored unchanged), for the roadside pages when map tiles are
/// configured; nothing else loads it.
const LEAFLET_JS: &str = include_str!("../../../assets/vendor/leaflet-1.9.4/leaflet.js");
const LEAFLET_CSS: &str = include_str!("../../../assets/vendor/leaflet-1.9.4/leaflet.css");

/// One embedded asset.
struct Asset {
    /// The file name, `app.css`.
    name: &'static str,
    body: &'static str,
    content_type: &'static str,
}

const ASSETS: [Asset; 4] = [
    Asset {
        name: "app.css",
        body: CSS,
        content_type: "text/css; charset=utf-8",
    },
    Asset {
        name: "app.js",
        body: JS,
        content_type: "text/javascript; charset=utf-8",
    },
    Asset {
        name: "leaflet-1.9.4.js",
        body: LEAFLET_JS,
        content_type: "text/javascript; charset=utf-8",
    },
    Asset {
        name: "leaflet-1.9.4.css",
        body: LEAFLET_CSS,
        content_type: "text/css; charset=utf-8",
    },
];

/// Which asset a page links to.
#[derive(Debug, Clone, Copy)]
pub enum Named {
    AppCss = 0,
    AppJs = 1,
    LeafletJs = 2,
    LeafletCss = 3,
}

/// Each asset's content hash (ten hex digits of its SHA-256) and its hashed file name,
/// computed once.
static HASHED: LazyLock<Vec<(String, String)>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|asset| {
            let digest = Sha256::digest(asset.body.as_bytes());
            let hash: String = digest.iter().take(5).map(|b| format!("{b:02x}")).collect();
            let (stem, extension) = asset.name.rsplit_once('.').unwrap_or((asset.name, ""));
            let file = format!("{stem}.{hash}.{extension}");
            (hash, file)
        })
        .collect()
});

/// The address pages link to: `/static/app.3f9c0a1b2c.css`.
pub fn path(asset: Named) -> String {
    format!("/static/{}", HASHED[asset as usize].1)
}

/// Serves `/static/:file`, by its hashed name or its plain one.
#[handler]
pub fn serve(Path(file): Path<String>, req: &Request) -> Response {
    let found = ASSETS
        .iter()
        .zip(HASHED.iter())
        .find_map(|(asset, hashed)| {
            if file == hashed.1 {
                Some((asset, hashed, true))
            } else if file == asset.name {
                Some((asset, hashed, false))
            } else {
                None
            }
        });
    let Some((asset, (hash, _), immutable)) = found else {
        return Response::builder().status(StatusCode::NOT_FOUND).finish();
    };
    let etag = format!("\"{hash}\"");
    let cache = if immutable {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=300"
    };
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let answer = Response::builder()
        .header(header::ETAG, etag)
        .header(header::CACHE_CONTROL, cache);
    if fresh {
        return answer.status(StatusCode::NOT_MODIFIED).finish();
    }
    answer.content_type(asset.content_type).body(asset.body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_names_carry_ten_hex_digits_and_differ_by_content() {
        let css = path(Named::AppCss);
        let js = path(Named::AppJs);
        assert!(
            css.starts_with("/static/app.") && css.ends_with(".css"),
            "{css}"
        );
        assert_eq!(css.len(), "/static/app.".len() + 10 + ".css".len(), "{css}");
        assert_ne!(css.trim_end_matches(".css"), js.trim_end_matches(".js"));
    }
}
