//! Compressed answers, as browsers expect: pages, JSON, the stylesheet and the scripts in
//! brotli or gzip when the client accepts it (`Accept-Encoding`), with `Vary` so caches keep
//! one copy per coding. Server-sent events pass as they are (each event must leave at once),
//! and so do PDFs, photos and CSV downloads (compressed already, or read once), as does
//! anything under a kilobyte (the coding's frame would cost more than it saves).

use poem::{
    Body, Endpoint, IntoResponse, Middleware, Request, Response, Result,
    http::{HeaderValue, header},
};

/// Bodies smaller than this go out as they are.
const SMALLEST: usize = 1024;
/// Brotli's quality for answers made per request: near gzip's speed, a smaller result.
const BROTLI_QUALITY: u32 = 4;
const BROTLI_WINDOW: u32 = 22;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Coding {
    Brotli,
    Gzip,
}

impl Coding {
    fn name(self) -> &'static str {
        match self {
            Coding::Brotli => "br",
            Coding::Gzip => "gzip",
        }
    }

    fn pack(self, bytes: &[u8]) -> std::io::Result<Vec<u8>> {
        use std::io::Write;
        match self {
            Coding::Brotli => {
                let mut out = Vec::with_capacity(bytes.len() / 4);
                {
                    let mut writer = brotli::CompressorWriter::new(
                        &mut out,
                        4096,
                        BROTLI_QUALITY,
                        BROTLI_WINDOW,
                    );
                    writer.write_all(bytes)?;
                }
                Ok(out)
            }
            Coding::Gzip => {
                let mut writer = flate2::write::GzEncoder::new(
                    Vec::with_capacity(bytes.len() / 4),
                    flate2::Compression::fast(),
                );
                writer.write_all(bytes)?;
                writer.finish()
            }
        }
    }
}

/// The coding to answer in: brotli when accepted, else gzip, else none. A coding refused
/// with `q=0` is not used.
fn accepted(req: &Request) -> Option<Coding> {
    let mut best: Option<Coding> = None;
    for value in req.headers().get_all(header::ACCEPT_ENCODING) {
        let Ok(value) = value.to_str() else { continue };
        for item in value.split(',') {
            let mut parts = item.split(';').map(str::trim);
            let name = parts.next().unwrap_or_default();
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            let coding = if name.eq_ignore_ascii_case("br") {
                Coding::Brotli
            } else if name.eq_ignore_ascii_case("gzip") {
                Coding::Gzip
            } else {
                continue;
            };
            if !refused && best != Some(Coding::Brotli) {
                best = Some(coding);
            }
        }
    }
    best
}

fn compressible(response: &Response) -> bool {
    let Some(kind) = response.content_type() else {
        return false;
    };
    let kind = kind.split(';').next().unwrap_or_default().trim();
    matches!(
        kind,
        "text/html"
            | "application/json"
            | "application/problem+json"
            | "text/css"
            | "text/javascript"
            | "application/javascript"
            | "image/svg+xml"
    )
}

pub struct Compress;

impl<E: Endpoint> Middleware<E> for Compress {
    type Output = CompressEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        CompressEndpoint { inner: ep }
    }
}

pub struct CompressEndpoint<E> {
    inner: E,
}

impl<E: Endpoint> Endpoint for CompressEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Self::Output> {
        let coding = accepted(&req);
        let mut response = self.inner.call(req).await?.into_response();
        if !compressible(&response) || response.headers().contains_key(header::CONTENT_ENCODING) {
            return Ok(response);
        }
        // Whether or not this one is compressed, the answer depends on the header.
        response
            .headers_mut()
            .append(header::VARY, HeaderValue::from_static("accept-encoding"));
        let Some(coding) = coding else {
            return Ok(response);
        };
        let (mut parts, body) = response.into_parts();
        let bytes = body.into_bytes().await?;
        if bytes.len() < SMALLEST {
            return Ok(Response::from_parts(parts, Body::from(bytes)));
        }
        let packed = match coding.pack(&bytes) {
            Ok(packed) => packed,
            Err(_) => return Ok(Response::from_parts(parts, Body::from(bytes))),
        };
        parts.headers.remove(header::CONTENT_LENGTH);
        parts.headers.insert(
            header::CONTENT_ENCODING,
            HeaderValue::from_static(coding.name()),
        );
        Ok(Response::from_parts(parts, Body::from(packed)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asking(value: &str) -> Option<Coding> {
        accepted(
            &Request::builder()
                .header(header::ACCEPT_ENCODING, value)
                .finish(),
        )
    }

    #[test]
    fn brotli_first_then_gzip_and_a_refusal_counts() {
        assert_eq!(asking("gzip, deflate, br"), Some(Coding::Brotli));
        assert_eq!(asking("gzip"), Some(Coding::Gzip));
        assert_eq!(asking("br;q=0, gzip;q=0.5"), Some(Coding::Gzip));
        assert_eq!(asking("identity"), None);
        assert_eq!(asking("deflate"), None);
    }

    #[test]
    fn both_codings_unpack_to_the_same_bytes() {
        use std::io::Read;
        let page = "<p>A page that repeats itself.</p>".repeat(200);
        let packed = Coding::Brotli.pack(page.as_bytes()).unwrap();
        assert!(packed.len() < page.len() / 10);
        let mut out = String::new();
        brotli::Decompressor::new(&packed[..], 4096)
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, page);
        let packed = Coding::Gzip.pack(page.as_bytes()).unwrap();
        let mut out = String::new();
        flate2::read::GzDecoder::new(&packed[..])
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, page);
    }
}
