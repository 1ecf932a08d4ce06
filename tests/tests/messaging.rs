//! The notification platform end to end: the outbox written with the change that causes it,
//! shared workers on Redis Streams, retries and dead letters, scheduled sends, per-tenant
//! fairness, Redis outages, and the portal and API around them. Mail goes to a real SMTP
//! sink on 127.0.0.1.

use std::{collections::BTreeMap, time::Duration};

use chrono::Utc;
use pitlane_domain::{messages::MessageKind, text::Email};
use pitlane_notify::{OutgoingMessage, Recipient};
use pitlane_store::{StoreError, TenantCtx};
use pitlane_testkit::{MessagingOptions, SmtpSink, TenantFixture, TestApp, checked};
use reqwest::StatusCode;
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(20);

fn test_message(to: &str, key: &str) -> OutgoingMessage {
    OutgoingMessage {
        kind: MessageKind::TestMessage,
        to: Recipient::Email {
            address: Email::parse(to).expect("address"),
            name: Some("Sam Driver".into()),
        },
        vars: BTreeMap::from([("sent_by".to_owned(), "the test".to_owned())]),
        attachments: Vec::new(),
        send_at: None,
        idempotency_key: key.to_owned(),
    }
}

async fn enqueue(app: &TestApp, tenant: &TenantFixture, message: OutgoingMessage) {
    let tx = app
        .state()
        .store
        .tx(&TenantCtx::new(tenant.id))
        .await
        .expect("tx");
    app.state()
        .outbox
        .enqueue(&tx, message)
        .await
        .expect("enqueue");
    tx.commit().await.expect("commit");
}

/// Follows the See Other a form post answers with, as a browser does.
async fn follow(
    client: &pitlane_testkit::Client,
    response: reqwest::Response,
) -> reqwest::Response {
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "a form redirects after success"
    );
    let location = response.headers()["location"]
        .to_str()
        .expect("a readable Location")
        .to_owned();
    client.get(&location).await
}

async fn api_json(client: &pitlane_testkit::Client, path: &str) -> Value {
    let response = client.http.get(client.url(path)).send().await.expect("get");
    let answer = checked("GET", path, response).await;
    assert_eq!(answer.status, StatusCode::OK, "{path}");
    answer.body
}

/// Polls the API until the message has `status`.
async fn wait_for_status(client: &pitlane_testkit::Client, path: &str, status: &str) -> Value {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let message = api_json(client, path).await;
        if message["status"] == status || tokio::time::Instant::now() > deadline {
            assert_eq!(message["status"], status, "{message}");
            return message;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_message_exists_only_if_its_transaction_commits_and_once_per_key() {
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn_messaging(&MessagingOptions::to(&sink)).await;
    let alpha = app.tenant("alpha").await;
    let store = &app.state().store;
    let outbox = app.state().outbox;

    let tx = store.tx(&TenantCtx::new(alpha.id)).await.unwrap();
    outbox
        .enqueue(&tx, test_message("rolled@back.example", "k-rollback"))
        .await
        .unwrap();
    drop(tx); // rolled back: the change failed, so its message never existed
    assert!(app.outbox_rows().await.is_empty());

    let tx = store.tx(&TenantCtx::new(alpha.id)).await.unwrap();
    let first = outbox
        .enqueue(&tx, test_message("once@alpha.example", "k-1"))
        .await
        .unwrap();
    let again = outbox
        .enqueue(&tx, test_message("once@alpha.example", "k-1"))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(first.id(), again.id());
    assert!(matches!(again, pitlane_store::Enqueued::Existing(_)));
    assert_eq!(
        app.outbox_rows().await,
        [("once@alpha.example".to_owned(), "pending".to_owned(), 0)]
    );

    // A capability that forgets one of its kind's variables is stopped before anything is written.
    let tx = store.tx(&TenantCtx::new(alpha.id)).await.unwrap();
    let mut incomplete = test_message("x@alpha.example", "k-2");
    incomplete.vars.clear();
    assert!(outbox.enqueue(&tx, incomplete).await.is_err());
    drop(tx);

    // The application role cannot read another tenant's outbox, even by asking for it.
    let bravo = app.tenant("bravo").await;
    let tx = store.tx(&TenantCtx::new(bravo.id)).await.unwrap();
    let row = tx
        .get::<pitlane_store::entity::outbox::Entity>(first.id())
        .await;
    assert!(matches!(row, Err(StoreError::NotFound)));
    app.stop().await;
}

#[tokio::test]
async fn a_test_email_arrives_in_the_tenants_name_and_brand() {
    let sink = SmtpSink::start().await;
    let options = MessagingOptions::to(&sink);
    let app = TestApp::spawn_messaging(&options).await;
    let alpha = app.tenant("alpha").await;
    let workers = app.start_workers("w1").await;
    let client = app.client();
    client.sign_in(&alpha).await;

    let bad = client
        .http
        .put(client.url("/t/alpha/api/v1/workshop/sender"))
        .json(&json!({ "sender_name": "Joe <joe@evil>", "reply_to": "not-an-address" }))
        .send()
        .await
        .unwrap();
    let bad = checked("PUT", "/t/alpha/api/v1/workshop/sender", bad).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let problem = bad.body;
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .expect("field errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(fields, ["sender_name", "reply_to"], "{problem}");

    let saved = client
        .http
        .put(client.url("/t/alpha/api/v1/workshop/sender"))
        .json(&json!({ "sender_name": "Alpha Front Desk", "reply_to": "desk@alpha.example" }))
        .send()
        .await
        .unwrap();
    let saved = checked("PUT", "/t/alpha/api/v1/workshop/sender", saved).await;
    assert_eq!(saved.status, StatusCode::OK);

    let sent = client
        .http
        .post(client.url("/t/alpha/api/v1/messages/test"))
        .json(&json!({ "to": "owner@alpha.example" }))
        .send()
        .await
        .unwrap();
    let sent = checked("POST", "/t/alpha/api/v1/messages/test", sent).await;
    assert_eq!(sent.status, StatusCode::ACCEPTED);
    let message = sent.body;
    let id = message["id"].as_str().unwrap().to_owned();

    let mail = sink.wait_for(1, WAIT).await;
    assert_eq!(mail.len(), 1);
    let mail = &mail[0];
    assert_eq!(mail.to, ["owner@alpha.example"]);
    assert_eq!(mail.from, "notifications@pitlane.test");
    assert_eq!(
        mail.header("From").as_deref(),
        Some("\"Alpha Front Desk\" <notifications@pitlane.test>")
    );
    assert_eq!(
        mail.header("Reply-To").as_deref(),
        Some("desk@alpha.example")
    );
    assert_eq!(
        mail.header("Message-ID"),
        Some(format!("<{id}@pitlane.test>"))
    );
    assert!(
        mail.header("Content-Type")
            .is_some_and(|c| c.starts_with("multipart/alternative")),
        "text and HTML parts"
    );
    assert!(mail.data.contains("text/html"));
    assert!(mail.data.contains("If you can read this"));

    let sent = wait_for_status(&client, &format!("/t/alpha/api/v1/messages/{id}"), "sent").await;
    assert_eq!(sent["attempts"], 1);
    workers.stop().await;
    app.stop().await;
}

#[tokio::test]
async fn a_failing_smtp_server_means_retries_then_a_dead_letter_then_a_manual_retry() {
    let sink = SmtpSink::start().await;
    let options = MessagingOptions::to(&sink);
    let app = TestApp::spawn_messaging(&options).await;
    let alpha = app.tenant("alpha").await;
    let client = app.client();
    client.sign_in(&alpha).await;
    sink.refuse_next(options.attempts as usize);
    let workers = app.start_workers("w1").await;

    enqueue(&app, &alpha, test_message("flaky@alpha.example", "flaky")).await;
    let deadline = tokio::time::Instant::now() + WAIT;
    let dead = loop {
        let list = api_json(&client, "/t/alpha/api/v1/messages?status=dead").await;
        if let Some(first) = list["items"].as_array().and_then(|i| i.first()) {
            break first.clone();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never dead-lettered"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(dead["attempts"], options.attempts);
    assert!(
        dead["last_error"].as_str().unwrap().contains("451"),
        "{dead}"
    );
    assert!(sink.received().is_empty());

    // The admin page shows it with its error and a button to send it again.
    let page = client.get("/t/alpha/portal/messages?status=dead").await;
    let html = page.text().await.unwrap();
    assert!(html.contains("flaky@alpha.example") && html.contains("451"));
    assert!(html.contains("Send again"));

    let id = dead["id"].as_str().unwrap();
    let path = format!("/t/alpha/api/v1/messages/{}/retry", uuid::Uuid::now_v7());
    let wrong = client.http.post(client.url(&path)).send().await.unwrap();
    let wrong = checked("POST", &path, wrong).await;
    assert_eq!(wrong.status, StatusCode::NOT_FOUND);
    let retried = client
        .submit(
            "/t/alpha/portal/messages?status=dead",
            &format!("/t/alpha/portal/messages/{id}/retry"),
            &[],
        )
        .await;
    let retried = follow(&client, retried).await;
    assert_eq!(retried.status(), StatusCode::OK);
    assert!(retried.text().await.unwrap().contains("back in line"));

    assert_eq!(sink.wait_for(1, WAIT).await.len(), 1);
    wait_for_status(&client, &format!("/t/alpha/api/v1/messages/{id}"), "sent").await;
    let path = format!("/t/alpha/api/v1/messages/{id}/retry");
    let again = client.http.post(client.url(&path)).send().await.unwrap();
    let again = checked("POST", &path, again).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "only dead letters");
    workers.stop().await;
    app.stop().await;
}

#[tokio::test]
async fn a_scheduled_message_is_not_sent_before_its_time() {
    let sink = SmtpSink::start().await;
    let options = MessagingOptions::to(&sink);
    let app = TestApp::spawn_messaging(&options).await;
    let alpha = app.tenant("alpha").await;
    let workers = app.start_workers("w1").await;

    let at = Utc::now() + chrono::Duration::seconds(3);
    let mut reminder = test_message("later@alpha.example", "reminder");
    reminder.send_at = Some(at);
    enqueue(&app, &alpha, reminder).await;
    tokio::time::sleep(Duration::from_millis(2000)).await;
    assert!(sink.received().is_empty(), "sent early");
    assert_eq!(sink.wait_for(1, WAIT).await.len(), 1);
    let db = app.db().admin().await;
    use pitlane_store::sea_orm::{ConnectionTrait, DbBackend, Statement};
    let on_time: bool = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "select sent_at >= not_before as on_time from outbox",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get("", "on_time")
        .unwrap();
    assert!(on_time, "sent at or after its time, by the delivery record");
    db.close().await.ok();
    workers.stop().await;
    app.stop().await;
}

#[tokio::test]
async fn one_tenants_burst_does_not_hold_up_another_tenants_message() {
    let sink = SmtpSink::start().await;
    let options = MessagingOptions::to(&sink);
    let app = TestApp::spawn_messaging(&options).await;
    let alpha = app.tenant("alpha").await;
    let bravo = app.tenant("bravo").await;
    for i in 0..300 {
        enqueue(
            &app,
            &alpha,
            test_message(&format!("c{i}@alpha.example"), &format!("burst-{i}")),
        )
        .await;
    }
    enqueue(
        &app,
        &bravo,
        test_message("driver@bravo.example", "reminder"),
    )
    .await;

    let workers = app.start_workers("w1").await;
    let mail = sink.wait_for(301, WAIT).await;
    assert_eq!(mail.len(), 301);
    let position = mail
        .iter()
        .position(|m| m.to == ["driver@bravo.example"])
        .expect("bravo's message arrived");
    assert!(
        position < 60,
        "bravo's message waited behind {position} of alpha's"
    );
    workers.stop().await;
    app.stop().await;
}

#[tokio::test]
async fn bulk_messages_are_paced_per_tenant() {
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn_messaging(&MessagingOptions::to(&sink)).await;
    let alpha = app.tenant("alpha").await;
    for i in 0..3 {
        let mut vars = MessageKind::Newsletter.sample();
        vars.insert(
            "unsubscribe_link".into(),
            format!("https://alpha.example/u/{i}"),
        );
        enqueue(
            &app,
            &alpha,
            OutgoingMessage {
                kind: MessageKind::Newsletter,
                to: Recipient::Email {
                    address: Email::parse(&format!("n{i}@alpha.example")).unwrap(),
                    name: None,
                },
                vars,
                attachments: Vec::new(),
                send_at: None,
                idempotency_key: format!("news-{i}"),
            },
        )
        .await;
    }
    let db = app.db().admin().await;
    use pitlane_store::sea_orm::{ConnectionTrait, DbBackend, Statement};
    let rows = db
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "select extract(epoch from not_before)::float8 as at from outbox order by not_before",
        ))
        .await
        .unwrap();
    let at: Vec<f64> = rows.iter().map(|r| r.try_get("", "at").unwrap()).collect();
    // The default budget is 600 bulk messages a minute: one every 100 ms.
    for pair in at.windows(2) {
        assert!(pair[1] - pair[0] >= 0.099, "{at:?}");
    }
    db.close().await.ok();
    app.stop().await;
}

#[tokio::test]
async fn the_operator_sees_every_tenants_queue() {
    let sink = SmtpSink::start().await;
    let options = MessagingOptions::to(&sink);
    let db = pitlane_testkit::TestDatabase::create().await;
    let mut vars = pitlane_testkit::messaging_vars(&db, &options);
    vars.push((
        "PITLANE_OPERATOR_TOKEN",
        "operator-token-0123456789abcdef".into(),
    ));
    let app = TestApp::spawn_with(
        pitlane_testkit::Backend::Postgres(db),
        pitlane_testkit::config_from(&vars),
    )
    .await;
    let alpha = app.tenant("alpha").await;
    enqueue(&app, &alpha, test_message("q@alpha.example", "q1")).await;

    let http = reqwest::Client::new();
    // Unchecked: the operator's API is not the tenant API the OpenAPI document describes.
    let url = format!("{}/operator/api/queues", app.origin);
    let anonymous = http.get(&url).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let wrong = http.get(&url).bearer_auth("nope").send().await.unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let view: Value = http
        .get(&url)
        .basic_auth("operator", Some("operator-token-0123456789abcdef"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(view["tenants"][0]["tenant"], "alpha", "{view}");
    assert_eq!(view["tenants"][0]["due"], 1, "{view}");
    let page = http
        .get(format!("{}/operator/queues", app.origin))
        .basic_auth("operator", Some("operator-token-0123456789abcdef"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("alpha"));

    let metrics = http
        .get(format!("{}/metrics", app.origin))
        .bearer_auth(pitlane_testkit::METRICS_TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(&format!(
            "pitlane_outbox_messages{{tenant=\"{}\",state=\"due\"}} 1",
            alpha.id
        )),
        "{metrics}"
    );
    assert!(metrics.trim_end().ends_with("# EOF"));
    app.stop().await;
}

#[tokio::test]
async fn the_embedded_server_sends_mail_itself() {
    let sink = SmtpSink::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut config = pitlane_testkit::embedded_config(dir.path());
    config.notify.smtp_url = Some(format!("smtp://127.0.0.1:{}", sink.port()));
    let app = TestApp::spawn_with(pitlane_testkit::Backend::Sqlite(dir), config).await;
    let alpha = app.tenant("alpha").await;
    let client = app.client();
    client.sign_in(&alpha).await;

    let page = client
        .submit(
            "/t/alpha/portal/settings/messages",
            "/t/alpha/portal/settings/messages/test",
            &[("to", "not an address")],
        )
        .await;
    assert_eq!(page.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("not an address"),
        "the form keeps what was typed"
    );

    let page = client
        .submit(
            "/t/alpha/portal/settings/messages",
            "/t/alpha/portal/settings/messages/test",
            &[("to", "me@alpha.example")],
        )
        .await;
    let page = follow(&client, page).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("Test e-mail queued for me@alpha.example")
    );
    let mail = sink.wait_for(1, WAIT).await;
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].to, ["me@alpha.example"]);
    app.stop().await;
}

/// A Redis of this test's own, so it can be stopped without disturbing other tests.
struct PrivateRedis {
    port: u16,
    child: std::process::Child,
}

impl PrivateRedis {
    async fn start(port: u16) -> Self {
        let child = std::process::Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server is installed (the CI script installs it)");
        // Owned before probing, so a failed start still stops the process (Drop).
        let redis = Self { port, child };
        let url = redis.url();
        for _ in 0..100 {
            if pitlane_bus::Bus::redis(&url, "probe:").await.is_ok() {
                return redis;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the private Redis did not start");
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A messaging app on a Redis of the test's own (on a free port), with alpha's owner signed in.
async fn on_private_redis() -> (
    PrivateRedis,
    u16,
    SmtpSink,
    TestApp,
    pitlane_testkit::Client,
) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let redis = PrivateRedis::start(port).await;
    let sink = SmtpSink::start().await;
    let options = MessagingOptions::to(&sink);
    let db = pitlane_testkit::TestDatabase::create().await;
    let mut vars = pitlane_testkit::messaging_vars(&db, &options);
    vars.retain(|(name, _)| *name != "REDIS_URL");
    vars.push(("REDIS_URL", redis.url()));
    let app = TestApp::spawn_with(
        pitlane_testkit::Backend::Postgres(db),
        pitlane_testkit::config_from(&vars),
    )
    .await;
    let alpha = app.tenant("alpha").await;
    let client = app.client();
    client.sign_in(&alpha).await;
    (redis, port, sink, app, client)
}

#[tokio::test]
async fn requests_succeed_while_redis_is_down_and_the_backlog_drains_after() {
    let (mut redis, port, sink, app, client) = on_private_redis().await;
    let workers = app.start_workers("w1").await;

    redis.stop();
    for i in 0..3 {
        let started = std::time::Instant::now();
        let response = client
            .http
            .post(client.url("/t/alpha/api/v1/messages/test"))
            .json(&json!({ "to": format!("outage{i}@alpha.example") }))
            .send()
            .await
            .unwrap();
        let response = checked("POST", "/t/alpha/api/v1/messages/test", response).await;
        assert_eq!(
            response.status,
            StatusCode::ACCEPTED,
            "request {i} during the outage"
        );
        eprintln!("request {i} took {:?} with Redis down", started.elapsed());
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        sink.received().is_empty(),
        "nothing can be relayed without the queue"
    );

    let _redis = PrivateRedis::start(port).await;
    let mail = sink.wait_for(3, WAIT).await;
    let mut to: Vec<String> = mail.iter().map(|m| m.to[0].clone()).collect();
    to.sort();
    assert_eq!(
        to,
        [
            "outage0@alpha.example",
            "outage1@alpha.example",
            "outage2@alpha.example"
        ]
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sink.received().len(), 3, "and none twice");
    workers.stop().await;
    app.stop().await;
}

/// Point 10 of the hardening review: messages whose queue entries were lost because Redis
/// restarted empty before any worker read them are put back at once, not after the
/// five-minute queued lease.
#[tokio::test]
async fn messages_queued_in_a_redis_that_restarted_empty_are_sent() {
    let (mut redis, port, sink, app, client) = on_private_redis().await;
    for i in 0..3 {
        let response = client
            .http
            .post(client.url("/t/alpha/api/v1/messages/test"))
            .json(&json!({ "to": format!("lost{i}@alpha.example") }))
            .send()
            .await
            .unwrap();
        let response = checked("POST", "/t/alpha/api/v1/messages/test", response).await;
        assert_eq!(response.status, StatusCode::ACCEPTED);
    }
    // A relay moves them onto the stream; no sender reads them before Redis goes.
    let relay = app.workers("relay-only").await;
    assert_eq!(relay.relay_once().await.expect("relayed"), 3);
    let queued = app.outbox_rows().await;
    assert!(
        queued.iter().all(|(_, status, _)| status == "queued"),
        "{queued:?}"
    );
    redis.stop();
    let _redis = PrivateRedis::start(port).await;

    // The workers notice the empty Redis and send all three, long before the queued lease.
    let workers = app.start_workers("w1").await;
    let mail = sink.wait_for(3, Duration::from_secs(30)).await;
    assert_eq!(mail.len(), 3, "every message, though its entry was lost");
    workers.stop().await;
    app.stop().await;
}
