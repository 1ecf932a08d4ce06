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
