//! Integrations (issue 22), tried as an integrator would over HTTP: the API's one base URL,
//! where an API key names its workshop; the rate limits every key's answers announce; calendar
//! feeds read back by an independent iCalendar parser. Each in both deployment shapes.

use std::collections::HashMap;

use pitlane_domain::permissions::Role;
use pitlane_testkit::{Client, SHAPES, TestApp, checked, weekday_at_ten};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Makes an API key in the workshop at `base` with these permissions; returns its secret.
async fn make_key(owner: &Client, base: &str, name: &str, permissions: &[&str]) -> String {
    let (status, made) = owner
        .call(
            Method::POST,
            &format!("{base}/api/v1/api-keys"),
            Some(json!({"name": name, "permissions": permissions})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    made["secret"].as_str().expect("secret").to_owned()
}

/// `GET path` with `key` as the bearer, checked against the API document.
async fn with_key(app: &TestApp, key: Option<&str>, path: &str) -> pitlane_testkit::Answer {
    let client = app.client();
    let mut request = client.http.get(client.url(path));
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    checked("GET", path, request.send().await.expect("request")).await
}

fn names(list: &Value) -> Vec<String> {
    let mut names: Vec<String> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|b| b["name"].as_str().expect("name").to_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn an_api_key_alone_names_its_workshop_at_the_one_base_url() {
    for shape in SHAPES {
        let app = TestApp::spawn_shape(shape).await;
        let alpha = app.tenant("alpha").await;
        let bravo = app.tenant("bravo").await;
        let (a, b) = (app.client(), app.client());
        a.sign_in(&alpha).await;
        b.sign_in(&bravo).await;
        let a_key = make_key(&a, "/t/alpha", "Website", &["tenant.read"]).await;
        let b_key = make_key(&b, "/t/bravo", "Website", &["tenant.read"]).await;

        // The same list as at the workshop's own address, for each workshop's key.
        let (_, a_branches) = a.call(Method::GET, "/t/alpha/api/v1/branches", None).await;
        let (_, b_branches) = b.call(Method::GET, "/t/bravo/api/v1/branches", None).await;
        let by_a_key = with_key(&app, Some(&a_key), "/api/v1/branches").await;
        assert_eq!(
            by_a_key.status,
            StatusCode::OK,
            "{shape:?}: {}",
            by_a_key.body
        );
        assert_eq!(names(&by_a_key.body), names(&a_branches), "{shape:?}");
        let by_b_key = with_key(&app, Some(&b_key), "/api/v1/branches").await;
        assert_eq!(names(&by_b_key.body), names(&b_branches), "{shape:?}");
        assert_ne!(names(&a_branches), names(&b_branches));
        let me = with_key(&app, Some(&a_key), "/api/v1/me").await;
        assert_eq!(
            me.body["tenant_id"],
            alpha.id.0.to_string(),
            "{shape:?}: {}",
            me.body
        );

        // The workshop's own address and /t/{slug} keep working with the key.
        let at_slug = with_key(&app, Some(&a_key), "/t/alpha/api/v1/branches").await;
        assert_eq!(at_slug.status, StatusCode::OK);
        // A key is still no key to another workshop's address.
        let elsewhere = with_key(&app, Some(&a_key), "/t/bravo/api/v1/branches").await;
        assert_eq!(elsewhere.status, StatusCode::UNAUTHORIZED);

        // No key, a key of no workshop, a mistyped key: a problem document that says what
        // to send, never another workshop's answer.
        for key in [
            None,
            Some(format!(
                "pl_{}_{}",
                uuid::Uuid::now_v7().simple(),
                "x".repeat(43)
            )),
            Some(format!("{a_key}x")),
            Some("pl_nonsense".to_owned()),
        ] {
            let refused = with_key(&app, key.as_deref(), "/api/v1/branches").await;
            assert_eq!(
                refused.status,
                StatusCode::UNAUTHORIZED,
                "{shape:?} {key:?}: {}",
                refused.body
            );
            assert_eq!(
                refused.body["type"], "https://pitlane.dev/problems/api-key-needed",
                "{shape:?}: {}",
                refused.body
            );
            assert!(!refused.body.to_string().contains("bravo"));
        }

        // A revoked key stops at once at the base URL too.
        let (_, keys) = a.call(Method::GET, "/t/alpha/api/v1/api-keys", None).await;
        let id = keys["items"][0]["id"].as_str().expect("id").to_owned();
        let (status, _) = a
            .call(
                Method::DELETE,
                &format!("/t/alpha/api/v1/api-keys/{id}"),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let revoked = with_key(&app, Some(&a_key), "/api/v1/branches").await;
        assert_eq!(revoked.status, StatusCode::UNAUTHORIZED, "{shape:?}");
        app.stop().await;
    }
}

/// Waits until at least `needed` seconds are left of the current minute, so a test's requests
/// fall in one window of the limits.
async fn within_one_window(needed: u64) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let left = 60 - now % 60;
    if left < needed {
        tokio::time::sleep(std::time::Duration::from_secs(left + 1)).await;
    }
}

/// `"key";r=2;t=41, "tenant";r=4;t=41` → the remaining count of `policy`.
fn remaining(field: &str, policy: &str) -> i64 {
    field
        .split(',')
        .map(str::trim)
        .find(|item| item.starts_with(&format!("\"{policy}\"")))
        .and_then(|item| item.split(';').find_map(|p| p.strip_prefix("r=")))
        .and_then(|r| r.parse().ok())
        .unwrap_or_else(|| panic!("no {policy} in {field:?}"))
}

#[tokio::test]
async fn keys_are_limited_per_key_and_per_workshop_and_told_so() {
    for shape in SHAPES {
        let app = TestApp::spawn_shape_with(shape, |config| {
            config.api_rate = pitlane_app::config::ApiRate {
                per_key: 3,
                per_tenant: 5,
            };
        })
        .await;
        let alpha = app.tenant("alpha").await;
        let bravo = app.tenant("bravo").await;
        let (a, b) = (app.client(), app.client());
        a.sign_in(&alpha).await;
        b.sign_in(&bravo).await;
        let first = make_key(&a, "/t/alpha", "Ledger", &["tenant.read"]).await;
        let second = make_key(&a, "/t/alpha", "Website", &["tenant.read"]).await;
        let bravos = make_key(&b, "/t/bravo", "Ledger", &["tenant.read"]).await;
        within_one_window(20).await;

        // Three requests with the first key: each says what is left of both quotas.
        for left in [2, 1, 0] {
            let answer = with_key(&app, Some(&first), "/api/v1/branches").await;
            assert_eq!(answer.status, StatusCode::OK, "{shape:?}: {}", answer.body);
            let policy = answer.headers["ratelimit-policy"].to_str().expect("policy");
            assert_eq!(policy, "\"key\";q=3;w=60, \"tenant\";q=5;w=60");
            let field = answer.headers["ratelimit"].to_str().expect("ratelimit");
            assert_eq!(remaining(field, "key"), left, "{shape:?}: {field}");
            assert_eq!(remaining(field, "tenant"), left + 2, "{shape:?}: {field}");
        }
        // The fourth is refused, and says when to try again.
        let refused = with_key(&app, Some(&first), "/api/v1/branches").await;
        assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS, "{shape:?}");
        assert_eq!(
            refused.body["type"],
            "https://pitlane.dev/problems/rate-limited"
        );
        let retry: u64 = refused.headers["retry-after"]
            .to_str()
            .expect("retry-after")
            .parse()
            .expect("seconds");
        assert!((1..=60).contains(&retry), "{retry}");
        assert!(refused.headers.contains_key("ratelimit"));

        // The workshop's second key has its own quota, but the workshop's is shared (the
        // refused request counted too): one more request fits, then the workshop is out,
        // at whichever address the key is sent to.
        let answer = with_key(&app, Some(&second), "/t/alpha/api/v1/branches").await;
        assert_eq!(answer.status, StatusCode::OK, "{shape:?}");
        let field = answer.headers["ratelimit"].to_str().expect("ratelimit");
        assert_eq!(remaining(field, "key"), 2, "{shape:?}: {field}");
        assert_eq!(remaining(field, "tenant"), 0, "{shape:?}: {field}");
        let answer = with_key(&app, Some(&second), "/api/v1/branches").await;
        assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS, "{shape:?}");
        let field = answer.headers["ratelimit"].to_str().expect("ratelimit");
        assert_eq!(remaining(field, "key"), 1, "{shape:?}: {field}");

        // Another workshop's key is counted on its own; a signed-in browser is not counted.
        let other = with_key(&app, Some(&bravos), "/api/v1/branches").await;
        assert_eq!(other.status, StatusCode::OK, "{shape:?}");
        let field = other.headers["ratelimit"].to_str().expect("ratelimit");
        assert_eq!(remaining(field, "tenant"), 4, "{shape:?}: {field}");
        let browser = a
            .http
            .get(a.url("/t/alpha/api/v1/branches"))
            .send()
            .await
            .expect("session");
        assert_eq!(browser.status(), StatusCode::OK);
        assert!(!browser.headers().contains_key("ratelimit"));
        app.stop().await;
    }
}

/// A calendar feed, fetched as a calendar app does (no session) and read back by an
/// independent RFC 5545 parser: (status, the VEVENTs' properties by name).
async fn fetch_feed(app: &TestApp, url: &str) -> (StatusCode, Vec<HashMap<String, String>>) {
    let response = app.client().http.get(url).send().await.expect("feed");
    let status = response.status();
    if status != StatusCode::OK {
        return (status, Vec::new());
    }
    let kind = response.headers()["content-type"]
        .to_str()
        .expect("type")
        .to_owned();
    assert_eq!(kind, "text/calendar; charset=utf-8");
    let text = response.text().await.expect("body");
    assert!(
        text.split("\r\n").all(|line| line.len() <= 75),
        "lines are folded at 75 octets"
    );
    let unfolded = icalendar::parser::unfold(&text);
    let calendar = icalendar::parser::read_calendar(&unfolded).expect("RFC 5545");
    let prop = |props: &[icalendar::parser::Property<'_>], name: &str| {
        props
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.val.as_str().to_owned())
    };
    assert_eq!(
        prop(&calendar.properties, "VERSION").as_deref(),
        Some("2.0")
    );
    assert!(prop(&calendar.properties, "PRODID").is_some());
    let events = calendar
        .components
        .iter()
        .filter(|c| c.name == "VEVENT")
        .map(|event| {
            let props: HashMap<String, String> = event
                .properties
                .iter()
                .map(|p| (p.name.as_str().to_owned(), p.val.as_str().to_owned()))
                .collect();
            for required in ["UID", "DTSTAMP", "DTSTART", "DTEND", "SEQUENCE", "SUMMARY"] {
                assert!(props.contains_key(required), "{required} in {props:?}");
            }
            props
        })
        .collect();
    (status, events)
}

fn ics_time(at: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(at)
        .expect("time")
        .with_timezone(&chrono::Utc)
        .format("%Y%m%dT%H%M%SZ")
        .to_string()
}

#[tokio::test]
async fn calendar_feeds_follow_appointments_until_revoked() {
    for shape in SHAPES {
        let app = TestApp::spawn_shape(shape).await;
        let alpha = app.tenant("alpha").await;
        app.tenant("bravo").await;
        let (mechanic_email, mechanic_password) = app.member(&alpha, Role::Mechanic).await;
        let owner = app.client();
        owner.sign_in(&alpha).await;
        let mechanic = app.client();
        mechanic
            .sign_in_as(&alpha, &mechanic_email, &mechanic_password)
            .await;
        let base = "/t/alpha/api/v1";
        let branch = owner.first_branch(base).await;
        let service = owner.bookable_service(base, &branch).await;
        let (_, customer) = owner
            .call(
                Method::POST,
                &format!("{base}/customers"),
                Some(json!({"name": "Anna Feed", "email": "anna@example.com"})),
            )
            .await;
        let starts = weekday_at_ten(3);
        let (status, booked) = owner
            .call(
                Method::POST,
                &format!("{base}/appointments"),
                Some(json!({"branch_id": branch, "service_id": service["id"],
                            "customer_id": customer["id"], "starts_at": starts})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{shape:?}: {booked}");
        let appointment = booked["id"].as_str().expect("id").to_owned();

        // The front desk makes a branch's feed; the mechanic their own, but no branch's.
        let make = |client: &Client, body: Value| {
            let client = client.clone();
            async move {
                client
                    .call(Method::POST, &format!("{base}/calendar-feeds"), Some(body))
                    .await
            }
        };
        let (status, branch_feed) =
            make(&owner, json!({"kind": "branch", "subject_id": branch})).await;
        assert_eq!(status, StatusCode::CREATED, "{shape:?}: {branch_feed}");
        let (status, own_feed) = make(&mechanic, json!({"kind": "mechanic"})).await;
        assert_eq!(status, StatusCode::CREATED, "{shape:?}: {own_feed}");
        let (status, _) = make(&mechanic, json!({"kind": "branch", "subject_id": branch})).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, problem) = make(
            &owner,
            json!({"kind": "bay", "subject_id": uuid::Uuid::now_v7()}),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        let branch_url = branch_feed["url"].as_str().expect("url").to_owned();
        let own_url = own_feed["url"].as_str().expect("url").to_owned();
        assert!(branch_url.contains("/t/alpha/calendar/") && branch_url.ends_with(".ics"));

        // Both show the appointment, with the invitation's UID, its time in UTC, SEQUENCE 0.
        for url in [&branch_url, &own_url] {
            let (status, events) = fetch_feed(&app, url).await;
            assert_eq!(status, StatusCode::OK, "{shape:?}");
            assert_eq!(events.len(), 1, "{shape:?}: {events:?}");
            assert!(events[0]["UID"].starts_with(&format!("{appointment}@")));
            assert_eq!(events[0]["DTSTART"], ics_time(&starts.to_rfc3339()));
            assert_eq!(events[0]["SEQUENCE"], "0");
            assert!(events[0]["SUMMARY"].contains("Anna Feed"), "{events:?}");
        }

        // Moved: the same UID, a higher SEQUENCE, the new time.
        let moved = weekday_at_ten(4);
        let (status, _) = owner
            .call(
                Method::POST,
                &format!("{base}/appointments/{appointment}/move"),
                Some(json!({"starts_at": moved})),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let (_, events) = fetch_feed(&app, &own_url).await;
        assert_eq!(events[0]["DTSTART"], ics_time(&moved.to_rfc3339()));
        assert_eq!(events[0]["SEQUENCE"], "1");

        // Another workshop's address and a wrong secret find nothing.
        let elsewhere = branch_url.replace("/t/alpha/", "/t/bravo/");
        assert_eq!(fetch_feed(&app, &elsewhere).await.0, StatusCode::NOT_FOUND);
        let wrong = branch_url.replace(".ics", "x.ics");
        assert_eq!(fetch_feed(&app, &wrong).await.0, StatusCode::NOT_FOUND);

        // Each sees the feeds they may: the front desk all, the mechanic their own.
        let (_, all) = owner
            .call(Method::GET, &format!("{base}/calendar-feeds"), None)
            .await;
        assert_eq!(all["items"].as_array().expect("items").len(), 2, "{all}");
        assert!(
            all["items"]
                .as_array()
                .expect("items")
                .iter()
                .all(|f| f["last_fetched_at"].is_string()),
            "{all}"
        );
        let (_, mine) = mechanic
            .call(Method::GET, &format!("{base}/calendar-feeds"), None)
            .await;
        assert_eq!(mine["items"].as_array().expect("items").len(), 1, "{mine}");

        // Cancelled appointments leave the feed.
        let (status, _) = owner
            .call(
                Method::POST,
                &format!("{base}/appointments/{appointment}/status"),
                Some(json!({"status": "cancelled"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(fetch_feed(&app, &branch_url).await.1.is_empty());

        // Revoked: gone at once. A member who leaves takes their feeds along.
        let id = branch_feed["feed"]["id"].as_str().expect("id");
        let (status, revoked) = owner
            .call(Method::DELETE, &format!("{base}/calendar-feeds/{id}"), None)
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(revoked["revoked_at"].is_string());
        assert_eq!(fetch_feed(&app, &branch_url).await.0, StatusCode::NOT_FOUND);
        assert_eq!(fetch_feed(&app, &own_url).await.0, StatusCode::OK);
        let (_, me) = mechanic
            .call(Method::GET, &format!("{base}/me"), None)
            .await;
        let membership = me["membership_id"].as_str().expect("membership");
        let (status, _) = owner
            .call(
                Method::PATCH,
                &format!("{base}/staff/{membership}"),
                Some(json!({"active": false})),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            fetch_feed(&app, &own_url).await.0,
            StatusCode::NOT_FOUND,
            "{shape:?}"
        );
        app.stop().await;
    }
}

/// Runs a program of the TypeScript kit (`tests/typescript`), failing with its output.
fn run(program: &std::path::Path, args: &[&std::ffi::OsStr], dir: &std::path::Path) {
    let output = std::process::Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("{}: {e} (Node.js and npm are needed)", program.display()));
    assert!(
        output.status.success(),
        "{} {args:?}:\n{}\n{}",
        program.display(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// An integrator's typed client: TypeScript types generated from the live document
/// (`openapi-typescript`), and `tests/typescript/client.ts`, which uses them as a program
/// would, type-checked with `tsc --strict`. A field the API renames or drops fails here.
#[tokio::test]
async fn a_typescript_client_type_checks_against_the_live_document() {
    let app = TestApp::spawn().await;
    let document = app
        .client()
        .get("/api/openapi.json")
        .await
        .text()
        .await
        .expect("document");
    let kit = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("typescript");
    let bin = kit.join("node_modules").join(".bin");
    if !bin.join("tsc").exists() || !bin.join("openapi-typescript").exists() {
        run(
            std::path::Path::new("npm"),
            &["ci".as_ref(), "--no-audit".as_ref(), "--no-fund".as_ref()],
            &kit,
        );
    }
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("openapi.json"), document).expect("document");
    for file in ["client.ts", "tsconfig.json"] {
        std::fs::copy(kit.join(file), dir.path().join(file)).expect(file);
    }
    // Fields with a default may be left out of a request: not required in the types either.
    run(
        &bin.join("openapi-typescript"),
        &[
            "openapi.json".as_ref(),
            "-o".as_ref(),
            "schema.d.ts".as_ref(),
            "--default-non-nullable".as_ref(),
            "false".as_ref(),
        ],
        dir.path(),
    );
    run(
        &bin.join("tsc"),
        &["-p".as_ref(), "tsconfig.json".as_ref()],
        dir.path(),
    );
    app.stop().await;
}
