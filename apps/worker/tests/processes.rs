//! Real `pitlane-worker` processes against a real server, PostgreSQL, Redis and SMTP sink:
//! a worker that dies between recording a delivery and acknowledging it causes no second
//! send, and two workers share a backlog without sending anything twice.

use std::{collections::BTreeSet, time::Duration};

use pitlane_testkit::{MessagingOptions, SmtpSink, TestApp, WorkerProcess};
use reqwest::StatusCode;

const WORKER: &str = env!("CARGO_BIN_EXE_pitlane-worker");

async fn send_tests(app: &TestApp, count: usize) {
    let alpha = app.tenant("alpha").await;
    let client = app.client();
    client.sign_in(&alpha).await;
    for i in 0..count {
        let response = client
            .http
            .post(client.url("/t/alpha/api/v1/messages/test"))
            .json(&serde_json::json!({ "to": format!("r{i}@alpha.example") }))
            .send()
            .await
            .expect("send");
        assert_eq!(response.status(), StatusCode::ACCEPTED);
    }
}

#[tokio::test]
async fn a_worker_killed_after_sending_and_before_acknowledging_sends_once() {
    let sink = SmtpSink::start().await;
    let options = MessagingOptions::to(&sink);
    let app = TestApp::spawn_messaging(&options).await;
    send_tests(&app, 1).await;

    let mut doomed = WorkerProcess::spawn(
        WORKER,
        &app,
        &options,
        &[("PITLANE_FAULT", "abort-after-send")],
    );
    let status = doomed
        .wait_exit(Duration::from_secs(30))
        .await
        .expect("the worker crashed as told");
    assert!(!status.success());
    assert_eq!(sink.received().len(), 1, "sent before the crash");
    assert_eq!(app.outbox_rows().await[0].1, "sent", "and recorded");

    // Its unacknowledged entry is claimed by the next worker after the lease: it finds the
    // delivery recorded and acknowledges without sending again.
    let _rescuer = WorkerProcess::spawn(WORKER, &app, &options, &[]);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let depth = app
            .state()
            .bus
            .queue
            .depth(pitlane_notify::QUEUE, pitlane_notify::GROUP)
            .await
            .expect("depth");
        if depth.pending == 0 && depth.waiting == 0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "entry never claimed: {depth:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(sink.received().len(), 1, "delivered exactly once");
    app.stop().await;
}

#[tokio::test]
async fn two_workers_share_the_backlog_and_send_each_message_once() {
    let sink = SmtpSink::start().await;
    let options = MessagingOptions::to(&sink);
    let app = TestApp::spawn_messaging(&options).await;
    send_tests(&app, 200).await;
    let _a = WorkerProcess::spawn(WORKER, &app, &options, &[]);
    let _b = WorkerProcess::spawn(WORKER, &app, &options, &[]);
    let mail = sink.wait_for(200, Duration::from_secs(30)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mail = sink.received().len().max(mail.len());
    let distinct: BTreeSet<String> = sink.received().iter().map(|m| m.to[0].clone()).collect();
    assert_eq!(distinct.len(), 200, "every message arrived");
    assert_eq!(mail, 200, "none twice");
    app.stop().await;
}

/// Point 10 of the hardening review: a worker killed (SIGKILL) in the middle of a backlog
/// re-sends at most the messages it had in flight, because each delivery is recorded as
/// soon as the provider accepts it.
#[tokio::test]
async fn a_worker_killed_mid_backlog_resends_at_most_its_messages_in_flight() {
    let sink = SmtpSink::start().await;
    let options = MessagingOptions::to(&sink);
    let app = TestApp::spawn_messaging(&options).await;
    send_tests(&app, 200).await;
    let concurrency = 8;
    let mut doomed = WorkerProcess::spawn(
        WORKER,
        &app,
        &options,
        &[("PITLANE_WORKER_CONCURRENCY", &concurrency.to_string())],
    );
    sink.wait_for(40, Duration::from_secs(30)).await;
    doomed.kill();
    let _rescuer = WorkerProcess::spawn(WORKER, &app, &options, &[]);
    sink.wait_for(200, Duration::from_secs(60)).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let received = sink.received();
    let distinct: BTreeSet<String> = received.iter().map(|m| m.to[0].clone()).collect();
    assert_eq!(distinct.len(), 200, "every message arrived");
    let twice = received.len() - distinct.len();
    assert!(
        twice <= concurrency,
        "{twice} messages went out twice; at most the {concurrency} in flight may"
    );
    app.stop().await;
}

/// A relay killed after committing messages as queued and before adding them to the queue
/// strands nothing: its heartbeat stops, and another worker puts its messages back within
/// seconds (not after the five-minute queued lease). Each is sent once.
#[tokio::test]
async fn a_relay_killed_between_commit_and_queue_strands_nothing() {
    let sink = SmtpSink::start().await;
    let options = MessagingOptions::to(&sink);
    let app = TestApp::spawn_messaging(&options).await;
    send_tests(&app, 5).await;
    let mut doomed = WorkerProcess::spawn(
        WORKER,
        &app,
        &options,
        &[("PITLANE_FAULT", "abort-in-relay")],
    );
    let status = doomed
        .wait_exit(Duration::from_secs(30))
        .await
        .expect("the relay crashed as told");
    assert!(!status.success());
    let rows = app.outbox_rows().await;
    assert!(
        rows.iter().all(|(_, status, _)| status == "queued"),
        "committed as queued, never queued: {rows:?}"
    );
    let _rescuer = WorkerProcess::spawn(WORKER, &app, &options, &[]);
    let mail = sink.wait_for(5, Duration::from_secs(40)).await;
    assert_eq!(mail.len(), 5, "every message, well before the queued lease");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let received = sink.received();
    let distinct: BTreeSet<String> = received.iter().map(|m| m.to[0].clone()).collect();
    assert_eq!(distinct.len(), 5);
    assert_eq!(received.len(), 5, "none twice");
    app.stop().await;
}
