//! Roadside help over HTTP, in both deployment shapes: a branch's settings and their checks;
//! the public quote; a guest driver asking with a code; the nearest mechanic taking it while
//! the driver follows the request live (steps and positions), arrival stamped with the
//! position, the end of the stream when it is done; twenty mechanics taking one request at
//! once; escalation to the wider ring and the dispatcher; who may follow a request's stream;
//! the customer's erasure cancelling their request; positions coarsened after 30 days; the
//! driver rating the help once, staff replying, an admin hiding abusive text.

use pitlane_domain::permissions::Role;
use pitlane_store::{
    TenantCtx,
    entity::{outbox, roadside_request, roadside_trail},
    sea_orm::{ActiveValue::Set, ColumnTrait, IntoActiveModel, QueryFilter, QueryOrder},
};
use pitlane_testkit::{Client, EventStream, SHAPES, TenantFixture, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Where the test branch is: central Amsterdam.
const BASE: (f64, f64) = (52.370_216, 4.895_168);

struct Shop {
    app: TestApp,
    tenant: TenantFixture,
    owner: Client,
    api: String,
    branch: String,
}

impl Shop {
    async fn open(app: TestApp, slug: &str) -> Self {
        let tenant = app.tenant(slug).await;
        let owner = app.client();
        owner.sign_in(&tenant).await;
        let api = format!("/t/{slug}/api/v1");
        let (status, branches) = owner
            .call(Method::GET, &format!("{api}/branches"), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{branches}");
        let branch = branches["items"][0]["id"]
            .as_str()
            .expect("a branch")
            .to_owned();
        let shop = Self {
            app,
            tenant,
            owner,
            api,
            branch,
        };
        shop.settings(json!({})).await;
        shop
    }

    async fn call(
        &self,
        client: &Client,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        client
            .call(method, &format!("{}{path}", self.api), body)
            .await
    }

    async fn ok(&self, client: &Client, method: Method, path: &str, body: Option<Value>) -> Value {
        let (status, json) = self.call(client, method.clone(), path, body).await;
        assert!(status.is_success(), "{method} {path}: {status} {json}");
        json
    }

    /// The branch drives out from BASE, 30 km, €50 plus €1 a km after 5; `change` overrides.
    async fn settings(&self, change: Value) -> Value {
        let mut body = json!({
            "enabled": true, "latitude": BASE.0, "longitude": BASE.1, "radius_m": 30000,
            "call_out_minor": 5000, "per_km_minor": 100, "included_km": 5, "speed_kmh": 60,
            "near_m": 15000, "wide_m": 40000, "widen_after_s": 180, "dispatcher_after_s": 480,
            "accept_target_s": 600, "arrive_target_s": 3600, "call_out_commission_bp": 2000,
        });
        for (k, v) in change.as_object().expect("an object") {
            body[k] = v.clone();
        }
        self.ok(
            &self.owner,
            Method::PUT,
            &format!("/branches/{}/roadside-settings", self.branch),
            Some(body),
        )
        .await
    }

    /// A member of staff in `role`, signed in; their client and membership id.
    async fn member(&self, role: Role, email_name: &str, name: &str) -> (Client, String) {
        let email = format!("{email_name}@{}.example.com", self.tenant.slug);
        let password = "roadside-password-123";
        let store = &self.app.state().store;
        let tx = store.tx(&TenantCtx::new(self.tenant.id)).await.expect("tx");
        let (_, member) = pitlane_identity::add_member(
            &tx,
            pitlane_identity::NewMember {
                email: pitlane_domain::text::Email::parse(&email).expect("email"),
                name: pitlane_domain::text::DisplayName::parse(name, 120).expect("name"),
                password: pitlane_domain::text::NewPassword::parse(password).expect("password"),
                role,
            },
        )
        .await
        .expect("a member");
        tx.commit().await.expect("commit");
        let client = self.app.client();
        client.sign_in_as(&self.tenant, &email, password).await;
        (client, member.id.to_string())
    }

    /// A mechanic who drives out, signed in, on duty at `at`; their membership id.
    async fn mechanic(&self, n: usize, at: (f64, f64)) -> (Client, String) {
        let (client, id) = self
            .member(
                Role::Mechanic,
                &format!("driver{n}"),
                &format!("Mechanic {n}"),
            )
            .await;
        self.ok(
            &self.owner,
            Method::PUT,
            &format!("/mechanics/{id}/roadside"),
            Some(json!({"takes_roadside": true})),
        )
        .await;
        let duty = self
            .ok(
                &client,
                Method::PUT,
                "/roadside/duty",
                Some(json!({"on_duty": true})),
            )
            .await;
        assert!(duty["on_duty_since"].is_string(), "{duty}");
        self.position(&client, at).await;
        (client, id)
    }

    async fn position(&self, client: &Client, at: (f64, f64)) -> Value {
        self.ok(
            client,
            Method::POST,
            "/roadside/positions",
            Some(json!({"latitude": at.0, "longitude": at.1})),
        )
        .await
    }

    /// A customer of the workshop, and a request the owner takes for them by phone.
    async fn phoned_in(&self, at: (f64, f64)) -> Value {
        let customer = self
            .ok(
                &self.owner,
                Method::POST,
                "/customers",
                Some(json!({"name": "Dana Driver", "email": "dana@example.com"})),
            )
            .await;
        let made = self
            .ok(
                &self.owner,
                Method::POST,
                "/roadside/requests",
                Some(json!({
                    "customer_id": customer["id"], "branch_id": self.branch,
                    "latitude": at.0, "longitude": at.1, "plate": "RS 42",
                    "trouble": "flat_tyre", "note": "Rear left",
                })),
            )
            .await;
        made["request"].clone()
    }

    /// The request's mechanic takes it through these steps, one after the other.
    async fn steps(&self, client: &Client, request: &str, steps: &[&str]) {
        for step in steps {
            self.ok(
                client,
                Method::POST,
                &format!("/roadside/requests/{request}/status"),
                Some(json!({"status": step})),
            )
            .await;
        }
    }

    async fn outbox_of(&self, kind: &str) -> Vec<outbox::Model> {
        let store = &self.app.state().store;
        let tx = store.tx(&TenantCtx::new(self.tenant.id)).await.expect("tx");
        let rows = tx
            .all(
                tx.select::<outbox::Entity>()
                    .filter(outbox::Column::Kind.eq(kind))
                    .order_by_asc(outbox::Column::Id),
            )
            .await
            .expect("outbox");
        tx.commit().await.expect("commit");
        rows
    }
}

/// A report's headline figure for this period, by its key.
fn headline_of(report: &Value, key: &str) -> Value {
    report["headlines"]
        .as_array()
        .and_then(|h| h.iter().find(|h| h["key"] == key))
        .map(|h| h["current"].clone())
        .unwrap_or(Value::Null)
}

fn fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|e| {
            e.iter()
                .map(|f| f["field"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Degrees north of BASE for a distance in metres (for positions along a route).
fn north_of_base(metres: f64) -> (f64, f64) {
    (BASE.0 + metres / 111_195.0, BASE.1)
}

#[tokio::test]
async fn settings_are_checked_and_the_quote_says_area_price_and_time() {
    for shape in SHAPES {
        let shop = Shop::open(TestApp::spawn_shape(shape).await, "alpha").await;
        // Mistakes answer with every field at once, and change nothing.
        let (status, problem) = shop
            .call(
                &shop.owner,
                Method::PUT,
                &format!("/branches/{}/roadside-settings", shop.branch),
                Some(json!({
                    "enabled": true, "latitude": 95.0, "longitude": 4.9, "radius_m": 0,
                    "call_out_minor": -1, "per_km_minor": 0, "included_km": 0, "speed_kmh": 50,
                    "near_m": 20000, "wide_m": 10000, "widen_after_s": 300, "dispatcher_after_s": 60,
                    "accept_target_s": 600, "arrive_target_s": 3600, "call_out_commission_bp": 0,
                })),
            )
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{shape:?}: {problem}"
        );
        assert_eq!(
            fields(&problem),
            ["latitude"],
            "{shape:?}: the position first: {problem}"
        );
        let (status, problem) = shop
            .call(
                &shop.owner,
                Method::PUT,
                &format!("/branches/{}/roadside-settings", shop.branch),
                Some(json!({
                    "enabled": true, "latitude": 52.0, "longitude": 4.9, "radius_m": 0,
                    "call_out_minor": -1, "per_km_minor": 0, "included_km": 0, "speed_kmh": 50,
                    "near_m": 20000, "wide_m": 10000, "widen_after_s": 300, "dispatcher_after_s": 60,
                    "accept_target_s": 600, "arrive_target_s": 3600, "call_out_commission_bp": 0,
                })),
            )
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{shape:?}: {problem}"
        );
        let mut named = fields(&problem);
        named.sort();
        assert_eq!(
            named,
            ["call_out_minor", "dispatcher_after_s", "radius_m", "wide_m"],
            "{shape:?}: {problem}"
        );
        let kept = shop
            .ok(
                &shop.owner,
                Method::GET,
                &format!("/branches/{}/roadside-settings", shop.branch),
                None,
            )
            .await;
        assert_eq!(kept["radius_m"], 30000, "{shape:?}: nothing changed");
        // A mechanic only drives out when the workshop lets them.
        let (email, password) = shop.app.member(&shop.tenant, Role::Mechanic).await;
        let stranger = shop.app.client();
        stranger.sign_in_as(&shop.tenant, &email, &password).await;
        let (status, problem) = shop
            .call(
                &stranger,
                Method::PUT,
                "/roadside/duty",
                Some(json!({"on_duty": true})),
            )
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{shape:?}: {problem}"
        );
        // The quote, for anyone: 11.5 km north is inside; 5 km included, then 7 started
        // kilometres at €1.
        let (_mechanic, _) = shop.mechanic(1, north_of_base(2_000.0)).await;
        let visitor = shop.app.client();
        let (lat, lon) = north_of_base(11_500.0);
        let quote_of = |lat: f64, lon: f64| {
            format!(
                "/t/{}/roadside/quote?branch_id={}&latitude={lat}&longitude={lon}",
                shop.tenant.slug, shop.branch
            )
        };
        let response = visitor.get(&quote_of(lat, lon)).await;
        assert_eq!(response.status(), StatusCode::OK, "{shape:?}");
        let quote: Value = response.json().await.expect("json");
        assert_eq!(quote["in_area"], true, "{shape:?}: {quote}");
        assert_eq!(quote["price_minor"], 5000 + 7 * 100, "{shape:?}: {quote}");
        assert_eq!(quote["mechanics_on_duty"], 1, "{shape:?}: {quote}");
        // From the on-duty mechanic 9.5 km away: 12.35 km of road at 60 km/h.
        assert_eq!(quote["eta_minutes"], 13, "{shape:?}: {quote}");
        let (lat, lon) = north_of_base(45_000.0);
        let far: Value = visitor
            .get(&quote_of(lat, lon))
            .await
            .json()
            .await
            .expect("json");
        assert_eq!(far["in_area"], false, "{shape:?}: {far}");
        shop.app.stop().await;
    }
}

#[tokio::test]
async fn a_guest_asks_the_nearest_mechanic_comes_and_the_driver_watches_live() {
    for shape in SHAPES {
        let shop = Shop::open(TestApp::spawn_shape(shape).await, "alpha").await;
        let (near, near_id) = shop.mechanic(1, north_of_base(3_000.0)).await;
        let (far, _) = shop.mechanic(2, north_of_base(25_000.0)).await;
        let driver_at = north_of_base(8_000.0);
        let guest = shop.app.client();
        let slug = &shop.tenant.slug;
        // A mistake first: the form comes back with its messages and what was typed.
        let response = guest
            .submit(
                &format!("/t/{slug}/roadside"),
                &format!("/t/{slug}/roadside"),
                &[
                    ("branch_id", &shop.branch),
                    ("latitude", &driver_at.0.to_string()),
                    ("longitude", &driver_at.1.to_string()),
                    ("name", "Gus Guest"),
                    ("email", "gus@example.com"),
                    ("code_by", "email"),
                    ("note", "Smoke from the bonnet"),
                ],
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{shape:?}"
        );
        let page = response.text().await.expect("page");
        assert!(page.contains("choose what happened"), "{shape:?}");
        assert!(
            page.contains("Smoke from the bonnet"),
            "{shape:?}: the form is kept"
        );
        // Photos go with the request, checked by their bytes: a file that is no image is
        // refused with the form kept.
        let (latitude, longitude) = (driver_at.0.to_string(), driver_at.1.to_string());
        let fields = [
            ("branch_id", shop.branch.as_str()),
            ("latitude", latitude.as_str()),
            ("longitude", longitude.as_str()),
            ("trouble", "battery"),
            ("plate", "GG 1"),
            ("name", "Gus Guest"),
            ("email", "gus@example.com"),
            ("code_by", "email"),
        ];
        let ask_page = format!("/t/{slug}/roadside");
        let response = post_multipart(
            &guest,
            &ask_page,
            &fields,
            &[("photos", b"not a picture at all".as_slice())],
        )
        .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{shape:?}"
        );
        let page = response.text().await.expect("page");
        assert!(page.contains("f-photos-error"), "{shape:?}");
        assert!(page.contains("GG 1"), "{shape:?}: the form is kept");
        let response = post_multipart(
            &guest,
            &ask_page,
            &fields,
            &[("photos", pitlane_testkit::TINY_JPEG)],
        )
        .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{shape:?}");
        let code_page = response.headers()["location"]
            .to_str()
            .expect("location")
            .to_owned();
        let id = code_page.split_once("id=").expect("id").1.to_owned();
        let codes = shop.outbox_of("roadside_code").await;
        let code = codes[0].data["vars"]["code"]
            .as_str()
            .expect("the code")
            .to_owned();
        let response = guest
            .submit(
                &code_page,
                &format!("/t/{slug}/roadside/code"),
                &[("id", &id), ("code", &code)],
            )
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{shape:?}");
        let link = response.headers()["location"]
            .to_str()
            .expect("the driver's link")
            .to_owned();
        let track = pitlane_testkit::tenant_path(&link);
        assert!(
            track.contains("/roadside/track?token="),
            "{shape:?}: {track}"
        );
        let token = track.split_once("token=").expect("token").1.to_owned();
        let page = guest.get(&track).await.text().await.expect("page");
        assert!(page.contains("Waiting for a mechanic"), "{shape:?}");
        let mut stream = EventStream::open(
            &guest,
            &format!("/t/{slug}/roadside/track/events?token={token}"),
            None,
        )
        .await;
        // Only the near mechanic is offered it; the far one is outside the first ring.
        let offers = shop.ok(&near, Method::GET, "/roadside/offers", None).await;
        let request = offers["items"][0]["request"].clone();
        assert_eq!(request["status"], "requested", "{shape:?}: {offers}");
        let distance = offers["items"][0]["distance_m"].as_i64().expect("distance");
        assert!((4_990..=5_010).contains(&distance), "{shape:?}: {offers}");
        let far_offers = shop.ok(&far, Method::GET, "/roadside/offers", None).await;
        assert_eq!(far_offers["items"], json!([]), "{shape:?}: {far_offers}");
        let rid = request["id"].as_str().expect("id").to_owned();
        let taken = shop
            .ok(
                &near,
                Method::POST,
                &format!("/roadside/requests/{rid}/accept"),
                None,
            )
            .await;
        assert_eq!(taken["mechanic_id"], near_id.as_str(), "{shape:?}");
        stream.read_until(|e| e.kind == "roadside.accepted").await;
        // The photo sent with the request opens its chat, from the driver.
        let chat = shop
            .ok(
                &near,
                Method::GET,
                &format!("/roadside/requests/{rid}/messages"),
                None,
            )
            .await;
        let first = &chat["items"][0];
        assert_eq!(first["side"], "driver", "{shape:?}: {chat}");
        assert_eq!(first["photo"], true, "{shape:?}: {chat}");
        let photo = near
            .get(&format!(
                "/t/{slug}/api/v1/roadside/requests/{rid}/photos/{}",
                first["id"].as_str().expect("id")
            ))
            .await;
        assert_eq!(photo.status(), StatusCode::OK, "{shape:?}");
        assert_eq!(
            photo.bytes().await.expect("bytes").as_ref(),
            pitlane_testkit::TINY_JPEG,
            "{shape:?}"
        );
        // The driver hears of it by e-mail too, with their link.
        let told = shop.outbox_of("roadside_update").await;
        assert_eq!(told.len(), 1, "{shape:?}");
        assert!(
            told[0].data["vars"]["link"]
                .as_str()
                .is_some_and(|l| l.contains("/roadside/track?token=")),
            "{shape:?}"
        );
        shop.ok(
            &near,
            Method::POST,
            &format!("/roadside/requests/{rid}/status"),
            Some(json!({"status": "en_route"})),
        )
        .await;
        // The mechanic drives south towards the driver: the driver sees each position.
        let mut distances = Vec::new();
        for metres in [4_000.0, 5_500.0, 7_000.0, 7_950.0] {
            let sent = shop.position(&near, north_of_base(metres)).await;
            assert_eq!(sent["sharing_with"], rid.as_str(), "{shape:?}");
            let events = stream.read_until(|e| e.kind == "roadside.position").await;
            let moved = &events.last().expect("a position").data;
            assert!(moved["eta_minutes"].is_i64(), "{shape:?}: {moved}");
            distances.push(moved["distance_m"].as_i64().expect("distance"));
        }
        assert!(
            distances.windows(2).all(|w| w[1] < w[0]),
            "{shape:?}: the mechanic comes closer: {distances:?}"
        );
        // Arriving without a position stamps the last one sent.
        let arrived = shop
            .ok(
                &near,
                Method::POST,
                &format!("/roadside/requests/{rid}/status"),
                Some(json!({"status": "on_site"})),
            )
            .await;
        let stamped = arrived["arrival_latitude"].as_f64().expect("stamped");
        assert!(
            (stamped - north_of_base(7_950.0).0).abs() < 1e-6,
            "{shape:?}: {arrived}"
        );
        // Positions after arrival are no longer the driver's business.
        let after = shop.position(&near, north_of_base(7_960.0)).await;
        assert_eq!(after["sharing_with"], Value::Null, "{shape:?}: {after}");
        for step in ["working", "done"] {
            shop.ok(
                &near,
                Method::POST,
                &format!("/roadside/requests/{rid}/status"),
                Some(json!({"status": step, "note": "New battery fitted"})),
            )
            .await;
        }
        let events = stream.read_until(|e| e.kind == "roadside.closed").await;
        assert!(
            events.iter().any(|e| e.kind == "roadside.done"),
            "{shape:?}: {events:?}"
        );
        // The stream has ended, and a closed request's stream is not opened again (204 tells
        // a browser not to reconnect).
        let again = guest
            .get(&format!("/t/{slug}/roadside/track/events?token={token}"))
            .await;
        assert_eq!(again.status(), StatusCode::NO_CONTENT, "{shape:?}");
        let page = guest.get(&track).await.text().await.expect("page");
        assert!(page.contains("Fixed on the spot"), "{shape:?}");
        let detail = shop
            .ok(
                &shop.owner,
                Method::GET,
                &format!("/roadside/requests/{rid}"),
                None,
            )
            .await;
        let kinds: Vec<&str> = detail["timeline"]
            .as_array()
            .expect("timeline")
            .iter()
            .filter_map(|s| s["kind"].as_str())
            .collect();
        assert_eq!(
            kinds,
            [
                "requested",
                "accepted",
                "en_route",
                "on_site",
                "working",
                "done"
            ],
            "{shape:?}"
        );
        // A trail was sampled, not every position written.
        let store = &shop.app.state().store;
        let tx = store.tx(&TenantCtx::new(shop.tenant.id)).await.expect("tx");
        let trail = tx
            .count(tx.select::<roadside_trail::Entity>())
            .await
            .expect("trail");
        tx.commit().await.expect("commit");
        assert!((1..=5).contains(&trail), "{shape:?}: {trail} trail points");
        shop.app.stop().await;
    }
}

#[tokio::test]
async fn of_twenty_mechanics_taking_one_request_at_once_exactly_one_wins() {
    let shop = Shop::open(TestApp::spawn().await, "alpha").await;
    let mut mechanics = Vec::new();
    for n in 0..20 {
        mechanics.push(
            shop.mechanic(n, north_of_base(1_000.0 + n as f64 * 100.0))
                .await,
        );
    }
    let request = shop.phoned_in(north_of_base(2_000.0)).await;
    let rid = request["id"].as_str().expect("id").to_owned();
    let path = format!("{}/roadside/requests/{rid}/accept", shop.api);
    let answers = futures_util::future::join_all(
        mechanics
            .iter()
            .map(|(client, _)| client.call(Method::POST, &path, None)),
    )
    .await;
    let won: Vec<usize> = answers
        .iter()
        .enumerate()
        .filter(|(_, (status, _))| *status == StatusCode::OK)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(won.len(), 1, "exactly one wins: {answers:?}");
    assert!(
        answers
            .iter()
            .filter(|(status, _)| *status != StatusCode::OK)
            .all(|(status, problem)| *status == StatusCode::CONFLICT
                && problem["errors"][0]["message"] == "another mechanic took this request first"),
        "the others are told: {answers:?}"
    );
    let detail = shop
        .ok(
            &shop.owner,
            Method::GET,
            &format!("/roadside/requests/{rid}"),
            None,
        )
        .await;
    assert_eq!(
        detail["request"]["mechanic_id"],
        mechanics[won[0]].1.as_str()
    );
    let accepted = detail["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter(|s| s["kind"] == "accepted")
        .count();
    assert_eq!(accepted, 1);
    // The winner is on it: they cannot take another, nor can a dispatcher give them one.
    let second = shop.phoned_in(north_of_base(3_000.0)).await;
    let second = second["id"].as_str().expect("id").to_owned();
    let (winner, winner_id) = &mechanics[won[0]];
    let (status, problem) = shop
        .call(
            winner,
            Method::POST,
            &format!("/roadside/requests/{second}/accept"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let (status, problem) = shop
        .call(
            &shop.owner,
            Method::PUT,
            &format!("/roadside/requests/{second}/mechanic"),
            Some(json!({"mechanic_id": winner_id})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(fields(&problem), ["mechanic_id"], "{problem}");
    shop.app.stop().await;
}

#[tokio::test]
async fn a_request_nobody_takes_is_offered_wider_then_to_the_dispatcher() {
    for shape in SHAPES {
        let shop = Shop::open(TestApp::spawn_shape(shape).await, "alpha").await;
        shop.settings(json!({"widen_after_s": 1, "dispatcher_after_s": 2}))
            .await;
        // 20 km away: outside the 15 km ring, inside the 40 km one.
        let (wide, _) = shop.mechanic(1, north_of_base(-12_000.0)).await;
        let board = EventStream::open(
            &shop.owner,
            &format!("/t/{}/events?topics=dispatch", shop.tenant.slug),
            None,
        )
        .await;
        let mut board = board;
        let request = shop.phoned_in(north_of_base(8_000.0)).await;
        let rid = request["id"].as_str().expect("id").to_owned();
        let offers = shop.ok(&wide, Method::GET, "/roadside/offers", None).await;
        assert_eq!(offers["items"], json!([]), "{shape:?}: not offered yet");
        board
            .read_until(|e| e.kind == "roadside.widened" && e.data["ring"] == "wide")
            .await;
        let offers = shop.ok(&wide, Method::GET, "/roadside/offers", None).await;
        assert_eq!(
            offers["items"][0]["request"]["id"],
            rid.as_str(),
            "{shape:?}"
        );
        board
            .read_until(|e| e.kind == "roadside.widened" && e.data["ring"] == "dispatcher")
            .await;
        let detail = shop
            .ok(
                &shop.owner,
                Method::GET,
                &format!("/roadside/requests/{rid}"),
                None,
            )
            .await;
        let kinds: Vec<&str> = detail["timeline"]
            .as_array()
            .expect("timeline")
            .iter()
            .filter_map(|s| s["kind"].as_str())
            .collect();
        assert_eq!(kinds, ["requested", "widened", "escalated"], "{shape:?}");
        let board = shop
            .ok(&shop.owner, Method::GET, "/roadside/dispatch", None)
            .await;
        assert_eq!(
            board["open"][0]["request"]["ring"], "dispatcher",
            "{shape:?}"
        );
        // The dispatcher is told (the owner has roadside.dispatch).
        let notes = shop
            .ok(&shop.owner, Method::GET, "/notifications", None)
            .await;
        assert!(
            notes["items"]
                .as_array()
                .expect("notifications")
                .iter()
                .any(|n| n["title"]
                    .as_str()
                    .is_some_and(|t| t.contains("still needs a mechanic"))),
            "{shape:?}: {notes}"
        );
        shop.app.stop().await;
    }
}

#[tokio::test]
async fn only_those_who_may_follow_a_request_hear_it() {
    for shape in SHAPES {
        let app = TestApp::spawn_shape(shape).await;
        let alpha = Shop::open(app, "alpha").await;
        let bravo_tenant = alpha.app.tenant("bravo").await;
        let (mechanic, _) = alpha.mechanic(1, north_of_base(1_000.0)).await;
        let (other, _) = alpha.mechanic(2, north_of_base(1_500.0)).await;
        let request = alpha.phoned_in(north_of_base(2_000.0)).await;
        let rid = request["id"].as_str().expect("id").to_owned();
        let link = alpha.outbox_of("roadside_update").await;
        assert!(
            link.is_empty(),
            "{shape:?}: nothing to tell before it is taken"
        );
        alpha
            .ok(
                &mechanic,
                Method::POST,
                &format!("/roadside/requests/{rid}/accept"),
                None,
            )
            .await;
        let told = alpha.outbox_of("roadside_update").await;
        let token = told[0].data["vars"]["link"]
            .as_str()
            .and_then(|l| l.split_once("token="))
            .expect("a link")
            .1
            .to_owned();
        // Another workshop's host does not know the link's request.
        let visitor = alpha.app.client();
        let response = visitor
            .get(&format!(
                "/t/{}/roadside/track/events?token={token}",
                bravo_tenant.slug
            ))
            .await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{shape:?}");
        let response = visitor
            .get(&format!(
                "/t/{}/roadside/track?token={token}",
                bravo_tenant.slug
            ))
            .await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{shape:?}");
        // A made-up token is nobody's.
        let response = visitor
            .get(&format!(
                "/t/alpha/roadside/track/events?token={rid}.4102444800.AAAA"
            ))
            .await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{shape:?}");
        // Another mechanic of the same workshop neither sees it nor hears it once it is taken.
        let (status, _) = alpha
            .call(
                &other,
                Method::GET,
                &format!("/roadside/requests/{rid}"),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{shape:?}");
        let response = other
            .get(&format!("/t/alpha/portal/roadside/{rid}/events"))
            .await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{shape:?}");
        // A mechanic is no dispatcher: the board is not theirs.
        let (status, problem) = alpha
            .call(&other, Method::GET, "/roadside/dispatch", None)
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{shape:?}: {problem}");
        // The mechanic on it does hear it.
        let mut theirs = EventStream::open(
            &mechanic,
            &format!("/t/alpha/portal/roadside/{rid}/events"),
            None,
        )
        .await;
        alpha
            .ok(
                &alpha.owner,
                Method::POST,
                &format!("/roadside/requests/{rid}/cancel"),
                Some(json!({"reason": "The driver got going"})),
            )
            .await;
        theirs.read_until(|e| e.kind == "roadside.closed").await;
        alpha.app.stop().await;
    }
}

#[tokio::test]
async fn erasing_a_customer_cancels_their_open_request_and_tells_its_mechanic() {
    for shape in SHAPES {
        let shop = Shop::open(TestApp::spawn_shape(shape).await, "alpha").await;
        let (mechanic, _) = shop.mechanic(1, north_of_base(1_000.0)).await;
        let request = shop.phoned_in(north_of_base(2_000.0)).await;
        let rid = request["id"].as_str().expect("id").to_owned();
        let customer = request["customer_id"]
            .as_str()
            .expect("customer")
            .to_owned();
        shop.ok(
            &mechanic,
            Method::POST,
            &format!("/roadside/requests/{rid}/accept"),
            None,
        )
        .await;
        shop.position(&mechanic, north_of_base(1_200.0)).await;
        // The privacy export holds the request with its positions.
        let export = shop
            .ok(
                &shop.owner,
                Method::GET,
                &format!("/customers/{customer}/export"),
                None,
            )
            .await;
        let exported = &export["roadside_requests"][0];
        assert_eq!(exported["note"], "Rear left", "{shape:?}: {export}");
        assert!(exported["position"]["lat"].is_f64(), "{shape:?}");
        assert!(
            !exported["mechanic_trail"]
                .as_array()
                .expect("trail")
                .is_empty(),
            "{shape:?}"
        );
        shop.ok(
            &shop.owner,
            Method::DELETE,
            &format!("/customers/{customer}"),
            None,
        )
        .await;
        let detail = shop
            .ok(
                &shop.owner,
                Method::GET,
                &format!("/roadside/requests/{rid}"),
                None,
            )
            .await;
        assert_eq!(detail["request"]["status"], "cancelled", "{shape:?}");
        assert_eq!(detail["request"]["note"], Value::Null, "{shape:?}");
        assert_eq!(detail["request"]["latitude"], Value::Null, "{shape:?}");
        let notes = shop
            .ok(&mechanic, Method::GET, "/notifications", None)
            .await;
        assert!(
            notes["items"]
                .as_array()
                .expect("notifications")
                .iter()
                .any(|n| n["title"]
                    .as_str()
                    .is_some_and(|t| t.contains("was cancelled"))),
            "{shape:?}: {notes}"
        );
        // The mechanic no longer shares their position with it.
        let after = shop.position(&mechanic, north_of_base(1_300.0)).await;
        assert_eq!(after["sharing_with"], Value::Null, "{shape:?}");
        shop.app.stop().await;
    }
}

#[tokio::test]
async fn positions_older_than_thirty_days_are_coarsened() {
    for shape in SHAPES {
        let shop = Shop::open(TestApp::spawn_shape(shape).await, "alpha").await;
        let (mechanic, _) = shop.mechanic(1, north_of_base(1_000.0)).await;
        let request = shop.phoned_in((52.371_234, 4.896_789)).await;
        let rid: uuid::Uuid = request["id"].as_str().expect("id").parse().expect("uuid");
        shop.ok(
            &mechanic,
            Method::POST,
            &format!("/roadside/requests/{rid}/accept"),
            None,
        )
        .await;
        shop.position(&mechanic, (52.365_432, 4.891_234)).await;
        let store = &shop.app.state().store;
        let tx = store.tx(&TenantCtx::new(shop.tenant.id)).await.expect("tx");
        let row = tx.get::<roadside_request::Entity>(rid).await.expect("row");
        let mut old = row.into_active_model();
        old.created_at = Set(chrono::Utc::now() - chrono::Duration::days(31));
        tx.update(old).await.expect("aged");
        tx.commit().await.expect("commit");
        let done = pitlane_roadside::tracking::coarsen_old(
            &shop.app.state().roadside,
            shop.tenant.id,
            100,
        )
        .await
        .expect("coarsened");
        assert_eq!(done, 1, "{shape:?}");
        let tx = store.tx(&TenantCtx::new(shop.tenant.id)).await.expect("tx");
        let row = tx.get::<roadside_request::Entity>(rid).await.expect("row");
        let trail = tx
            .all(
                tx.select::<roadside_trail::Entity>()
                    .filter(roadside_trail::Column::RequestId.eq(rid)),
            )
            .await
            .expect("trail");
        tx.commit().await.expect("commit");
        assert_eq!(
            (row.lat_micro, row.lon_micro),
            (Some(52_370_000), Some(4_900_000)),
            "{shape:?}"
        );
        assert!(row.positions_coarsened, "{shape:?}");
        assert!(
            trail
                .iter()
                .all(|t| t.lat_micro % 10_000 == 0 && t.lon_micro % 10_000 == 0),
            "{shape:?}: {trail:?}"
        );
        let again = pitlane_roadside::tracking::coarsen_old(
            &shop.app.state().roadside,
            shop.tenant.id,
            100,
        )
        .await
        .expect("again");
        assert_eq!(again, 0, "{shape:?}: once");
        shop.app.stop().await;
    }
}

/// A multipart form with one file field: its content type (with the boundary) and body.
fn multipart(field: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "pitlane-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"photo.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// A form posted as the pages post one with files: `multipart/form-data`, its form token
/// (read from `form_page`) in the address.
async fn post_multipart(
    client: &Client,
    form_page: &str,
    fields: &[(&str, &str)],
    files: &[(&str, &[u8])],
) -> reqwest::Response {
    let page = client.get(form_page).await.text().await.expect("page");
    let csrf = pitlane_testkit::csrf_token(&page).expect("a form token");
    let boundary = "pitlane-form-boundary";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    for (name, bytes) in files {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"photo.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    client
        .http
        .post(client.url(&format!("{form_page}?csrf={csrf}")))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .expect("post")
}

/// The driver's link from the first message that carried it.
async fn driver_token(shop: &Shop) -> String {
    link_token(shop, "roadside_update").await
}

/// The token of the link in the first message of `kind`.
async fn link_token(shop: &Shop, kind: &str) -> String {
    let sent = shop.outbox_of(kind).await;
    sent[0].data["vars"]["link"]
        .as_str()
        .and_then(|l| l.split_once("token="))
        .expect("a link")
        .1
        .to_owned()
}

#[tokio::test]
async fn the_driver_and_the_mechanic_talk_inside_the_request() {
    for shape in SHAPES {
        let shop = Shop::open(TestApp::spawn_shape(shape).await, "alpha").await;
        let bravo = shop.app.tenant("bravo").await;
        let (mechanic, _) = shop.mechanic(1, north_of_base(1_000.0)).await;
        let (other, _) = shop.mechanic(2, north_of_base(1_500.0)).await;
        let request = shop.phoned_in(north_of_base(2_000.0)).await;
        let rid = request["id"].as_str().expect("id").to_owned();
        let messages = format!("/roadside/requests/{rid}/messages");
        shop.ok(
            &mechanic,
            Method::POST,
            &format!("/roadside/requests/{rid}/accept"),
            None,
        )
        .await;
        let token = driver_token(&shop).await;
        let slug = &shop.tenant.slug;
        let track = format!("/t/{slug}/roadside/track?token={token}");

        // An empty message is a clear 422; the driver's page is closed, so the first message
        // reaches them by e-mail (they gave no phone), with their link.
        let (status, problem) = shop
            .call(
                &mechanic,
                Method::POST,
                &messages,
                Some(json!({"body": " "})),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{shape:?}");
        assert_eq!(fields(&problem), ["body"], "{shape:?}: {problem}");
        let sent = shop
            .ok(
                &mechanic,
                Method::POST,
                &messages,
                Some(json!({"body": "Leaving now, ten minutes."})),
            )
            .await;
        assert_eq!(sent["side"], "crew", "{shape:?}: {sent}");
        assert_eq!(sent["read"], false, "{shape:?}");
        let texted = shop.outbox_of("roadside_message").await;
        assert_eq!(texted.len(), 1, "{shape:?}");
        assert_eq!(
            texted[0].data["vars"]["body"], "Leaving now, ten minutes.",
            "{shape:?}"
        );
        assert!(
            texted[0].data["vars"]["link"]
                .as_str()
                .is_some_and(|l| l.contains(&token)),
            "{shape:?}"
        );

        // The driver opens their page: the message is there, and now read.
        let driver = shop.app.client();
        let mut crew_hears = EventStream::open(
            &mechanic,
            &format!("/t/{slug}/portal/roadside/{rid}/events"),
            None,
        )
        .await;
        let page = driver.get(&track).await.text().await.expect("page");
        assert!(page.contains("Leaving now, ten minutes."), "{shape:?}");
        assert!(page.contains("Messages with your mechanic"), "{shape:?}");
        crew_hears.read_until(|e| e.kind == "roadside.read").await;
        let listed = shop.ok(&mechanic, Method::GET, &messages, None).await;
        assert_eq!(listed["items"][0]["read"], true, "{shape:?}: {listed}");

        // With the driver's page open, the crew's messages arrive live and are not texted.
        let mut driver_hears = EventStream::open(
            &driver,
            &format!("/t/{slug}/roadside/track/events?token={token}"),
            None,
        )
        .await;
        shop.ok(
            &mechanic,
            Method::POST,
            &messages,
            Some(json!({"body": "Is it the blue Golf?"})),
        )
        .await;
        let heard = driver_hears
            .read_until(|e| e.kind == "roadside.message")
            .await;
        let event = heard.last().expect("an event");
        assert!(
            !event.data.to_string().contains("blue Golf"),
            "{shape:?}: events carry no text"
        );
        assert_eq!(
            shop.outbox_of("roadside_message").await.len(),
            1,
            "{shape:?}"
        );

        // The driver answers from their page; a mistake keeps the page with its message.
        let response = driver
            .submit(
                &track,
                &format!("/t/{slug}/roadside/track/messages"),
                &[("token", &token), ("body", "")],
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{shape:?}"
        );
        assert!(
            response
                .text()
                .await
                .expect("page")
                .contains("write a message first"),
            "{shape:?}"
        );
        let response = driver
            .submit(
                &track,
                &format!("/t/{slug}/roadside/track/messages"),
                &[
                    ("token", &token),
                    ("body", "Yes, the blue one by the exit."),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{shape:?}");
        crew_hears
            .read_until(|e| e.kind == "roadside.message" && e.data["side"] == "driver")
            .await;
        let listed = shop.ok(&mechanic, Method::GET, &messages, None).await;
        let items = listed["items"].as_array().expect("items");
        assert_eq!(items.len(), 3, "{shape:?}: {listed}");
        assert_eq!(items[2]["side"], "driver", "{shape:?}");
        assert_eq!(items[2]["author"], "Dana Driver", "{shape:?}");
        assert_eq!(items[2]["read"], false, "{shape:?}");
        let (status, _) = shop
            .call(&mechanic, Method::POST, &format!("{messages}/read"), None)
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{shape:?}");
        driver_hears.read_until(|e| e.kind == "roadside.read").await;
        let page = driver.get(&track).await.text().await.expect("page");
        assert!(
            page.contains("data-read=\"yes\""),
            "{shape:?}: the driver sees it read"
        );

        // The chat is part of the customer's conversation.
        let inbox = shop
            .ok(&shop.owner, Method::GET, "/conversations", None)
            .await;
        let conv = inbox["items"][0]["id"].as_str().expect("a conversation");
        let thread = shop
            .ok(
                &shop.owner,
                Method::GET,
                &format!("/conversations/{conv}"),
                None,
            )
            .await;
        let history = thread["messages"].as_array().expect("messages");
        assert_eq!(history.len(), 3, "{shape:?}: {thread}");
        assert!(
            history
                .iter()
                .all(|m| m["roadside_request_id"] == rid.as_str()),
            "{shape:?}: {thread}"
        );

        // Not theirs: another mechanic, another workshop.
        let (status, _) = shop.call(&other, Method::GET, &messages, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{shape:?}");
        let (status, _) = shop
            .call(&other, Method::POST, &messages, Some(json!({"body": "hi"})))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{shape:?}");
        let stranger = shop.app.client();
        stranger.sign_in(&bravo).await;
        let (status, _) = stranger
            .call(
                Method::GET,
                &format!("/t/bravo/api/v1/roadside/requests/{rid}/messages"),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{shape:?}");
        let response = stranger
            .get(&format!("/t/bravo/roadside/track?token={token}"))
            .await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{shape:?}");
        let response = stranger
            .submit(
                "/t/bravo/roadside",
                "/t/bravo/roadside/track/messages",
                &[("token", &token), ("body", "Not your request")],
            )
            .await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{shape:?}");

        // Photos: the driver sends one from their page (checked by its bytes); the crew sees
        // it in the chat and sends one by the API; nobody else can read them.
        let page = driver.get(&track).await.text().await.expect("page");
        let csrf = pitlane_testkit::csrf_token(&page).expect("a form token");
        let upload = |bytes: &[u8]| {
            let url = driver.url(&format!(
                "/t/{slug}/roadside/track/photos?token={token}&csrf={csrf}"
            ));
            let (kind, body) = multipart("photo", bytes);
            let http = driver.http.clone();
            async move {
                http.post(url)
                    .header("content-type", kind)
                    .body(body)
                    .send()
                    .await
                    .expect("upload")
            }
        };
        let refused = upload(b"GIF89a not a photo").await;
        assert_eq!(
            refused.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{shape:?}"
        );
        assert!(
            refused
                .text()
                .await
                .expect("page")
                .contains("only JPEG, PNG, WebP or HEIC"),
            "{shape:?}"
        );
        let sent = upload(pitlane_testkit::TINY_JPEG).await;
        assert_eq!(sent.status(), StatusCode::SEE_OTHER, "{shape:?}");
        let listed = shop.ok(&mechanic, Method::GET, &messages, None).await;
        let photo = listed["items"]
            .as_array()
            .and_then(|i| i.last())
            .expect("the photo's message")
            .clone();
        assert_eq!(photo["photo"], true, "{shape:?}: {listed}");
        assert_eq!(photo["side"], "driver", "{shape:?}");
        let mid = photo["id"].as_str().expect("id");
        let got = mechanic
            .get(&format!(
                "/t/{slug}/api/v1/roadside/requests/{rid}/photos/{mid}"
            ))
            .await;
        assert_eq!(got.status(), StatusCode::OK, "{shape:?}");
        assert_eq!(got.headers()["content-type"], "image/jpeg", "{shape:?}");
        assert_eq!(
            got.bytes().await.expect("bytes").as_ref(),
            pitlane_testkit::TINY_JPEG,
            "{shape:?}"
        );
        let mine = driver
            .get(&format!(
                "/t/{slug}/roadside/track/photos/{mid}?token={token}"
            ))
            .await;
        assert_eq!(mine.status(), StatusCode::OK, "{shape:?}");
        let theirs = stranger
            .get(&format!(
                "/t/bravo/roadside/track/photos/{mid}?token={token}"
            ))
            .await;
        assert_eq!(theirs.status(), StatusCode::NOT_FOUND, "{shape:?}");
        let (status, _) = shop
            .call(
                &other,
                Method::GET,
                &format!("/roadside/requests/{rid}/photos/{mid}"),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{shape:?}");
        let by_api = mechanic
            .http
            .post(mechanic.url(&format!("/t/{slug}/api/v1/roadside/requests/{rid}/photos")))
            .header("content-type", "application/octet-stream")
            .body(pitlane_testkit::TINY_JPEG.to_vec())
            .send()
            .await
            .expect("upload");
        let answer = pitlane_testkit::checked(
            "POST",
            &format!("/t/{slug}/api/v1/roadside/requests/{rid}/photos"),
            by_api,
        )
        .await;
        assert_eq!(
            answer.status,
            StatusCode::CREATED,
            "{shape:?}: {}",
            answer.body
        );
        assert_eq!(answer.body["photo"], true, "{shape:?}");

        // Once the request has ended, the chat is read-only.
        shop.steps(&mechanic, &rid, &["en_route", "on_site", "working", "done"])
            .await;
        let (status, problem) = shop
            .call(
                &mechanic,
                Method::POST,
                &messages,
                Some(json!({"body": "Bye"})),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{shape:?}: {problem}");
        let page = driver.get(&track).await.text().await.expect("page");
        assert!(
            !page.contains("name=\"body\""),
            "{shape:?}: no form after the end"
        );
        shop.app.stop().await;
    }
}

/// A driver whose page is closed gets the crew's message by SMS, and their texted answer
/// comes back into the request's chat.
#[tokio::test]
async fn a_driver_away_from_the_page_is_texted_and_answers_by_text() {
    let sink = pitlane_testkit::SmtpSink::start().await;
    let fake = pitlane_testkit::FakeSms::start().await;
    let app =
        TestApp::spawn_messaging(&pitlane_testkit::MessagingOptions::to(&sink).with_sms(&fake))
            .await;
    fake.call_back_to(&app.origin);
    fake.owns("+447911000556");
    let shop = Shop::open(app, "alpha").await;
    let _workers = shop.app.start_workers("roadside-chat").await;
    shop.ok(
        &shop.owner,
        Method::PUT,
        "/workshop/sender",
        Some(json!({"sms_sender": "+44 7911 000556"})),
    )
    .await;
    let customer = shop
        .ok(
            &shop.owner,
            Method::POST,
            "/customers",
            Some(json!({"name": "Tom Texter", "phone": "+44 7911 123458"})),
        )
        .await;
    let cid = customer["id"].as_str().expect("id");
    shop.ok(
        &shop.owner,
        Method::PUT,
        &format!("/customers/{cid}/consent"),
        Some(json!({"sms": true, "source": "on the phone"})),
    )
    .await;
    let (mechanic, _) = shop.mechanic(1, north_of_base(1_000.0)).await;
    let made = shop
        .ok(
            &shop.owner,
            Method::POST,
            "/roadside/requests",
            Some(json!({
                "customer_id": cid, "branch_id": shop.branch,
                "latitude": north_of_base(2_000.0).0, "longitude": north_of_base(2_000.0).1,
                "plate": "TT 1", "trouble": "fuel",
            })),
        )
        .await;
    let rid = made["request"]["id"].as_str().expect("id").to_owned();
    shop.ok(
        &mechanic,
        Method::POST,
        &format!("/roadside/requests/{rid}/accept"),
        None,
    )
    .await;
    let before = fake
        .wait_for(1, std::time::Duration::from_secs(20))
        .await
        .len();
    shop.ok(
        &mechanic,
        Method::POST,
        &format!("/roadside/requests/{rid}/messages"),
        Some(json!({"body": "Which petrol station?"})),
    )
    .await;
    let sent = fake
        .wait_for(before + 1, std::time::Duration::from_secs(20))
        .await;
    let text = sent
        .iter()
        .find(|s| s.body.contains("Which petrol station?"))
        .expect("the message by SMS");
    assert!(
        text.body.contains("/roadside/track?token="),
        "{}",
        text.body
    );
    let (status, _) = fake
        .text_in(
            &shop.app.origin,
            &shop.app.origin,
            "+447911123458",
            "+447911000556",
            "The one on the A10",
        )
        .await;
    assert_eq!(status, 200);
    let listed = shop
        .ok(
            &mechanic,
            Method::GET,
            &format!("/roadside/requests/{rid}/messages"),
            None,
        )
        .await;
    let last = &listed["items"][1];
    assert_eq!(last["body"], "The one on the A10", "{listed}");
    assert_eq!(last["side"], "driver");
    assert_eq!(last["channel"], "sms");
    shop.app.stop().await;
}

#[tokio::test]
async fn fixed_on_the_spot_the_work_is_billed_and_the_mechanic_earns_their_share() {
    for shape in SHAPES {
        let shop = Shop::open(TestApp::spawn_shape(shape).await, "alpha").await;
        let (mechanic, mechanic_id) = shop.mechanic(1, north_of_base(1_000.0)).await;
        let part = shop
            .ok(
                &shop.owner,
                Method::POST,
                "/parts",
                Some(json!({"sku": "bat-70", "name": "Battery 70Ah", "cost": "80.00"})),
            )
            .await;
        let part_id = part["id"].as_str().expect("id").to_owned();
        shop.ok(
            &shop.owner,
            Method::POST,
            "/stock-movements",
            Some(json!({"part_id": part_id, "branch_id": shop.branch, "kind": "receive", "quantity": "2"})),
        )
        .await;
        let request = shop.phoned_in(north_of_base(8_000.0)).await;
        let rid = request["id"].as_str().expect("id").to_owned();
        let quote = request["quote_minor"].as_i64().expect("a quote");
        assert!(
            quote > 5_000,
            "{shape:?}: the call-out and the km beyond 5: {request}"
        );
        let work = format!("/roadside/requests/{rid}/work");
        shop.ok(
            &mechanic,
            Method::POST,
            &format!("/roadside/requests/{rid}/accept"),
            None,
        )
        .await;
        // Work is added with the car, not before.
        let (status, problem) = shop
            .call(
                &mechanic,
                Method::POST,
                &work,
                Some(json!({"kind": "labour", "description": "Jump start", "quantity": "0.5"})),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{shape:?}: {problem}");
        shop.steps(&mechanic, &rid, &["en_route", "on_site", "working"])
            .await;
        let (status, problem) = shop
            .call(
                &mechanic,
                Method::POST,
                &work,
                Some(json!({"kind": "labour"})),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{shape:?}");
        assert!(
            fields(&problem).contains(&"quantity".to_owned()),
            "{shape:?}: {problem}"
        );
        let labour = shop
            .ok(
                &mechanic,
                Method::POST,
                &work,
                Some(json!({"kind": "labour_flat", "description": "Fit a battery", "quantity": "0.5", "unit_price": "30.00"})),
            )
            .await;
        assert_eq!(labour["amount_minor"], 3_000, "{shape:?}: {labour}");
        let battery = shop
            .ok(
                &mechanic,
                Method::POST,
                &work,
                Some(json!({"kind": "part", "part_id": part_id})),
            )
            .await;
        assert_eq!(
            battery["amount_minor"], part["selling_price_minor"],
            "{shape:?}: the catalogue's price"
        );
        let mistake = shop
            .ok(
                &mechanic,
                Method::POST,
                &work,
                Some(json!({"kind": "fee", "description": "Wrong", "unit_price": "1.00"})),
            )
            .await;
        let (status, _) = shop
            .call(
                &mechanic,
                Method::DELETE,
                &format!("{work}/{}", mistake["id"].as_str().expect("id")),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{shape:?}");
        let listed = shop.ok(&mechanic, Method::GET, &work, None).await;
        assert_eq!(
            listed["items"].as_array().map(Vec::len),
            Some(2),
            "{shape:?}"
        );

        // Fixed: one invoice for the call-out and the work, issued; the battery left stock.
        shop.ok(
            &mechanic,
            Method::POST,
            &format!("/roadside/requests/{rid}/status"),
            Some(json!({"status": "done", "note": "New battery fitted"})),
        )
        .await;
        let detail = shop
            .ok(
                &shop.owner,
                Method::GET,
                &format!("/roadside/requests/{rid}"),
                None,
            )
            .await;
        let bill = &detail["bill"];
        assert!(
            bill["number"]
                .as_str()
                .is_some_and(|n| n.starts_with("INV-")),
            "{shape:?}: {detail}"
        );
        let invoice_id = bill["invoice_id"].as_str().expect("invoice");
        let invoice = shop
            .ok(
                &shop.owner,
                Method::GET,
                &format!("/invoices/{invoice_id}"),
                None,
            )
            .await;
        assert_eq!(invoice["status"], "issued", "{shape:?}: {invoice}");
        let lines = invoice["lines"].as_array().expect("lines");
        assert_eq!(lines.len(), 3, "{shape:?}: {invoice}");
        assert!(
            lines[0]["description"]
                .as_str()
                .is_some_and(|d| d.contains("Roadside call-out RS-")),
            "{shape:?}: {invoice}"
        );
        assert_eq!(lines[0]["unit_price_minor"], quote, "{shape:?}");
        assert_eq!(bill["balance_due_minor"], bill["total_minor"], "{shape:?}");
        let levels = shop
            .ok(&shop.owner, Method::GET, "/stock-levels", None)
            .await;
        assert_eq!(levels["items"][0]["on_hand"], "1", "{shape:?}: {levels}");
        let issued = shop.outbox_of("invoice_issued").await;
        assert_eq!(issued.len(), 1, "{shape:?}: the driver is sent the invoice");

        // The driver's page offers to pay it by card.
        let token = driver_token(&shop).await;
        let page = shop
            .app
            .client()
            .get(&format!("/t/alpha/roadside/track?token={token}"))
            .await
            .text()
            .await
            .expect("page");
        assert!(page.contains("Your bill"), "{shape:?}");
        assert!(page.contains("/invoice?token="), "{shape:?}: a pay link");
        assert!(page.contains("Battery 70Ah"), "{shape:?}: what was done");

        // The mechanic earns 20 % of the call-out, and the drive counts as worked time.
        let earnings = shop.ok(&mechanic, Method::GET, "/earnings", None).await;
        let me = &earnings["items"][0];
        assert_eq!(me["id"], mechanic_id.as_str(), "{shape:?}: {earnings}");
        assert_eq!(me["roadside_jobs"], 1, "{shape:?}: {earnings}");
        let share = (quote * 2_000 + 5_000) / 10_000;
        assert_eq!(
            me["roadside_commission_minor"], share,
            "{shape:?}: {earnings}"
        );
        assert!(
            me["earned_minor"].as_i64().is_some_and(|e| e >= share),
            "{shape:?}: {earnings}"
        );

        // The roadside report has it: asked, taken, reached, fixed on the spot.
        let report = shop
            .ok(
                &shop.owner,
                Method::GET,
                "/reports/roadside?preset=today",
                None,
            )
            .await;
        let headline = |key: &str| headline_of(&report, key);
        assert_eq!(headline("requests"), 1, "{shape:?}: {report}");
        assert_eq!(headline("fixed_rate"), 10_000, "{shape:?}: {report}");
        assert!(headline("to_accept").is_i64(), "{shape:?}: {report}");
        assert!(headline("to_arrive").is_i64(), "{shape:?}: {report}");
        let by_mechanic = report["tables"]
            .as_array()
            .and_then(|t| t.iter().find(|t| t["key"] == "by_mechanic"))
            .expect("by mechanic");
        assert_eq!(
            by_mechanic["rows"][0][0], "Mechanic 1",
            "{shape:?}: {report}"
        );
        assert_eq!(by_mechanic["rows"][0][2], 1, "{shape:?}: fixed on the spot");
        assert_eq!(
            by_mechanic["rows"][0][8], quote,
            "{shape:?}: the call-out billed"
        );
        shop.app.stop().await;
    }
}

#[tokio::test]
async fn towed_in_the_car_waits_at_the_branch_with_the_call_out_on_its_repair_order() {
    for shape in SHAPES {
        let shop = Shop::open(TestApp::spawn_shape(shape).await, "alpha").await;
        let (mechanic, _) = shop.mechanic(1, north_of_base(1_000.0)).await;
        let request = shop.phoned_in(north_of_base(4_000.0)).await;
        let rid = request["id"].as_str().expect("id").to_owned();
        let quote = request["quote_minor"].as_i64().expect("a quote");
        shop.ok(
            &mechanic,
            Method::POST,
            &format!("/roadside/requests/{rid}/accept"),
            None,
        )
        .await;
        shop.steps(&mechanic, &rid, &["en_route", "on_site"]).await;
        shop.ok(
            &mechanic,
            Method::POST,
            &format!("/roadside/requests/{rid}/work"),
            Some(
                json!({"kind": "labour_flat", "description": "Diagnosis at the roadside",
                        "quantity": "0.25", "unit_price": "15.00"}),
            ),
        )
        .await;
        // A photo in the chat goes with the car to its repair order.
        let sent = mechanic
            .http
            .post(mechanic.url(&format!("/t/alpha/api/v1/roadside/requests/{rid}/photos")))
            .header("content-type", "application/octet-stream")
            .body(pitlane_testkit::TINY_JPEG.to_vec())
            .send()
            .await
            .expect("photo");
        assert_eq!(sent.status(), StatusCode::CREATED, "{shape:?}");
        let towed = shop
            .ok(
                &mechanic,
                Method::POST,
                &format!("/roadside/requests/{rid}/status"),
                Some(json!({"status": "towed_in", "note": "Gearbox, needs the workshop"})),
            )
            .await;
        let order_id = towed["repair_order_id"].as_str().expect("a repair order");
        let detail = shop
            .ok(
                &shop.owner,
                Method::GET,
                &format!("/roadside/requests/{rid}"),
                None,
            )
            .await;
        assert!(
            detail["bill"].is_null(),
            "{shape:?}: billed with the repair"
        );
        let order = shop
            .ok(
                &shop.owner,
                Method::GET,
                &format!("/repair-orders/{order_id}"),
                None,
            )
            .await;
        assert_eq!(order["status"], "estimate", "{shape:?}: {order}");
        assert!(
            order["concern"]
                .as_str()
                .is_some_and(|c| c.contains("Towed in from roadside RS-")),
            "{shape:?}: {order}"
        );
        let lines = order["lines"].as_array().expect("lines");
        assert_eq!(lines.len(), 2, "{shape:?}: {order}");
        assert!(
            lines[0]["description"]
                .as_str()
                .is_some_and(|d| d.contains("Roadside call-out")),
            "{shape:?}: {order}"
        );
        assert_eq!(lines[0]["unit_price_minor"], quote, "{shape:?}: {order}");
        assert_eq!(
            lines[1]["description"], "Diagnosis at the roadside",
            "{shape:?}"
        );
        let page = shop
            .owner
            .get(&format!("/t/alpha/portal/repair-orders/{order_id}"))
            .await
            .text()
            .await
            .expect("page");
        assert!(page.contains("Photos from the roadside"), "{shape:?}");
        let src = page
            .split("/roadside-photos/")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("a photo's address");
        let photo = shop
            .owner
            .get(&format!(
                "/t/alpha/portal/repair-orders/{order_id}/roadside-photos/{src}"
            ))
            .await;
        assert_eq!(photo.status(), StatusCode::OK, "{shape:?}");
        assert_eq!(
            photo.bytes().await.expect("bytes").as_ref(),
            pitlane_testkit::TINY_JPEG,
            "{shape:?}"
        );
        let earnings = shop.ok(&mechanic, Method::GET, "/earnings", None).await;
        assert_eq!(
            earnings["items"][0]["roadside_jobs"], 1,
            "{shape:?}: {earnings}"
        );

        // Towed in, the driver is asked to rate the visit when its repair order closes (the
        // repair itself is the workshop tests' business: it is invoiced here directly).
        assert!(
            shop.outbox_of("feedback_request").await.is_empty(),
            "{shape:?}: not yet"
        );
        let store = &shop.app.state().store;
        let tx = store.tx(&TenantCtx::new(shop.tenant.id)).await.expect("tx");
        let row = tx
            .get::<pitlane_store::entity::repair_order::Entity>(order_id.parse().expect("uuid"))
            .await
            .expect("order");
        let mut invoiced = row.into_active_model();
        invoiced.status = Set("invoiced".into());
        tx.update(invoiced).await.expect("invoiced");
        tx.commit().await.expect("commit");
        shop.ok(
            &shop.owner,
            Method::POST,
            &format!("/repair-orders/{order_id}/status"),
            Some(json!({"status": "closed"})),
        )
        .await;
        let asked = shop.outbox_of("feedback_request").await;
        assert_eq!(asked.len(), 1, "{shape:?}");
        let vars = &asked[0].data["vars"];
        assert!(
            vars["subject"]
                .as_str()
                .is_some_and(|s| s.starts_with("your ")),
            "{shape:?}: {vars}"
        );
        assert!(
            vars["link"]
                .as_str()
                .is_some_and(|l| l.contains("/feedback?token=")),
            "{shape:?}: {vars}"
        );
        let inbox = shop.ok(&shop.owner, Method::GET, "/feedback", None).await;
        assert_eq!(inbox["items"], json!([]), "{shape:?}: nothing rated yet");
        shop.app.stop().await;
    }
}

/// The rating link from the message that asked for it.
async fn rating_token(shop: &Shop) -> String {
    link_token(shop, "feedback_request").await
}

#[tokio::test]
async fn the_driver_rates_once_staff_reply_and_an_admin_hides_abuse() {
    for shape in SHAPES {
        let shop = Shop::open(TestApp::spawn_shape(shape).await, "alpha").await;
        let bravo = shop.app.tenant("bravo").await;
        let (mechanic, _) = shop.mechanic(1, north_of_base(1_000.0)).await;
        let (manager, _) = shop.member(Role::Manager, "manager", "Mia Manager").await;
        let request = shop.phoned_in(north_of_base(3_000.0)).await;
        let rid = request["id"].as_str().expect("id").to_owned();
        shop.ok(
            &mechanic,
            Method::POST,
            &format!("/roadside/requests/{rid}/accept"),
            None,
        )
        .await;
        shop.steps(&mechanic, &rid, &["en_route", "on_site", "working", "done"])
            .await;

        // Done: the driver is asked once, with a signed link, naming the mechanic; their
        // page offers it too.
        let asked = shop.outbox_of("feedback_request").await;
        assert_eq!(asked.len(), 1, "{shape:?}");
        assert_eq!(asked[0].data["vars"]["mechanic"], "Mechanic 1", "{shape:?}");
        let token = rating_token(&shop).await;
        let driver = shop.app.client();
        let track = driver
            .get(&format!(
                "/t/alpha/roadside/track?token={}",
                driver_token(&shop).await
            ))
            .await
            .text()
            .await
            .expect("page");
        assert!(track.contains("Rate this help"), "{shape:?}");
        let form_page = format!("/t/alpha/feedback?token={token}");
        let page = driver.get(&form_page).await;
        assert_eq!(page.status(), StatusCode::OK, "{shape:?}");
        let page = page.text().await.expect("page");
        assert!(page.contains("How was Mechanic 1"), "{shape:?}");

        // The link opens nothing elsewhere, and a made-up one nothing at all.
        let elsewhere = driver
            .get(&format!("/t/bravo/feedback?token={token}"))
            .await;
        assert_eq!(elsewhere.status(), StatusCode::NOT_FOUND, "{shape:?}");
        let forged = format!("{}.{}", uuid::Uuid::now_v7().simple(), "4102444800.AAAA");
        let made_up = driver
            .get(&format!("/t/alpha/feedback?token={forged}"))
            .await;
        assert_eq!(made_up.status(), StatusCode::NOT_FOUND, "{shape:?}");
        let stranger = shop.app.client();
        stranger.sign_in(&bravo).await;
        let (status, theirs) = stranger
            .call(Method::GET, "/t/bravo/api/v1/feedback", None)
            .await;
        assert_eq!(status, StatusCode::OK, "{shape:?}");
        assert_eq!(
            theirs["items"],
            json!([]),
            "{shape:?}: another workshop's inbox"
        );

        // Stars are needed: the form comes back with what was typed.
        let response = driver
            .submit(
                &form_page,
                "/t/alpha/feedback",
                &[("token", &token), ("comment", "Late, and rude about it")],
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{shape:?}"
        );
        let again = response.text().await.expect("page");
        assert!(again.contains("Late, and rude about it"), "{shape:?}");
        assert!(again.contains("choose one to five stars"), "{shape:?}");
        let response = driver
            .submit(
                &form_page,
                "/t/alpha/feedback",
                &[
                    ("token", &token),
                    ("job", "2"),
                    ("mechanic", "1"),
                    ("comment", "Late, and rude about it, you clowns"),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{shape:?}");
        // One rating per link.
        let response = driver
            .submit(
                &form_page,
                "/t/alpha/feedback",
                &[("token", &token), ("job", "5"), ("mechanic", "5")],
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{shape:?}"
        );
        assert!(
            response
                .text()
                .await
                .expect("page")
                .contains("already been used"),
            "{shape:?}"
        );

        // A low rating reaches the branch's manager at once.
        let bell = shop.ok(&manager, Method::GET, "/notifications", None).await;
        assert!(bell.to_string().contains("Low rating"), "{shape:?}: {bell}");

        // Staff read it in the inbox; a mechanic reads only their own, without the name.
        let inbox = shop.ok(&shop.owner, Method::GET, "/feedback", None).await;
        let rating = &inbox["items"][0];
        assert_eq!(rating["job_stars"], 2, "{shape:?}: {inbox}");
        assert_eq!(rating["mechanic_stars"], 1, "{shape:?}");
        assert_eq!(rating["mechanic_name"], "Mechanic 1", "{shape:?}");
        let id = rating["id"].as_str().expect("id").to_owned();
        let low = shop
            .ok(&shop.owner, Method::GET, "/feedback?filter=low", None)
            .await;
        assert_eq!(low["items"][0]["id"], id.as_str(), "{shape:?}");
        let (status, _) = shop.call(&mechanic, Method::GET, "/feedback", None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{shape:?}");
        let mine = shop.ok(&mechanic, Method::GET, "/my-ratings", None).await;
        assert_eq!(mine["items"][0]["mechanic_stars"], 1, "{shape:?}: {mine}");
        assert!(mine["items"][0].get("customer_name").is_none(), "{shape:?}");
        let summary = shop
            .ok(&mechanic, Method::GET, "/my-ratings/summary", None)
            .await;
        assert_eq!(summary["average_stars_centi"], 100, "{shape:?}: {summary}");

        // A reply goes with the rating and to the customer.
        let (status, problem) = shop
            .call(
                &shop.owner,
                Method::POST,
                &format!("/feedback/{id}/reply"),
                Some(json!({"body": "  "})),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{shape:?}");
        assert_eq!(fields(&problem), ["body"], "{shape:?}");
        let replied = shop
            .ok(
                &shop.owner,
                Method::POST,
                &format!("/feedback/{id}/reply"),
                Some(json!({"body": "We are sorry: the next call-out is on us."})),
            )
            .await;
        assert!(replied["replied_at"].is_string(), "{shape:?}: {replied}");
        assert_eq!(
            shop.outbox_of("conversation_reply").await.len(),
            1,
            "{shape:?}"
        );

        // Only an admin hides text; hidden, it is gone from every page and the API.
        let hide = format!("/feedback/{id}/hide");
        let (status, _) = shop
            .call(
                &manager,
                Method::POST,
                &hide,
                Some(json!({"reason": "Abuse"})),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{shape:?}");
        let (status, problem) = shop
            .call(
                &shop.owner,
                Method::POST,
                &hide,
                Some(json!({"reason": ""})),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{shape:?}");
        assert_eq!(fields(&problem), ["reason"], "{shape:?}");
        let hidden = shop
            .ok(
                &shop.owner,
                Method::POST,
                &hide,
                Some(json!({"reason": "Abuse"})),
            )
            .await;
        assert_eq!(hidden["hidden"], true, "{shape:?}");
        assert!(hidden["comment"].is_null(), "{shape:?}: {hidden}");
        let (status, _) = shop
            .call(
                &shop.owner,
                Method::POST,
                &hide,
                Some(json!({"reason": "Again"})),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{shape:?}");
        let everywhere = [
            shop.ok(&shop.owner, Method::GET, &format!("/feedback/{id}"), None)
                .await
                .to_string(),
            shop.ok(&shop.owner, Method::GET, "/feedback", None)
                .await
                .to_string(),
            shop.ok(&mechanic, Method::GET, "/my-ratings", None)
                .await
                .to_string(),
            shop.owner
                .get(&format!("/t/alpha/portal/feedback/{id}"))
                .await
                .text()
                .await
                .expect("page"),
            shop.owner
                .get("/t/alpha/portal/feedback")
                .await
                .text()
                .await
                .expect("page"),
            mechanic
                .get("/t/alpha/portal/ratings")
                .await
                .text()
                .await
                .expect("page"),
            driver.get(&form_page).await.text().await.expect("page"),
        ];
        for seen in &everywhere {
            assert!(!seen.contains("clowns"), "{shape:?}: {seen}");
        }
        assert!(
            everywhere[6].contains("We are sorry: the next call-out is on us."),
            "{shape:?}: the driver reads the reply"
        );

        // The feedback report: one asked, one rated, two stars, all detractors.
        let report = shop
            .ok(
                &shop.owner,
                Method::GET,
                "/reports/feedback?preset=today",
                None,
            )
            .await;
        let headline = |key: &str| headline_of(&report, key);
        assert_eq!(headline("rated"), 1, "{shape:?}: {report}");
        assert_eq!(headline("work_stars"), 200, "{shape:?}: {report}");
        assert_eq!(headline("mechanic_stars"), 100, "{shape:?}: {report}");
        assert_eq!(headline("response_rate"), 10_000, "{shape:?}: {report}");
        assert_eq!(headline("score"), -100, "{shape:?}: {report}");

        // Erased, the customer's words go; the stars stay for the report.
        let customer = shop
            .ok(&shop.owner, Method::GET, &format!("/feedback/{id}"), None)
            .await["customer_id"]
            .as_str()
            .expect("customer")
            .to_owned();
        let (status, _) = shop
            .call(
                &shop.owner,
                Method::DELETE,
                &format!("/customers/{customer}"),
                None,
            )
            .await;
        assert!(status.is_success(), "{shape:?}: {status}");
        let erased = shop
            .ok(&shop.owner, Method::GET, &format!("/feedback/{id}"), None)
            .await;
        assert!(erased["reply"].is_null(), "{shape:?}: {erased}");
        assert_eq!(erased["job_stars"], 2, "{shape:?}");
        shop.app.stop().await;
    }
}
