//! A fake Stripe on 127.0.0.1 that speaks the parts of Stripe's API Pitlane calls (accounts
//! and account links, Checkout sessions, refunds, customers, the billing portal,
//! subscriptions), with objects built from Stripe's own example fixtures
//! (`data/stripe/fixtures.json`, MIT, from `stripe/openapi`). It keeps every request (so tests
//! assert idempotency keys, the `Stripe-Account` header and amounts), honours idempotency
//! keys as Stripe does, can fail on purpose, serves a hosted checkout page for browser tests,
//! and sends signed webhooks to the app.
//!
//! The signing here is written independently of the server's, so a mistake in either shows.

use std::{
    collections::{HashMap, VecDeque},
    sync::{Arc, Mutex},
};

use hmac::{Hmac, Mac};
use poem::{
    EndpointExt, IntoResponse, Request, Response, Route, Server, handler,
    http::StatusCode,
    listener::{Acceptor, Listener, TcpListener},
    web::{Data, Path, Redirect},
};
use serde_json::{Value, json};
use sha2::Sha256;

pub const SECRET_KEY: &str = "sk_test_pitlane_fake_platform_key";
/// The webhook secret the app is configured with (first) …
pub const WEBHOOK_SECRET: &str = "whsec_pitlane_fake_current";
/// … and the one being rotated out, still accepted.
pub const OLD_WEBHOOK_SECRET: &str = "whsec_pitlane_fake_previous";
pub const PRICE_STARTER: &str = "price_fake_starter";
pub const PRICE_GROWTH: &str = "price_fake_growth";
pub const PRICE_CHAIN: &str = "price_fake_chain";

const FIXTURES: &str = include_str!("../data/stripe/fixtures.json");

fn fixture(name: &str) -> Value {
    let all: Value = serde_json::from_str(FIXTURES).expect("Stripe fixtures are JSON");
    all[name].clone()
}

/// One request the app made.
#[derive(Debug, Clone)]
pub struct StripeCall {
    pub method: String,
    pub path: String,
    pub query: String,
    /// The `Stripe-Account` header: the connected account acted on.
    pub account: Option<String>,
    pub idempotency_key: Option<String>,
    pub form: Vec<(String, String)>,
}

impl StripeCall {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct Shared {
    calls: Vec<StripeCall>,
    /// `(account, key)` → the answer given the first time.
    answered: HashMap<(Option<String>, String), (u16, String)>,
    failures: VecDeque<u16>,
    accounts: HashMap<String, Value>,
    sessions: HashMap<String, (Option<String>, Value)>,
    refunds: Vec<(Option<String>, Value)>,
    customers: HashMap<String, Value>,
    subscriptions: HashMap<String, Value>,
    /// Where the app listens, for webhooks sent by the hosted checkout page.
    app_origin: Option<String>,
    next: u64,
}

impl Shared {
    fn id(&mut self, prefix: &str) -> String {
        self.next += 1;
        format!("{prefix}_test_{:06}", self.next)
    }
}

#[derive(Clone)]
pub struct FakeStripe {
    port: u16,
    shared: Arc<Mutex<Shared>>,
}

fn lock(shared: &Mutex<Shared>) -> std::sync::MutexGuard<'_, Shared> {
    shared
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// `t=…,v1=…`: Stripe's signature of a payload at a time.
pub fn sign(payload: &str, secret: &str, timestamp: i64) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(format!("{timestamp}.{payload}").as_bytes());
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("t={timestamp},v1={hex}")
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

impl FakeStripe {
    pub async fn start() -> Self {
        let shared = Arc::new(Mutex::new(Shared::default()));
        let acceptor = TcpListener::bind("127.0.0.1:0")
            .into_acceptor()
            .await
            .expect("bind the fake Stripe");
        let port = acceptor
            .local_addr()
            .first()
            .and_then(|a| a.as_socket_addr().map(|s| s.port()))
            .expect("port");
        let app = Route::new()
            .at("/v1/*path", poem::get(api).post(api).delete(api))
            .at("/checkout/:id", poem::get(checkout_page))
            .at("/checkout/:id/pay", poem::post(checkout_pay))
            .at("/onboarding/:account", poem::get(onboarding_page))
            .data(shared.clone())
            .data(Origin(format!("http://127.0.0.1:{port}")));
        tokio::spawn(Server::new_with_acceptor(acceptor).run(app));
        Self { port, shared }
    }

    /// `STRIPE_API_BASE` for the app.
    pub fn api_base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The app's variables: key, webhook secrets (current and rotated-out), base, prices.
    pub fn vars(&self) -> Vec<(&'static str, String)> {
        vec![
            ("STRIPE_SECRET_KEY", SECRET_KEY.to_owned()),
            (
                "STRIPE_WEBHOOK_SECRET",
                format!("{WEBHOOK_SECRET},{OLD_WEBHOOK_SECRET}"),
            ),
            ("STRIPE_API_BASE", self.api_base()),
            ("STRIPE_PRICE_STARTER", PRICE_STARTER.to_owned()),
            ("STRIPE_PRICE_GROWTH", PRICE_GROWTH.to_owned()),
            ("STRIPE_PRICE_CHAIN", PRICE_CHAIN.to_owned()),
        ]
    }

    /// Webhooks caused by the hosted checkout page go to the app at `origin`.
    pub fn deliver_to(&self, origin: &str) {
        lock(&self.shared).app_origin = Some(origin.to_owned());
    }

    pub fn calls(&self) -> Vec<StripeCall> {
        lock(&self.shared).calls.clone()
    }

    pub fn calls_to(&self, method: &str, path_prefix: &str) -> Vec<StripeCall> {
        self.calls()
            .into_iter()
            .filter(|c| c.method == method && c.path.starts_with(path_prefix))
            .collect()
    }

    /// The next `count` API calls answer `status` (a 5xx: Stripe having a bad minute).
    pub fn fail_next(&self, count: usize, status: u16) {
        let mut shared = lock(&self.shared);
        for _ in 0..count {
            shared.failures.push_back(status);
        }
    }

    /// Stripe finished reviewing the account: it may take payments.
    pub fn enable_account(&self, id: &str) {
        let mut shared = lock(&self.shared);
        if let Some(account) = shared.accounts.get_mut(id) {
            account["charges_enabled"] = json!(true);
            account["details_submitted"] = json!(true);
            account["payouts_enabled"] = json!(true);
        }
    }

    pub fn session(&self, id: &str) -> Option<Value> {
        lock(&self.shared).sessions.get(id).map(|(_, s)| s.clone())
    }

    /// The latest Checkout session created.
    pub fn last_session(&self) -> Option<(Option<String>, Value)> {
        let shared = lock(&self.shared);
        let mut all: Vec<_> = shared.sessions.values().cloned().collect();
        all.sort_by_key(|(_, s)| s["id"].as_str().unwrap_or_default().to_owned());
        all.pop()
    }

    /// The customer paid on Stripe's page: the session is complete and paid.
    pub fn complete_session(&self, id: &str) -> Value {
        let mut shared = lock(&self.shared);
        let intent = shared.id("pi");
        let (_, session) = shared.sessions.get_mut(id).expect("a session of this id");
        session["status"] = json!("complete");
        session["payment_status"] = json!("paid");
        session["payment_intent"] = json!(intent);
        session.clone()
    }

    pub fn expire_session(&self, id: &str) -> Value {
        let mut shared = lock(&self.shared);
        let (_, session) = shared.sessions.get_mut(id).expect("a session of this id");
        session["status"] = json!("expired");
        session.clone()
    }

    /// A refund made in Stripe's dashboard, not through the app.
    pub fn refund_in_dashboard(&self, account: &str, payment_intent: &str, amount: i64) -> Value {
        let mut shared = lock(&self.shared);
        let refund = new_refund(&mut shared, payment_intent, amount);
        shared
            .refunds
            .push((Some(account.to_owned()), refund.clone()));
        refund
    }

    /// A charge of a payment intent as Stripe sends it with `charge.refunded`.
    pub fn charge(&self, payment_intent: &str, amount: i64) -> Value {
        let refunded: i64 = lock(&self.shared)
            .refunds
            .iter()
            .filter(|(_, r)| r["payment_intent"] == json!(payment_intent))
            .map(|(_, r)| r["amount"].as_i64().unwrap_or(0))
            .sum();
        let mut charge = fixture("charge");
        charge["id"] = json!(format!("ch_for_{payment_intent}"));
        charge["payment_intent"] = json!(payment_intent);
        charge["amount"] = json!(amount);
        charge["amount_captured"] = json!(amount);
        charge["amount_refunded"] = json!(refunded);
        charge["refunded"] = json!(refunded >= amount);
        charge
    }

    /// A subscription of the platform's customer, as Stripe would hold it.
    pub fn set_subscription(&self, customer: &str, status: &str, price: &str) -> Value {
        let mut shared = lock(&self.shared);
        let id = shared.id("sub");
        let mut sub = fixture("subscription");
        sub["id"] = json!(id);
        sub["customer"] = json!(customer);
        sub["status"] = json!(status);
        if let Some(item) = sub["items"]["data"].get_mut(0) {
            item["price"]["id"] = json!(price);
            item["subscription"] = json!(id);
        }
        shared.subscriptions.insert(id, sub.clone());
        sub
    }

    /// The owner changed plan in Stripe's portal: the same subscription, a new price.
    pub fn change_price(&self, id: &str, price: &str) -> Value {
        let mut shared = lock(&self.shared);
        let sub = shared.subscriptions.get_mut(id).expect("a subscription");
        if let Some(item) = sub["items"]["data"].get_mut(0) {
            item["price"]["id"] = json!(price);
        }
        sub.clone()
    }

    pub fn update_subscription(&self, id: &str, status: &str) -> Value {
        let mut shared = lock(&self.shared);
        let sub = shared.subscriptions.get_mut(id).expect("a subscription");
        sub["status"] = json!(status);
        sub.clone()
    }

    /// A webhook event around `object`, as Stripe builds it (Connect events name `account`).
    pub fn event(&self, kind: &str, object: Value, account: Option<&str>) -> String {
        let mut shared = lock(&self.shared);
        let mut event = fixture("event");
        event["id"] = json!(shared.id("evt"));
        event["type"] = json!(kind);
        event["created"] = json!(now());
        event["livemode"] = json!(false);
        event["data"] = json!({ "object": object });
        match account {
            Some(account) => event["account"] = json!(account),
            None => {
                if let Some(map) = event.as_object_mut() {
                    map.remove("account");
                }
            }
        }
        event.to_string()
    }

    /// Posts a payload with a signature header to the app's webhook; answers the status.
    pub async fn deliver(&self, app_origin: &str, payload: &str, signature: Option<&str>) -> u16 {
        deliver(app_origin, payload, signature).await
    }

    /// An event, signed now with the current secret, delivered to the app.
    pub async fn send(
        &self,
        app_origin: &str,
        kind: &str,
        object: Value,
        account: Option<&str>,
    ) -> (String, u16) {
        let payload = self.event(kind, object, account);
        let status = deliver(
            app_origin,
            &payload,
            Some(&sign(&payload, WEBHOOK_SECRET, now())),
        )
        .await;
        (payload, status)
    }
}

async fn deliver(app_origin: &str, payload: &str, signature: Option<&str>) -> u16 {
    let mut request = reqwest::Client::new()
        .post(format!("{app_origin}/webhooks/stripe"))
        .header("content-type", "application/json")
        .body(payload.to_owned());
    if let Some(signature) = signature {
        request = request.header("Stripe-Signature", signature);
    }
    request
        .send()
        .await
        .expect("webhook request")
        .status()
        .as_u16()
}

#[derive(Clone)]
struct Origin(String);

fn new_refund(shared: &mut Shared, payment_intent: &str, amount: i64) -> Value {
    let mut refund = fixture("refund");
    refund["id"] = json!(shared.id("re"));
    refund["amount"] = json!(amount);
    refund["payment_intent"] = json!(payment_intent);
    refund["charge"] = json!(format!("ch_for_{payment_intent}"));
    refund["status"] = json!("succeeded");
    refund["created"] = json!(now());
    refund
}

fn error(status: u16, kind: &str, message: &str) -> (u16, String) {
    (
        status,
        json!({ "error": { "type": kind, "message": message } }).to_string(),
    )
}

fn form_value<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn metadata_of(form: &[(String, String)], prefix: &str) -> Value {
    let mut map = serde_json::Map::new();
    for (k, v) in form {
        if let Some(key) = k
            .strip_prefix(prefix)
            .and_then(|rest| rest.strip_prefix('['))
            .and_then(|rest| rest.strip_suffix(']'))
        {
            map.insert(key.to_owned(), json!(v));
        }
    }
    Value::Object(map)
}

#[handler]
async fn api(
    req: &Request,
    shared: Data<&Arc<Mutex<Shared>>>,
    origin: Data<&Origin>,
    Path(path): Path<String>,
    body: String,
) -> Response {
    let account = req.header("Stripe-Account").map(str::to_owned);
    let key = req.header("Idempotency-Key").map(str::to_owned);
    let query = req.uri().query().unwrap_or_default().to_owned();
    let form: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
        .chain(url::form_urlencoded::parse(query.as_bytes()))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let method = req.method().as_str().to_owned();
    let mut shared = lock(&shared);
    shared.calls.push(StripeCall {
        method: method.clone(),
        path: format!("/v1/{path}"),
        query: query.clone(),
        account: account.clone(),
        idempotency_key: key.clone(),
        form: form.clone(),
    });
    let authorized = req
        .header("Authorization")
        .is_some_and(|a| a == format!("Bearer {SECRET_KEY}"));
    let (status, body) = if !authorized {
        error(401, "invalid_request_error", "Invalid API Key provided")
    } else if let Some(status) = shared.failures.pop_front() {
        error(
            status,
            "api_error",
            "The fake Stripe is having a bad minute",
        )
    } else if let Some(answer) = key
        .as_ref()
        .and_then(|k| shared.answered.get(&(account.clone(), k.clone())))
    {
        answer.clone()
    } else {
        let answer = route(
            &mut shared,
            &origin.0.0,
            &method,
            &path,
            &form,
            account.as_deref(),
        );
        if let Some(key) = key
            && answer.0 < 500
        {
            shared.answered.insert((account, key), answer.clone());
        }
        answer
    };
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .content_type("application/json")
        .body(body)
}

fn route(
    shared: &mut Shared,
    origin: &str,
    method: &str,
    path: &str,
    form: &[(String, String)],
    account: Option<&str>,
) -> (u16, String) {
    let segments: Vec<&str> = path.split('/').collect();
    match (method, segments.as_slice()) {
        ("POST", ["accounts"]) => {
            let id = shared.id("acct");
            let mut object = fixture("account");
            object["id"] = json!(id);
            object["charges_enabled"] = json!(false);
            object["details_submitted"] = json!(false);
            object["payouts_enabled"] = json!(false);
            object["type"] = json!(form_value(form, "type").unwrap_or("standard"));
            object["metadata"] = metadata_of(form, "metadata");
            if let Some(country) = form_value(form, "country") {
                object["country"] = json!(country);
            }
            shared.accounts.insert(id, object.clone());
            (200, object.to_string())
        }
        ("GET", ["accounts", id]) => match shared.accounts.get(*id) {
            Some(object) => (200, object.to_string()),
            None => error(404, "invalid_request_error", "No such account"),
        },
        ("POST", ["account_links"]) => {
            let account_id = form_value(form, "account").unwrap_or_default();
            if !shared.accounts.contains_key(account_id) {
                return error(400, "invalid_request_error", "No such account");
            }
            let mut object = fixture("account_link");
            object["url"] = json!(format!("{origin}/onboarding/{account_id}"));
            object["created"] = json!(now());
            object["expires_at"] = json!(now() + 300);
            (200, object.to_string())
        }
        ("POST", ["checkout", "sessions"]) => create_session(shared, origin, form, account),
        ("GET", ["checkout", "sessions", id]) => match shared.sessions.get(*id) {
            Some((owner, object)) if owner.as_deref() == account => (200, object.to_string()),
            _ => error(404, "invalid_request_error", "No such checkout.session"),
        },
        ("POST", ["refunds"]) => {
            let Some(intent) = form_value(form, "payment_intent").map(str::to_owned) else {
                return error(400, "invalid_request_error", "Missing payment_intent");
            };
            let paid = shared
                .sessions
                .values()
                .find(|(owner, s)| {
                    owner.as_deref() == account && s["payment_intent"] == json!(intent)
                })
                .map(|(_, s)| s["amount_total"].as_i64().unwrap_or(0));
            let Some(paid) = paid else {
                return error(404, "invalid_request_error", "No such payment_intent");
            };
            let refunded: i64 = shared
                .refunds
                .iter()
                .filter(|(owner, r)| {
                    owner.as_deref() == account && r["payment_intent"] == json!(intent)
                })
                .map(|(_, r)| r["amount"].as_i64().unwrap_or(0))
                .sum();
            let amount = form_value(form, "amount")
                .and_then(|a| a.parse().ok())
                .unwrap_or(paid - refunded);
            if amount <= 0 || refunded + amount > paid {
                return error(
                    400,
                    "invalid_request_error",
                    "Refund amount is greater than unrefunded amount on charge",
                );
            }
            let refund = new_refund(shared, &intent, amount);
            shared
                .refunds
                .push((account.map(str::to_owned), refund.clone()));
            (200, refund.to_string())
        }
        ("GET", ["refunds"]) => {
            let intent = form_value(form, "payment_intent");
            let data: Vec<Value> = shared
                .refunds
                .iter()
                .filter(|(owner, r)| {
                    owner.as_deref() == account
                        && intent.is_none_or(|i| r["payment_intent"] == json!(i))
                })
                .map(|(_, r)| r.clone())
                .collect();
            (
                200,
                json!({ "object": "list", "data": data, "has_more": false, "url": "/v1/refunds" })
                    .to_string(),
            )
        }
        ("POST", ["customers"]) => {
            let id = shared.id("cus");
            let mut object = fixture("customer");
            object["id"] = json!(id);
            object["name"] = json!(form_value(form, "name"));
            object["metadata"] = metadata_of(form, "metadata");
            shared.customers.insert(id, object.clone());
            (200, object.to_string())
        }
        ("POST", ["billing_portal", "sessions"]) => {
            let mut object = fixture("billing_portal.session");
            object["id"] = json!(shared.id("bps"));
            object["customer"] = json!(form_value(form, "customer"));
            object["url"] = json!(format!(
                "{origin}/portal/{}",
                form_value(form, "customer").unwrap_or_default()
            ));
            object["return_url"] = json!(form_value(form, "return_url"));
            (200, object.to_string())
        }
        ("GET", ["subscriptions", id]) => match shared.subscriptions.get(*id) {
            Some(object) => (200, object.to_string()),
            None => error(404, "invalid_request_error", "No such subscription"),
        },
        _ => error(
            404,
            "invalid_request_error",
            &format!("Unrecognized request URL ({method} /v1/{path})"),
        ),
    }
}

fn create_session(
    shared: &mut Shared,
    origin: &str,
    form: &[(String, String)],
    account: Option<&str>,
) -> (u16, String) {
    let mode = form_value(form, "mode").unwrap_or("payment").to_owned();
    let quantity: i64 = form_value(form, "line_items[0][quantity]")
        .and_then(|q| q.parse().ok())
        .unwrap_or(1);
    let (amount, currency) = if mode == "payment" {
        let Some(unit) = form_value(form, "line_items[0][price_data][unit_amount]")
            .and_then(|a| a.parse::<i64>().ok())
        else {
            return error(400, "invalid_request_error", "Missing unit_amount");
        };
        let currency = form_value(form, "line_items[0][price_data][currency]").unwrap_or("usd");
        // Stripe's rule for three-decimal currencies: whole tens of the minor unit.
        if ["bhd", "jod", "kwd", "omr", "tnd"].contains(&currency) && unit % 10 != 0 {
            return error(
                400,
                "invalid_request_error",
                "Amounts in three-decimal currencies must be divisible by 10",
            );
        }
        (Some(unit * quantity), Some(currency.to_owned()))
    } else {
        (None, Some("eur".to_owned()))
    };
    let id = shared.id("cs");
    let mut object = fixture("checkout.session");
    object["id"] = json!(id);
    object["object"] = json!("checkout.session");
    object["mode"] = json!(mode);
    object["status"] = json!("open");
    object["payment_status"] = json!("unpaid");
    object["payment_intent"] = Value::Null;
    object["amount_total"] = json!(amount);
    object["amount_subtotal"] = json!(amount);
    object["currency"] = json!(currency);
    object["created"] = json!(now());
    object["expires_at"] = json!(now() + 24 * 3600);
    object["url"] = json!(format!("{origin}/checkout/{id}"));
    object["success_url"] = json!(form_value(form, "success_url"));
    object["cancel_url"] = json!(form_value(form, "cancel_url"));
    object["client_reference_id"] = json!(form_value(form, "client_reference_id"));
    object["customer"] = json!(form_value(form, "customer"));
    object["customer_email"] = json!(form_value(form, "customer_email"));
    object["metadata"] = metadata_of(form, "metadata");
    object["livemode"] = json!(false);
    shared
        .sessions
        .insert(id, (account.map(str::to_owned), object.clone()));
    (200, object.to_string())
}

/// Stripe's hosted checkout page, reduced to the amount and a Pay button.
#[handler]
async fn checkout_page(shared: Data<&Arc<Mutex<Shared>>>, Path(id): Path<String>) -> Response {
    let session = lock(&shared).sessions.get(&id).map(|(_, s)| s.clone());
    let Some(session) = session else {
        return (StatusCode::NOT_FOUND, "No such session").into_response();
    };
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Fake Stripe Checkout</title></head>\
         <body><h1>Pay {} {}</h1><form method=\"post\" action=\"/checkout/{id}/pay\">\
         <button type=\"submit\" id=\"pay\">Pay</button></form></body></html>",
        session["amount_total"],
        session["currency"]
            .as_str()
            .unwrap_or_default()
            .to_uppercase()
    );
    poem::web::Html(html).into_response()
}

/// The customer pays: the session completes, Stripe tells the app by webhook, and sends the
/// customer back to the success page.
#[handler]
async fn checkout_pay(shared_data: Data<&Arc<Mutex<Shared>>>, Path(id): Path<String>) -> Response {
    let shared = shared_data.0.clone();
    let fake = FakeStripe {
        port: 0,
        shared: shared.clone(),
    };
    let (account, success, origin) = {
        let guard = lock(&shared);
        let Some((account, session)) = guard.sessions.get(&id) else {
            return (StatusCode::NOT_FOUND, "No such session").into_response();
        };
        (
            account.clone(),
            session["success_url"].as_str().unwrap_or("/").to_owned(),
            guard.app_origin.clone(),
        )
    };
    let session = fake.complete_session(&id);
    if let Some(origin) = origin {
        fake.send(
            &origin,
            "checkout.session.completed",
            session,
            account.as_deref(),
        )
        .await;
    }
    Redirect::see_other(success).into_response()
}

/// Stripe's onboarding, reduced to a link back.
#[handler]
async fn onboarding_page(Path(account): Path<String>) -> Response {
    poem::web::Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Fake Stripe onboarding</title></head>\
         <body><h1>Onboarding {account}</h1></body></html>"
    ))
    .into_response()
}
