//! A fake SMS provider on 127.0.0.1 that speaks Twilio's Messages API: basic auth, a form
//! POST of To/From/Body/StatusCallback, a JSON answer with the message sid, and signed status
//! callbacks. It also plays a customer texting in, by posting signed inbound webhooks.
//!
//! The signing here is written independently of the server's, so a mistake in either shows.

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use base64::{Engine, engine::general_purpose::STANDARD};
use hmac::{Hmac, Mac};
use poem::{
    EndpointExt, IntoResponse, Request, Response, Route, Server, handler,
    http::StatusCode,
    listener::{Acceptor, Listener, TcpListener},
    web::{Data, Form},
};
use sha1::Sha1;

pub const ACCOUNT_SID: &str = "AC0000000000000000000000000000test";
pub const AUTH_TOKEN: &str = "fake-sms-provider-auth-token";

/// An SMS the provider accepted.
#[derive(Debug, Clone)]
pub struct SentSms {
    pub sid: String,
    pub from: String,
    pub to: String,
    pub body: String,
    pub status_callback: Option<String>,
}

#[derive(Default)]
struct Shared {
    sent: Vec<SentSms>,
    refusals: Vec<(u16, i64, String)>,
    /// Where the app really listens; callbacks go there, signed for the URL as given.
    callback_origin: Option<String>,
    /// The numbers the account holds (IncomingPhoneNumbers).
    numbers: Vec<String>,
}

#[derive(Clone)]
pub struct FakeSms {
    port: u16,
    shared: Arc<Mutex<Shared>>,
}

fn lock(shared: &Mutex<Shared>) -> std::sync::MutexGuard<'_, Shared> {
    shared
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Twilio's signature: base64 HMAC-SHA1 over the URL and the form's names and values by name.
pub fn sign(url: &str, form: &[(&str, &str)]) -> String {
    let sorted: BTreeMap<&str, &str> = form.iter().copied().collect();
    let payload = sorted
        .iter()
        .fold(url.to_owned(), |acc, (k, v)| format!("{acc}{k}{v}"));
    let mut mac = Hmac::<Sha1>::new_from_slice(AUTH_TOKEN.as_bytes()).expect("key");
    mac.update(payload.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

/// Posts a signed webhook the way the provider does: to `origin` + the path of `url`,
/// signed for `url` (the public address the app was configured with).
async fn post_signed(origin: &str, url: &str, form: &[(&str, &str)]) -> (u16, String) {
    let parsed = url::Url::parse(url).expect("webhook url");
    let path = match parsed.query() {
        Some(q) => format!("{}?{q}", parsed.path()),
        None => parsed.path().to_owned(),
    };
    let response = reqwest::Client::new()
        .post(format!("{origin}{path}"))
        .header("X-Twilio-Signature", sign(url, form))
        .form(form)
        .send()
        .await
        .expect("webhook request");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

impl FakeSms {
    pub async fn start() -> Self {
        let shared = Arc::new(Mutex::new(Shared::default()));
        let acceptor = TcpListener::bind("127.0.0.1:0")
            .into_acceptor()
            .await
            .expect("bind the fake SMS provider");
        let port = acceptor
            .local_addr()
            .first()
            .and_then(|a| a.as_socket_addr().map(|s| s.port()))
            .expect("port");
        let app = Route::new()
            .at(
                "/2010-04-01/Accounts/:account/Messages.json",
                poem::post(create_message),
            )
            .at(
                "/2010-04-01/Accounts/:account/IncomingPhoneNumbers.json",
                poem::get(incoming_numbers),
            )
            .data(shared.clone());
        tokio::spawn(Server::new_with_acceptor(acceptor).run(app));
        Self { port, shared }
    }

    /// `SMS_API_URL` for the app.
    pub fn api_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Status callbacks go to the app at `origin` (it listens on a random port, while its
    /// public URL has none).
    pub fn call_back_to(&self, origin: &str) {
        lock(&self.shared).callback_origin = Some(origin.to_owned());
    }

    /// The account holds `number` (E.164) from now on.
    pub fn owns(&self, number: &str) {
        lock(&self.shared).numbers.push(number.to_owned());
    }

    pub fn sent(&self) -> Vec<SentSms> {
        lock(&self.shared).sent.clone()
    }

    /// Refuses the next `count` messages with this HTTP status and Twilio error code.
    pub fn refuse_next(&self, count: usize, status: u16, code: i64, message: &str) {
        let mut shared = lock(&self.shared);
        for _ in 0..count {
            shared.refusals.push((status, code, message.to_owned()));
        }
    }

    pub async fn wait_for(&self, count: usize, timeout: Duration) -> Vec<SentSms> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let sent = self.sent();
            if sent.len() >= count || tokio::time::Instant::now() >= deadline {
                return sent;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// A customer texts `body` from `from` to the workshop number `to`; returns the webhook's
    /// HTTP status and body (TwiML).
    pub async fn text_in(
        &self,
        app_origin: &str,
        public_url: &str,
        from: &str,
        to: &str,
        body: &str,
    ) -> (u16, String) {
        let sid = format!("SM{}", uuid::Uuid::new_v4().simple());
        let url = format!("{}/webhooks/sms/inbound", public_url.trim_end_matches('/'));
        let form = [
            ("MessageSid", sid.as_str()),
            ("AccountSid", ACCOUNT_SID),
            ("From", from),
            ("To", to),
            ("Body", body),
            ("NumMedia", "0"),
        ];
        post_signed(app_origin, &url, &form).await
    }

    /// The same inbound webhook with a signature made with the wrong key.
    pub async fn forged_text_in(&self, app_origin: &str, from: &str, to: &str) -> u16 {
        let response = reqwest::Client::new()
            .post(format!("{app_origin}/webhooks/sms/inbound"))
            .header("X-Twilio-Signature", "bm90IGEgc2lnbmF0dXJl")
            .form(&[
                ("MessageSid", "SMforged"),
                ("From", from),
                ("To", to),
                ("Body", "STOP"),
            ])
            .send()
            .await
            .expect("forged webhook");
        response.status().as_u16()
    }
}

#[handler]
async fn create_message(
    req: &Request,
    shared: Data<&Arc<Mutex<Shared>>>,
    Form(form): Form<BTreeMap<String, String>>,
) -> Response {
    let expected = format!(
        "Basic {}",
        STANDARD.encode(format!("{ACCOUNT_SID}:{AUTH_TOKEN}"))
    );
    if req.header("Authorization") != Some(expected.as_str()) {
        return error(401, 20003, "Authenticate");
    }
    let field = |name: &str| form.get(name).cloned().unwrap_or_default();
    let (to, from, body) = (field("To"), field("From"), field("Body"));
    if !to.starts_with('+') {
        return error(
            400,
            21211,
            &format!("The 'To' number {to} is not a valid phone number."),
        );
    }
    if from.is_empty() || body.is_empty() {
        return error(400, 21602, "Message body and From are required.");
    }
    let refusal = {
        let mut shared = lock(&shared);
        (!shared.refusals.is_empty()).then(|| shared.refusals.remove(0))
    };
    if let Some((status, code, message)) = refusal {
        return error(status, code, &message);
    }
    let sid = format!("SM{}", uuid::Uuid::new_v4().simple());
    let callback = form.get("StatusCallback").cloned();
    let origin = {
        let mut shared = lock(&shared);
        shared.sent.push(SentSms {
            sid: sid.clone(),
            from: from.clone(),
            to: to.clone(),
            body: body.clone(),
            status_callback: callback.clone(),
        });
        shared.callback_origin.clone()
    };
    if let (Some(url), Some(origin)) = (callback, origin) {
        let sid = sid.clone();
        let (from, to) = (from.clone(), to.clone());
        tokio::spawn(async move {
            for status in ["sent", "delivered"] {
                tokio::time::sleep(Duration::from_millis(20)).await;
                let form = [
                    ("MessageSid", sid.as_str()),
                    ("MessageStatus", status),
                    ("AccountSid", ACCOUNT_SID),
                    ("From", from.as_str()),
                    ("To", to.as_str()),
                ];
                post_signed(&origin, &url, &form).await;
            }
        });
    }
    let answer = serde_json::json!({
        "sid": sid, "status": "queued", "to": to, "from": from, "body": body,
        "account_sid": ACCOUNT_SID, "num_segments": "1",
    });
    (StatusCode::CREATED, poem::web::Json(answer)).into_response()
}

/// `GET …/IncomingPhoneNumbers.json?PhoneNumber=` as Twilio answers it.
#[handler]
fn incoming_numbers(req: &Request, shared: Data<&Arc<Mutex<Shared>>>) -> Response {
    let expected = format!(
        "Basic {}",
        STANDARD.encode(format!("{ACCOUNT_SID}:{AUTH_TOKEN}"))
    );
    if req.header("Authorization") != Some(expected.as_str()) {
        return error(401, 20003, "Authenticate");
    }
    let wanted = req
        .uri()
        .query()
        .and_then(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "PhoneNumber")
                .map(|(_, v)| v.into_owned())
        })
        .unwrap_or_default();
    let numbers: Vec<serde_json::Value> = lock(&shared)
        .numbers
        .iter()
        .filter(|n| wanted.is_empty() || **n == wanted)
        .map(|n| serde_json::json!({ "phone_number": n, "account_sid": ACCOUNT_SID }))
        .collect();
    poem::web::Json(serde_json::json!({ "incoming_phone_numbers": numbers })).into_response()
}

fn error(status: u16, code: i64, message: &str) -> Response {
    let body = serde_json::json!({
        "code": code, "message": message, "status": status,
        "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
    });
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        poem::web::Json(body),
    )
        .into_response()
}
