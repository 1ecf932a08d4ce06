//! The isolation suite, driven by the OpenAPI document: every tenant-scoped operation is
//! called with tenant A's credentials and tenant B's ids (A's session on A's site, A's session
//! on B's site, A's API key at the API's one base URL), and must answer 404 with nothing of
//! B in the body. It reads the operations from the live document, so a new endpoint is covered
//! without new test code; it only needs the test world to give B one of the new resource
//! (`TestApp::populated_tenant`), and fails saying so when it does not.

use std::collections::{BTreeMap, HashMap};

use pitlane_testkit::{Client, SHAPES, TenantFixture, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::Value;

enum Body {
    Json(Value),
    /// An upload (a photo): a small valid image.
    Bytes(&'static [u8]),
}

struct Operation {
    method: Method,
    path: String,
    body: Option<Body>,
}

fn operations(spec: &Value) -> Vec<Operation> {
    let mut ops = Vec::new();
    let paths = spec["paths"].as_object().expect("paths");
    for (path, item) in paths {
        if !path.starts_with("/api/v1/") {
            continue;
        }
        for (method, op) in item.as_object().expect("path item") {
            let Ok(method) = method.to_uppercase().parse::<Method>() else {
                continue;
            };
            // Tenant-scoped operations are the ones that need a member's credentials.
            let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
            if !secured {
                continue;
            }
            let body = op["requestBody"]["content"].as_object().map(|content| {
                if content.contains_key("application/octet-stream") {
                    return Body::Bytes(pitlane_testkit::TINY_JPEG);
                }
                let (_, media) = content
                    .iter()
                    .find(|(media_type, _)| media_type.starts_with("application/json"))
                    .unwrap_or_else(|| {
                        panic!(
                            "{method} {path}: the suite knows only JSON and binary request bodies"
                        )
                    });
                Body::Json(example_for(spec, &media["schema"], path, &method))
            });
            ops.push(Operation {
                method,
                path: path.clone(),
                body,
            });
        }
    }
    ops
}

fn example_for(spec: &Value, schema: &Value, path: &str, method: &Method) -> Value {
    let resolved = match schema["$ref"].as_str() {
        Some(reference) => {
            let name = reference.rsplit('/').next().expect("ref name");
            &spec["components"]["schemas"][name]
        }
        None => schema,
    };
    resolved
        .get("example")
        .cloned()
        .unwrap_or_else(|| panic!("{method} {path}: its request schema needs an example (#[oai(example)]) for the isolation suite"))
}

fn ids_in(json: &Value) -> Vec<String> {
    let items = json
        .get("items")
        .and_then(Value::as_array)
        .or_else(|| json.as_array());
    items
        .into_iter()
        .flatten()
        .filter_map(|item| item["id"].as_str().map(str::to_owned))
        .collect()
}

/// Everything that would betray tenant B: every id it holds, and every text naming it (the
/// test world puts B's slug into all of B's names, addresses and hosts).
fn markers_of(json: &Value, slug: &str, into: &mut Vec<String>) {
    match json {
        Value::String(s) if uuid::Uuid::parse_str(s).is_ok() || s.to_lowercase().contains(slug) => {
            into.push(s.clone())
        }
        Value::Array(items) => items.iter().for_each(|v| markers_of(v, slug, into)),
        Value::Object(map) => map.values().for_each(|v| markers_of(v, slug, into)),
        _ => {}
    }
}

struct World {
    /// Collection path (with parents filled in) → B's ids in it.
    harvested: HashMap<String, Vec<String>>,
    markers: Vec<String>,
}

/// Waits (up to 20 s) until none of the tenant's messages due now is still waiting to go.
async fn settle_messages(client: &Client, base: &str) {
    for _ in 0..200 {
        let list = fetch_json(client, &format!("{base}/api/v1/messages?limit=200")).await;
        let now = chrono::Utc::now();
        let busy = list["items"].as_array().is_some_and(|items| {
            items.iter().any(|m| {
                matches!(m["status"].as_str(), Some("pending" | "sending"))
                    && m["not_before"]
                        .as_str()
                        .and_then(|at| chrono::DateTime::parse_from_rfc3339(at).ok())
                        .is_some_and(|at| at <= now)
            })
        });
        if !busy {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

async fn fetch_json(client: &Client, url: &str) -> Value {
    let answer = pitlane_testkit::checked("GET", url, client.get(url).await).await;
    assert_eq!(answer.status, StatusCode::OK, "GET {url}");
    assert!(
        !answer.body.is_string(),
        "GET {url}: not JSON: {}",
        answer.body
    );
    answer.body
}

impl World {
    /// Fills each `{param}` left to right with an id of B's from the collection before it.
    /// Also says whether an id is a shared name rather than B's own (a catalogue entry such
    /// as a message template, `booking_confirmation.email`, which every tenant has its own
    /// version of): A reaching its own version by that name is no leak.
    async fn concrete_path(
        &mut self,
        bravo: &Client,
        base: &str,
        alpha: (&Client, &str),
        template: &str,
    ) -> (String, bool) {
        let mut shared = false;
        let mut built = String::new();
        for segment in template.split('/').filter(|s| !s.is_empty()) {
            if segment.starts_with('{') {
                if !self.harvested.contains_key(&built) {
                    let json = fetch_json(bravo, &format!("{base}{built}")).await;
                    self.harvested.insert(built.clone(), ids_in(&json));
                }
                let id = self.harvested[&built].first().cloned().unwrap_or_else(|| {
                    panic!("tenant B has nothing at {built}: give it one in TestApp::populated_tenant so {template} is tested")
                });
                // A nested collection under B's id is not found for A: nothing shared there.
                let a_response = alpha.0.get(&format!("{}{built}", alpha.1)).await;
                if a_response.status() == StatusCode::OK {
                    let a_json: Value = a_response.json().await.expect("JSON");
                    shared |= ids_in(&a_json).contains(&id);
                } else {
                    assert_eq!(
                        a_response.status(),
                        StatusCode::NOT_FOUND,
                        "GET {}{built}",
                        alpha.1
                    );
                }
                built.push('/');
                built.push_str(&id);
            } else {
                built.push('/');
                built.push_str(segment);
            }
        }
        (built, shared)
    }
}

async fn snapshot_of_b(
    bravo: &Client,
    b_base: &str,
    ops: &[Operation],
) -> BTreeMap<String, String> {
    let mut snapshot = BTreeMap::new();
    for op in ops
        .iter()
        .filter(|o| o.method == Method::GET && !o.path.contains('{'))
    {
        let json = fetch_json(bravo, &format!("{b_base}{}", op.path)).await;
        snapshot.insert(op.path.clone(), json.to_string());
    }
    snapshot
}

/// The portal's pages that take an id, read and posted with A's session and B's ids: each is
/// a plain "not found" with nothing of B on it, and changes nothing (checked by the caller).
async fn pages_with_b_ids(a: &Client, a_base: &str, world: &World) -> Vec<String> {
    let id = |collection: &str| -> String {
        world
            .harvested
            .get(&format!("/api/v1/{collection}"))
            .and_then(|ids| ids.first())
            .cloned()
            .unwrap_or_else(|| panic!("no id of B's {collection} harvested"))
    };
    let (customer, vehicle, appointment, conversation, service, closure) = (
        id("customers"),
        id("vehicles"),
        id("appointments"),
        id("conversations"),
        id("services"),
        id("closures"),
    );
    let (order, inspection, part, job, branch) = (
        id("repair-orders"),
        id("inspections"),
        id("parts"),
        id("jobs"),
        id("branches"),
    );
    let (purchase_order, count) = (id("purchase-orders"), id("stock-counts"));
    let invoice = id("invoices");
    let domain = id("domains");
    let roadside = id("roadside/requests");
    let feedback = id("feedback");
    let feed = id("calendar-feeds");
    let payment = world
        .harvested
        .get(&format!("/api/v1/invoices/{invoice}/payments"))
        .and_then(|ids| ids.first())
        .cloned()
        .unwrap_or_else(|| uuid::Uuid::nil().to_string());
    let page = a
        .get(&format!("{a_base}/portal/customers"))
        .await
        .text()
        .await
        .expect("page");
    let csrf = pitlane_testkit::csrf_token(&page).expect("a form token");
    let gets = [
        format!("/portal/customers/{customer}"),
        format!("/portal/customers/{customer}/export"),
        format!("/portal/vehicles/{vehicle}"),
        format!("/portal/appointments/{appointment}"),
        format!("/portal/appointments/new?customer_id={customer}"),
        format!("/portal/inbox/{conversation}"),
        format!("/portal/settings/front-desk/services/{service}"),
        format!("/portal/repair-orders/{order}"),
        format!("/portal/inspections/{inspection}"),
        format!("/portal/inventory/parts/{part}"),
        format!("/portal/inventory/purchase-orders/{purchase_order}"),
        format!("/portal/inventory/counts/{count}"),
        format!("/portal/invoices/{invoice}"),
        format!("/portal/invoices/{invoice}/pdf"),
        format!("/portal/invoices/{invoice}/payments/{payment}"),
        format!("/portal?branch_id={branch}"),
        format!("/portal/reports/sales?branch_id={branch}"),
        format!("/portal/reports/receivables/export?branch_id={branch}"),
        format!("/portal/reports/sales/pdf?branch_id={branch}"),
        format!("/portal/vehicles/{vehicle}/history"),
        format!("/portal/vehicles/{vehicle}/history/pdf"),
        format!("/portal/customers/{customer}/history"),
        format!("/portal/customers/{customer}/history/pdf"),
        format!("/portal/roadside/{roadside}"),
        format!("/portal/roadside/{roadside}/events"),
        format!("/portal/roadside/{roadside}/photos/{roadside}"),
        format!("/portal/roadside?branch_id={branch}"),
        format!("/portal/settings/roadside?branch_id={branch}"),
        format!("/portal/feedback/{feedback}"),
        format!("/portal/repair-orders/{order}/roadside-photos/{roadside}"),
    ];
    let goal_form = format!("branch_id={branch}&weekly_goal=1");
    let posts: Vec<(String, &str)> = vec![
        (format!("/portal/customers/{customer}/conversation"), ""),
        (format!("/portal/customers/{customer}"), "name=Mallory"),
        (
            format!("/portal/customers/{customer}/consent"),
            "marketing_consent=yes&source=x",
        ),
        (format!("/portal/customers/{customer}/notes"), "body=x"),
        (format!("/portal/settings/domains/{domain}/verify"), ""),
        (format!("/portal/settings/domains/{domain}/remove"), ""),
        (format!("/portal/customers/{customer}/vehicles"), "plate=X1"),
        (
            format!("/portal/customers/{customer}/merge"),
            "duplicate={customer}",
        ),
        (format!("/portal/customers/{customer}/erase"), "confirm=yes"),
        (format!("/portal/vehicles/{vehicle}"), "plate=X2"),
        (
            format!("/portal/vehicles/{vehicle}/mileage"),
            "mileage=999999",
        ),
        (
            format!("/portal/appointments/{appointment}/move"),
            "starts_at=2030-01-07T10:00",
        ),
        (
            format!("/portal/appointments/{appointment}/status"),
            "status=cancelled",
        ),
        (format!("/portal/inbox/{conversation}/reply"), "body=x"),
        (format!("/portal/inbox/{conversation}/assign"), "to="),
        (
            format!("/portal/settings/front-desk/services/{service}"),
            "name=x&duration_minutes=30",
        ),
        (
            format!("/portal/settings/front-desk/closures/{closure}/delete"),
            "",
        ),
        (format!("/portal/customers/{customer}/notes"), "body=second"),
        (
            format!("/portal/repair-orders/{order}/status"),
            "status=cancelled",
        ),
        (
            format!("/portal/repair-orders/{order}/lines"),
            "kind=fee&description=x&unit_price=1",
        ),
        (format!("/portal/repair-orders/{order}/send"), ""),
        (
            format!("/portal/repair-orders/{order}/comeback"),
            "comeback_of=",
        ),
        (
            format!("/portal/repair-orders/{order}/answer"),
            "method=phone",
        ),
        (format!("/portal/repair-orders/{order}/inspections"), ""),
        (
            format!("/portal/repair-orders/{order}/jobs/{job}/board"),
            "",
        ),
        (format!("/portal/inspections/{inspection}/complete"), ""),
        (format!("/portal/inspections/{inspection}/recommend"), ""),
        (
            format!("/portal/inventory/parts/{part}"),
            "sku=X1&name=Mallory&cost=1",
        ),
        (
            format!("/portal/inventory/parts/{part}/movements"),
            "kind=receive&quantity=1",
        ),
        (
            format!("/portal/inventory/parts/{part}/reorder"),
            "reorder_at=1",
        ),
        (format!("/portal/my-jobs/{job}/clock"), "action=start"),
        (
            format!("/portal/invoices/{invoice}/lines"),
            "kind=fee&description=x&unit_price=1",
        ),
        (format!("/portal/invoices/{invoice}/issue"), ""),
        (format!("/portal/invoices/{invoice}/void"), "reason=x"),
        (
            format!("/portal/invoices/{invoice}/payments"),
            "method=cash&amount=1",
        ),
        (
            format!("/portal/invoices/{invoice}/payments/{payment}/refund"),
            "amount=1&reason=x",
        ),
        (
            format!("/portal/invoices/{invoice}/credit-notes"),
            "reason=x&amount=1",
        ),
        (format!("/portal/repair-orders/{order}/invoice"), ""),
        (format!("/portal/job-board/{job}/apply"), ""),
        (
            format!("/portal/settings/workshop/branches/{branch}"),
            "labour_rate=1&labour_cost=1&tax_percent=1",
        ),
        (
            format!("/portal/inventory/purchase-orders/{purchase_order}/order"),
            "",
        ),
        (
            format!("/portal/inventory/purchase-orders/{purchase_order}/cancel"),
            "",
        ),
        (
            format!("/portal/inventory/purchase-orders/{purchase_order}/deliveries"),
            "",
        ),
        (format!("/portal/inventory/counts/{count}/counted"), ""),
        (format!("/portal/inventory/counts/{count}/complete"), ""),
        ("/portal/goal".to_owned(), goal_form.as_str()),
        (format!("/portal/roadside/{roadside}/accept"), ""),
        (
            format!("/portal/roadside/{roadside}/step"),
            "status=en_route",
        ),
        (
            format!("/portal/roadside/{roadside}/assign"),
            "mechanic_id={customer}",
        ),
        (format!("/portal/roadside/{roadside}/release"), "reason=x"),
        (format!("/portal/roadside/{roadside}/cancel"), "reason=x"),
        (format!("/portal/feedback/{feedback}/reply"), "body=x"),
        (format!("/portal/calendar/feeds/{feed}/revoke"), ""),
        (format!("/portal/feedback/{feedback}/hide"), "reason=x"),
        (format!("/portal/roadside/{roadside}/messages"), "body=x"),
        (
            format!("/portal/roadside/{roadside}/work"),
            "kind=fee&description=x&unit_price=1",
        ),
        (
            format!("/portal/roadside/{roadside}/work/{roadside}/remove"),
            "",
        ),
        (
            "/portal/settings/roadside".to_owned(),
            "branch_id={branch}&enabled=yes",
        ),
    ];
    let mut checked = Vec::new();
    let requests = gets
        .iter()
        .map(|path| (Method::GET, path.clone(), String::new()))
        .chain(posts.iter().map(|(path, form)| {
            let form = form
                .replace("{customer}", &customer)
                .replace("{branch}", &branch);
            (Method::POST, path.clone(), format!("csrf={csrf}&{form}"))
        }));
    for (method, path, form) in requests {
        let url = a.url(&format!("{a_base}{path}"));
        let mut request = a.http.request(method.clone(), &url);
        if method == Method::POST {
            request = request
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form);
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        let body = response.text().await.expect("body");
        let label = format!("page {method} {path}");
        assert_eq!(status, StatusCode::NOT_FOUND, "{label}: {body}");
        // The page echoes its own address (the theme switch returns to it); that is A's input.
        let body = body.replace(&path, "");
        for marker in &world.markers {
            assert!(
                !body.contains(marker.as_str()),
                "{label}: the page shows B's {marker:?}"
            );
        }
        checked.push(label);
    }
    checked
}

/// An API key of the workshop with every permission its signed-in member has.
async fn key_with_every_permission(member: &Client, base: &str) -> String {
    let me = fetch_json(member, &format!("{base}/api/v1/me")).await;
    let (status, made) = member
        .call(
            Method::POST,
            &format!("{base}/api/v1/api-keys"),
            Some(serde_json::json!({"name": "Everything", "permissions": me["permissions"]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    made["secret"].as_str().expect("secret").to_owned()
}

#[tokio::test]
async fn tenant_a_cannot_reach_tenant_b_through_any_operation() {
    for shape in SHAPES {
        eprintln!("deployment shape: {shape:?}");
        let app = TestApp::spawn_shape(shape).await;
        let alpha: TenantFixture = app.populated_tenant("alpha").await;
        let bravo: TenantFixture = app.populated_tenant("bravo").await;
        let a = app.client();
        a.sign_in(&alpha).await;
        let b = app.client();
        b.sign_in(&bravo).await;
        let (a_base, b_base) = (format!("/t/{}", alpha.slug), format!("/t/{}", bravo.slug));

        let spec: Value = app
            .client()
            .get("/api/openapi.json")
            .await
            .json()
            .await
            .expect("spec");
        let ops = operations(&spec);
        assert!(
            ops.len() >= 9,
            "expected the tenant-scoped operations in the document, found {}",
            ops.len()
        );

        // B's world as B sees it: every id and name it holds is a marker that must never leak.
        let mut world = World {
            harvested: HashMap::new(),
            markers: vec![
                bravo.id.to_string(),
                bravo.owner_email.clone(),
                bravo.name.clone(),
            ],
        };
        // Embedded, B's own messages go out in the background (the SaaS shape leaves them to
        // pitlane-worker, not running here): let those due now settle first, so the
        // comparison below sees only what A's calls could have changed.
        if shape == pitlane_testkit::Shape::Embedded {
            settle_messages(&b, &b_base).await;
        }
        let before = snapshot_of_b(&b, &b_base, &ops).await;
        for json in before.values() {
            markers_of(
                &serde_json::from_str(json).expect("json"),
                &bravo.slug,
                &mut world.markers,
            );
        }
        world.markers.sort();
        world.markers.dedup();
        assert!(
            world.markers.len() >= 5,
            "tenant B should hold several things to protect: {:?}",
            world.markers
        );

        // A's API key with every permission A's owner has, at the API's one base URL, where
        // the key alone names the workshop.
        let a_key = key_with_every_permission(&a, &a_base).await;
        let keyed = app.client();

        let mut checked = Vec::new();
        for op in &ops {
            let (path, shared_name) = world
                .concrete_path(&b, &b_base, (&a, &a_base), &op.path)
                .await;
            let has_ids = op.path.contains('{') && !shared_name;
            let no_base = String::new();
            for (who, client, base, key) in [
                ("A's session with B's ids", &a, &a_base, None),
                ("A's session on B's site", &a, &b_base, None),
                (
                    "A's key at the base URL with B's ids",
                    &keyed,
                    &no_base,
                    Some(&a_key),
                ),
            ] {
                let url = format!("{}{base}{path}", client.origin);
                let mut request = client.http.request(op.method.clone(), &url);
                if let Some(key) = key {
                    request = request.bearer_auth(key);
                }
                match &op.body {
                    Some(Body::Json(body)) => request = request.json(body),
                    Some(Body::Bytes(bytes)) => {
                        request = request
                            .header("content-type", "application/octet-stream")
                            .body(bytes.to_vec())
                    }
                    None => {}
                }
                let response = request.send().await.expect("request");
                let answer = pitlane_testkit::checked(
                    op.method.as_str(),
                    &format!("{base}{path}"),
                    response,
                )
                .await;
                let status = answer.status;
                let body = match answer.body {
                    Value::String(text) => text,
                    json => json.to_string(),
                };
                let label = format!("{} {} ({who})", op.method, op.path);
                assert!(!status.is_server_error(), "{label}: {status} {body}");
                for marker in &world.markers {
                    assert!(
                        !body.contains(marker.as_str()),
                        "{label}: the response contains B's {marker:?}: {body}"
                    );
                }
                if base == &b_base {
                    assert_eq!(
                        status,
                        StatusCode::UNAUTHORIZED,
                        "{label}: a session is no key to another tenant"
                    );
                } else if has_ids && key.is_some() {
                    // Some operations are not open to keys at all (making keys): refused
                    // before anything is looked up.
                    assert!(
                        [StatusCode::NOT_FOUND, StatusCode::FORBIDDEN].contains(&status),
                        "{label}: B's ids must look like missing ones, got {status}: {body}"
                    );
                } else if has_ids {
                    assert_eq!(
                        status,
                        StatusCode::NOT_FOUND,
                        "{label}: B's ids must look like missing ones"
                    );
                }
                checked.push(label);
            }
        }

        checked.extend(pages_with_b_ids(&a, &a_base, &world).await);

        // Nothing of B changed, whatever A tried.
        let after = snapshot_of_b(&b, &b_base, &ops).await;
        let changed: Vec<String> = before
            .iter()
            .filter(|(path, json)| after.get(*path) != Some(*json))
            .map(|(path, json)| format!("{path}:\n  before {json}\n  after  {:?}", after.get(path)))
            .collect();
        assert!(
            changed.is_empty(),
            "tenant B's data changed:\n{}",
            changed.join("\n")
        );
        eprintln!(
            "isolation suite checked {} calls over {} operations",
            checked.len(),
            ops.len()
        );
        app.stop().await;
    }
}
