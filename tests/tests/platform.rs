//! The request path end to end: tenant resolution, probes, metrics, request ids, the API's
//! problem documents, validation, paging and permissions.

use pitlane_domain::permissions::Role;
use pitlane_store::sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter};
use pitlane_testkit::{Answer, Client, SHAPES, TestApp, checked};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A GET of the API, checked against the OpenAPI document.
async fn get(client: &Client, path: &str) -> Answer {
    checked("GET", path, client.get(path).await).await
}

fn problem(answer: Answer, status: StatusCode) -> Value {
    assert_eq!(answer.status, status);
    let content_type = answer.headers["content-type"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert_eq!(content_type, "application/problem+json");
    assert!(answer.headers.contains_key("x-request-id"));
    let body = answer.body;
    assert!(body.is_object(), "problem json: {body}");
    assert_eq!(body["status"], status.as_u16());
    assert!(
        body["type"]
            .as_str()
            .is_some_and(|t| t.starts_with("https://"))
    );
    assert!(body["title"].is_string());
    assert!(body["request_id"].is_string(), "{body}");
    body
}

#[tokio::test]
async fn probes_metrics_and_request_ids() {
    let app = TestApp::spawn().await;
    let client = app.client();
    let health = client.get("/healthz").await;
    assert_eq!(health.status(), StatusCode::OK);
    assert!(health.headers().contains_key("x-request-id"));

    let ready: Value = client.get("/readyz").await.json().await.expect("json");
    assert_eq!(
        ready,
        json!({"status": "ok", "database": "ok", "redis": "ok"})
    );

    // A caller's request id is kept; every response, even a 404, carries one.
    let echoed = client
        .http
        .get(client.url("/healthz"))
        .header("x-request-id", "trace-abc-123")
        .send()
        .await
        .expect("get");
    assert_eq!(echoed.headers()["x-request-id"], "trace-abc-123");
    let missing = client.get("/t/nobody-here/nowhere").await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert!(missing.headers().contains_key("x-request-id"));

    let docs = client.get("/api/docs").await;
    assert_eq!(docs.status(), StatusCode::OK);
    assert!(docs.text().await.expect("html").contains("swagger"));
    let spec: Value = client
        .get("/api/openapi.json")
        .await
        .json()
        .await
        .expect("spec");
    assert!(
        spec["components"]["securitySchemes"]["StaffSession"].is_object(),
        "{spec}"
    );

    assert_eq!(
        client.get("/metrics").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let metrics = client
        .http
        .get(client.url("/metrics"))
        .bearer_auth(pitlane_testkit::METRICS_TOKEN)
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("metrics");
    assert!(
        metrics.contains(
            "pitlane_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"}"
        ),
        "{metrics}"
    );
    assert!(
        metrics.contains("pitlane_http_request_duration_seconds_bucket"),
        "{metrics}"
    );
    app.stop().await;
}

#[tokio::test]
async fn tenants_resolve_by_path_host_and_custom_domain() {
    for shape in SHAPES {
        eprintln!("deployment shape: {shape:?}");
        let dns = pitlane_testkit::FakeDns::start().await;
        let app = TestApp::spawn_shape_with(shape, |c| c.dns_server = Some(dns.addr())).await;
        let alpha = app.tenant("alpha").await;
        let port = app.port();

        let by_path = app.client().get("/t/alpha/").await;
        assert_eq!(by_path.status(), StatusCode::OK);
        assert!(by_path.text().await.expect("html").contains("ALPHA Motors"));

        let by_host = Client::new(&format!("http://alpha.localhost:{port}"), port);
        let home = by_host.get("/").await;
        assert_eq!(home.status(), StatusCode::OK);
        assert!(home.text().await.expect("html").contains("ALPHA Motors"));
        // Signing in on the tenant's own host works the same way, with links without a prefix.
        let signed_in = by_host
            .submit(
                "/signin",
                "/signin",
                &[
                    ("email", &alpha.owner_email),
                    ("password", &alpha.owner_password),
                ],
            )
            .await;
        assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
        assert_eq!(signed_in.headers()["location"], "/portal");
        let me = get(&by_host, "/api/v1/me").await.body;
        assert_eq!(me["role"], "owner");

        let added = by_host
            .http
            .post(by_host.url("/api/v1/domains"))
            .json(&json!({"host": "shop.example.test"}))
            .send()
            .await
            .expect("post");
        let added = checked("POST", "/api/v1/domains", added).await;
        assert_eq!(added.status, StatusCode::CREATED);
        let domain = added.body;
        let custom = Client::new(&format!("http://shop.example.test:{port}"), port);
        assert_eq!(
            custom.get("/").await.status(),
            StatusCode::NOT_FOUND,
            "not before the workshop proves it owns the host"
        );
        dns.set_txt(
            domain["verification_record"]["name"]
                .as_str()
                .expect("name"),
            &[domain["verification_record"]["value"]
                .as_str()
                .expect("value")],
        );
        let verify = format!(
            "/api/v1/domains/{}/verify",
            domain["id"].as_str().expect("id")
        );
        let verified = by_host
            .http
            .post(by_host.url(&verify))
            .send()
            .await
            .expect("verify");
        let verified = checked("POST", &verify, verified).await;
        assert_eq!(verified.status, StatusCode::OK);
        let page = custom.get("/").await;
        assert_eq!(page.status(), StatusCode::OK);
        assert!(page.text().await.expect("html").contains("ALPHA Motors"));

        // Hosts of the platform itself cannot be claimed.
        let refused = by_host
            .http
            .post(by_host.url("/api/v1/domains"))
            .json(&json!({"host": "bravo.localhost"}))
            .send()
            .await
            .expect("post");
        let refused = checked("POST", "/api/v1/domains", refused).await;
        let body = problem(refused, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["errors"][0]["field"], "host");
        app.stop().await;
    }
}

#[tokio::test]
async fn unknown_and_suspended_tenants_get_clear_answers() {
    let app = TestApp::spawn().await;
    let bravo = app.tenant("bravo").await;
    let client = app.client();

    let unknown = client.get("/t/no-such-shop/").await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert!(
        unknown
            .text()
            .await
            .expect("html")
            .contains("No workshop here")
    );
    problem(
        get(&client, "/t/no-such-shop/api/v1/me").await,
        StatusCode::NOT_FOUND,
    );

    let admin = app.db().admin().await;
    admin
        .execute_unprepared(&format!(
            "update tenants set status = 'suspended' where id = '{}'",
            bravo.id
        ))
        .await
        .expect("suspend");
    let suspended = client.get("/t/bravo/").await;
    assert_eq!(suspended.status(), StatusCode::FORBIDDEN);
    assert!(suspended.text().await.expect("html").contains("suspended"));
    let body = problem(
        get(&client, "/t/bravo/api/v1/me").await,
        StatusCode::FORBIDDEN,
    );
    assert!(
        body["type"]
            .as_str()
            .expect("type")
            .ends_with("tenant-suspended")
    );
    app.stop().await;
}

#[tokio::test]
async fn the_api_answers_mistakes_with_problem_documents() {
    for shape in SHAPES {
        eprintln!("deployment shape: {shape:?}");
        let app = TestApp::spawn_shape(shape).await;
        let alpha = app.tenant("alpha").await;
        let anonymous = app.client();
        problem(
            get(&anonymous, "/t/alpha/api/v1/branches").await,
            StatusCode::UNAUTHORIZED,
        );

        let client = app.client();
        client.sign_in(&alpha).await;
        let branches = "/t/alpha/api/v1/branches";
        let url = client.url(branches);

        let invalid = client
        .http
        .post(&url)
        .json(&json!({"name": "  ", "time_zone": "Mars/Base", "country": "Germany", "phone": "call me",
                      "business_hours": {"mon": [["17:00", "08:00"]]}}))
        .send()
        .await
        .expect("post");
        let invalid = checked("POST", branches, invalid).await;
        let body = problem(invalid, StatusCode::UNPROCESSABLE_ENTITY);
        let fields: Vec<&str> = body["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .map(|e| e["field"].as_str().expect("field"))
            .collect();
        assert_eq!(
            fields,
            ["name", "country", "phone", "time_zone", "business_hours"]
        );

        let not_json = client
            .http
            .post(&url)
            .header("content-type", "application/json")
            .body("{nope")
            .send()
            .await
            .expect("post");
        let not_json = checked("POST", branches, not_json).await;
        problem(not_json, StatusCode::BAD_REQUEST);
        problem(
            get(&client, "/t/alpha/api/v1/branches/not-an-id").await,
            StatusCode::BAD_REQUEST,
        );
        problem(
            get(
                &client,
                &format!("/t/alpha/api/v1/branches/{}", uuid::Uuid::now_v7()),
            )
            .await,
            StatusCode::NOT_FOUND,
        );

        // Nothing was saved by the failed attempts.
        let list = get(&client, branches).await.body;
        assert_eq!(list["items"].as_array().expect("items").len(), 1);

        let first = json!({"name": "North", "time_zone": "Europe/Berlin"});
        let created = client
            .http
            .post(&url)
            .json(&first)
            .send()
            .await
            .expect("post");
        assert_eq!(
            checked("POST", branches, created).await.status,
            StatusCode::CREATED
        );
        let clash = client
            .http
            .post(&url)
            .json(&first)
            .send()
            .await
            .expect("post");
        let clash = checked("POST", branches, clash).await;
        let body = problem(clash, StatusCode::CONFLICT);
        assert_eq!(body["errors"][0]["field"], "name");
        app.stop().await;
    }
}

#[tokio::test]
async fn lists_are_paged_with_cursors() {
    for shape in SHAPES {
        eprintln!("deployment shape: {shape:?}");
        let app = TestApp::spawn_shape(shape).await;
        let alpha = app.tenant("alpha").await;
        let client = app.client();
        client.sign_in(&alpha).await;
        for name in ["B", "C", "D", "E"] {
            let created = client
                .http
                .post(client.url("/t/alpha/api/v1/branches"))
                .json(&json!({"name": name, "time_zone": "UTC"}))
                .send()
                .await
                .expect("post");
            let created = checked("POST", "/t/alpha/api/v1/branches", created).await;
            assert_eq!(created.status, StatusCode::CREATED);
        }
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                Some(c) => format!("/t/alpha/api/v1/branches?limit=2&cursor={c}"),
                None => "/t/alpha/api/v1/branches?limit=2".to_owned(),
            };
            let page = get(&client, &path).await.body;
            let items = page["items"].as_array().expect("items");
            assert!(items.len() <= 2);
            seen.extend(
                items
                    .iter()
                    .map(|i| i["name"].as_str().expect("name").to_owned()),
            );
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => break,
            }
        }
        assert_eq!(seen, ["ALPHA Motors Central", "B", "C", "D", "E"]);
        app.stop().await;
    }
}

/// Walks a list `limit=2` at a time to its end: the `key` of every item, in the list's order.
async fn walk(client: &Client, list: &str, key: &str) -> Vec<String> {
    let join = if list.contains('?') { '&' } else { '?' };
    let mut seen = Vec::new();
    let mut url = format!("{list}{join}limit=2");
    loop {
        let (status, page) = client.call(Method::GET, &url, None).await;
        assert_eq!(status, StatusCode::OK, "GET {url}: {page}");
        let items = page["items"].as_array().expect("items");
        assert!(items.len() <= 2, "GET {url}: {page}");
        seen.extend(
            items
                .iter()
                .map(|item| item[key].as_str().expect("key").to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(next) => url = format!("{list}{join}limit=2&cursor={next}"),
            None => break,
        }
    }
    seen
}

/// The `key` of every item of a list in one page.
async fn whole(client: &Client, list: &str, key: &str) -> Vec<String> {
    let join = if list.contains('?') { '&' } else { '?' };
    let (status, page) = client
        .call(Method::GET, &format!("{list}{join}limit=200"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "GET {list}: {page}");
    assert!(page["next_cursor"].is_null(), "all in one page: {page}");
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item[key].as_str().expect("key").to_owned())
        .collect()
}

#[tokio::test]
async fn long_lists_page_to_their_end_and_refuse_a_cursor_they_did_not_give() {
    for shape in SHAPES {
        eprintln!("deployment shape: {shape:?}");
        let app = TestApp::spawn_shape(shape).await;
        let alpha = app.tenant("alpha").await;
        let client = app.client();
        client.sign_in(&alpha).await;
        let base = "/t/alpha/api/v1";
        let ok = |(status, json): (StatusCode, Value)| {
            assert!(status.is_success(), "{status} {json}");
            json["id"].as_str().expect("id").to_owned()
        };
        let (_, branches) = client
            .call(Method::GET, &format!("{base}/branches"), None)
            .await;
        let branch = branches["items"][0]["id"].as_str().expect("branch");
        let customer = ok(client
            .call(
                Method::POST,
                &format!("{base}/customers"),
                Some(json!({"name": "Pat Pager", "email": "pat@example.com"})),
            )
            .await);
        let vehicle = ok(client
            .call(
                Method::POST,
                &format!("{base}/vehicles"),
                Some(
                    json!({"customer_id": customer, "plate": "PG 1", "make": "Skoda",
                            "model": "Fabia", "mileage": 10_000}),
                ),
            )
            .await);
        for name in ["North", "South", "East", "West"] {
            ok(client
                .call(
                    Method::POST,
                    &format!("{base}/branches"),
                    Some(json!({"name": name, "time_zone": "UTC"})),
                )
                .await);
        }
        let mut orders = Vec::new();
        let mut invoices = Vec::new();
        for n in 0..5 {
            orders.push(ok(client
                .call(
                    Method::POST,
                    &format!("{base}/repair-orders"),
                    Some(json!({"branch_id": branch, "customer_id": customer,
                                "vehicle_id": vehicle, "mileage_in": 10_000 + n,
                                "concern": format!("Noise number {n}")})),
                )
                .await));
            invoices.push(ok(client
                .call(
                    Method::POST,
                    &format!("{base}/invoices"),
                    Some(json!({"branch_id": branch, "customer_id": customer})),
                )
                .await));
        }
        // A change moves an order up the board, the most recently changed first.
        let (status, line) = client
            .call(
                Method::POST,
                &format!("{base}/repair-orders/{}/lines", orders[1]),
                Some(json!({"kind": "fee", "description": "Diagnosis", "unit_price": "20.00"})),
            )
            .await;
        assert!(status.is_success(), "{status} {line}");

        let board = walk(&client, &format!("{base}/repair-orders"), "id").await;
        assert_eq!(
            board,
            whole(&client, &format!("{base}/repair-orders"), "id").await
        );
        let expected = [1, 4, 3, 2, 0].map(|n| orders[n].clone());
        assert_eq!(board, expected, "each order once, the changed one first");

        let listed = walk(&client, &format!("{base}/invoices"), "id").await;
        let newest_first: Vec<String> = invoices.iter().rev().cloned().collect();
        assert_eq!(listed, newest_first, "each invoice once, newest first");
        let drafts = walk(&client, &format!("{base}/invoices?status=draft"), "id").await;
        assert_eq!(drafts, newest_first, "the filter holds on every page");

        let audit = walk(&client, &format!("{base}/audit"), "id").await;
        assert!(
            audit.len() >= 5,
            "a branch.created each, and more: {audit:?}"
        );
        assert_eq!(audit, whole(&client, &format!("{base}/audit"), "id").await);
        let mut unique = audit.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), audit.len(), "no entry twice");

        // A small list paged from the whole one, and the permission catalogue by its keys.
        let permissions = walk(&client, &format!("{base}/permissions"), "key").await;
        assert_eq!(
            permissions,
            whole(&client, &format!("{base}/permissions"), "key").await
        );

        // A cursor the list did not give out is a 422 naming `cursor`, in every kind of list.
        for list in [
            "/audit?cursor=garbage",
            "/invoices?cursor=garbage",
            "/repair-orders?cursor=garbage",
            "/repair-orders?cursor=1_2",
            &format!("/bays?cursor={}", uuid::Uuid::now_v7()),
            "/permissions?cursor=no.such",
        ] {
            let body = problem(
                get(&client, &format!("{base}{list}")).await,
                StatusCode::UNPROCESSABLE_ENTITY,
            );
            assert_eq!(body["errors"][0]["field"], "cursor", "{list}: {body}");
        }
        app.stop().await;
    }
}

#[tokio::test]
async fn roles_limit_what_members_may_do() {
    for shape in SHAPES {
        eprintln!("deployment shape: {shape:?}");
        let app = TestApp::spawn_shape(shape).await;
        let alpha = app.tenant("alpha").await;
        let (email, password) = app.member(&alpha, Role::Mechanic).await;
        let mechanic = app.client();
        mechanic.sign_in_as(&alpha, &email, &password).await;

        let me = get(&mechanic, "/t/alpha/api/v1/me").await.body;
        assert_eq!(me["role"], "mechanic");
        assert!(
            !me["permissions"]
                .as_array()
                .expect("permissions")
                .contains(&json!("settings.manage"))
        );
        assert_eq!(
            get(&mechanic, "/t/alpha/api/v1/branches").await.status,
            StatusCode::OK
        );

        let brand = json!({"name": "Mine now", "primary_color": "#000000", "accent_color": "#ffffff", "default_theme": "dark"});
        let refused = mechanic
            .http
            .put(mechanic.url("/t/alpha/api/v1/workshop/brand"))
            .json(&brand)
            .send()
            .await
            .expect("put");
        let refused = checked("PUT", "/t/alpha/api/v1/workshop/brand", refused).await;
        let body = problem(refused, StatusCode::FORBIDDEN);
        assert!(
            body["detail"]
                .as_str()
                .expect("detail")
                .contains("settings.manage")
        );
        let page = mechanic.get("/t/alpha/portal/settings").await;
        assert_eq!(page.status(), StatusCode::FORBIDDEN);
        assert!(page.text().await.expect("html").contains("Not allowed"));
        app.stop().await;
    }
}

#[tokio::test]
async fn the_openapi_document_matches_its_snapshot() {
    let spec: Value = serde_json::from_str(&pitlane_web_spec()).expect("spec json");
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi.snapshot.json");
    let pretty = serde_json::to_string_pretty(&spec).expect("pretty") + "\n";
    if std::env::var("UPDATE_SNAPSHOTS").is_ok() {
        std::fs::write(&path, &pretty).expect("write snapshot");
    }
    let stored = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        stored == pretty,
        "the OpenAPI document changed; if that was intended, run UPDATE_SNAPSHOTS=1 cargo test -p pitlane-tests --test platform and commit tests/openapi.snapshot.json"
    );
    // Every operation documents its errors as problem documents and declares its security.
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("item") {
            assert!(
                op["responses"]["404"]["content"]["application/problem+json"].is_object(),
                "{method} {path}"
            );
            assert!(
                op["security"].as_array().is_some_and(|s| !s.is_empty()),
                "{method} {path} declares its security"
            );
        }
    }
}

fn pitlane_web_spec() -> String {
    pitlane_testkit::openapi_spec()
}

/// The README's first start: the demo workshop comes with a front desk to try — services
/// bookable online with free times, customers, and appointments on the calendar.
#[tokio::test]
async fn the_first_embedded_start_has_a_demo_front_desk() {
    let dir = tempfile::tempdir().expect("dir");
    let mut config = pitlane_testkit::embedded_config(dir.path());
    config.demo = true;
    let app = TestApp::spawn_with(pitlane_testkit::Backend::Sqlite(dir), config).await;
    let client = app.client();
    let page = client.get("/t/demo/book").await.text().await.expect("page");
    for service in [
        "Oil and filter change",
        "Brake inspection",
        "Wheel alignment",
    ] {
        assert!(page.contains(service), "{service} is offered online");
    }
    // The first value offered for a field: a hidden input's, or a select's first option
    // (the demo has two branches to choose from).
    let value_of = |name: &str| -> String {
        let field = page.find(&format!("name=\"{name}\"")).expect(name);
        let start = field + page[field..].find("value=\"").expect("a value") + "value=\"".len();
        page[start..start + 36].to_owned()
    };
    let times = client
        .get(&format!(
            "/t/demo/book?branch_id={}&service_id={}",
            value_of("branch_id"),
            value_of("service_id")
        ))
        .await
        .text()
        .await
        .expect("page");
    assert!(
        times.contains("name=\"starts_at\""),
        "free times are offered"
    );
    let demo = app
        .state()
        .store
        .tenant_by_slug("demo")
        .await
        .expect("lookup")
        .expect("the demo workshop");
    let tx = app
        .state()
        .store
        .tx(&pitlane_store::TenantCtx::new(
            pitlane_domain::ids::TenantId(demo.id),
        ))
        .await
        .expect("tx");
    // The front desk's three, still to come, beside the year of history behind them.
    let upcoming = tx
        .count(
            tx.select::<pitlane_store::entity::appointment::Entity>()
                .filter(
                    pitlane_store::entity::appointment::Column::StartsAt.gt(chrono::Utc::now()),
                ),
        )
        .await
        .expect("count");
    tx.commit().await.expect("commit");
    assert_eq!(upcoming, 3, "the demo calendar has appointments to come");
    app.stop().await;
}

/// Waits for `check` to hold, for four seconds at most: less than even the five seconds a
/// workshop was kept for before the caches followed changes (now ten minutes), so a change
/// seen in time was heard, not waited out.
async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    for _ in 0..80 {
        if check().await {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("never: {what}");
}

/// Renames a workshop the way every change of its row is made (a tenant transaction),
/// telling no cache.
async fn rename(state: &pitlane_app::state::AppState, tenant: pitlane_domain::ids::TenantId) {
    use pitlane_store::{
        TenantCtx,
        entity::tenant,
        sea_orm::{ActiveValue::Set, IntoActiveModel},
    };
    let tx = state.store.tx(&TenantCtx::new(tenant)).await.expect("tx");
    let mut row = tx
        .get::<tenant::Entity>(tenant.0)
        .await
        .expect("the workshop")
        .into_active_model();
    row.name = Set("Renamed Motors".into());
    tx.update(row).await.expect("rename");
    tx.commit().await.expect("commit");
}

/// The workshop at `slug`, as the process's cache of resolved workshops gives it.
async fn resolved(
    state: &pitlane_app::state::AppState,
    slug: &str,
) -> std::sync::Arc<pitlane_store::entity::tenant::Model> {
    state
        .tenants
        .by_slug(&state.store, slug)
        .await
        .expect("resolve")
        .expect("the workshop")
}

/// Each process keeps the workshops it resolved for minutes, and forgets one as soon as any
/// process changes it: a change made through one instance is on the other's next page.
#[tokio::test]
async fn a_workshops_change_reaches_every_instances_cache() {
    use std::sync::Arc;
    let app = TestApp::spawn().await;
    let second = app.another_instance().await;
    let alpha = app.tenant("alpha").await;
    let states = [app.state(), &second.state];
    for state in states {
        eventually("the instance hears the bus", async || {
            state.tenants.following()
        })
        .await;
        let (first, again) = (
            resolved(state, "alpha").await,
            resolved(state, "alpha").await,
        );
        assert!(Arc::ptr_eq(&first, &again), "kept, not read again");
        assert_eq!(first.name, "ALPHA Motors");
    }
    rename(app.state(), alpha.id).await;
    for state in states {
        eventually("the change is seen", async || {
            resolved(state, "alpha").await.name == "Renamed Motors"
        })
        .await;
    }
    // The second instance's pages show it.
    let page = reqwest::get(format!(
        "http://127.0.0.1:{}/t/alpha/book",
        second.addr.port()
    ))
    .await
    .expect("the booking page");
    assert!(page.text().await.expect("html").contains("Renamed Motors"));
    second.stop().await;
    app.stop().await;

    // Embedded, the one process hears itself.
    let app = TestApp::spawn_embedded().await;
    let bravo = app.tenant("bravo").await;
    let state = app.state();
    eventually("the process hears itself", async || {
        state.tenants.following()
    })
    .await;
    assert_eq!(resolved(state, "bravo").await.name, "BRAVO Motors");
    rename(state, bravo.id).await;
    eventually("the change is seen", async || {
        resolved(state, "bravo").await.name == "Renamed Motors"
    })
    .await;
    app.stop().await;
}
