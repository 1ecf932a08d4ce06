//! The attacks of the security review (issue 17), each tried over HTTP against the real
//! server as an attacker would: with a browser's requests, a chosen cookie, a poisoned
//! `Host`, NUL characters, control characters in a redirect, guesses in parallel, a second
//! try at a password or a code. Where a point holds in both deployment shapes, it is tried in
//! both.

use std::time::Duration;

use pitlane_store::{
    TenantCtx,
    entity::{
        appointment, booking_code, invitation, invoice, outbox, repair_order, roadside_request,
        user,
    },
    sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter},
};
use pitlane_testkit::{SHAPES, TenantFixture, TestApp, checked, csrf_token};
use reqwest::{Method, StatusCode, header};
use serde_json::json;
use uuid::Uuid;

/// A server of this shape with workshop alpha, and its owner signed in.
async fn signed_in_shop(
    shape: pitlane_testkit::Shape,
) -> (TestApp, TenantFixture, pitlane_testkit::Client) {
    let app = TestApp::spawn_shape(shape).await;
    let alpha = app.tenant("alpha").await;
    let owner = app.client();
    owner.sign_in(&alpha).await;
    (app, alpha, owner)
}

/// Signs a workshop up from the platform's page, in pounds and London time.
async fn sign_up(
    visitor: &pitlane_testkit::Client,
    company: &str,
    slug: &str,
    owner: &str,
    email: &str,
) -> reqwest::Response {
    visitor
        .submit(
            "/signup",
            "/signup",
            &[
                ("company", company),
                ("slug", slug),
                ("owner_name", owner),
                ("email", email),
                ("password", "torque-wrench-42"),
                ("country", "GB"),
                ("currency", "GBP"),
                ("time_zone", "Europe/London"),
            ],
        )
        .await
}

/// The links and other variables of a tenant's queued messages of one kind, newest last.
async fn queued(
    app: &TestApp,
    tenant: pitlane_domain::ids::TenantId,
    kind: &str,
) -> Vec<serde_json::Value> {
    let tx = app
        .state()
        .store
        .tx(&TenantCtx::new(tenant))
        .await
        .expect("tx");
    let rows = tx
        .all(
            tx.select::<outbox::Entity>()
                .filter(outbox::Column::Kind.eq(kind)),
        )
        .await
        .expect("outbox");
    tx.commit().await.expect("commit");
    rows.into_iter().map(|r| r.data["vars"].clone()).collect()
}

/// The vars of the queued messages of one kind of the workshop at `slug`.
async fn queued_at(app: &TestApp, slug: &str, kind: &str) -> Vec<serde_json::Value> {
    let workshop = app
        .state()
        .store
        .tenant_by_slug(slug)
        .await
        .expect("query")
        .unwrap_or_else(|| panic!("no workshop {slug}"));
    queued(app, pitlane_domain::ids::TenantId(workshop.id), kind).await
}

async fn first_id<E>(app: &TestApp, tenant: &TenantFixture) -> Uuid
where
    E: pitlane_store::TenantScoped,
    E::Model: HasId,
{
    let tx = app
        .state()
        .store
        .tx(&TenantCtx::new(tenant.id))
        .await
        .expect("tx");
    let row = tx
        .first(tx.select::<E>())
        .await
        .expect("query")
        .expect("a row");
    tx.commit().await.expect("commit");
    row.id()
}

trait HasId {
    fn id(&self) -> Uuid;
}
macro_rules! has_id {
    ($($m:ty),*) => { $(impl HasId for $m { fn id(&self) -> Uuid { self.id } })* };
}
has_id!(
    pitlane_store::entity::branch::Model,
    repair_order::Model,
    invoice::Model,
    appointment::Model,
    invitation::Model,
    booking_code::Model,
    roadside_request::Model
);

fn set_cookies(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_owned))
        .collect()
}

/// Point 1: the CSRF token of a form was the HMAC of the visitor's own cookie under the key
/// that signed links, so a visitor could read back a valid signature for any link. Now a
/// cookie the server did not issue is replaced, and no form token signs anything else.
#[tokio::test]
async fn a_chosen_csrf_cookie_yields_no_valid_link_for_any_purpose() {
    for shape in SHAPES {
        let app = TestApp::spawn_shape(shape).await;
        let alpha = app.populated_tenant("alpha").await;
        let expires = 4_102_444_800_i64; // 2100-01-01
        let targets = [
            (
                "repair_order",
                first_id::<repair_order::Entity>(&app, &alpha).await,
                "/repair",
            ),
            (
                "invoice",
                first_id::<invoice::Entity>(&app, &alpha).await,
                "/invoice",
            ),
            (
                "manage_booking",
                first_id::<appointment::Entity>(&app, &alpha).await,
                "/book/manage",
            ),
            (
                "invitation",
                first_id::<invitation::Entity>(&app, &alpha).await,
                "/invitations/accept",
            ),
            (
                "roadside",
                first_id::<roadside_request::Entity>(&app, &alpha).await,
                "/roadside/track",
            ),
            // The links whose rows are made when they are sent: any id will do, since the
            // signature is what a forger lacks.
            ("reset_password", Uuid::now_v7(), "/reset-password"),
            ("verify_email", Uuid::now_v7(), "/verify-email"),
            ("magic_link", Uuid::now_v7(), "/account/magic"),
            ("unsubscribe", Uuid::now_v7(), "/unsubscribe"),
        ];
        let visitor = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        for (purpose, id, path) in targets {
            // The message the old scheme signed for a link: purpose, id and expiry.
            let chosen = format!("{purpose}|{}|{expires}", id.simple());
            let page = visitor
                .get(format!("{}/t/alpha/signin", app.origin))
                .header(header::COOKIE, format!("pitlane_csrf={chosen}"))
                .send()
                .await
                .expect("page");
            let cookies = set_cookies(&page);
            let issued = cookies
                .iter()
                .find_map(|c| c.strip_prefix("pitlane_csrf="))
                .unwrap_or_else(|| {
                    panic!("{shape:?}: a cookie it did not issue is replaced: {cookies:?}")
                });
            assert!(
                !issued.starts_with(&chosen),
                "{shape:?}: the chosen value is not kept"
            );
            let token = csrf_token(&page.text().await.expect("html")).expect("a form token");
            let forged = format!("{}.{expires}.{token}", id.simple());
            let url = format!("{}/t/alpha{path}?token={forged}", app.origin);
            // Unsubscribing happens on the button (or the mail program's one-click post).
            let method = if purpose == "unsubscribe" {
                Method::POST
            } else {
                Method::GET
            };
            let response = visitor.request(method, url).send().await.expect("link");
            let status = response.status();
            let body = response.text().await.expect("body");
            assert!(
                matches!(status, StatusCode::NOT_FOUND | StatusCode::GONE),
                "{shape:?}: a form token opened a {purpose} link: {status} {body}"
            );
            assert!(
                !body.contains("invitee@alpha-garage.example"),
                "{shape:?}: the forged invitation shows nothing of the real one"
            );
        }
        // A new workshop's confirmation, on the platform's own site.
        let page = app.client().get("/signup/confirm?token=x").await;
        let token = csrf_token(&page.text().await.expect("html")).expect("a form token");
        let forged = format!("{}.{expires}.{token}", Uuid::now_v7().simple());
        let confirmer = app.client();
        let response = confirmer
            .submit(
                "/signup/confirm?token=x",
                "/signup/confirm",
                &[("token", forged.as_str())],
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::GONE,
            "{shape:?}: a form token confirmed a workshop"
        );
        app.stop().await;
    }
}

/// A request with a poisoned `Host` (the platform's host on another port, and a forwarded
/// host) on each page that e-mails a link.
struct Poisoned<'a> {
    app: &'a TestApp,
    http: reqwest::Client,
}

const FAKE_HOST: &str = "127.0.0.1:1";

impl<'a> Poisoned<'a> {
    fn new(app: &'a TestApp) -> Self {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        Self { app, http }
    }

    fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.app.origin))
            .header(header::HOST, FAKE_HOST)
            .header("x-forwarded-host", "evil.example")
            .header("forwarded", "host=evil.example")
    }

    async fn submit(&self, page: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let html = self
            .request(Method::GET, page)
            .send()
            .await
            .expect("page")
            .text()
            .await
            .expect("html");
        let token = csrf_token(&html).unwrap_or_else(|| panic!("a form on {page}: {html}"));
        let mut form = vec![("csrf", token.as_str())];
        form.extend_from_slice(fields);
        self.request(Method::POST, page)
            .form(&form)
            .send()
            .await
            .expect("post")
    }
}

/// Point 2: every e-mailed link names the configured address (the public URL, with its real
/// port, or `{slug}.{base domain}`), whatever `Host` the request came with.
#[tokio::test]
async fn mailed_links_come_from_configuration_whatever_the_host_header() {
    for shape in SHAPES {
        let app = TestApp::spawn_shape(shape).await;
        let alpha = app.populated_tenant("alpha").await;
        let site = format!("{}/t/alpha", app.origin);
        let evil = Poisoned::new(&app);

        // A workshop's path is not served under a host that is not the platform's.
        let foreign = evil
            .http
            .get(format!("{}/t/alpha/forgot-password", app.origin))
            .header(header::HOST, "evil.example")
            .send()
            .await
            .expect("request");
        assert_eq!(foreign.status(), StatusCode::NOT_FOUND, "{shape:?}");

        let reset = evil
            .submit("/t/alpha/forgot-password", &[("email", &alpha.owner_email)])
            .await;
        assert_eq!(reset.status(), StatusCode::OK, "{shape:?}");
        let magic = evil
            .submit(
                "/t/alpha/account/signin",
                &[("email", "new.customer@example.com")],
            )
            .await;
        assert_eq!(magic.status(), StatusCode::OK, "{shape:?}");

        // Staff invite through the API, signed in on the same poisoned host.
        let signed_in = evil
            .submit(
                "/t/alpha/signin",
                &[
                    ("email", &alpha.owner_email),
                    ("password", &alpha.owner_password),
                ],
            )
            .await;
        assert_eq!(signed_in.status(), StatusCode::SEE_OTHER, "{shape:?}");
        let invited = evil
            .request(Method::POST, "/t/alpha/api/v1/invitations")
            .json(&json!({"email": "new.hire@example.com", "role": "mechanic"}))
            .send()
            .await
            .expect("invite");
        let invited = checked("POST", "/t/alpha/api/v1/invitations", invited).await;
        assert_eq!(
            invited.status,
            StatusCode::CREATED,
            "{shape:?}: {}",
            invited.body
        );

        let signup = evil
            .submit(
                "/signup",
                &[
                    ("company", "Charlie Cars"),
                    ("slug", "charlie"),
                    ("owner_name", "Cy Charlie"),
                    ("email", "cy@charlie.example"),
                    ("password", "torque-wrench-42"),
                    ("country", "GB"),
                    ("currency", "GBP"),
                    ("time_zone", "Europe/London"),
                ],
            )
            .await;
        assert_eq!(signup.status(), StatusCode::SEE_OTHER, "{shape:?}");
        let landing = signup
            .headers()
            .get(header::LOCATION)
            .and_then(|l| l.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert!(
            landing.starts_with(&format!("http://charlie.localhost:{}/", app.port())),
            "{shape:?}: {landing}"
        );

        // A repair order's customer link, asked for on the poisoned host.
        let order = first_id::<repair_order::Entity>(&app, &alpha).await;
        let path = format!("/t/alpha/api/v1/repair-orders/{order}/customer-link");
        let answer = evil
            .request(Method::GET, &path)
            .send()
            .await
            .expect("customer link");
        let answer = checked("GET", &path, answer).await;
        assert_eq!(answer.status, StatusCode::OK, "{shape:?}: {}", answer.body);
        let order_link = answer.body["url"].as_str().expect("url").to_owned();

        // A sign-up with an address that has a login: its confirmation link is the platform's.
        let known = evil
            .submit(
                "/signup",
                &[
                    ("company", "Delta Diesel"),
                    ("slug", "delta"),
                    ("owner_name", "Ada"),
                    ("email", &alpha.owner_email),
                    ("password", "anything-at-all-1"),
                    ("country", "GB"),
                    ("currency", "GBP"),
                    ("time_zone", "Europe/London"),
                ],
            )
            .await;
        assert_eq!(known.status(), StatusCode::SEE_OTHER, "{shape:?}");
        let confirmation = queued_at(&app, "delta", "workshop_created").await;
        let confirm_link = confirmation[0]["link"].as_str().expect("link").to_owned();
        assert!(
            confirm_link.starts_with(&format!("{}/signup/confirm?token=", app.origin)),
            "{shape:?}: {confirm_link}"
        );

        // An estimate and an invoice sent to a customer from the poisoned host.
        let api = |method: Method, path: String, body: serde_json::Value| {
            let evil = &evil;
            async move {
                let path = format!("/t/alpha/api/v1{path}");
                let response = evil
                    .request(method.clone(), &path)
                    .json(&body)
                    .send()
                    .await
                    .expect("api");
                let answer = checked(method.as_str(), &path, response).await;
                assert!(answer.status.is_success(), "{path}: {}", answer.body);
                answer.body
            }
        };
        let branch = first_id::<pitlane_store::entity::branch::Entity>(&app, &alpha).await;
        let customer = api(
            Method::POST,
            "/customers".into(),
            json!({"name": "Sam Driver", "email": "sam.driver@example.com"}),
        )
        .await;
        let vehicle = api(
            Method::POST,
            "/vehicles".into(),
            json!({"customer_id": customer["id"], "plate": "EV 1L", "make": "Ford", "model": "Focus"}),
        )
        .await;
        let estimate = api(
            Method::POST,
            "/repair-orders".into(),
            json!({"branch_id": branch, "customer_id": customer["id"], "vehicle_id": vehicle["id"]}),
        )
        .await;
        let estimate = estimate["id"].as_str().expect("order").to_owned();
        api(
            Method::POST,
            format!("/repair-orders/{estimate}/lines"),
            json!({"kind": "fee", "description": "Diagnosis", "unit_price": "40.00"}),
        )
        .await;
        api(
            Method::POST,
            format!("/repair-orders/{estimate}/estimate/send"),
            json!({}),
        )
        .await;
        let invoice = api(
            Method::POST,
            "/invoices".into(),
            json!({"branch_id": branch, "customer_id": customer["id"]}),
        )
        .await;
        let invoice = invoice["id"].as_str().expect("invoice").to_owned();
        api(
            Method::POST,
            format!("/invoices/{invoice}/lines"),
            json!({"kind": "fee", "description": "Diagnosis", "unit_price": "40.00", "quantity": "1"}),
        )
        .await;
        api(
            Method::POST,
            format!("/invoices/{invoice}/issue"),
            json!({}),
        )
        .await;

        let mut links: Vec<String> = vec![order_link];
        for kind in [
            "password_reset",
            "magic_link",
            "staff_invitation",
            "estimate_ready",
            "invoice_issued",
        ] {
            let vars = queued(&app, alpha.id, kind).await;
            assert!(!vars.is_empty(), "{shape:?}: a {kind} was queued");
            links.extend(
                vars.iter()
                    .filter_map(|v| v["link"].as_str().map(str::to_owned)),
            );
        }
        let verification = queued_at(&app, "charlie", "email_verification").await;
        links.extend(
            verification
                .iter()
                .filter_map(|v| v["link"].as_str().map(str::to_owned)),
        );
        for link in &links {
            assert!(
                link.starts_with(&format!("{site}/"))
                    || link.starts_with(&format!("http://charlie.localhost:{}/", app.port())),
                "{shape:?}: a link from configuration, not the request: {link}"
            );
            assert!(
                !link.contains("evil") && !link.contains(FAKE_HOST),
                "{shape:?}: {link}"
            );
        }
        app.stop().await;
    }
}

/// Point 2: the calendar entry of one appointment has one UID, from configuration, in the
/// e-mail and in the download, whatever host either was asked on.
#[tokio::test]
async fn a_calendar_entry_keeps_its_uid_whatever_the_host() {
    for shape in SHAPES {
        let app = TestApp::spawn_shape(shape).await;
        let alpha = app.populated_tenant("alpha").await;
        let confirmation = queued(&app, alpha.id, "booking_confirmation").await;
        let manage = confirmation
            .iter()
            .find_map(|v| v["manage_link"].as_str())
            .expect("a manage link")
            .to_owned();
        let path = pitlane_testkit::tenant_path(&manage)
            .replace("/book/manage?", "/book/manage/calendar.ics?");
        let evil = Poisoned::new(&app);
        let poisoned = evil
            .request(Method::GET, &path)
            .send()
            .await
            .expect("ics")
            .text()
            .await
            .expect("text");
        let plain = app.client().get(&path).await.text().await.expect("text");
        let uid = |ics: &str| {
            ics.lines()
                .find_map(|l| l.strip_prefix("UID:"))
                .map(str::to_owned)
                .unwrap_or_else(|| panic!("a UID in {ics}"))
        };
        assert_eq!(uid(&poisoned), uid(&plain));
        assert!(uid(&plain).ends_with("@localhost"), "{}", uid(&plain));
        assert!(!poisoned.contains("evil") && !poisoned.contains("bookings@127.0.0.1"));
        // The organizer is the deployment's configured sender (the workshop set no reply-to).
        let organizer = |ics: &str| {
            ics.replace("\r\n ", "")
                .lines()
                .find(|l| l.starts_with("ORGANIZER"))
                .map(str::to_owned)
                .unwrap_or_else(|| panic!("an ORGANIZER in {ics}"))
        };
        let mail_from = app.state().config.notify.mail_from.clone();
        assert!(
            organizer(&poisoned).ends_with(&format!(":mailto:{mail_from}")),
            "{shape:?}: {}",
            organizer(&poisoned)
        );
        assert_eq!(organizer(&poisoned), organizer(&plain));
        app.stop().await;
    }
}

/// Point 1: an invitation whose row has expired is refused, whatever its token says.
#[tokio::test]
async fn an_invitation_is_refused_once_its_row_has_expired() {
    for shape in SHAPES {
        let (app, alpha, owner) = signed_in_shop(shape).await;
        let (status, _) = owner
            .call(
                Method::POST,
                "/t/alpha/api/v1/invitations",
                Some(json!({"email": "late@example.com", "role": "mechanic"})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{shape:?}");
        let link = queued(&app, alpha.id, "staff_invitation").await[0]["link"]
            .as_str()
            .expect("link")
            .to_owned();
        let path = pitlane_testkit::tenant_path(&link);
        assert!(
            app.client()
                .get(&path)
                .await
                .text()
                .await
                .expect("page")
                .contains("late@example.com")
        );

        // The workshop's row expires (the token still says seven days).
        let tx = app
            .state()
            .store
            .tx(&TenantCtx::new(alpha.id))
            .await
            .expect("tx");
        let row = tx
            .first(tx.select::<invitation::Entity>())
            .await
            .expect("q")
            .expect("row");
        let mut row = row.into_active_model();
        row.expires_at = Set(chrono::Utc::now() - chrono::Duration::minutes(1));
        tx.update(row).await.expect("expire");
        tx.commit().await.expect("commit");

        let visitor = app.client();
        let page = visitor.get(&path).await.text().await.expect("page");
        assert!(page.contains("expired"), "{shape:?}: {page}");
        let token = link.split("token=").nth(1).expect("token");
        let accepted = visitor
            .submit(
                &path,
                "/t/alpha/invitations/accept",
                &[
                    ("token", token),
                    ("name", "Late Larry"),
                    ("password", "torque-wrench-42"),
                ],
            )
            .await;
        assert_ne!(
            accepted.status(),
            StatusCode::SEE_OTHER,
            "{shape:?}: not accepted"
        );
        let (status, staff) = owner.call(Method::GET, "/t/alpha/api/v1/staff", None).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            !staff.to_string().contains("late@example.com"),
            "{shape:?}: {staff}"
        );
        app.stop().await;
    }
}

/// Point 9: NUL and other control characters are refused with 422 naming the field, in the
/// API, in query strings and in page forms, the same in both shapes; nothing is stored.
#[tokio::test]
async fn nul_characters_are_refused_by_name_never_a_500() {
    for shape in SHAPES {
        let (app, _alpha, owner) = signed_in_shop(shape).await;
        for (body, field) in [
            (json!({"name": "Ann\u{0}Smith"}), "name"),
            (
                json!({"name": "Ann Smith", "notes": "keys \u{0} under the mat"}),
                "notes",
            ),
            (
                json!({"name": "Ann Smith", "tags": ["vip", "fl\u{1b}eet"]}),
                "tags[1]",
            ),
        ] {
            let (status, problem) = owner
                .call(Method::POST, "/t/alpha/api/v1/customers", Some(body))
                .await;
            assert_eq!(
                status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{shape:?}: {problem}"
            );
            assert_eq!(problem["errors"][0]["field"], field, "{shape:?}: {problem}");
        }
        let (status, problem) = owner
            .call(Method::GET, "/t/alpha/api/v1/customers?search=a%00b", None)
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{shape:?}: {problem}"
        );
        assert_eq!(problem["errors"][0]["field"], "search");

        // A staff form keeps what was typed and names the field.
        let page = owner
            .submit(
                "/t/alpha/portal/customers/new",
                "/t/alpha/portal/customers",
                &[("name", "Zed Zimmer"), ("company", "Zed\u{0}Fleet")],
            )
            .await;
        assert_eq!(page.status(), StatusCode::UNPROCESSABLE_ENTITY, "{shape:?}");
        let html = page.text().await.expect("page");
        assert!(
            html.contains("control character") && html.contains("Zed Zimmer"),
            "{shape:?}: {html}"
        );

        // Signed out: the sign-up form answers with its messages too.
        let visitor = app.client();
        let signup = sign_up(
            &visitor,
            "Nul\u{0}Motors",
            "nulmotors",
            "Nora Nul",
            "nora@nul.example",
        )
        .await;
        assert_eq!(
            signup.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{shape:?}"
        );
        assert!(signup.text().await.expect("page").contains("nulmotors"));
        let (status, list) = owner
            .call(Method::GET, "/t/alpha/api/v1/customers", None)
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            !list.to_string().contains("Zed"),
            "{shape:?}: nothing was stored"
        );
        app.stop().await;
    }
}

/// Point 8: after sign-in, `next` may only be a plain path of this site.
#[tokio::test]
async fn sign_in_never_redirects_to_another_site() {
    for shape in SHAPES {
        let app = TestApp::spawn_shape(shape).await;
        let alpha = app.tenant("alpha").await;
        for next in [
            "/\t/evil.example",
            "/\n/evil.example",
            "/\\evil.example",
            "//evil.example",
            "https://evil.example",
            "/ /evil.example",
        ] {
            let client = app.client();
            let response = client
                .submit(
                    "/t/alpha/signin",
                    "/t/alpha/signin",
                    &[
                        ("email", &alpha.owner_email),
                        ("password", &alpha.owner_password),
                        ("next", next),
                    ],
                )
                .await;
            assert_eq!(response.status(), StatusCode::SEE_OTHER);
            let location = response.headers()[header::LOCATION]
                .to_str()
                .expect("location")
                .to_owned();
            assert_eq!(location, "/t/alpha/portal", "{next:?} went to {location}");
        }
        app.stop().await;
    }
}

/// Point 5: guesses at a booking code made at the same moment cannot together try more
/// than five codes.
#[tokio::test]
async fn parallel_guesses_at_a_booking_code_try_at_most_five() {
    for shape in SHAPES {
        let app = TestApp::spawn_shape(shape).await;
        let alpha = app.populated_tenant("alpha").await;
        let id = first_id::<booking_code::Entity>(&app, &alpha).await;
        let guest = app.client();
        let page = guest
            .get(&format!("/t/alpha/book/code?id={id}"))
            .await
            .text()
            .await
            .expect("page");
        let token = csrf_token(&page).expect("token");
        let guesses = (0..20).map(|n| {
            let guest = guest.clone();
            let token = token.clone();
            async move {
                let code = format!("{:06}", 100_000 + n);
                guest
                    .http
                    .post(guest.url("/t/alpha/book/code"))
                    .form(&[
                        ("csrf", token.as_str()),
                        ("id", &id.to_string()),
                        ("code", &code),
                    ])
                    .send()
                    .await
                    .expect("guess")
                    .text()
                    .await
                    .expect("page")
            }
        });
        let answers = futures_util::future::join_all(guesses).await;
        let compared = answers
            .iter()
            .filter(|a| a.contains("not the code we sent"))
            .count();
        assert!(compared <= 5, "{shape:?}: {compared} guesses were compared");
        let tx = app
            .state()
            .store
            .tx(&TenantCtx::new(alpha.id))
            .await
            .expect("tx");
        let row = tx.get::<booking_code::Entity>(id).await.expect("row");
        tx.commit().await.expect("commit");
        assert_eq!(row.attempts, 5, "{shape:?}");
        app.stop().await;
    }
}

/// Point 4: signing up with an address that has a login answers the same whether the
/// password is right or wrong, and wrong ones lock like sign-in does.
#[tokio::test]
async fn sign_up_is_no_password_oracle() {
    for shape in SHAPES {
        sign_up_with_a_known_address(shape).await;
    }
}

/// Signing up with an address that has a login: a wrong password and the right one give the
/// same answer, the same closed workshop (its address taken, serving nothing) and the same
/// e-mail; only the address's owner opens it, from the e-mail. The e-mails are capped per
/// address.
async fn sign_up_with_a_known_address(shape: pitlane_testkit::Shape) {
    let app = TestApp::spawn_shape(shape).await;
    let alpha = app.tenant("alpha").await;
    let form = |slug: &str, password: &str| -> Vec<(String, String)> {
        [
            ("company", "Second Shop"),
            ("slug", slug),
            ("owner_name", "Ada"),
            ("country", "GB"),
            ("currency", "GBP"),
            ("time_zone", "Europe/London"),
            ("password", password),
            ("email", alpha.owner_email.as_str()),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
    };
    let visitor = app.client();
    let try_sign_up = |fields: Vec<(String, String)>| {
        let visitor = visitor.clone();
        async move {
            let fields: Vec<(&str, &str)> = fields
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let response = visitor.submit("/signup", "/signup", &fields).await;
            let location = response
                .headers()
                .get(header::LOCATION)
                .map(|l| l.to_str().unwrap_or_default().to_owned());
            (response.status(), location)
        }
    };
    let wrong = try_sign_up(form("second-a", "not-the-password-1")).await;
    let right = try_sign_up(form("second-b", &alpha.owner_password)).await;
    assert_eq!(wrong, right, "{shape:?}: the same answer either way");
    assert_eq!(right.1.as_deref(), Some("/signup/sent"));

    let store = &app.state().store;
    let mut links = Vec::new();
    for slug in ["second-a", "second-b"] {
        let made = store
            .tenant_by_slug(slug)
            .await
            .expect("q")
            .expect("the address is taken either way");
        assert!(made.awaiting_owner, "{slug} waits for its owner");
        let probe = visitor.get(&format!("/t/{slug}/signin")).await;
        assert_eq!(
            probe.status(),
            StatusCode::NOT_FOUND,
            "{slug} serves nothing"
        );
        let told = queued(
            &app,
            pitlane_domain::ids::TenantId(made.id),
            "workshop_created",
        )
        .await;
        assert_eq!(told.len(), 1, "{slug}: the address is asked to confirm");
        let link = told[0]["link"].as_str().expect("a link").to_owned();
        assert!(link.starts_with(&app.origin), "{link}");
        links.push(link);
    }

    // The address's owner confirms the second one: it opens, with them as its owner.
    let path = links[1].trim_start_matches(&app.origin).to_owned();
    let page = visitor.get(&path).await;
    assert_eq!(page.status(), StatusCode::OK);
    let token = path.split("token=").nth(1).expect("token").to_owned();
    let confirmed = visitor
        .submit(&path, "/signup/confirm", &[("token", token.as_str())])
        .await;
    assert_eq!(confirmed.status(), StatusCode::SEE_OTHER);
    let to = confirmed.headers()[header::LOCATION]
        .to_str()
        .expect("location")
        .to_owned();
    assert!(
        to.contains("second-b") && to.ends_with("/signin?notice=confirmed"),
        "{to}"
    );
    let open = visitor.get("/t/second-b/signin").await;
    assert_eq!(open.status(), StatusCode::OK);
    let owner = app.client();
    let signed_in = owner
        .submit(
            "/t/second-b/signin",
            "/t/second-b/signin",
            &[
                ("email", alpha.owner_email.as_str()),
                ("password", alpha.owner_password.as_str()),
            ],
        )
        .await;
    assert_eq!(
        signed_in.status(),
        StatusCode::SEE_OTHER,
        "the owner signs in"
    );
    let again = visitor
        .submit(&path, "/signup/confirm", &[("token", token.as_str())])
        .await;
    assert_eq!(
        again.status(),
        StatusCode::GONE,
        "a confirmation works once"
    );

    // Every such sign-up e-mails the address: a sixth within the hour is refused, alike.
    for n in 0..3 {
        let answer = try_sign_up(form(&format!("more-{n}"), "whatever-it-is-1")).await;
        assert_eq!(answer, right, "{n}");
    }
    let fields = form("more-3", "whatever-it-is-1");
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let capped = visitor.submit("/signup", "/signup", &fields).await;
    assert_eq!(capped.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = capped.text().await.unwrap_or_default();
    assert!(html.contains("too many messages"), "{html}");
    assert!(store.tenant_by_slug("more-3").await.expect("q").is_none());

    // Nobody confirmed the first: once its link has expired, its address is given back.
    let unclaimed = store
        .tenant_by_slug("second-a")
        .await
        .expect("q")
        .expect("second-a");
    pitlane_app::sweeps::maintenance_round(app.state()).await;
    assert!(
        store.tenant_by_slug("second-a").await.expect("q").is_some(),
        "kept while its link is good"
    );
    let tx = store
        .tx(&TenantCtx::new(pitlane_domain::ids::TenantId(unclaimed.id)))
        .await
        .expect("tx");
    let mut row = tx
        .get::<pitlane_store::entity::tenant::Entity>(unclaimed.id)
        .await
        .expect("tenant")
        .into_active_model();
    row.created_at = Set(chrono::Utc::now() - chrono::Duration::days(4));
    tx.update(row).await.expect("update");
    tx.commit().await.expect("commit");
    pitlane_app::sweeps::maintenance_round(app.state()).await;
    assert!(
        store.tenant_by_slug("second-a").await.expect("q").is_none(),
        "{shape:?}: the address is free again"
    );
    assert!(
        store
            .tenant_by_slug("second-b")
            .await
            .expect("q")
            .is_some_and(|t| !t.awaiting_owner),
        "a confirmed workshop keeps its address"
    );
    app.stop().await;
}

/// Point 4: asking for a sign-in link for an unknown address creates nobody; the address can
/// still sign up as a new login.
#[tokio::test]
async fn a_magic_link_request_creates_no_login_that_blocks_sign_up() {
    for shape in SHAPES {
        let app = TestApp::spawn_shape(shape).await;
        app.tenant("alpha").await;
        let visitor = app.client();
        let response = visitor
            .submit(
                "/t/alpha/account/signin",
                "/t/alpha/account/signin",
                &[("email", "fresh@example.com")],
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK, "{shape:?}");
        let tx = app.state().store.people_tx().await.expect("tx");
        let nobody = tx
            .people()
            .first(user::Entity::find().filter(user::Column::Email.eq("fresh@example.com")))
            .await
            .expect("q");
        tx.commit().await.expect("commit");
        assert!(
            nobody.is_none(),
            "{shape:?}: no person is made for a request"
        );
        let signup = sign_up(
            &visitor,
            "Fresh Garage",
            "fresh",
            "Fay Fresh",
            "fresh@example.com",
        )
        .await;
        let location = signup.headers()[header::LOCATION]
            .to_str()
            .expect("loc")
            .to_owned();
        assert!(
            location.ends_with("/signin?notice=verify"),
            "{shape:?}: a new login: {location}"
        );
        app.stop().await;
    }
}

/// Point 4: a customer changes their password only with the current one, every other
/// session ends, and a customer's session cannot give a staff login a password.
#[tokio::test]
async fn changing_a_password_takes_the_current_one_and_ends_other_sessions() {
    for shape in SHAPES {
        let app = TestApp::spawn_shape(shape).await;
        let alpha = app.tenant("alpha").await;
        let bravo = app.tenant("bravo").await;

        // A customer of alpha by magic link, who sets a first password, then changes it.
        let magic_sign_in = |email: &'static str| {
            let app = &app;
            async move {
                let client = app.client();
                client
                    .submit(
                        "/t/alpha/account/signin",
                        "/t/alpha/account/signin",
                        &[("email", email)],
                    )
                    .await;
                let link = queued(app, alpha.id, "magic_link")
                    .await
                    .iter()
                    .rev()
                    .find_map(|v| v["link"].as_str().map(str::to_owned))
                    .expect("a link");
                let signed = client.get(&pitlane_testkit::tenant_path(&link)).await;
                assert_eq!(signed.status(), StatusCode::SEE_OTHER);
                client
            }
        };
        let customer = magic_sign_in("cara@example.com").await;
        let first = customer
            .submit(
                "/t/alpha/account",
                "/t/alpha/account/password",
                &[("password", "first-password-1")],
            )
            .await;
        assert_eq!(
            first.status(),
            StatusCode::SEE_OTHER,
            "a first password needs the session only"
        );
        let elsewhere = magic_sign_in("cara@example.com").await;
        let wrong = customer
            .submit(
                "/t/alpha/account",
                "/t/alpha/account/password",
                &[
                    ("current_password", "not-it-at-all"),
                    ("password", "second-password-2"),
                ],
            )
            .await;
        assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            wrong
                .text()
                .await
                .expect("page")
                .contains("not your current password")
        );
        let changed = customer
            .submit(
                "/t/alpha/account",
                "/t/alpha/account/password",
                &[
                    ("current_password", "first-password-1"),
                    ("password", "second-password-2"),
                ],
            )
            .await;
        assert_eq!(changed.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            customer.get("/t/alpha/account").await.status(),
            StatusCode::OK,
            "this session goes on"
        );
        assert_eq!(
            elsewhere.get("/t/alpha/account").await.status(),
            StatusCode::SEE_OTHER,
            "the other session ended"
        );

        // Bravo's owner has no password here... but is staff: a customer's session at alpha is no
        // proof for that login.
        let tx = app.state().store.people_tx().await.expect("tx");
        let person = tx
            .people()
            .first(user::Entity::find().filter(user::Column::Email.eq(&bravo.owner_email)))
            .await
            .expect("q")
            .expect("bravo's owner");
        let mut row = person.into_active_model();
        row.password_hash = Set(None);
        tx.people().update(row).await.expect("no password");
        tx.commit().await.expect("commit");
        let bravo_email: &'static str = Box::leak(bravo.owner_email.clone().into_boxed_str());
        let impostor = magic_sign_in(bravo_email).await;
        let taken = impostor
            .submit(
                "/t/alpha/account",
                "/t/alpha/account/password",
                &[("password", "attacker-chose-1")],
            )
            .await;
        assert_eq!(taken.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(taken.text().await.expect("page").contains("reset link"));
        app.stop().await;
    }
}

/// Point 5: behind trusted proxies the client's address comes from `X-Forwarded-For` (its
/// rightmost untrusted entry); otherwise the header is ignored. Throttles key on it.
#[tokio::test]
async fn the_client_address_is_believed_only_through_trusted_proxies() {
    for shape in SHAPES {
        for trusted in [true, false] {
            let app = TestApp::spawn_shape_with(shape, |config| {
                if trusted {
                    config.trusted_proxies = vec!["127.0.0.1/32".parse().expect("net")];
                }
            })
            .await;
            app.tenant("alpha").await;
            // Sign-in links are capped per address: ten an hour from one network.
            let sends = |from: &'static str| {
                let app = &app;
                async move {
                    let client = app.client();
                    let mut refused = 0;
                    for n in 0..12 {
                        let page = client
                            .http
                            .get(client.url("/t/alpha/account/signin"))
                            .header("x-forwarded-for", format!("198.51.100.200, {from}"))
                            .send()
                            .await
                            .expect("page")
                            .text()
                            .await
                            .expect("html");
                        let token = csrf_token(&page).expect("token");
                        let email = format!("visitor{n}.{from}@example.com");
                        let answer = client
                            .http
                            .post(client.url("/t/alpha/account/signin"))
                            .header("x-forwarded-for", format!("198.51.100.200, {from}"))
                            .form(&[("csrf", token.as_str()), ("email", email.as_str())])
                            .send()
                            .await
                            .expect("post")
                            .text()
                            .await
                            .expect("html");
                        if answer.contains("from your network") {
                            refused += 1;
                        }
                    }
                    refused
                }
            };
            assert_eq!(
                sends("203.0.113.1").await,
                2,
                "{shape:?}: the eleventh and twelfth are refused"
            );
            // Behind a trusted proxy another client has its own count; otherwise the header
            // is ignored and every request is the proxy's own, already over its cap.
            let expected = if trusted { 2 } else { 12 };
            assert_eq!(
                sends("203.0.113.2").await,
                expected,
                "{shape:?}, trusted proxy {trusted}"
            );
            app.stop().await;
        }
    }
}

/// A provider sign-in followed by one client from the workshop's button to the hand-off.
/// Returns the hand-off's answer (or the callback's, when that refused).
async fn provider_round_trip(
    starter: &pitlane_testkit::Client,
    finisher: &pitlane_testkit::Client,
    provider: &str,
) -> reqwest::Response {
    let location = |r: &reqwest::Response| {
        r.headers()
            .get(header::LOCATION)
            .and_then(|l| l.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let local = |url: &str| {
        let url = url::Url::parse(url).expect("url");
        format!("{}?{}", url.path(), url.query().unwrap_or_default())
    };
    let start = starter
        .get(&format!("/t/alpha/signin/oauth/{provider}"))
        .await;
    assert_eq!(start.status(), StatusCode::SEE_OTHER);
    let back = starter
        .http
        .get(location(&start))
        .send()
        .await
        .expect("provider");
    assert_eq!(back.status(), StatusCode::FOUND);
    let callback = finisher.get(&local(&location(&back))).await;
    if callback.status() != StatusCode::SEE_OTHER {
        return callback;
    }
    finisher
        .get(&pitlane_testkit::tenant_path(&location(&callback)))
        .await
}

async fn app_with_provider(vars: Vec<(&'static str, String)>) -> TestApp {
    let db = pitlane_testkit::TestDatabase::create().await;
    let mut all = pitlane_testkit::test_vars(&db);
    all.extend(vars);
    TestApp::spawn_with(
        pitlane_testkit::Backend::Postgres(db),
        pitlane_testkit::config_from(&all),
    )
    .await
}

const DIRECTORY: &str = "6f1c2a4e-1111-4c3b-9d2e-0a1b2c3d4e5f";
const OTHER_DIRECTORY: &str = "0c9b8a7d-2222-4e5f-8a9b-1c2d3e4f5a6b";

/// Point 4: Microsoft sign-in takes only the configured directories, and links a login only
/// when the address is asserted verified: without the claim, no provider is believed.
#[tokio::test]
async fn single_sign_on_links_only_asserted_addresses_of_listed_directories() {
    let idp = pitlane_testkit::FakeIdp::start().await;
    let app = app_with_provider(idp.microsoft_vars(DIRECTORY)).await;
    let alpha = app.tenant("alpha").await;
    let person = |verified: bool| pitlane_testkit::IdpUser {
        sub: format!("entra-{verified}"),
        email: alpha.owner_email.clone(),
        email_verified: verified,
        name: "Ada".into(),
    };

    idp.as_microsoft(OTHER_DIRECTORY);
    idp.signs_in(person(true));
    let client = app.client();
    let foreign = provider_round_trip(&client, &client, "microsoft").await;
    assert_eq!(foreign.status(), StatusCode::BAD_REQUEST);
    assert!(foreign.text().await.expect("page").contains("directory"));

    idp.as_microsoft(DIRECTORY);
    idp.signs_in(person(false));
    let client = app.client();
    let unverified = provider_round_trip(&client, &client, "microsoft").await;
    assert_eq!(
        unverified.status(),
        StatusCode::BAD_REQUEST,
        "no claim, no link"
    );
    assert!(
        unverified
            .text()
            .await
            .expect("page")
            .contains("did not confirm")
    );

    idp.signs_in(person(true));
    let client = app.client();
    let linked = provider_round_trip(&client, &client, "microsoft").await;
    assert_eq!(linked.status(), StatusCode::SEE_OTHER);
    let (status, _) = client.call(Method::GET, "/t/alpha/api/v1/me", None).await;
    assert_eq!(status, StatusCode::OK, "signed in");

    // `common` would let any Microsoft account in: refused at start-up.
    let db = pitlane_testkit::TestDatabase::create().await;
    let mut vars = pitlane_testkit::test_vars(&db);
    vars.extend(idp.microsoft_vars("common"));
    let refused = pitlane_app::Config::from_lookup(|name| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
    });
    assert!(refused.is_err_and(|e| e.var == "OAUTH_MICROSOFT_TENANT"));
    db.drop().await;
    app.stop().await;
}

/// Point 4: a sign-in started in one browser cannot be finished in another (login CSRF: an
/// attacker sends a victim their own callback to sign the victim in as the attacker).
#[tokio::test]
async fn a_provider_sign_in_finishes_only_in_the_browser_that_started_it() {
    let idp = pitlane_testkit::FakeIdp::start().await;
    let app = app_with_provider(idp.vars()).await;
    let alpha = app.tenant("alpha").await;
    idp.signs_in(pitlane_testkit::IdpUser {
        sub: "attacker".into(),
        email: alpha.owner_email.clone(),
        email_verified: true,
        name: "Mallory".into(),
    });
    let attacker = app.client();
    let victim = app.client();
    let planted = provider_round_trip(&attacker, &victim, "sso").await;
    assert_eq!(
        planted.status(),
        StatusCode::BAD_REQUEST,
        "refused in the victim's browser"
    );
    let (status, _) = victim.call(Method::GET, "/t/alpha/api/v1/me", None).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the victim is not signed in as anyone"
    );
    let own = provider_round_trip(&attacker, &attacker, "sso").await;
    assert_eq!(
        own.status(),
        StatusCode::SEE_OTHER,
        "the same flow in one browser works"
    );
    app.stop().await;
}

/// Point 4: a person with two-factor sign-in enters their code after single sign-on too,
/// unless the workshop trusts the provider's own second factor.
#[tokio::test]
async fn two_factor_still_applies_after_single_sign_on_unless_trusted() {
    let idp = pitlane_testkit::FakeIdp::start().await;
    let app = app_with_provider(idp.vars()).await;
    let alpha = app.tenant("alpha").await;
    let (secret, _) = pitlane_identity::two_factor::new_secret("ALPHA", &alpha.owner_email);
    let code = pitlane_identity::two_factor::current_code(&secret).expect("code");
    pitlane_identity::two_factor::enable(&app.state().identity, &alpha.owner, &secret, &code)
        .await
        .expect("two-factor on");
    idp.signs_in(pitlane_testkit::IdpUser {
        sub: "ada".into(),
        email: alpha.owner_email.clone(),
        email_verified: true,
        name: "Ada".into(),
    });
    let client = app.client();
    let handed = provider_round_trip(&client, &client, "sso").await;
    assert_eq!(handed.status(), StatusCode::SEE_OTHER);
    let to = handed.headers()[header::LOCATION]
        .to_str()
        .expect("loc")
        .to_owned();
    assert!(to.ends_with("/signin/two-factor"), "{to}");
    let (status, _) = client.call(Method::GET, "/t/alpha/api/v1/me", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "not before the code");

    pitlane_tenancy::security::update(
        &app.state().store,
        &alpha.owner,
        pitlane_tenancy::security::SecuritySettings {
            require_sso: false,
            require_two_factor: false,
            sso_trusts_mfa: true,
        },
        true,
    )
    .await
    .expect("trust the provider");
    let trusted = app.client();
    let handed = provider_round_trip(&trusted, &trusted, "sso").await;
    let to = handed.headers()[header::LOCATION]
        .to_str()
        .expect("loc")
        .to_owned();
    assert!(to.ends_with("/t/alpha/portal"), "{to}");
    app.stop().await;
}

/// Point 8: `/metrics` only with the token on the platform's host, or on its own address;
/// never on a workshop's host.
#[tokio::test]
async fn metrics_are_served_only_with_the_token_or_on_their_own_address() {
    let db = pitlane_testkit::TestDatabase::create().await;
    let mut vars = pitlane_testkit::test_vars(&db);
    vars.push(("PITLANE_METRICS_ADDR", "127.0.0.1:0".to_owned()));
    let app = TestApp::spawn_with(
        pitlane_testkit::Backend::Postgres(db),
        pitlane_testkit::config_from(&vars),
    )
    .await;
    app.tenant("alpha").await;
    let client = app.client();
    assert_eq!(
        client.get("/metrics").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let with_token = |url: String| {
        let client = client.clone();
        async move {
            client
                .http
                .get(url)
                .bearer_auth(pitlane_testkit::METRICS_TOKEN)
                .send()
                .await
                .expect("metrics")
                .status()
        }
    };
    assert_eq!(with_token(client.url("/metrics")).await, StatusCode::OK);
    assert_eq!(
        with_token(format!("http://alpha.localhost:{}/metrics", app.port())).await,
        StatusCode::NOT_FOUND,
        "a workshop's host has no metrics"
    );
    assert_eq!(
        with_token(client.url("/t/alpha/metrics")).await,
        StatusCode::NOT_FOUND
    );
    let own = app.server.metrics_addr.expect("the metrics address");
    let body = reqwest::get(format!("http://{own}/metrics"))
        .await
        .expect("scrape")
        .text()
        .await
        .expect("text");
    assert!(
        body.contains("pitlane_http_requests_total") && body.ends_with("# EOF\n"),
        "{body}"
    );
    app.stop().await;
}

/// Point 8: the web server's role cannot claim, finish or purge outbox messages; the
/// workers' role can. Security definers resolve names in `public` and `pg_temp` only.
#[tokio::test]
async fn the_web_role_cannot_run_the_workers_outbox_functions() {
    use pitlane_store::sea_orm::{ConnectionTrait, Database};
    let app = TestApp::spawn().await;
    let db = app.db();
    let web = db.app().await;
    for call in [
        "select * from pitlane_outbox_claim(1, 1, 1, 'web')",
        "select * from pitlane_outbox_purge(1, 1)",
        "select * from pitlane_outbox_requeue_stale(1, 1)",
    ] {
        let err = web.execute_unprepared(call).await.expect_err(call);
        assert!(
            err.to_string().contains("permission denied"),
            "{call}: {err}"
        );
    }
    let worker = Database::connect(&db.worker_url)
        .await
        .expect("worker role");
    worker
        .execute_unprepared("begin; select * from pitlane_outbox_claim(1, 1, 1, 'w'); rollback;")
        .await
        .expect("the workers' role claims");
    // Every one of the workers' functions, in every signature: the web role may run none.
    let runnable = |conn: pitlane_store::sea_orm::DatabaseConnection| async move {
        conn.query_all_raw(pitlane_store::sea_orm::Statement::from_string(
            pitlane_store::sea_orm::DbBackend::Postgres,
            "select p.proname::text as name from pg_proc p
               join pg_namespace n on n.oid = p.pronamespace
              where n.nspname = 'public' and p.proname like 'pitlane_outbox_%'
                and has_function_privilege(current_user, p.oid, 'execute')",
        ))
        .await
        .expect("privileges")
        .iter()
        .map(|r| r.try_get::<String>("", "name").expect("name"))
        .collect::<std::collections::BTreeSet<String>>()
    };
    let workers_only = [
        "pitlane_outbox_claim",
        "pitlane_outbox_release",
        "pitlane_outbox_take",
        "pitlane_outbox_finish",
        "pitlane_outbox_finish_many",
        "pitlane_outbox_requeue_stale",
        "pitlane_outbox_purge",
        "pitlane_outbox_relays",
        "pitlane_outbox_requeue_relayed_by",
    ];
    let for_web = runnable(db.app().await).await;
    let for_workers = runnable(Database::connect(&db.worker_url).await.expect("worker")).await;
    for name in workers_only {
        assert!(!for_web.contains(name), "the web role may run {name}");
        assert!(
            for_workers.contains(name),
            "the workers' role may run {name}"
        );
    }
    let admin = db.admin().await;
    let unsafe_paths = admin
        .query_all_raw(pitlane_store::sea_orm::Statement::from_string(
            pitlane_store::sea_orm::DbBackend::Postgres,
            "select p.proname::text as name from pg_proc p join pg_namespace n on n.oid = p.pronamespace
              where n.nspname = 'public' and p.prosecdef
                and not coalesce(p.proconfig, '{}') @> array['search_path=public, pg_temp']",
        ))
        .await
        .expect("query");
    let names: Vec<String> = unsafe_paths
        .iter()
        .map(|r| r.try_get::<String>("", "name").expect("name"))
        .collect();
    assert!(
        names.is_empty(),
        "security definers without a safe search_path: {names:?}"
    );
    app.stop().await;
}

/// Point 8: a POST repeated with the same `Idempotency-Key` answers with the first answer
/// and acts once; the same key with another body is 422; each caller has its own keys.
#[tokio::test]
async fn an_idempotency_key_makes_a_retried_post_act_once() {
    for shape in SHAPES {
        let (app, alpha, owner) = signed_in_shop(shape).await;
        let send = |key: &'static str, to: &'static str| {
            let owner = owner.clone();
            async move {
                let path = "/t/alpha/api/v1/messages/test";
                let response = owner
                    .http
                    .post(owner.url(path))
                    .header("Idempotency-Key", key)
                    .json(&json!({"to": to}))
                    .send()
                    .await
                    .expect("send");
                let answer = checked("POST", path, response).await;
                let replayed = answer.headers.contains_key("idempotent-replayed");
                (answer.status, replayed, answer.body)
            }
        };
        let (first, replayed, body) = send("retry-me-1", "ops@alpha.example").await;
        assert_eq!(first, StatusCode::ACCEPTED, "{shape:?}: {body}");
        assert!(!replayed);
        let (again, replayed, body_again) = send("retry-me-1", "ops@alpha.example").await;
        assert_eq!(again, StatusCode::ACCEPTED);
        assert!(replayed, "{shape:?}: the first answer, replayed");
        assert_eq!(body_again["id"], body["id"], "{shape:?}: the same message");
        let (other, _, problem) = send("retry-me-1", "someone.else@alpha.example").await;
        assert_eq!(
            other,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{shape:?}: {problem}"
        );
        assert_eq!(problem["errors"][0]["field"], "Idempotency-Key");
        let (fresh, replayed, _) = send("retry-me-2", "ops@alpha.example").await;
        assert_eq!(fresh, StatusCode::ACCEPTED);
        assert!(!replayed);
        assert_eq!(
            queued(&app, alpha.id, "test_message").await.len(),
            2,
            "{shape:?}: two sends, not three"
        );

        // Money: a payment posted twice with one key is recorded once.
        let api = |path: &str| format!("/t/alpha/api/v1{path}");
        let ok = |method: Method, path: String, body: serde_json::Value| {
            let owner = owner.clone();
            async move {
                let (status, answer) = owner.call(method, &path, Some(body)).await;
                assert!(status.is_success(), "{path}: {status} {answer}");
                answer
            }
        };
        let branches = owner.call(Method::GET, &api("/branches"), None).await.1;
        let branch = branches["items"][0]["id"].clone();
        let customer = ok(
            Method::POST,
            api("/customers"),
            json!({"name": "Pat Payer", "email": "pat@example.com"}),
        )
        .await;
        let invoice = ok(
            Method::POST,
            api("/invoices"),
            json!({"branch_id": branch, "customer_id": customer["id"]}),
        )
        .await;
        let invoice = invoice["id"].as_str().expect("invoice").to_owned();
        ok(
            Method::POST,
            api(&format!("/invoices/{invoice}/lines")),
            json!({"kind": "fee", "description": "Diagnosis", "unit_price": "80.00", "quantity": "1"}),
        )
        .await;
        ok(
            Method::POST,
            api(&format!("/invoices/{invoice}/issue")),
            json!({}),
        )
        .await;
        let pay_path = api(&format!("/invoices/{invoice}/payments"));
        for attempt in 0..2 {
            let response = owner
                .http
                .post(owner.url(&pay_path))
                .header("Idempotency-Key", "pay-once-1")
                .json(&json!({"method": "cash", "amount": "20.00"}))
                .send()
                .await
                .expect("pay");
            let answer = checked("POST", &pay_path, response).await;
            assert!(answer.status.is_success(), "{shape:?}: {}", answer.body);
            assert_eq!(
                answer.headers.contains_key("idempotent-replayed"),
                attempt == 1,
                "{shape:?}"
            );
        }
        let payments = owner.call(Method::GET, &pay_path, None).await.1;
        assert_eq!(
            payments["items"].as_array().map(Vec::len),
            Some(1),
            "{shape:?}: one payment: {payments}"
        );
        app.stop().await;
    }
}

/// Point 3: a custom domain serves, and appears in links, only once its DNS record proves
/// the workshop owns it; it never serves another workshop's `/t/` pages; it stops serving
/// when the record has been gone for three days.
#[tokio::test]
async fn custom_domains_serve_only_once_verified_by_dns() {
    for shape in SHAPES {
        let dns = pitlane_testkit::FakeDns::start().await;
        let app = TestApp::spawn_shape_with(shape, |c| c.dns_server = Some(dns.addr())).await;
        let alpha = app.tenant("alpha").await;
        app.tenant("bravo").await;
        let port = app.port();
        let owner = app.client();
        owner.sign_in(&alpha).await;

        // The owner adds the host in the portal and sees the record to publish.
        let added = owner
            .submit(
                "/t/alpha/portal/settings/domains",
                "/t/alpha/portal/settings/domains",
                &[("host", "shop.example.test")],
            )
            .await;
        assert_eq!(added.status(), StatusCode::SEE_OTHER, "{shape:?}");
        let page = owner
            .get("/t/alpha/portal/settings/domains")
            .await
            .text()
            .await
            .expect("page");
        assert!(
            page.contains("_pitlane-challenge.shop.example.test"),
            "{shape:?}: {page}"
        );
        let (_, list) = owner
            .call(Method::GET, "/t/alpha/api/v1/domains", None)
            .await;
        let domain = list["items"][0].clone();
        assert_eq!(domain["verified"], false);
        let custom =
            pitlane_testkit::Client::new(&format!("http://shop.example.test:{port}"), port);
        assert_eq!(
            custom.get("/").await.status(),
            StatusCode::NOT_FOUND,
            "{shape:?}: unverified"
        );

        // Checking before the record exists says what to publish.
        let id = domain["id"].as_str().expect("id");
        let (status, problem) = owner
            .call(
                Method::POST,
                &format!("/t/alpha/api/v1/domains/{id}/verify"),
                None,
            )
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{shape:?}: {problem}"
        );
        assert!(problem.to_string().contains("pitlane-verify="), "{problem}");

        // A record with another value proves nothing; the right one does.
        let name = domain["verification_record"]["name"]
            .as_str()
            .expect("name")
            .to_owned();
        let value = domain["verification_record"]["value"]
            .as_str()
            .expect("value")
            .to_owned();
        dns.set_txt(&name, &["pitlane-verify=someone-elses-token"]);
        let (status, _) = owner
            .call(
                Method::POST,
                &format!("/t/alpha/api/v1/domains/{id}/verify"),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        dns.set_txt(&name, &["v=spf1 -all", &value]);
        let verified = owner
            .submit(
                "/t/alpha/portal/settings/domains",
                &format!("/t/alpha/portal/settings/domains/{id}/verify"),
                &[],
            )
            .await;
        assert_eq!(verified.status(), StatusCode::SEE_OTHER, "{shape:?}");
        let home = custom.get("/").await;
        assert_eq!(home.status(), StatusCode::OK, "{shape:?}");
        assert!(home.text().await.expect("html").contains("ALPHA Motors"));

        // Another workshop's pages are not served under this one's domain.
        assert_eq!(
            custom.get("/t/bravo/").await.status(),
            StatusCode::NOT_FOUND,
            "{shape:?}"
        );
        assert_eq!(
            custom.get("/t/bravo/signin").await.status(),
            StatusCode::NOT_FOUND
        );

        // Links made on the verified domain name it.
        let reset = custom
            .submit(
                "/forgot-password",
                "/forgot-password",
                &[("email", &alpha.owner_email)],
            )
            .await;
        assert_eq!(reset.status(), StatusCode::OK);
        let link = queued(&app, alpha.id, "password_reset").await[0]["link"]
            .as_str()
            .expect("link")
            .to_owned();
        assert!(
            link.starts_with(&format!(
                "http://shop.example.test:{port}/reset-password?token="
            )),
            "{shape:?}: {link}"
        );

        // The record goes: after the grace period the hourly check unverifies the domain.
        dns.remove(&name);
        let ctx = TenantCtx::new(alpha.id);
        let state = app.state();
        let now = chrono::Utc::now();
        pitlane_tenancy::domains::recheck(&state.store, state.dns.as_ref(), &ctx, now)
            .await
            .expect("recheck");
        state.tenants.invalidate(alpha.id);
        assert_eq!(
            custom.get("/").await.status(),
            StatusCode::OK,
            "{shape:?}: within the grace period"
        );
        let later = now + pitlane_tenancy::domains::GRACE + chrono::Duration::minutes(1);
        let changed =
            pitlane_tenancy::domains::recheck(&state.store, state.dns.as_ref(), &ctx, later)
                .await
                .expect("recheck");
        assert_eq!(changed, 1, "{shape:?}");
        state.tenants.invalidate(alpha.id);
        assert_eq!(
            custom.get("/").await.status(),
            StatusCode::NOT_FOUND,
            "{shape:?}: unverified again"
        );
        app.stop().await;
    }
}

/// Point 7: a workshop's SMS sender is proven (never the shared number, and on the
/// provider's account); replies to the shared number find the workshop that texted last;
/// STOP there is honoured for every workshop that texted that person.
#[tokio::test]
async fn sms_numbers_are_proven_and_the_shared_number_routes_replies() {
    use pitlane_store::entity::{sms_consent, sms_inbound};
    let sink = pitlane_testkit::SmtpSink::start().await;
    let fake = pitlane_testkit::FakeSms::start().await;
    let app =
        TestApp::spawn_messaging(&pitlane_testkit::MessagingOptions::to(&sink).with_sms(&fake))
            .await;
    fake.call_back_to(&app.origin);
    let workers = app.start_workers("sms").await;
    let alpha = app.tenant("alpha").await;
    let bravo = app.tenant("bravo").await;
    let customer = "+447911123456";
    let mut sent = 0;
    for tenant in [&alpha, &bravo] {
        let staff = app.client();
        staff.sign_in(tenant).await;
        let (status, body) = staff
            .call(
                Method::POST,
                &format!("/t/{}/api/v1/messages/test", tenant.slug),
                Some(json!({"channel": "sms", "to": customer})),
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        sent += 1;
        fake.wait_for(sent, Duration::from_secs(20)).await;
        // Recorded as sent before the next workshop texts.
        let mut recorded = 0;
        for _ in 0..100 {
            recorded = app
                .state()
                .store
                .tenants_texting(customer)
                .await
                .expect("q")
                .len();
            if recorded == sent {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(recorded, sent, "each workshop's SMS is recorded as sent");
    }
    let inbound = |tenant: pitlane_domain::ids::TenantId| {
        let app = &app;
        async move {
            let tx = app
                .state()
                .store
                .tx(&TenantCtx::new(tenant))
                .await
                .expect("tx");
            let rows = tx.all(tx.select::<sms_inbound::Entity>()).await.expect("q");
            let consent = tx
                .first(
                    tx.select::<sms_consent::Entity>()
                        .filter(sms_consent::Column::Phone.eq(customer)),
                )
                .await
                .expect("q");
            tx.commit().await.expect("commit");
            (rows.len(), consent.and_then(|c| c.opted_out_at).is_some())
        }
    };
    let shared = pitlane_testkit::DEPLOYMENT_SMS_FROM;
    let (status, _) = fake
        .text_in(&app.origin, &app.origin, customer, shared, "Is it ready?")
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        inbound(bravo.id).await,
        (1, false),
        "the reply answers bravo, who texted last"
    );
    assert_eq!(inbound(alpha.id).await, (0, false));

    let (status, twiml) = fake
        .text_in(&app.origin, &app.origin, customer, shared, "STOP")
        .await;
    assert_eq!(status, 200);
    assert!(
        twiml.contains("ALPHA Motors") && twiml.contains("BRAVO Motors"),
        "{twiml}"
    );
    assert!(inbound(alpha.id).await.1, "STOP reaches alpha");
    assert!(inbound(bravo.id).await.1, "and bravo");

    // Sender numbers: never the shared one, only one the provider's account holds.
    let owner = app.client();
    owner.sign_in(&alpha).await;
    let claim = |number: &'static str| {
        let owner = owner.clone();
        async move {
            owner
                .call(
                    Method::PUT,
                    "/t/alpha/api/v1/workshop/sender",
                    Some(json!({"sms_sender": number})),
                )
                .await
        }
    };
    let (status, problem) = claim(pitlane_testkit::DEPLOYMENT_SMS_FROM).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(problem.to_string().contains("shared number"), "{problem}");
    let (status, problem) = claim("+447911000777").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(
        problem
            .to_string()
            .contains("not on the platform's SMS account"),
        "{problem}"
    );
    fake.owns("+447911000777");
    let (status, sender) = claim("+447911000777").await;
    assert_eq!(status, StatusCode::OK, "{sender}");

    // A number saved before numbers had to be proven (or released from the account since)
    // is dropped by the hourly round; a proven one stays.
    let store = &app.state().store;
    let set_sender = |tenant: pitlane_domain::ids::TenantId, number: &'static str| async move {
        let tx = store.tx(&TenantCtx::new(tenant)).await.expect("tx");
        let mut row = tx
            .get::<pitlane_store::entity::tenant::Entity>(tenant.0)
            .await
            .expect("tenant")
            .into_active_model();
        row.sms_sender = Set(Some(number.to_owned()));
        tx.update(row).await.expect("update");
        tx.commit().await.expect("commit");
    };
    let sender_of = |slug: &'static str| async move {
        store
            .tenant_by_slug(slug)
            .await
            .expect("q")
            .expect("tenant")
            .sms_sender
    };
    set_sender(bravo.id, "+447911000888").await;
    pitlane_app::sweeps::maintenance_round(app.state()).await;
    assert_eq!(sender_of("bravo").await, None, "never proven: dropped");
    assert_eq!(
        sender_of("alpha").await.as_deref(),
        Some("+447911000777"),
        "proven: kept"
    );
    set_sender(bravo.id, pitlane_testkit::DEPLOYMENT_SMS_FROM).await;
    pitlane_app::sweeps::maintenance_round(app.state()).await;
    assert_eq!(sender_of("bravo").await, None, "the shared number: dropped");
    workers.stop().await;
    app.stop().await;
}

/// A workshop's template cannot pass a customer's signed link to another site: a link
/// variable wrapped in another address is refused by name, on the API and on the page, and
/// the template in force stays the one before.
#[tokio::test]
async fn a_template_cannot_wrap_a_signed_link_in_another_address() {
    for shape in SHAPES {
        let (_app, _alpha, owner) = signed_in_shop(shape).await;
        let path = "/t/alpha/api/v1/templates/estimate_ready.email";
        for body in [
            "Approve it: https://evil.example/?u={{ link }}",
            "Approve it: {{ link }}.evil.example",
        ] {
            let (status, problem) = owner
                .call(
                    Method::PUT,
                    path,
                    Some(json!({"subject": "Your estimate", "body": body})),
                )
                .await;
            assert_eq!(
                status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{shape:?}: {problem}"
            );
            assert_eq!(problem["errors"][0]["field"], "body", "{problem}");
            let message = problem["errors"][0]["message"].as_str().unwrap_or_default();
            assert!(message.contains("must stand on its own"), "{message}");
        }
        let (status, kept) = owner.call(Method::GET, path, None).await;
        assert_eq!(status, StatusCode::OK, "{kept}");
        assert!(
            !kept["body"].as_str().unwrap_or_default().contains("evil"),
            "{kept}"
        );
        let (status, saved) = owner
            .call(
                Method::PUT,
                path,
                Some(json!({"subject": "Your estimate", "body": "Approve it here:\n\n{{ link }}"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{saved}");

        // The page keeps what was typed, with the message by the field.
        let page = "/t/alpha/portal/settings/templates/estimate_ready/email";
        let response = owner
            .submit(
                page,
                page,
                &[
                    ("subject", "Your estimate"),
                    ("body", "Approve: https://evil.example/?u={{ link }}"),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = response.text().await.unwrap_or_default();
        assert!(html.contains("must stand on its own"), "{html}");
        assert!(
            html.contains("https://evil.example/?u={{ link }}"),
            "the text is kept"
        );
    }
}

/// Point 1, rotation: with a new `PITLANE_SECRET_KEY` and the old one as
/// `PITLANE_SECRET_KEY_PREVIOUS`, links made before the rotation still open, and links made
/// after are signed under the new secret alone (a server knowing only the old one refuses
/// them). Two servers on one database: before and after the rotation.
#[tokio::test]
async fn a_rotated_secret_still_opens_what_the_previous_one_signed() {
    let app = TestApp::spawn().await;
    let alpha = app.populated_tenant("alpha").await;
    let order = first_id::<repair_order::Entity>(&app, &alpha).await;
    let link_path = |client: pitlane_testkit::Client| async move {
        let (status, link) = client
            .call(
                Method::GET,
                &format!("/t/alpha/api/v1/repair-orders/{order}/customer-link"),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{link}");
        let url = link["url"].as_str().expect("url").to_owned();
        let at = url.find("/t/alpha/repair").expect("a repair link");
        url[at..].to_owned()
    };
    let before = app.client();
    before.sign_in(&alpha).await;
    let old_link = link_path(before).await;

    let mut config = (*app.state().config).clone();
    config.secret_key_previous = Some(config.secret_key.clone());
    config.secret_key = b"the-secret-after-the-rotation-0123456789abcdef".to_vec();
    let rotated = pitlane_web::start(config)
        .await
        .expect("the rotated server");
    let rotated_origin = format!("http://127.0.0.1:{}", rotated.addr.port());
    let after = pitlane_testkit::Client::new(&rotated_origin, rotated.addr.port());
    after.sign_in(&alpha).await;
    let new_link = link_path(after.clone()).await;
    assert_ne!(old_link, new_link, "signed anew");

    let open = |origin: String, path: String| async move {
        reqwest::get(format!("{origin}{path}"))
            .await
            .expect("link")
            .status()
    };
    assert_eq!(
        open(rotated_origin.clone(), old_link.clone()).await,
        StatusCode::OK,
        "made before the rotation, still good"
    );
    assert_eq!(
        open(rotated_origin.clone(), new_link.clone()).await,
        StatusCode::OK
    );
    assert!(
        matches!(
            open(app.origin.clone(), new_link).await,
            StatusCode::NOT_FOUND | StatusCode::GONE
        ),
        "the new link is not signed with the old secret"
    );
    assert_eq!(open(app.origin.clone(), old_link).await, StatusCode::OK);
    rotated.stop().await;
    app.stop().await;
}

/// Point 7 in the embedded shape, where the workshops that texted a phone from the shared
/// number are found by a query of its own (SQLite has no security-definer function): the
/// most recent first, and a workshop with a number of its own is not among them.
#[tokio::test]
async fn replies_to_the_shared_number_find_their_workshop_when_embedded() {
    let app = TestApp::spawn_shape_with(pitlane_testkit::Shape::Embedded, |config| {
        config.notify.sms_from = Some(pitlane_testkit::DEPLOYMENT_SMS_FROM.to_owned());
    })
    .await;
    let alpha = app.tenant("alpha").await;
    let bravo = app.tenant("bravo").await;
    let customer = "+447911123456";
    let store = &app.state().store;
    for (sent, tenant) in [&alpha, &bravo].into_iter().enumerate() {
        let staff = app.client();
        staff.sign_in(tenant).await;
        let (status, body) = staff
            .call(
                Method::POST,
                &format!("/t/{}/api/v1/messages/test", tenant.slug),
                Some(json!({"channel": "sms", "to": customer})),
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        let mut found = Vec::new();
        for _ in 0..200 {
            found = store.tenants_texting(customer).await.expect("q");
            if found.len() == sent + 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(found.len(), sent + 1, "each SMS is recorded as sent");
    }
    assert_eq!(
        store.tenants_texting(customer).await.expect("q"),
        vec![bravo.id.0, alpha.id.0],
        "the workshop that texted last first"
    );
    let tx = store.tx(&TenantCtx::new(bravo.id)).await.expect("tx");
    let mut row = tx
        .get::<pitlane_store::entity::tenant::Entity>(bravo.id.0)
        .await
        .expect("tenant")
        .into_active_model();
    row.sms_sender = Set(Some("+447911000999".to_owned()));
    tx.update(row).await.expect("update");
    tx.commit().await.expect("commit");
    assert_eq!(
        store.tenants_texting(customer).await.expect("q"),
        vec![alpha.id.0],
        "a workshop with its own number is answered there"
    );
    app.stop().await;
}
