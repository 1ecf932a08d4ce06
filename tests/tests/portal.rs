//! The portal over plain HTTP, as a browser without JavaScript uses it: sign-in and sign-out,
//! sessions that cannot be fixed or carried to another tenant, CSRF, and the theme switch.

use pitlane_testkit::{SHAPES, TestApp, csrf_token};
use reqwest::StatusCode;

fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

#[tokio::test]
async fn signing_in_and_out() {
    for shape in SHAPES {
        eprintln!("deployment shape: {shape:?}");
        let app = TestApp::spawn_shape(shape).await;
        let alpha = app.tenant("alpha").await;
        let client = app.client();

        let anonymous = client.get("/t/alpha/portal").await;
        assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            anonymous.headers()["location"],
            "/t/alpha/signin?next=%2Ft%2Falpha%2Fportal"
        );

        // Wrong password and unknown e-mail get the same answer, and the form keeps the e-mail.
        for (email, password) in [
            (alpha.owner_email.as_str(), "wrong-password"),
            ("nobody@alpha.example.com", "whatever-password"),
        ] {
            let refused = client
                .submit(
                    "/t/alpha/signin",
                    "/t/alpha/signin",
                    &[("email", email), ("password", password)],
                )
                .await;
            assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
            let html = refused.text().await.expect("html");
            assert!(html.contains("the e-mail or password is not right"));
            assert!(html.contains(&format!("value=\"{email}\"")));
        }

        // A session id planted before sign-in is replaced (no fixation); an outside `next` is ignored.
        // (A client without a cookie jar, so the test controls every cookie sent.)
        let bare = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let form_page = bare
            .get(client.url("/t/alpha/signin"))
            .send()
            .await
            .expect("sign-in page");
        let csrf_cookie = set_cookie(&form_page, "pitlane_csrf").expect("a CSRF cookie");
        let csrf_cookie = csrf_cookie.split(';').next().expect("name=value");
        let token = csrf_token(&form_page.text().await.expect("html")).expect("token");
        let signed_in = bare
            .post(client.url("/t/alpha/signin"))
            .header(
                "cookie",
                format!("pitlane_session=planted-session-id; {csrf_cookie}"),
            )
            .form(&[
                ("csrf", token.as_str()),
                ("email", &alpha.owner_email),
                ("password", &alpha.owner_password),
                ("next", "https://evil.example/"),
            ])
            .send()
            .await
            .expect("sign in");
        assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
        assert_eq!(signed_in.headers()["location"], "/t/alpha/portal");
        let session = set_cookie(&signed_in, "pitlane_session").expect("a session cookie");
        assert!(!session.contains("planted-session-id"));
        assert!(
            session.contains("HttpOnly") && session.contains("SameSite=Lax"),
            "{session}"
        );

        client.sign_in(&alpha).await;
        assert_eq!(client.get("/t/alpha/portal").await.status(), StatusCode::OK);

        // A session of one tenant is no key to another's portal.
        let _bravo = app.tenant("bravo").await;
        assert_eq!(
            client.get("/t/bravo/portal").await.status(),
            StatusCode::SEE_OTHER
        );

        let out = client
            .submit("/t/alpha/portal", "/t/alpha/signout", &[])
            .await;
        assert_eq!(out.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            client.get("/t/alpha/portal").await.status(),
            StatusCode::SEE_OTHER,
            "signed out"
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn forms_without_a_valid_csrf_token_are_refused() {
    for shape in SHAPES {
        eprintln!("deployment shape: {shape:?}");
        let app = TestApp::spawn_shape(shape).await;
        let alpha = app.tenant("alpha").await;
        let client = app.client();
        client.get("/t/alpha/signin").await;
        let forged = client
            .http
            .post(client.url("/t/alpha/signin"))
            .form(&[
                ("csrf", "forged"),
                ("email", alpha.owner_email.as_str()),
                ("password", alpha.owner_password.as_str()),
            ])
            .send()
            .await
            .expect("post");
        assert_eq!(forged.status(), StatusCode::FORBIDDEN);
        assert!(
            forged
                .text()
                .await
                .expect("html")
                .contains("this form expired")
        );
        assert_eq!(
            client.get("/t/alpha/portal").await.status(),
            StatusCode::SEE_OTHER,
            "not signed in"
        );

        client.sign_in(&alpha).await;
        let forged = client
            .http
            .post(client.url("/t/alpha/portal/settings"))
            .form(&[
                ("csrf", "forged"),
                ("name", "Hijacked"),
                ("primary_color", "#000000"),
                ("accent_color", "#000000"),
                ("default_theme", "dark"),
            ])
            .send()
            .await
            .expect("post");
        assert_eq!(forged.status(), StatusCode::FORBIDDEN);
        let home = client.get("/t/alpha/").await.text().await.expect("html");
        assert!(!home.contains("Hijacked"));
        app.stop().await;
    }
}

#[tokio::test]
async fn the_theme_switch_works_without_javascript() {
    for shape in SHAPES {
        eprintln!("deployment shape: {shape:?}");
        let app = TestApp::spawn_shape(shape).await;
        app.tenant("alpha").await;
        let client = app.client();
        let chosen = client
            .submit(
                "/t/alpha/",
                "/t/alpha/theme",
                &[("theme", "dark"), ("back", "/t/alpha/")],
            )
            .await;
        assert_eq!(chosen.status(), StatusCode::SEE_OTHER);
        assert_eq!(chosen.headers()["location"], "/t/alpha/");
        assert!(
            set_cookie(&chosen, "pitlane_theme")
                .is_some_and(|c| c.starts_with("pitlane_theme=dark"))
        );
        let page = client.get("/t/alpha/").await.text().await.expect("html");
        assert!(page.contains("data-theme=\"dark\""));
        assert!(page.contains("value=\"dark\" aria-pressed=\"true\""));

        let elsewhere = client
            .submit(
                "/t/alpha/",
                "/t/alpha/theme",
                &[("theme", "light"), ("back", "//evil.example/")],
            )
            .await;
        assert_eq!(
            elsewhere.headers()["location"],
            "/t/alpha/",
            "never sent to another site"
        );
        let unknown = client
            .submit(
                "/t/alpha/",
                "/t/alpha/theme",
                &[("theme", "purple"), ("back", "/t/alpha/")],
            )
            .await;
        assert_eq!(unknown.status(), StatusCode::UNPROCESSABLE_ENTITY);
        app.stop().await;
    }
}

#[tokio::test]
async fn pages_that_do_not_exist_are_themed_not_found_pages() {
    for shape in SHAPES {
        eprintln!("deployment shape: {shape:?}");
        let app = TestApp::spawn_shape(shape).await;
        app.tenant("alpha").await;
        let missing = app.client().get("/t/alpha/no/such/page").await;
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
        let html = missing.text().await.expect("html");
        assert!(
            html.contains("Page not found") && html.contains("ALPHA Motors"),
            "themed for the tenant"
        );
        app.stop().await;
    }
}

/// What a browser asks for and what it gets: the page in brotli or gzip as accepted, the
/// live stream never compressed, assets at content-hashed addresses kept for a year, and the
/// plain address answering `304` to a browser that has the asset.
#[tokio::test]
async fn pages_come_compressed_and_assets_are_cached_by_content() {
    use std::io::Read;
    let app = TestApp::spawn().await;
    let alpha = app.tenant("alpha").await;
    let client = app.client();
    client.sign_in(&alpha).await;
    let plain = client.get("/t/alpha/portal").await;
    assert_eq!(plain.status(), StatusCode::OK);
    assert!(plain.headers().get("content-encoding").is_none());
    let page = plain.text().await.expect("the page");

    let fetch = |path: &'static str, coding: &'static str| {
        let client = &client;
        async move {
            client
                .http
                .get(client.url(path))
                .header("accept-encoding", coding)
                .send()
                .await
                .expect("an answer")
        }
    };
    let brotli = fetch("/t/alpha/portal", "gzip, deflate, br").await;
    assert_eq!(brotli.status(), StatusCode::OK);
    assert_eq!(
        brotli
            .headers()
            .get("content-encoding")
            .map(|v| v.to_str().unwrap()),
        Some("br"),
        "{:?}",
        brotli.headers()
    );
    assert!(
        brotli.headers()["vary"]
            .to_str()
            .unwrap()
            .contains("accept-encoding")
    );
    let packed = brotli.bytes().await.expect("bytes");
    let mut unpacked = String::new();
    brotli::Decompressor::new(&packed[..], 4096)
        .read_to_string(&mut unpacked)
        .expect("brotli");
    assert!(
        packed.len() * 3 < unpacked.len(),
        "{} of {}",
        packed.len(),
        unpacked.len()
    );
    // The same page (its CSRF token aside: compare the headline and the navigation).
    assert!(unpacked.contains("<h1>Dashboard</h1>") && page.contains("<h1>Dashboard</h1>"));

    // JSON too (the API document, which is large), in gzip where brotli is not accepted.
    let gzip = fetch("/api/openapi.json", "gzip").await;
    assert_eq!(gzip.headers()["content-encoding"], "gzip");
    let packed = gzip.bytes().await.expect("bytes");
    let mut json = String::new();
    flate2::read::GzDecoder::new(&packed[..])
        .read_to_string(&mut json)
        .expect("gzip");
    assert!(
        serde_json::from_str::<serde_json::Value>(&json).is_ok(),
        "{json}"
    );

    // The live stream is sent as it comes, whatever the browser accepts.
    let stream = fetch("/t/alpha/events?topics=messages", "br").await;
    assert_eq!(stream.status(), StatusCode::OK);
    assert!(stream.headers().get("content-encoding").is_none());
    drop(stream);

    // The stylesheet the page links to: a hashed address, immutable, with an ETag.
    let css = page
        .split("href=\"")
        .find_map(|rest| {
            rest.split('"')
                .next()
                .filter(|h| h.starts_with("/static/app."))
        })
        .expect("the stylesheet link")
        .to_owned();
    assert!(
        css.ends_with(".css") && css.len() == "/static/app.".len() + 14,
        "{css}"
    );
    let hashed = client.http.get(client.url(&css)).send().await.expect("css");
    assert_eq!(hashed.status(), StatusCode::OK);
    assert!(
        hashed.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    let etag = hashed.headers()["etag"].to_str().unwrap().to_owned();
    let again = client
        .http
        .get(client.url("/static/app.css"))
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("css again");
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    let unknown = client.get("/static/app.0000000000.css").await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    app.stop().await;
}
