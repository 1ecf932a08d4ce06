//! SMS through the fake provider (consent, STOP / START, signed webhooks, delivery reports),
//! tenants' own templates, staff notifications, and live updates across server instances.

use std::time::Duration;

use pitlane_domain::permissions::Role;
use pitlane_testkit::{
    Client, EventStream, FakeSms, MessagingOptions, SmtpSink, SseEvent, TestApp, checked,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(20);

async fn send_json(
    client: &Client,
    method: Method,
    path: &str,
    body: Value,
) -> (StatusCode, Value) {
    let response = client
        .http
        .request(method.clone(), client.url(path))
        .json(&body)
        .send()
        .await
        .expect("request");
    let answer = checked(method.as_str(), path, response).await;
    (answer.status, answer.body)
}

async fn post_json(client: &Client, path: &str, body: Value) -> (StatusCode, Value) {
    send_json(client, Method::POST, path, body).await
}

async fn put_json(client: &Client, path: &str, body: Value) -> (StatusCode, Value) {
    send_json(client, Method::PUT, path, body).await
}

async fn get_json(client: &Client, path: &str) -> Value {
    let answer = checked("GET", path, client.get(path).await).await;
    assert_eq!(answer.status, StatusCode::OK, "{path}");
    answer.body
}

/// Polls a message until `check` holds (or fails with what it last was).
async fn wait_for_message(client: &Client, id: &str, check: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let message = get_json(client, &format!("/t/alpha/api/v1/messages/{id}")).await;
        if check(&message) {
            return message;
        }
        assert!(tokio::time::Instant::now() < deadline, "{message}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["field"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn sms_goes_through_the_provider_and_stop_then_start_is_honoured() {
    let sink = SmtpSink::start().await;
    let fake = FakeSms::start().await;
    let app = TestApp::spawn_messaging(&MessagingOptions::to(&sink).with_sms(&fake)).await;
    fake.call_back_to(&app.origin);
    fake.owns("+447911000555");
    let alpha = app.tenant("alpha").await;
    let workers = app.start_workers("w1").await;
    let client = app.client();
    client.sign_in(&alpha).await;

    let (status, problem) = put_json(
        &client,
        "/t/alpha/api/v1/workshop/sender",
        json!({ "sms_sender": "12" }),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&problem), ["sms_sender"]);
    let (status, sender) = put_json(
        &client,
        "/t/alpha/api/v1/workshop/sender",
        json!({ "sms_sender": "+44 7911 000555" }),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(sender["sms_sender"], "+447911000555", "stored in E.164");

    // A national number needs a country; the workshop's branch has none.
    let (status, problem) = post_json(
        &client,
        "/t/alpha/api/v1/messages/test",
        json!({ "channel": "sms", "to": "07911 123456" }),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("country code")
    );

    let send_test = || async {
        let (status, message) = post_json(
            &client,
            "/t/alpha/api/v1/messages/test",
            json!({ "channel": "sms", "to": "+44 7911 123456" }),
        )
        .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{message}");
        message["id"].as_str().unwrap().to_owned()
    };
    let first = send_test().await;
    let sent = fake.wait_for(1, WAIT).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].from, "+447911000555");
    assert_eq!(sent[0].to, "+447911123456");
    assert!(sent[0].body.contains("SMS works"), "{}", sent[0].body);
    let message = wait_for_message(&client, &first, |m| m["delivery_status"] == "delivered").await;
    assert_eq!(message["status"], "sent");

    // A forged webhook changes nothing.
    assert_eq!(
        fake.forged_text_in(&app.origin, "+447911123456", "+447911000555")
            .await,
        403
    );
    let (status, twiml) = fake
        .text_in(
            &app.origin,
            &app.origin,
            "+447911123456",
            "+447911000555",
            "Stop",
        )
        .await;
    assert_eq!(status, 200, "{twiml}");
    assert!(
        twiml.contains("<Message>") && twiml.contains("no more SMS"),
        "{twiml}"
    );

    let second = send_test().await;
    let message = wait_for_message(&client, &second, |m| {
        m["status"] != "pending" && m["status"] != "queued" && m["status"] != "sending"
    })
    .await;
    assert_eq!(message["status"], "suppressed", "{message}");
    assert!(message["last_error"].as_str().unwrap().contains("STOP"));
    assert_eq!(
        fake.sent().len(),
        1,
        "nothing goes to a number that opted out"
    );

    let (status, twiml) = fake
        .text_in(
            &app.origin,
            &app.origin,
            "+447911123456",
            "+447911000555",
            "START",
        )
        .await;
    assert_eq!(status, 200);
    assert!(twiml.contains("again"), "{twiml}");
    let third = send_test().await;
    wait_for_message(&client, &third, |m| m["status"] == "sent").await;
    assert_eq!(fake.wait_for(2, WAIT).await.len(), 2);

    // A reply is kept for the staff and rings the bell.
    let (status, twiml) = fake
        .text_in(
            &app.origin,
            &app.origin,
            "+447911123456",
            "+447911000555",
            "Is my car ready?",
        )
        .await;
    assert_eq!(status, 200);
    assert!(
        !twiml.contains("<Message>"),
        "no automatic answer to a reply"
    );
    let received = get_json(&client, "/t/alpha/api/v1/messages/received").await;
    let bodies: Vec<&str> = received["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["body"].as_str())
        .collect();
    assert_eq!(bodies, ["Is my car ready?", "START", "Stop"]);
    let notifications = get_json(&client, "/t/alpha/api/v1/notifications").await;
    let unread = get_json(&client, "/t/alpha/api/v1/notifications/unread").await;
    assert_eq!(unread["unread"], 1);
    assert_eq!(notifications["items"][0]["title"], "SMS from +447911123456");
    let page = client.get("/t/alpha/portal").await.text().await.unwrap();
    assert!(
        page.contains("Notifications, 1 unread"),
        "the bell shows the count"
    );
    let id = notifications["items"][0]["id"].as_str().unwrap();
    let (status, unread) = post_json(
        &client,
        &format!("/t/alpha/api/v1/notifications/{id}/read"),
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(unread["unread"], 0);

    // A number no workshop sends from.
    let (status, _) = fake
        .text_in(
            &app.origin,
            &app.origin,
            "+447911123456",
            "+447911000999",
            "hello",
        )
        .await;
    assert_eq!(status, 404);

    workers.stop().await;
    app.stop().await;
}

#[tokio::test]
async fn a_template_with_an_unknown_variable_is_refused_and_the_saved_wording_is_sent() {
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn_messaging(&MessagingOptions::to(&sink)).await;
    let alpha = app.tenant("alpha").await;
    let workers = app.start_workers("w1").await;
    let client = app.client();
    client.sign_in(&alpha).await;
    let path = "/t/alpha/api/v1/templates/test_message.email";

    let (status, problem) = put_json(
        &client,
        path,
        json!({ "subject": "Hi", "body": "Hello {{ first_name }}" }),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let message = problem["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("first_name") && message.contains("sent_by"),
        "names the unknown variable and the known ones: {message}"
    );
    let (status, _) = put_json(
        &client,
        "/t/alpha/api/v1/templates/test_message.sms",
        json!({ "subject": "SMS have none", "body": "ok" }),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let missing = "/t/alpha/api/v1/templates/no_such.email";
    assert_eq!(
        checked("GET", missing, client.get(missing).await)
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // The portal keeps what was typed beside the error.
    let page = "/t/alpha/portal/settings/templates/test_message/email";
    let response = client
        .submit(
            page,
            page,
            &[
                ("subject", "Hi"),
                ("body", "Dear {{ nmae }}"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(html.contains("Dear {{ nmae }}"), "the text is kept");
    assert!(html.contains("is not a variable of this message"));

    let (status, preview) = post_json(
        &client,
        &format!("{path}/preview"),
        json!({ "subject": "From {{ workshop_name }}", "body": "Sent by {{ sent_by }}." }),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(preview["subject"], "From ALPHA Motors");
    assert!(preview["html"].as_str().unwrap().contains("Sent by"));

    let (status, saved) = put_json(
        &client,
        path,
        json!({ "subject": "Custom from {{ workshop_name }}", "body": "Our own words, sent by {{ sent_by }}." }),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(saved["custom"], true);
    let (status, _) = post_json(
        &client,
        "/t/alpha/api/v1/messages/test",
        json!({ "to": "owner@alpha.example" }),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let mail = sink.wait_for(1, WAIT).await;
    assert_eq!(
        mail[0].header("Subject").as_deref(),
        Some("Custom from ALPHA Motors")
    );
    assert!(mail[0].data.contains("Our own words"));

    let reset = client.http.delete(client.url(path)).send().await.unwrap();
    let reset = checked("DELETE", path, reset).await;
    assert_eq!(reset.status, StatusCode::OK);
    let back = reset.body;
    assert_eq!(back["custom"], false);

    workers.stop().await;
    app.stop().await;
}

fn mentions(event: &SseEvent, id: &str, status: &str) -> bool {
    event.data["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|m| m["id"] == id && m["status"] == status)
}

#[tokio::test]
async fn live_updates_reach_a_browser_on_another_instance_and_resume_after_a_reconnect() {
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn_messaging(&MessagingOptions::to(&sink)).await;
    let second = app.another_instance().await;
    let alpha = app.tenant("alpha").await;
    let bravo = app.tenant("bravo").await;
    let w1 = app.start_workers("w1").await;
    let w2 = app.start_workers("w2").await;

    let on_a = app.client();
    on_a.sign_in(&alpha).await;
    // The same browser session, talking to the other instance.
    let on_b = Client {
        http: on_a.http.clone(),
        origin: format!("http://127.0.0.1:{}", second.addr.port()),
    };
    let mut stream = EventStream::open(&on_a, "/t/alpha/events?topics=messages", None).await;

    let (status, message) = post_json(
        &on_b,
        "/t/alpha/api/v1/messages/test",
        json!({ "to": "owner@alpha.example" }),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let id = message["id"].as_str().unwrap().to_owned();
    let events = stream.read_until(|e| mentions(e, &id, "sent")).await;
    let created = events
        .iter()
        .find(|e| mentions(e, &id, "pending"))
        .expect("the instance that took the request announced the new message");
    assert!(events.iter().all(|e| e.kind == "messages.updated"));
    drop(stream);

    // Another tenant's traffic meanwhile.
    let b_client = app.client();
    b_client.sign_in(&bravo).await;
    let (_, b_message) = post_json(
        &b_client,
        "/t/bravo/api/v1/messages/test",
        json!({ "to": "owner@bravo.example" }),
    )
    .await;
    let b_id = b_message["id"].as_str().unwrap().to_owned();

    // Reconnecting to the other instance with the last id seen replays what came after.
    let mut resumed =
        EventStream::open(&on_b, "/t/alpha/events?topics=messages", Some(&created.id)).await;
    let replayed = resumed.read_until(|e| mentions(e, &id, "sent")).await;
    assert!(
        !replayed.iter().any(|e| e.id == created.id),
        "nothing twice"
    );
    assert!(
        !replayed.iter().any(|e| e.data.to_string().contains(&b_id)),
        "never another tenant's events"
    );
    drop(resumed);

    // Topics are checked against the reader's role.
    let (email, password) = app.member(&alpha, Role::Mechanic).await;
    let mechanic = app.client();
    mechanic.sign_in_as(&alpha, &email, &password).await;
    let refused = mechanic.get("/t/alpha/events?topics=messages").await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let unknown = mechanic.get("/t/alpha/events?topics=everything").await;
    assert_eq!(unknown.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let anonymous = app.client().get("/t/alpha/events").await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);

    w1.stop().await;
    w2.stop().await;
    second.stop().await;
    app.stop().await;
}
