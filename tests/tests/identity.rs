//! Identity and access through HTTP: sign-up and verification, password sign-in with its
//! throttle, reset links, sessions (fixation, role change, sign out everywhere,
//! deactivation), CSRF, the role × permission matrix for the API and the pages, branch
//! scoping, custom roles, the last owner, invitations, mechanic applications, API keys and
//! the audit log. Mail goes to a real SMTP sink; everything runs on PostgreSQL and Redis.

use std::time::Duration;

use pitlane_domain::permissions::{Permission, Role};
use pitlane_identity::links::{LinkSigner, Purpose};
use pitlane_testkit::{
    Backend, Client, MessagingOptions, SmtpSink, TenantFixture, TestApp, TestDatabase, checked,
    config_from, csrf_token, test_vars,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(20);

async fn bearer(app: &TestApp, key: &str, base: &str, path: &str) -> StatusCode {
    let path = format!("{base}{path}");
    let response = app
        .client()
        .http
        .get(app.client().url(&path))
        .bearer_auth(key)
        .send()
        .await
        .expect("request");
    checked("GET", &path, response).await.status
}

async fn signed_in(app: &TestApp, tenant: &TenantFixture, email: &str, password: &str) -> Client {
    let client = app.client();
    client.sign_in_as(tenant, email, password).await;
    client
}

/// The membership id of a member, by e-mail, as the owner sees the staff list.
async fn membership_of(owner: &Client, base: &str, email: &str) -> String {
    let (status, staff) = owner
        .call(Method::GET, &format!("{base}/api/v1/staff"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{staff}");
    staff["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|m| m["email"] == email)
        .unwrap_or_else(|| panic!("{email} is on the staff: {staff}"))["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

fn session_cookie(headers: &reqwest::header::HeaderMap) -> Option<String> {
    headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("pitlane_session="))
        .map(|v| v.split(';').next().unwrap_or_default().to_owned())
}

async fn messaging_app() -> (SmtpSink, TestApp, pitlane_notify::WorkersHandle) {
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn_messaging(&MessagingOptions::to(&sink)).await;
    let workers = app.start_workers("identity-test").await;
    (sink, app, workers)
}

#[tokio::test]
async fn a_chain_signs_up_verifies_and_signs_in() {
    let (sink, app, workers) = messaging_app().await;
    let visitor = app.client();

    // Mistakes come back as field messages, with what was typed kept.
    let response = visitor
        .submit(
            "/signup",
            "/signup",
            &[
                ("company", "Alpha Autos"),
                ("slug", "admin"),
                ("owner_name", "Ada Alpha"),
                ("email", "not-an-address"),
                ("password", "1234567890"),
                ("country", "XX"),
                ("currency", "EUR"),
                ("time_zone", "Europe/Berlin"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.expect("page");
    for expected in [
        "is reserved",
        "not a valid e-mail",
        "most common passwords",
        "not a country code",
        "value=\"Alpha Autos\"",
    ] {
        assert!(
            page.contains(expected),
            "the form says {expected:?}: {page}"
        );
    }

    let fields = [
        ("company", "Alpha Autos"),
        ("slug", "alpha"),
        ("owner_name", "Ada Alpha"),
        ("email", "ada@alpha-autos.example"),
        ("password", "torque-wrench-42"),
        ("country", "de"),
        ("currency", "eur"),
        ("time_zone", "Europe/Berlin"),
    ];
    let response = visitor.submit("/signup", "/signup", &fields).await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "{:?}",
        response.text().await
    );
    let location = response.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    assert!(location.ends_with("/signin?notice=verify"), "{location}");

    // The same address again: the slug is taken, and the form keeps the rest.
    let mut again = fields;
    again[3] = ("email", "someone.else@example.com");
    let response = visitor.submit("/signup", "/signup", &again).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.expect("page");
    assert!(page.contains("this address is taken"), "{page}");
    assert!(page.contains("someone.else@example.com"), "{page}");

    // The tenant is in trial with its country and currency; the owner is not verified yet.
    let tenant = app
        .state()
        .store
        .tenant_by_slug("alpha")
        .await
        .expect("db")
        .expect("tenant");
    assert_eq!(
        (
            tenant.plan.as_str(),
            tenant.currency.as_str(),
            tenant.country.as_deref()
        ),
        ("trial", "EUR", Some("DE"))
    );
    assert!(tenant.trial_ends_at.is_some());

    let mail = sink.wait_for(1, WAIT).await;
    assert_eq!(mail[0].to, ["ada@alpha-autos.example"]);
    let link = mail[0]
        .link("/verify-email?token=")
        .expect("a verification link");
    let token = link.split("token=").nth(1).expect("token");
    let verify = format!("/t/alpha/verify-email?token={token}");
    let response = visitor.get(&verify).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.text().await.expect("page").contains("verified"));
    // The link works once; the second time a page says so and offers a way on.
    let response = visitor.get(&verify).await;
    assert_eq!(response.status(), StatusCode::GONE);
    assert!(
        response
            .text()
            .await
            .expect("page")
            .contains("already used")
    );

    let owner = app.client();
    let response = owner
        .submit(
            "/t/alpha/signin",
            "/t/alpha/signin",
            &[
                ("email", "ada@alpha-autos.example"),
                ("password", "torque-wrench-42"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (status, me) = owner.call(Method::GET, "/t/alpha/api/v1/me", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["role"], "owner");
    let (_, branches) = owner
        .call(Method::GET, "/t/alpha/api/v1/branches", None)
        .await;
    assert_eq!(branches["items"][0]["time_zone"], "Europe/Berlin");
    let (_, audit) = owner.call(Method::GET, "/t/alpha/api/v1/audit", None).await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert!(
        actions.contains(&"tenant.signed_up") && actions.contains(&"sign_in.succeeded"),
        "{actions:?}"
    );
    workers.stop().await;
    app.stop().await;
}

#[tokio::test]
async fn wrong_passwords_lock_the_account_until_the_lockout_ends() {
    let db = TestDatabase::create().await;
    let mut vars = test_vars(&db);
    vars.push(("PITLANE_SIGNIN_LOCKOUT_SECONDS", "3".into()));
    let app = TestApp::spawn_with(Backend::Postgres(db), config_from(&vars)).await;
    let alpha = app.tenant("alpha").await;
    let client = app.client();
    let attempt = |email: &'static str, password: &'static str| {
        let client = &client;
        async move {
            let response = client
                .submit(
                    "/t/alpha/signin",
                    "/t/alpha/signin",
                    &[("email", email), ("password", password)],
                )
                .await;
            let status = response.status();
            (status, response.text().await.expect("page"))
        }
    };
    // Unknown address and wrong password: one answer, nothing to learn from.
    let (unknown_status, unknown_page) =
        attempt("nobody@alpha.example.com", "whatever-it-is").await;
    let (wrong_status, wrong_page) = attempt("owner@alpha.example.com", "not-the-password").await;
    assert_eq!(unknown_status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong_status, unknown_status);
    assert!(
        unknown_page.contains("the e-mail or password is not right")
            && wrong_page.contains("the e-mail or password is not right")
    );
    for _ in 0..3 {
        attempt("owner@alpha.example.com", "not-the-password").await;
    }
    let (status, page) = attempt("owner@alpha.example.com", "not-the-password").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{page}");
    assert!(page.contains("try again in 1 minute"), "{page}");
    // Locked: even the right password is refused until the lockout ends.
    let password: &'static str = Box::leak(alpha.owner_password.clone().into_boxed_str());
    let (status, _) = attempt("owner@alpha.example.com", password).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    tokio::time::sleep(Duration::from_millis(3200)).await;
    let (status, _) = attempt("owner@alpha.example.com", password).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "the lockout expired");
    // Each refusal is in the audit log with the address it came from.
    let (_, audit) = client
        .call(Method::GET, "/t/alpha/api/v1/audit?action=sign_in.", None)
        .await;
    let items = audit["items"].as_array().expect("items");
    assert!(
        items.iter().any(|e| e["action"] == "sign_in.failed"
            && e["ip"] == "127.0.0.1"
            && e["actor"]
                .as_str()
                .is_some_and(|a| a.contains("nobody@alpha.example.com"))),
        "{audit}"
    );
    assert!(
        items.iter().any(|e| e["action"] == "sign_in.locked_out"),
        "{audit}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_password_reset_link_works_once_and_ends_every_session() {
    let (sink, app, workers) = messaging_app().await;
    let alpha = app.tenant("alpha").await;
    let elsewhere = signed_in(&app, &alpha, &alpha.owner_email, &alpha.owner_password).await;

    let visitor = app.client();
    let response = visitor
        .submit(
            "/t/alpha/forgot-password",
            "/t/alpha/forgot-password",
            &[("email", "nobody@nowhere.example")],
        )
        .await;
    let unknown = response.text().await.expect("page");
    let response = visitor
        .submit(
            "/t/alpha/forgot-password",
            "/t/alpha/forgot-password",
            &[("email", &alpha.owner_email)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let known = response.text().await.expect("page");
    assert!(known.contains("If that address belongs to someone here"));
    assert_eq!(
        unknown.replace("nobody@nowhere.example", ""),
        known.replace(&alpha.owner_email, ""),
        "the same answer either way"
    );

    let mail = sink.wait_for(1, WAIT).await;
    assert_eq!(mail.len(), 1, "no mail for an unknown address");
    let link = mail[0]
        .link("/reset-password?token=")
        .expect("a reset link");
    let path = &pitlane_testkit::tenant_path(&link);
    let token = link.split("token=").nth(1).expect("token").to_owned();
    assert_eq!(visitor.get(path).await.status(), StatusCode::OK);

    // A weak password is refused without spending the link.
    let weak = visitor
        .submit(
            path,
            "/t/alpha/reset-password",
            &[("token", &token), ("password", "password123")],
        )
        .await;
    assert_eq!(weak.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let strong = visitor
        .submit(
            path,
            "/t/alpha/reset-password",
            &[("token", &token), ("password", "a-brand-new-passphrase")],
        )
        .await;
    assert_eq!(strong.status(), StatusCode::SEE_OTHER);

    // The session that existed before is over; the new password works, the old does not.
    let (status, _) = elsewhere
        .call(Method::GET, "/t/alpha/api/v1/me", None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    signed_in(&app, &alpha, &alpha.owner_email, "a-brand-new-passphrase").await;

    let reused = visitor.get(path).await;
    assert_eq!(reused.status(), StatusCode::GONE);
    let page = reused.text().await.expect("page");
    assert!(
        page.contains("already used") && page.contains("Send me a new link"),
        "{page}"
    );

    let signer = LinkSigner::new(app.state().config.keyring());
    let expired = signer.sign(
        Purpose::ResetPassword,
        uuid::Uuid::now_v7(),
        chrono::Utc::now() - chrono::Duration::minutes(1),
    );
    let response = visitor
        .get(&format!("/t/alpha/reset-password?token={expired}"))
        .await;
    assert_eq!(response.status(), StatusCode::GONE);
    assert!(response.text().await.expect("page").contains("expired"));
    let forged = visitor
        .get("/t/alpha/reset-password?token=0192.1893456000.forged")
        .await;
    assert_eq!(forged.status(), StatusCode::GONE);
    workers.stop().await;
    app.stop().await;
}

#[tokio::test]
async fn sessions_resist_fixation_and_end_when_they_should() {
    let app = TestApp::spawn().await;
    let alpha = app.tenant("alpha").await;

    // An attacker plants a session id; signing in issues a new one, and the planted id is
    // worth nothing.
    let raw = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let origin = app.client().origin.clone();
    let form = raw
        .get(format!("{origin}/t/alpha/signin"))
        .header("cookie", "pitlane_session=planted-by-attacker")
        .send()
        .await
        .expect("form");
    let csrf_cookie = form
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("pitlane_csrf="))
        .map(|v| v.split(';').next().unwrap_or_default().to_owned())
        .expect("a CSRF cookie");
    let token = csrf_token(&form.text().await.expect("page")).expect("token");
    let response = raw
        .post(format!("{origin}/t/alpha/signin"))
        .header(
            "cookie",
            format!("pitlane_session=planted-by-attacker; pitlane_csrf={csrf_cookie}"),
        )
        .form(&[
            ("csrf", token.as_str()),
            ("email", alpha.owner_email.as_str()),
            ("password", alpha.owner_password.as_str()),
        ])
        .send()
        .await
        .expect("sign in");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let issued = session_cookie(response.headers()).expect("a session cookie");
    assert_ne!(issued, "planted-by-attacker");
    let cookie_header = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .find_map(|v| {
            v.to_str()
                .ok()
                .filter(|v| v.starts_with("pitlane_session="))
        })
        .expect("cookie")
        .to_owned();
    assert!(
        cookie_header.contains("HttpOnly") && cookie_header.contains("SameSite=Lax"),
        "{cookie_header}"
    );
    let me = |cookie: String| {
        let raw = raw.clone();
        let origin = origin.clone();
        async move {
            let response = raw
                .get(format!("{origin}/t/alpha/api/v1/me"))
                .header("cookie", format!("pitlane_session={cookie}"))
                .send()
                .await
                .expect("me");
            checked("GET", "/t/alpha/api/v1/me", response).await
        }
    };
    assert_eq!(
        me("planted-by-attacker".into()).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(me(issued.clone()).await.status, StatusCode::OK);

    // A role change takes effect on the next request, under a new session id.
    let owner = signed_in(&app, &alpha, &alpha.owner_email, &alpha.owner_password).await;
    let (email, password) = app.member(&alpha, Role::Mechanic).await;
    let mechanic_login = raw
        .post(format!("{origin}/t/alpha/signin"))
        .header("cookie", format!("pitlane_csrf={csrf_cookie}"))
        .form(&[
            ("csrf", token.as_str()),
            ("email", email.as_str()),
            ("password", password.as_str()),
        ])
        .send()
        .await
        .expect("sign in");
    let mechanic_session = session_cookie(mechanic_login.headers()).expect("session");
    let id = membership_of(&owner, "/t/alpha", &email).await;
    let (status, _) = owner
        .call(
            Method::PATCH,
            &format!("/t/alpha/api/v1/staff/{id}"),
            Some(json!({"role": "service_advisor"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let response = me(mechanic_session.clone()).await;
    assert_eq!(response.status, StatusCode::OK);
    let renewed =
        session_cookie(&response.headers).expect("a new session id after the role change");
    assert_ne!(renewed, mechanic_session);
    let body = response.body;
    assert_eq!(body["role"], "service_advisor");
    assert!(
        body["permissions"]
            .as_array()
            .expect("permissions")
            .contains(&json!("customers.write"))
    );

    // Deactivating a member ends their sessions at once.
    let (status, _) = owner
        .call(
            Method::PATCH,
            &format!("/t/alpha/api/v1/staff/{id}"),
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me(renewed).await.status, StatusCode::UNAUTHORIZED);

    // "Sign out everywhere" ends this person's other sessions too.
    let second = signed_in(&app, &alpha, &alpha.owner_email, &alpha.owner_password).await;
    let response = owner
        .submit(
            "/t/alpha/portal/account",
            "/t/alpha/portal/account/sign-out-everywhere",
            &[],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    for client in [&owner, &second] {
        let (status, _) = client.call(Method::GET, "/t/alpha/api/v1/me", None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(me(issued).await.status, StatusCode::UNAUTHORIZED);
    app.stop().await;
}

#[tokio::test]
async fn forms_without_their_csrf_token_change_nothing() {
    let app = TestApp::spawn().await;
    let alpha = app.tenant("alpha").await;
    let owner = signed_in(&app, &alpha, &alpha.owner_email, &alpha.owner_password).await;
    for (path, fields) in [
        (
            "/t/alpha/portal/staff/invitations",
            vec![("email", "forged@example.com"), ("role", "admin")],
        ),
        (
            "/t/alpha/portal/staff/roles",
            vec![("name", "Forged"), ("permissions", "audit.view")],
        ),
        (
            "/t/alpha/portal/settings/api-keys",
            vec![("name", "Forged"), ("permissions", "tenant.read")],
        ),
        ("/t/alpha/portal/account/sign-out-everywhere", vec![]),
    ] {
        let response = owner
            .http
            .post(owner.url(path))
            .form(&fields)
            .send()
            .await
            .expect("post");
        assert!(
            matches!(
                response.status(),
                StatusCode::FORBIDDEN | StatusCode::UNPROCESSABLE_ENTITY
            ),
            "{path}: {}",
            response.status()
        );
        let page = response.text().await.expect("page");
        if let Some((_, value)) = fields.first() {
            assert!(
                page.contains(value),
                "{path}: the form keeps what was typed"
            );
        }
    }
    let (_, invitations) = owner
        .call(Method::GET, "/t/alpha/api/v1/invitations", None)
        .await;
    assert_eq!(invitations["items"], json!([]));
    let (_, roles) = owner.call(Method::GET, "/t/alpha/api/v1/roles", None).await;
    assert_eq!(roles["items"], json!([]));
    let (status, _) = owner.call(Method::GET, "/t/alpha/api/v1/me", None).await;
    assert_eq!(status, StatusCode::OK, "still signed in");
    app.stop().await;
}

#[tokio::test]
async fn each_role_gets_exactly_its_permissions_in_the_api_and_the_pages() {
    let app = TestApp::spawn().await;
    let alpha = app.tenant("alpha").await;
    let api: [(&str, Permission); 6] = [
        ("/api/v1/branches", Permission::TenantRead),
        ("/api/v1/staff", Permission::StaffManage),
        ("/api/v1/roles", Permission::StaffManage),
        ("/api/v1/audit", Permission::AuditView),
        ("/api/v1/api-keys", Permission::ApiKeysManage),
        ("/api/v1/messages", Permission::SettingsManage),
    ];
    let pages: [(&str, Permission); 4] = [
        ("/portal/staff", Permission::StaffManage),
        ("/portal/audit", Permission::AuditView),
        ("/portal/settings/api-keys", Permission::ApiKeysManage),
        ("/portal/staff/applications", Permission::StaffManage),
    ];
    let mut checked = 0;
    for role in Role::ALL {
        let (email, password) = if role == Role::Owner {
            (alpha.owner_email.clone(), alpha.owner_password.clone())
        } else {
            app.member(&alpha, role).await
        };
        let client = signed_in(&app, &alpha, &email, &password).await;
        for (path, permission) in api.iter().chain(pages.iter()) {
            // Pages pass through unchecked; the API's answers are checked against the document.
            let full = format!("/t/alpha{path}");
            let response = pitlane_testkit::checked("GET", &full, client.get(&full).await).await;
            let expected = if role.allows(*permission) {
                StatusCode::OK
            } else {
                StatusCode::FORBIDDEN
            };
            assert_eq!(
                response.status,
                expected,
                "{} on {path} (needs {})",
                role.key(),
                permission.key()
            );
            if expected == StatusCode::FORBIDDEN && path.starts_with("/api/") {
                assert_eq!(response.body["status"], 403, "{}", response.body);
            }
            checked += 1;
        }
        // The menu offers only what the role allows.
        let dashboard = client
            .get("/t/alpha/portal")
            .await
            .text()
            .await
            .expect("page");
        assert_eq!(
            dashboard.contains("/t/alpha/portal/staff\""),
            role.allows(Permission::StaffManage),
            "{}",
            role.key()
        );
    }
    assert_eq!(checked, 60);
    app.stop().await;
}

#[tokio::test]
async fn custom_roles_grant_what_they_list_and_the_last_owner_stays() {
    let app = TestApp::spawn().await;
    let alpha = app.tenant("alpha").await;
    let owner = signed_in(&app, &alpha, &alpha.owner_email, &alpha.owner_password).await;
    let (admin_email, admin_password) = app.member(&alpha, Role::Admin).await;
    let admin = signed_in(&app, &alpha, &admin_email, &admin_password).await;

    // Nobody grants what they do not have: admins lack billing.manage.
    let (status, problem) = admin
        .call(
            Method::POST,
            "/t/alpha/api/v1/roles",
            Some(json!({"name": "Money", "permissions": ["billing.manage"]})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let (status, _) = owner
        .call(
            Method::POST,
            "/t/alpha/api/v1/roles",
            Some(json!({"name": "Bogus", "permissions": ["root.everything"]})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    let (status, role) = owner
        .call(
            Method::POST,
            "/t/alpha/api/v1/roles",
            Some(json!({"name": "Front desk", "permissions": ["tenant.read", "customers.read"]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{role}");
    let role_id = role["id"].as_str().expect("id").to_owned();
    let (email, password) = app.member(&alpha, Role::Mechanic).await;
    let member_id = membership_of(&owner, "/t/alpha", &email).await;
    let (status, member) = owner
        .call(
            Method::PATCH,
            &format!("/t/alpha/api/v1/staff/{member_id}"),
            Some(json!({"role": format!("custom:{role_id}")})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{member}");
    assert_eq!(member["role_name"], "Front desk");
    let desk = signed_in(&app, &alpha, &email, &password).await;
    let (_, me) = desk.call(Method::GET, "/t/alpha/api/v1/me", None).await;
    assert_eq!(me["permissions"], json!(["tenant.read", "customers.read"]));
    let audit = "/t/alpha/api/v1/audit";
    assert_eq!(
        checked("GET", audit, desk.get(audit).await).await.status,
        StatusCode::FORBIDDEN
    );

    // Editing the role changes what its holders may do on their next request.
    let (status, _) = owner.call(Method::PUT, &format!("/t/alpha/api/v1/roles/{role_id}"), Some(json!({"name": "Front desk", "permissions": ["tenant.read", "customers.read", "audit.view"]}))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        checked("GET", audit, desk.get(audit).await).await.status,
        StatusCode::OK
    );
    let (status, _) = owner
        .call(
            Method::DELETE,
            &format!("/t/alpha/api/v1/roles/{role_id}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "a role in use is kept");

    // The last owner cannot be demoted or deactivated; admins cannot touch owners.
    let owner_id = membership_of(&owner, "/t/alpha", &alpha.owner_email).await;
    for change in [json!({"role": "admin"}), json!({"active": false})] {
        let (status, problem) = owner
            .call(
                Method::PATCH,
                &format!("/t/alpha/api/v1/staff/{owner_id}"),
                Some(change),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert!(problem.to_string().contains("last owner"), "{problem}");
    }
    let (status, _) = admin
        .call(
            Method::PATCH,
            &format!("/t/alpha/api/v1/staff/{owner_id}"),
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = admin
        .call(
            Method::PATCH,
            &format!("/t/alpha/api/v1/staff/{member_id}"),
            Some(json!({"role": "owner"})),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "only owners make owners"
    );
    // With a second owner, the first may step down.
    let admin_id = membership_of(&owner, "/t/alpha", &admin_email).await;
    let (status, _) = owner
        .call(
            Method::PATCH,
            &format!("/t/alpha/api/v1/staff/{admin_id}"),
            Some(json!({"role": "owner"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = owner
        .call(
            Method::PATCH,
            &format!("/t/alpha/api/v1/staff/{owner_id}"),
            Some(json!({"role": "admin"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    app.stop().await;
}

#[tokio::test]
async fn a_branch_limited_member_sees_only_their_branches() {
    let app = TestApp::spawn().await;
    let alpha = app.tenant("alpha").await;
    let owner = signed_in(&app, &alpha, &alpha.owner_email, &alpha.owner_password).await;
    let (_, central) = owner
        .call(Method::GET, "/t/alpha/api/v1/branches", None)
        .await;
    let central_id = central["items"][0]["id"].as_str().expect("id").to_owned();
    let (status, harbour) = owner
        .call(
            Method::POST,
            "/t/alpha/api/v1/branches",
            Some(json!({"name": "Harbour Road", "time_zone": "Europe/Berlin"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{harbour}");
    let harbour_id = harbour["id"].as_str().expect("id").to_owned();

    let (email, password) = app.member(&alpha, Role::Manager).await;
    let id = membership_of(&owner, "/t/alpha", &email).await;
    let (status, body) = owner
        .call(
            Method::PATCH,
            &format!("/t/alpha/api/v1/staff/{id}"),
            Some(json!({"branch_ids": [harbour_id]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = owner
        .call(
            Method::PATCH,
            &format!("/t/alpha/api/v1/staff/{id}"),
            Some(json!({"branch_ids": [uuid::Uuid::now_v7()]})),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "an unknown branch is refused"
    );

    let manager = signed_in(&app, &alpha, &email, &password).await;
    let (_, listed) = manager
        .call(Method::GET, "/t/alpha/api/v1/branches", None)
        .await;
    let names: Vec<&str> = listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|b| b["name"].as_str())
        .collect();
    assert_eq!(names, ["Harbour Road"]);
    let (status, _) = manager
        .call(
            Method::GET,
            &format!("/t/alpha/api/v1/branches/{central_id}"),
            None,
        )
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "another branch looks like a missing one"
    );
    let dashboard = manager
        .get("/t/alpha/portal")
        .await
        .text()
        .await
        .expect("page");
    assert!(
        dashboard.contains("Harbour Road") && !dashboard.contains("ALPHA Motors Central"),
        "{dashboard}"
    );
    let (_, me) = manager.call(Method::GET, "/t/alpha/api/v1/me", None).await;
    assert_eq!(me["branch_ids"], json!([harbour_id]));
    // Settings changes are audited with the change they describe.
    let (_, audit) = owner
        .call(Method::GET, "/t/alpha/api/v1/audit?action=branch.", None)
        .await;
    assert_eq!(audit["items"][0]["action"], "branch.created", "{audit}");
    assert_eq!(audit["items"][0]["subject"], "Harbour Road");
    let (_, changes) = owner
        .call(
            Method::GET,
            "/t/alpha/api/v1/audit?action=member.branches_changed",
            None,
        )
        .await;
    assert_eq!(changes["items"][0]["subject"], email.as_str());
    // Back to every branch.
    let (status, _) = owner
        .call(
            Method::PATCH,
            &format!("/t/alpha/api/v1/staff/{id}"),
            Some(json!({"branch_ids": null})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, listed) = manager
        .call(Method::GET, "/t/alpha/api/v1/branches", None)
        .await;
    assert_eq!(listed["items"].as_array().expect("items").len(), 2);
    app.stop().await;
}

#[tokio::test]
async fn api_keys_act_within_their_scopes_until_revoked() {
    let app = TestApp::spawn().await;
    let alpha = app.tenant("alpha").await;
    app.tenant("bravo").await;
    let owner = signed_in(&app, &alpha, &alpha.owner_email, &alpha.owner_password).await;

    let (status, created) = owner
        .call(
            Method::POST,
            "/t/alpha/api/v1/api-keys",
            Some(json!({"name": "Accounting export", "permissions": ["tenant.read"]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let secret = created["secret"].as_str().expect("secret").to_owned();
    assert!(secret.starts_with("pl_"));
    let key_id = created["key"]["id"].as_str().expect("id").to_owned();

    assert_eq!(
        bearer(&app, &secret, "/t/alpha", "/api/v1/branches").await,
        StatusCode::OK
    );
    assert_eq!(
        bearer(&app, &secret, "/t/alpha", "/api/v1/staff").await,
        StatusCode::FORBIDDEN,
        "outside its scopes"
    );
    assert_eq!(
        bearer(&app, &secret, "/t/bravo", "/api/v1/branches").await,
        StatusCode::UNAUTHORIZED,
        "no key to another tenant"
    );
    assert_eq!(
        bearer(&app, &format!("{secret}x"), "/t/alpha", "/api/v1/branches").await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        bearer(&app, "pl_nonsense", "/t/alpha", "/api/v1/branches").await,
        StatusCode::UNAUTHORIZED
    );
    let response = app
        .client()
        .http
        .get(app.client().url("/t/alpha/api/v1/me"))
        .bearer_auth(&secret)
        .send()
        .await
        .expect("me");
    let me = checked("GET", "/t/alpha/api/v1/me", response).await.body;
    assert_eq!(me["api_key_id"], key_id.as_str());
    assert_eq!(me["permissions"], json!(["tenant.read"]));

    // Keys cannot be made with more than the creator has, nor by a key.
    let (email, password) = app.member(&alpha, Role::Admin).await;
    let admin = signed_in(&app, &alpha, &email, &password).await;
    let (status, _) = admin
        .call(
            Method::POST,
            "/t/alpha/api/v1/api-keys",
            Some(json!({"name": "Too much", "permissions": ["billing.manage"]})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = admin.call(Method::POST, "/t/alpha/api/v1/api-keys", Some(json!({"name": "Past", "permissions": ["tenant.read"], "expires_at": "2020-01-01T00:00:00Z"}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // Last use is visible (written in the background, moments later); revocation takes
    // effect at once.
    let mut keys = json!(null);
    for _ in 0..100 {
        keys = owner
            .call(Method::GET, "/t/alpha/api/v1/api-keys", None)
            .await
            .1;
        if keys["items"][0]["last_used_at"].is_string() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(keys["items"][0]["last_used_at"].is_string(), "{keys}");
    let (status, _) = owner
        .call(
            Method::DELETE,
            &format!("/t/alpha/api/v1/api-keys/{key_id}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        bearer(&app, &secret, "/t/alpha", "/api/v1/branches").await,
        StatusCode::UNAUTHORIZED
    );

    // An expired key, and a key whose creator left, stop working.
    let (_, second) = admin
        .call(
            Method::POST,
            "/t/alpha/api/v1/api-keys",
            Some(json!({"name": "Admin's", "permissions": ["tenant.read"]})),
        )
        .await;
    let second_secret = second["secret"].as_str().expect("secret").to_owned();
    assert_eq!(
        bearer(&app, &second_secret, "/t/alpha", "/api/v1/branches").await,
        StatusCode::OK
    );
    let admin_id = membership_of(&owner, "/t/alpha", &email).await;
    owner
        .call(
            Method::PATCH,
            &format!("/t/alpha/api/v1/staff/{admin_id}"),
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(
        bearer(&app, &second_secret, "/t/alpha", "/api/v1/branches").await,
        StatusCode::UNAUTHORIZED
    );
    let (_, third) = owner
        .call(
            Method::POST,
            "/t/alpha/api/v1/api-keys",
            Some(json!({"name": "Short-lived", "permissions": ["tenant.read"]})),
        )
        .await;
    let third_secret = third["secret"].as_str().expect("secret").to_owned();
    let db = app.db().admin().await;
    pitlane_store::sea_orm::ConnectionTrait::execute_unprepared(
        &db,
        &format!(
            "update api_keys set expires_at = now() - interval '1 second' where id = '{}'",
            third["key"]["id"].as_str().expect("id")
        ),
    )
    .await
    .expect("expire");
    assert_eq!(
        bearer(&app, &third_secret, "/t/alpha", "/api/v1/branches").await,
        StatusCode::UNAUTHORIZED
    );

    // Key changes are audited.
    let (_, audit) = owner
        .call(Method::GET, "/t/alpha/api/v1/audit?action=api_key.", None)
        .await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert!(
        actions.contains(&"api_key.created") && actions.contains(&"api_key.revoked"),
        "{actions:?}"
    );
    assert!(
        actions.iter().all(|a| a.starts_with("api_key.")),
        "the filter holds: {actions:?}"
    );
    app.stop().await;
}

#[tokio::test]
async fn an_invited_mechanic_joins_with_the_offered_role_and_branches() {
    let (sink, app, workers) = messaging_app().await;
    let alpha = app.tenant("alpha").await;
    let owner = signed_in(&app, &alpha, &alpha.owner_email, &alpha.owner_password).await;
    let (_, branches) = owner
        .call(Method::GET, "/t/alpha/api/v1/branches", None)
        .await;
    let branch = branches["items"][0]["id"].as_str().expect("id").to_owned();

    let (status, invitation) = owner.call(Method::POST, "/t/alpha/api/v1/invitations", Some(json!({"email": "sam@spanner.example", "name": "Sam Spanner", "role": "mechanic", "branch_ids": [branch]}))).await;
    assert_eq!(status, StatusCode::CREATED, "{invitation}");
    let (status, _) = owner
        .call(
            Method::POST,
            "/t/alpha/api/v1/invitations",
            Some(json!({"email": alpha.owner_email, "role": "mechanic"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "already a member");

    let mail = sink.wait_for(1, WAIT).await;
    let link = mail[0]
        .link("/invitations/accept?token=")
        .expect("an invitation link");
    let path = pitlane_testkit::tenant_path(&link);
    let token = link.split("token=").nth(1).expect("token").to_owned();
    let sam = app.client();
    let page = sam.get(&path).await.text().await.expect("page");
    assert!(
        page.contains("sam@spanner.example") && page.contains("Sam Spanner"),
        "{page}"
    );
    let weak = sam
        .submit(
            &path,
            "/t/alpha/invitations/accept",
            &[
                ("token", &token),
                ("name", "Sam Spanner"),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(weak.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        weak.text()
            .await
            .expect("page")
            .contains("value=\"Sam Spanner\"")
    );
    let accepted = sam
        .submit(
            &path,
            "/t/alpha/invitations/accept",
            &[
                ("token", &token),
                ("name", "Sam Spanner"),
                ("password", "spanner-and-socket"),
            ],
        )
        .await;
    assert_eq!(accepted.status(), StatusCode::SEE_OTHER);
    let (status, me) = sam.call(Method::GET, "/t/alpha/api/v1/me", None).await;
    assert_eq!(status, StatusCode::OK, "signed in after accepting");
    assert_eq!(me["role"], "mechanic");
    assert_eq!(me["branch_ids"], json!([branch]));
    assert_eq!(
        sam.get(&path).await.status(),
        StatusCode::GONE,
        "single use"
    );

    // A revoked invitation's link stops working.
    let (_, second) = owner
        .call(
            Method::POST,
            "/t/alpha/api/v1/invitations",
            Some(json!({"email": "late@example.com", "role": "service_advisor"})),
        )
        .await;
    let mail = sink.wait_for(2, WAIT).await;
    let link = mail
        .iter()
        .find_map(|m| {
            m.link("/invitations/accept?token=")
                .filter(|_| m.to == ["late@example.com"])
        })
        .expect("link");
    let (status, _) = owner
        .call(
            Method::DELETE,
            &format!(
                "/t/alpha/api/v1/invitations/{}",
                second["id"].as_str().expect("id")
            ),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.client()
            .get(&pitlane_testkit::tenant_path(&link))
            .await
            .status(),
        StatusCode::GONE
    );
    workers.stop().await;
    app.stop().await;
}

#[tokio::test]
async fn a_mechanic_applies_and_an_admin_decides() {
    let (sink, app, workers) = messaging_app().await;
    let alpha = app.tenant("alpha").await;
    let visitor = app.client();
    let bad = visitor
        .submit(
            "/t/alpha/apply",
            "/t/alpha/apply",
            &[
                ("name", "Rita Ratchet"),
                ("email", "rita@"),
                ("experience_years", "many"),
            ],
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = bad.text().await.expect("page");
    assert!(
        page.contains("value=\"Rita Ratchet\"") && page.contains("enter whole years"),
        "{page}"
    );
    let good = visitor
        .submit(
            "/t/alpha/apply",
            "/t/alpha/apply",
            &[
                ("name", "Rita Ratchet"),
                ("email", "rita@ratchet.example"),
                ("experience_years", "7"),
                ("certifications", "ASE A1-A8"),
            ],
        )
        .await;
    assert_eq!(good.status(), StatusCode::OK);
    visitor
        .submit(
            "/t/alpha/apply",
            "/t/alpha/apply",
            &[
                ("name", "Nope Nobody"),
                ("email", "nope@example.com"),
                ("experience_years", "0"),
            ],
        )
        .await;

    let owner = signed_in(&app, &alpha, &alpha.owner_email, &alpha.owner_password).await;
    let (_, queue) = owner
        .call(Method::GET, "/t/alpha/api/v1/applications", None)
        .await;
    let items = queue["items"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    let id_of = |email: &str| {
        items
            .iter()
            .find(|a| a["email"] == email)
            .expect("application")["id"]
            .as_str()
            .expect("id")
            .to_owned()
    };
    let (rita, nope) = (id_of("rita@ratchet.example"), id_of("nope@example.com"));
    let (email, password) = app.member(&alpha, Role::Mechanic).await;
    let mechanic = signed_in(&app, &alpha, &email, &password).await;
    let (status, _) = mechanic
        .call(
            Method::POST,
            &format!("/t/alpha/api/v1/applications/{rita}/approve"),
            None,
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "mechanics do not approve mechanics"
    );
    let (status, approved) = owner
        .call(
            Method::POST,
            &format!("/t/alpha/api/v1/applications/{rita}/approve"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{approved}");
    assert_eq!(approved["status"], "approved");
    let (status, rejected) = owner
        .call(
            Method::POST,
            &format!("/t/alpha/api/v1/applications/{nope}/reject"),
            None,
        )
        .await;
    assert_eq!(
        (status, rejected["status"].as_str()),
        (StatusCode::OK, Some("rejected"))
    );
    let (status, _) = owner
        .call(
            Method::POST,
            &format!("/t/alpha/api/v1/applications/{nope}/approve"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "decided once");
    let mail = sink.wait_for(1, WAIT).await;
    assert_eq!(mail[0].to, ["rita@ratchet.example"]);
    assert!(
        mail[0].link("/invitations/accept?token=").is_some(),
        "the approved mechanic is invited"
    );
    workers.stop().await;
    app.stop().await;
}

#[test]
fn every_operation_states_its_permission_and_accepts_both_credentials() {
    let spec: Value = serde_json::from_str(&pitlane_testkit::openapi_spec()).expect("spec");
    let schemes = spec["components"]["securitySchemes"]
        .as_object()
        .expect("schemes");
    assert_eq!(schemes["StaffSession"]["type"], "apiKey");
    assert_eq!(schemes["WorkshopApiKey"]["scheme"], "bearer");
    let mut operations = 0;
    for (path, item) in spec["paths"].as_object().expect("paths") {
        if !path.starts_with("/api/v1/") {
            continue;
        }
        for (method, op) in item.as_object().expect("item") {
            let described = op["description"].as_str().unwrap_or_default();
            assert!(
                described.contains("Needs `") || described.contains("Any signed-in member"),
                "{method} {path} does not say what it needs: {described:?}"
            );
            assert_eq!(
                op["security"],
                json!([{"StaffSession": []}, {"WorkshopApiKey": []}]),
                "{method} {path}"
            );
            operations += 1;
        }
    }
    assert!(operations > 30, "{operations}");
}
