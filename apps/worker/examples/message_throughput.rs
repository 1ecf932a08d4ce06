//! The notification platform's benchmark (README, "Benchmarks"): messages per second from the
//! outbox through the relay and two workers into an SMTP sink on 127.0.0.1, and the cost of
//! finding due messages with a million scheduled ones waiting.
//!
//! `cargo run --release -p pitlane-worker --example message_throughput [messages]`
//! Needs PostgreSQL and Redis, like the tests (`TEST_POSTGRES_URL`, `TEST_REDIS_URL`).

use std::{
    collections::BTreeMap,
    time::{Duration, Instant},
};

use pitlane_domain::{messages::MessageKind, text::Email};
use pitlane_notify::{OutgoingMessage, Recipient};
use pitlane_store::{
    TenantCtx,
    sea_orm::{ConnectionTrait, DbBackend, Statement},
};
use pitlane_testkit::{MessagingOptions, SmtpSink, TestApp};

#[tokio::main]
async fn main() {
    let total: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(20_000);
    let tenants = 20;
    let sink = SmtpSink::start().await;
    let mut options = MessagingOptions::to(&sink);
    options.lease_secs = 120;
    let app = TestApp::spawn_messaging(&options).await;

    let mut fixtures = Vec::new();
    for t in 0..tenants {
        fixtures.push(app.tenant(&format!("shop{t}")).await);
    }
    let started = Instant::now();
    for (t, tenant) in fixtures.iter().enumerate() {
        let tx = app
            .state()
            .store
            .tx(&TenantCtx::new(tenant.id))
            .await
            .expect("tenant transaction");
        for i in 0..total / tenants {
            let message = OutgoingMessage {
                kind: MessageKind::TestMessage,
                to: Recipient::Email {
                    address: Email::parse(&format!("c{i}@shop{t}.example")).expect("address"),
                    name: None,
                },
                vars: BTreeMap::from([("sent_by".to_owned(), "bench".to_owned())]),
                attachments: Vec::new(),
                send_at: None,
                idempotency_key: format!("bench-{i}"),
            };
            app.state()
                .outbox
                .enqueue(&tx, message)
                .await
                .expect("enqueue");
        }
        tx.commit().await.expect("commit");
    }
    let enqueue = started.elapsed();
    println!(
        "enqueued {total} messages for {tenants} tenants in {:.2} s ({:.0}/s)",
        enqueue.as_secs_f64(),
        total as f64 / enqueue.as_secs_f64()
    );

    let started = Instant::now();
    let a = app.start_workers("bench-a").await;
    let b = app.start_workers("bench-b").await;
    let mut last = 0;
    loop {
        let got = sink.wait_for(total, Duration::from_secs(5)).await.len();
        if got >= total || got == last {
            break;
        }
        last = got;
    }
    let elapsed = started.elapsed();
    let delivered = sink.received().len();
    println!(
        "relay + 2 workers -> SMTP sink: {delivered} messages in {:.2} s = {:.0} messages/s",
        elapsed.as_secs_f64(),
        delivered as f64 / elapsed.as_secs_f64()
    );
    a.stop().await;
    b.stop().await;

    // A million reminders scheduled over the next 30 days, then the relay's claim query.
    let db = app.db().admin().await;
    let tenant = fixtures[0].id;
    let fill = Instant::now();
    db.execute_unprepared(&format!(
        "insert into outbox (tenant_id, id, kind, channel, recipient, data, idempotency_key, status, not_before)
         select '{tenant}', gen_random_uuid(), 'appointment_reminder', 'email', 'r' || g || '@shop.example',
                '{{\"vars\":{{}}}}', 'sched-' || g, 'pending', now() + (g % 2592000) * interval '1 second' + interval '1 minute'
           from generate_series(1, 1000000) g"
    ))
    .await
    .expect("schedule a million reminders");
    db.execute_unprepared("analyze outbox")
        .await
        .expect("analyze");
    println!(
        "queued 1,000,000 scheduled messages in {:.1} s",
        fill.elapsed().as_secs_f64()
    );
    let mut timings = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        db.execute_unprepared(
            "begin; select * from pitlane_outbox_claim(500, 50, 5000, 'bench'); rollback;",
        )
        .await
        .expect("claim");
        timings.push(t.elapsed());
    }
    timings.sort();
    println!(
        "finding due messages among 1,000,000 scheduled: median {:.2} ms, max {:.2} ms (20 claims)",
        timings[10].as_secs_f64() * 1000.0,
        timings[19].as_secs_f64() * 1000.0
    );
    let plan = db
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "explain analyze select id from outbox where status = 'pending' and not_before <= now() order by not_before limit 5000",
        ))
        .await
        .expect("explain");
    for row in plan {
        let line: String = row.try_get_by_index(0).expect("plan line");
        println!("  {line}");
    }
    db.close().await.ok();
    app.stop().await;
}
