//! The other ways in: a provider sign-in against a fake OAuth2 provider (PKCE, state, linking
//! by verified e-mail, and its failures), two-factor codes and recovery codes, a workshop
//! requiring single sign-on or two-factor, customers' magic links, the platform's workshop
//! picker, and the operator console's suspend and reactivate.

use std::time::Duration;

use pitlane_domain::permissions::Role;
use pitlane_store::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use pitlane_testkit::{
    Backend, Client, FakeIdp, IdpUser, MessagingOptions, SmtpSink, TestApp, TestDatabase,
    config_from, messaging_vars, test_vars,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(20);

fn location(response: &reqwest::Response) -> String {
    response.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned()
}

/// The path and query of an absolute URL (tenant hosts are reached through the test origin).
fn local(url: &str) -> String {
    let parsed = url::Url::parse(url).expect("url");
    match parsed.query() {
        Some(q) => format!("{}?{q}", parsed.path()),
        None => parsed.path().to_owned(),
    }
}

/// The password step of a sign-in at alpha (two-factor people land on the code step).
async fn password_step(
    client: &Client,
    tenant: &pitlane_testkit::TenantFixture,
) -> reqwest::Response {
    client
        .submit(
            "/t/alpha/signin",
            "/t/alpha/signin",
            &[
                ("email", &tenant.owner_email),
                ("password", &tenant.owner_password),
            ],
        )
        .await
}

/// The code step of a sign-in at alpha.
async fn code_step(client: &Client, code: &str) -> reqwest::Response {
    client
        .submit(
            "/t/alpha/signin/two-factor",
            "/t/alpha/signin/two-factor",
            &[("code", code)],
        )
        .await
}

async fn app_with_idp(idp: &FakeIdp) -> TestApp {
    let db = TestDatabase::create().await;
    let mut vars = test_vars(&db);
    vars.extend(idp.vars());
    TestApp::spawn_with(Backend::Postgres(db), config_from(&vars)).await
}

/// Follows a provider sign-in from the workshop's button to wherever it ends.
async fn provider_sign_in(client: &Client, idp: &FakeIdp) -> reqwest::Response {
    let start = client.get("/t/alpha/signin/oauth/sso").await;
    assert_eq!(start.status(), StatusCode::SEE_OTHER);
    let authorize = location(&start);
    assert!(authorize.starts_with(&idp.url("/authorize")), "{authorize}");
    assert!(
        authorize.contains("code_challenge_method=S256") && authorize.contains("state="),
        "{authorize}"
    );
    let back = client.http.get(&authorize).send().await.expect("provider");
    assert_eq!(back.status(), StatusCode::FOUND);
    let callback = location(&back);
    let finished = client.get(&local(&callback)).await;
    if finished.status() != StatusCode::SEE_OTHER {
        return finished;
    }
    client.get(&local(&location(&finished))).await
}

#[tokio::test]
async fn staff_sign_in_through_an_identity_provider_with_pkce() {
    let idp = FakeIdp::start().await;
    let app = app_with_idp(&idp).await;
    let alpha = app.tenant("alpha").await;
    let page = app
        .client()
        .get("/t/alpha/signin")
        .await
        .text()
        .await
        .expect("page");
    assert!(page.contains("Sign in with Test SSO"), "{page}");

    // A verified address that matches a member links the provider account and signs in.
    idp.signs_in(IdpUser {
        sub: "idp-ada".into(),
        email: alpha.owner_email.to_uppercase(),
        email_verified: true,
        name: "Ada Owner".into(),
    });
    let owner = app.client();
    let done = provider_sign_in(&owner, &idp).await;
    assert_eq!(
        done.status(),
        StatusCode::SEE_OTHER,
        "{:?}",
        done.text().await
    );
    assert!(location(&done).ends_with("/t/alpha/portal"));
    let (status, me) = owner.call(Method::GET, "/t/alpha/api/v1/me", None).await;
    assert_eq!(
        (status, me["role"].as_str()),
        (StatusCode::OK, Some("owner"))
    );
    // Once linked, the provider's subject finds the person even with another address.
    idp.signs_in(IdpUser {
        sub: "idp-ada".into(),
        email: "ada@new-domain.example".into(),
        email_verified: false,
        name: "Ada".into(),
    });
    let again = app.client();
    assert_eq!(
        provider_sign_in(&again, &idp).await.status(),
        StatusCode::SEE_OTHER
    );

    // An unverified address links nothing; an unknown one has no account.
    idp.signs_in(IdpUser {
        sub: "idp-eve".into(),
        email: alpha.owner_email.clone(),
        email_verified: false,
        name: "Eve".into(),
    });
    let eve = app.client();
    let refused = provider_sign_in(&eve, &idp).await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert!(
        refused
            .text()
            .await
            .expect("page")
            .contains("did not confirm this e-mail address")
    );
    idp.signs_in(IdpUser {
        sub: "idp-stranger".into(),
        email: "stranger@example.com".into(),
        email_verified: true,
        name: "S".into(),
    });
    let refused = provider_sign_in(&app.client(), &idp).await;
    assert!(
        refused
            .text()
            .await
            .expect("page")
            .contains("no Pitlane login has the address stranger@example.com")
    );

    // A wrong state, a replayed code and a PKCE mismatch all fail.
    idp.signs_in(IdpUser {
        sub: "idp-ada".into(),
        email: alpha.owner_email.clone(),
        email_verified: true,
        name: "Ada".into(),
    });
    let mallory = app.client();
    let start = mallory.get("/t/alpha/signin/oauth/sso").await;
    let back = mallory
        .http
        .get(location(&start))
        .send()
        .await
        .expect("provider");
    let callback = location(&back);
    let forged_state = callback.replace("state=", "state=forged");
    let answer = mallory.get(&local(&forged_state)).await;
    assert_eq!(answer.status(), StatusCode::BAD_REQUEST, "wrong state");
    let first = mallory.get(&local(&callback)).await;
    assert_eq!(
        first.status(),
        StatusCode::SEE_OTHER,
        "the genuine callback works once"
    );
    let replay = mallory.get(&local(&callback)).await;
    assert_eq!(
        replay.status(),
        StatusCode::BAD_REQUEST,
        "a replayed callback fails"
    );
    // PKCE: a code issued for one sign-in, redeemed with another sign-in's state (and so its
    // verifier), is refused by the provider.
    let victim = app.client();
    let victim_start = victim.get("/t/alpha/signin/oauth/sso").await;
    let victim_back = victim
        .http
        .get(location(&victim_start))
        .send()
        .await
        .expect("provider");
    let stolen_code = url::Url::parse(&location(&victim_back))
        .expect("url")
        .query_pairs()
        .find(|(k, _)| k == "code")
        .expect("code")
        .1
        .into_owned();
    let attacker_start = mallory.get("/t/alpha/signin/oauth/sso").await;
    let attacker_state = url::Url::parse(&location(&attacker_start))
        .expect("url")
        .query_pairs()
        .find(|(k, _)| k == "state")
        .expect("state")
        .1
        .into_owned();
    let mismatch = mallory
        .get(&format!(
            "/oauth/callback?code={stolen_code}&state={attacker_state}"
        ))
        .await;
    assert_eq!(mismatch.status(), StatusCode::BAD_REQUEST);
    assert!(mismatch.text().await.expect("page").contains("refused"));

    // The audit log shows both outcomes.
    let (_, audit) = owner
        .call(Method::GET, "/t/alpha/api/v1/audit?action=sign_in.", None)
        .await;
    let entries = audit["items"].as_array().expect("items");
    let via_sso = |e: &&Value| {
        e["detail"]
            .as_str()
            .and_then(|d| serde_json::from_str::<Value>(d).ok())
            .is_some_and(|d| d["via"] == "sso")
    };
    assert!(
        entries
            .iter()
            .filter(via_sso)
            .any(|e| e["action"] == "sign_in.succeeded"),
        "a provider sign-in is audited: {audit}"
    );
    assert!(
        entries
            .iter()
            .filter(via_sso)
            .any(|e| e["action"] == "sign_in.failed"),
        "a refused provider sign-in is audited: {audit}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_workshop_can_require_single_sign_on_for_its_staff() {
    let idp = FakeIdp::start().await;
    let app = app_with_idp(&idp).await;
    let alpha = app.tenant("alpha").await;
    let (email, password) = app.member(&alpha, Role::Manager).await;
    let owner = app.client();
    owner.sign_in(&alpha).await;
    let saved = owner
        .submit(
            "/t/alpha/portal/settings/security",
            "/t/alpha/portal/settings/security",
            &[("require_sso", "yes")],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let manager = app.client();
    let refused = manager
        .submit(
            "/t/alpha/signin",
            "/t/alpha/signin",
            &[("email", &email), ("password", &password)],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(
        refused
            .text()
            .await
            .expect("page")
            .contains("single sign-on")
    );
    // The owner keeps a way in with the password.
    app.client().sign_in(&alpha).await;
    idp.signs_in(IdpUser {
        sub: "idp-manager".into(),
        email: email.clone(),
        email_verified: true,
        name: "Manager".into(),
    });
    assert_eq!(
        provider_sign_in(&manager, &idp).await.status(),
        StatusCode::SEE_OTHER
    );
    let (status, _) = manager.call(Method::GET, "/t/alpha/api/v1/me", None).await;
    assert_eq!(status, StatusCode::OK);
    app.stop().await;
}

#[tokio::test]
async fn two_factor_codes_guard_the_second_step_and_can_be_required() {
    for shape in pitlane_testkit::SHAPES {
        let app = TestApp::spawn_shape(shape).await;
        let alpha = app.tenant("alpha").await;
        let owner = app.client();
        owner.sign_in(&alpha).await;

        // Require two-factor for owners and admins: until set up, only the set-up page opens.
        let saved = owner
            .submit(
                "/t/alpha/portal/settings/security",
                "/t/alpha/portal/settings/security",
                &[("require_two_factor", "yes")],
            )
            .await;
        assert_eq!(saved.status(), StatusCode::SEE_OTHER);
        let blocked = owner.get("/t/alpha/portal/staff").await;
        assert_eq!(blocked.status(), StatusCode::SEE_OTHER);
        assert!(location(&blocked).ends_with("/portal/account/two-factor"));
        let (status, problem) = owner.call(Method::GET, "/t/alpha/api/v1/staff", None).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(problem.to_string().contains("two-factor"));

        let setup = owner
            .get("/t/alpha/portal/account/two-factor")
            .await
            .text()
            .await
            .expect("page");
        let start = setup.find("data-totp-secret>").expect("secret") + "data-totp-secret>".len();
        let secret = setup[start..start + 32].to_owned();
        let wrong = owner
            .submit(
                "/t/alpha/portal/account/two-factor",
                "/t/alpha/portal/account/two-factor",
                &[("code", "000000")],
            )
            .await;
        assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let code = pitlane_identity::two_factor::current_code(&secret).expect("code");
        let enabled = owner
            .submit(
                "/t/alpha/portal/account/two-factor",
                "/t/alpha/portal/account/two-factor",
                &[("code", &code)],
            )
            .await;
        assert_eq!(enabled.status(), StatusCode::OK);
        let page = enabled.text().await.expect("page");
        let codes: Vec<String> = page
            .split("<li><code>")
            .skip(1)
            .map(|s| s.split('<').next().unwrap_or_default().to_owned())
            .collect();
        assert_eq!(codes.len(), 10, "{page}");
        assert_eq!(
            owner.get("/t/alpha/portal/staff").await.status(),
            StatusCode::OK,
            "open once set up"
        );
        // The secret is stored sealed: the database alone does not give the codes away.
        let people = app.state().store.people_tx().await.expect("tx");
        let stored =
            people
                .people()
                .first(pitlane_store::entity::user::Entity::find().filter(
                    pitlane_store::entity::user::Column::Email.eq(alpha.owner_email.as_str()),
                ))
                .await
                .expect("query")
                .and_then(|u| u.totp_secret)
                .expect("a stored secret");
        people.commit().await.expect("commit");
        assert!(
            stored.starts_with("v2:") && !stored.contains(&secret),
            "{stored}"
        );

        // Signing in now takes the password and then a code.
        let fresh = app.client();
        let step = password_step(&fresh, &alpha).await;
        assert_eq!(step.status(), StatusCode::SEE_OTHER);
        assert!(location(&step).ends_with("/signin/two-factor"));
        let (status, _) = fresh.call(Method::GET, "/t/alpha/api/v1/me", None).await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "no session before the code"
        );
        let bad = code_step(&fresh, "123456").await;
        assert_eq!(bad.status(), StatusCode::UNAUTHORIZED);
        let good = code_step(&fresh, &codes[0]).await;
        assert_eq!(
            good.status(),
            StatusCode::SEE_OTHER,
            "a recovery code works"
        );
        let (status, _) = fresh.call(Method::GET, "/t/alpha/api/v1/me", None).await;
        assert_eq!(status, StatusCode::OK);

        // A recovery code works once.
        let other = app.client();
        password_step(&other, &alpha).await;
        let reused = code_step(&other, &codes[0]).await;
        assert_eq!(reused.status(), StatusCode::UNAUTHORIZED);
        // An authenticator code works once too: the one that turned two-factor on is spent.
        let replayed = code_step(&other, &code).await;
        assert_eq!(
            replayed.status(),
            StatusCode::UNAUTHORIZED,
            "the set-up code is not taken again"
        );
        let next = pitlane_identity::two_factor::next_code(&secret).expect("code");
        let by_app = code_step(&other, &next).await;
        assert_eq!(by_app.status(), StatusCode::SEE_OTHER);
        let third = app.client();
        password_step(&third, &alpha).await;
        let twice = code_step(&third, &next).await;
        assert_eq!(
            twice.status(),
            StatusCode::UNAUTHORIZED,
            "a code used to sign in is not taken a second time"
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn customers_sign_in_with_a_magic_link_on_the_branded_page() {
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn_messaging(&MessagingOptions::to(&sink)).await;
    let workers = app.start_workers("customers").await;
    let alpha = app.tenant("alpha").await;
    let customer = app.client();
    let bad = customer
        .submit(
            "/t/alpha/account/signin",
            "/t/alpha/account/signin",
            &[("email", "not an address"), ("name", "Carla")],
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().await.expect("page").contains("value=\"Carla\""));
    let sent = customer
        .submit(
            "/t/alpha/account/signin",
            "/t/alpha/account/signin",
            &[
                ("email", "carla@customer.example"),
                ("name", "Carla Customer"),
            ],
        )
        .await;
    assert_eq!(sent.status(), StatusCode::OK);
    let staff = customer
        .submit(
            "/t/alpha/account/signin",
            "/t/alpha/account/signin",
            &[("email", &alpha.owner_email)],
        )
        .await;
    assert_eq!(
        staff.status(),
        StatusCode::OK,
        "the same answer for staff addresses"
    );

    let mail = sink.wait_for(1, WAIT).await;
    assert_eq!(mail.len(), 1, "only the customer got a link");
    let link = mail[0].link("/account/magic?token=").expect("a magic link");
    let path = pitlane_testkit::tenant_path(&link);
    let signed_in = customer.get(&path).await;
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    let home = customer.get("/t/alpha/account").await;
    assert_eq!(home.status(), StatusCode::OK);
    assert!(
        home.text()
            .await
            .expect("page")
            .contains("Hello, Carla Customer")
    );
    let (_, me) = customer.call(Method::GET, "/t/alpha/api/v1/me", None).await;
    assert_eq!(me["role"], "customer");
    assert_eq!(me["permissions"], json!([]));
    assert_eq!(
        customer.get("/t/alpha/portal/staff").await.status(),
        StatusCode::FORBIDDEN,
        "no staff pages"
    );
    assert_eq!(
        app.client().get(&path).await.status(),
        StatusCode::GONE,
        "the link works once"
    );

    // With a password chosen, the customer signs in without a link, and lands on their page.
    let saved = customer
        .submit(
            "/t/alpha/account",
            "/t/alpha/account/password",
            &[("password", "brake-pads-and-discs")],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let again = app.client();
    let response = again
        .submit(
            "/t/alpha/signin",
            "/t/alpha/signin",
            &[
                ("email", "carla@customer.example"),
                ("password", "brake-pads-and-discs"),
            ],
        )
        .await;
    assert!(location(&response).ends_with("/t/alpha/account"));
    workers.stop().await;
    app.stop().await;
}

#[tokio::test]
async fn one_login_chooses_among_its_workshops() {
    let app = TestApp::spawn().await;
    let alpha = app.tenant("alpha").await;
    let bravo = app.tenant("bravo").await;
    // Alpha's owner is also a mechanic at bravo (one person, one login).
    let tx = app
        .state()
        .store
        .tx(&pitlane_store::TenantCtx::new(bravo.id))
        .await
        .expect("tx");
    let person = tx
        .people()
        .first(<pitlane_store::entity::user::Entity as pitlane_store::sea_orm::EntityTrait>::find_by_id(alpha.owner.user_id.0))
        .await
        .expect("db")
        .expect("person");
    pitlane_identity::add_membership(&tx, &person, Role::Mechanic)
        .await
        .expect("membership");
    tx.commit().await.expect("commit");

    let client = app.client();
    let wrong = client
        .submit(
            "/signin",
            "/signin",
            &[("email", &alpha.owner_email), ("password", "not-it-at-all")],
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let listed = client
        .submit(
            "/signin",
            "/signin",
            &[
                ("email", &alpha.owner_email),
                ("password", &alpha.owner_password),
            ],
        )
        .await;
    assert_eq!(listed.status(), StatusCode::OK);
    let page = listed.text().await.expect("page");
    assert!(
        page.contains("ALPHA Motors") && page.contains("BRAVO Motors") && page.contains("Mechanic"),
        "{page}"
    );
    let link = page
        .split("href=\"")
        .filter_map(|s| s.split('"').next())
        .find(|href| href.contains("bravo") && href.contains("/signin/handoff?token="))
        .expect("a link to bravo")
        .replace("&amp;", "&");
    // The link names bravo's own host; the test reaches bravo by its path prefix.
    let token = link.split("token=").nth(1).expect("token").to_owned();
    let entered = client
        .get(&format!("/t/bravo/signin/handoff?token={token}"))
        .await;
    assert_eq!(entered.status(), StatusCode::SEE_OTHER);
    let (status, me) = client.call(Method::GET, "/t/bravo/api/v1/me", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["role"], "mechanic");
    let reused = app
        .client()
        .get(&format!("/t/bravo/signin/handoff?token={token}"))
        .await;
    assert_eq!(
        reused.status(),
        StatusCode::BAD_REQUEST,
        "a hand-off works once"
    );
    // A hand-off for bravo is no key to alpha.
    let (status, _) = client.call(Method::GET, "/t/alpha/api/v1/me", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    app.stop().await;
}

#[tokio::test]
async fn the_operator_suspends_and_reactivates_a_workshop_and_it_is_audited() {
    let db = TestDatabase::create().await;
    let mut vars = messaging_vars(
        &db,
        &MessagingOptions {
            smtp_port: 1,
            attempts: 1,
            retry_base_ms: 100,
            lease_secs: 2,
            sms_api: None,
        },
    );
    vars.retain(|(k, _)| *k != "SMTP_URL");
    vars.push((
        "PITLANE_OPERATOR_TOKEN",
        "operator-token-for-the-tests-0123".into(),
    ));
    let app = TestApp::spawn_with(Backend::Postgres(db), config_from(&vars)).await;
    let alpha = app.tenant("alpha").await;
    app.tenant("bravo").await;
    let owner = app.client();
    owner.sign_in(&alpha).await;
    let operator = app.client();
    let auth = ("operator", Some("operator-token-for-the-tests-0123"));
    let get = |path: &str| {
        operator
            .http
            .get(operator.url(path))
            .basic_auth(auth.0, auth.1)
            .send()
    };

    assert_eq!(
        operator.get("/operator/tenants").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let list: Value = get("/operator/api/tenants?q=alp")
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    let tenants = list["tenants"].as_array().expect("tenants");
    assert_eq!(tenants.len(), 1, "search by address: {list}");
    assert_eq!(tenants[0]["plan"], "trial");
    let page = get(&format!("/operator/tenants/{}", alpha.id))
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(
        page.contains("Active members") && page.contains("Suspend"),
        "{page}"
    );
    let token = pitlane_testkit::csrf_token(&page).expect("csrf");

    let post = |fields: Vec<(&'static str, String)>| {
        let mut form = vec![("csrf", token.clone())];
        form.extend(fields);
        operator
            .http
            .post(operator.url(&format!("/operator/tenants/{}/status", alpha.id)))
            .basic_auth(auth.0, auth.1)
            .form(&form)
            .send()
    };
    let no_reason = post(vec![("active", "false".into())]).await.expect("post");
    assert_eq!(no_reason.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let suspended = post(vec![
        ("active", "false".into()),
        ("reason", "unpaid invoices".into()),
    ])
    .await
    .expect("post");
    assert_eq!(suspended.status(), StatusCode::SEE_OTHER);

    // Suspended: pages and API answer 403 clearly; nothing is deleted.
    let (status, problem) = owner
        .call(Method::GET, "/t/alpha/api/v1/branches", None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        problem["type"]
            .as_str()
            .map(|t| t.ends_with("tenant-suspended")),
        Some(true),
        "{problem}"
    );
    let page = owner.get("/t/alpha/portal").await;
    assert_eq!(page.status(), StatusCode::FORBIDDEN);
    assert!(
        page.text()
            .await
            .expect("html")
            .contains("Nothing has been deleted")
    );

    let reactivated = post(vec![("active", "true".into())]).await.expect("post");
    assert_eq!(reactivated.status(), StatusCode::SEE_OTHER);
    let (status, _) = owner
        .call(Method::GET, "/t/alpha/api/v1/branches", None)
        .await;
    assert_eq!(status, StatusCode::OK, "everything is back");
    let (_, audit) = owner
        .call(Method::GET, "/t/alpha/api/v1/audit?action=operator.", None)
        .await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert!(
        actions.contains(&"operator.suspended")
            && actions.contains(&"operator.reactivated")
            && actions.contains(&"operator.viewed_usage"),
        "{actions:?}"
    );
    assert!(audit.to_string().contains("unpaid invoices"));
    app.stop().await;
}
