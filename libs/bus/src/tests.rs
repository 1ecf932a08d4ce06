//! The same behaviour from both backends. The Redis half needs a Redis (`TEST_REDIS_URL`,
//! default redis://127.0.0.1:6379); without one the tests fail, they are never skipped.

use std::time::Duration;

use futures_util::StreamExt;

use crate::Bus;

async fn backends() -> Vec<(&'static str, Bus)> {
    let url = std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let prefix = format!("test:{}:", std::process::id());
    let redis = Bus::redis(&url, &prefix).await.expect("connect to Redis");
    vec![("memory", Bus::in_process()), ("redis", redis)]
}

#[tokio::test]
async fn key_values_expire() {
    for (name, bus) in backends().await {
        bus.kv
            .set("k", b"v", Some(Duration::from_secs(1)))
            .await
            .unwrap();
        assert_eq!(
            bus.kv.get("k").await.unwrap().as_deref(),
            Some(&b"v"[..]),
            "{name}"
        );
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(bus.kv.get("k").await.unwrap(), None, "{name}: expired");
        bus.kv.set("k2", b"v", None).await.unwrap();
        bus.kv.delete("k2").await.unwrap();
        assert_eq!(bus.kv.get("k2").await.unwrap(), None, "{name}: deleted");
        bus.kv
            .set("once", b"t", Some(Duration::from_secs(5)))
            .await
            .unwrap();
        assert_eq!(
            bus.kv.take("once").await.unwrap().as_deref(),
            Some(&b"t"[..]),
            "{name}"
        );
        assert_eq!(
            bus.kv.take("once").await.unwrap(),
            None,
            "{name}: taken once"
        );
        assert_eq!(
            bus.kv.incr("n", 2, Duration::from_secs(5)).await.unwrap(),
            2,
            "{name}"
        );
        assert_eq!(
            bus.kv.incr("n", 3, Duration::from_secs(5)).await.unwrap(),
            5,
            "{name}"
        );
    }
}

#[tokio::test]
async fn published_messages_reach_subscribers() {
    for (name, bus) in backends().await {
        let mut messages = bus.pubsub.subscribe("news").await.unwrap();
        bus.pubsub.publish("news", "hello").await.unwrap();
        let got = tokio::time::timeout(Duration::from_secs(5), messages.next()).await;
        assert_eq!(got.unwrap().as_deref(), Some("hello"), "{name}");
        let batch: Vec<String> = (0..5).map(|i| format!("m{i}")).collect();
        bus.pubsub.publish_many("news", &batch).await.unwrap();
        let got: Vec<String> = tokio::time::timeout(
            Duration::from_secs(5),
            messages.by_ref().take(5).collect::<Vec<_>>(),
        )
        .await
        .unwrap();
        assert_eq!(got, batch, "{name}: a batch arrives whole and in order");
    }
}

#[tokio::test]
async fn queued_messages_are_delivered_once_per_group() {
    for (name, bus) in backends().await {
        let queue = format!("jobs-{}", uuid_like());
        let id = bus.queue.push(&queue, "one").await.unwrap();
        let first = bus
            .queue
            .read(&queue, "g", "c1", 10, Duration::from_millis(100))
            .await
            .unwrap();
        assert_eq!(first.len(), 1, "{name}");
        assert_eq!(first[0].payload, "one", "{name}");
        assert_eq!(first[0].id, id, "{name}");
        bus.queue.ack(&queue, "g", &id).await.unwrap();
        let again = bus
            .queue
            .read(&queue, "g", "c2", 10, Duration::from_millis(100))
            .await
            .unwrap();
        assert!(again.is_empty(), "{name}: delivered once");
    }
}

fn uuid_like() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default()
}

#[tokio::test]
async fn unacknowledged_messages_are_claimed_by_another_consumer() {
    for (name, bus) in backends().await {
        let queue = format!("claims-{}", uuid_like());
        bus.queue.push(&queue, "work").await.unwrap();
        let read = bus
            .queue
            .read(&queue, "g", "crashed", 10, Duration::from_millis(100))
            .await
            .unwrap();
        assert_eq!(read.len(), 1, "{name}");
        let depth = bus.queue.depth(&queue, "g").await.unwrap();
        assert_eq!((depth.waiting, depth.pending), (1, 1), "{name}: pending");

        let early = bus
            .queue
            .claim_stale(&queue, "g", "rescuer", Duration::from_secs(60), 10)
            .await
            .unwrap();
        assert!(early.is_empty(), "{name}: not idle long enough yet");
        tokio::time::sleep(Duration::from_millis(250)).await;
        let claimed = bus
            .queue
            .claim_stale(&queue, "g", "rescuer", Duration::from_millis(200), 10)
            .await
            .unwrap();
        assert_eq!(claimed, read, "{name}: the same message, handed over");

        bus.queue.ack(&queue, "g", &claimed[0].id).await.unwrap();
        let depth = bus.queue.depth(&queue, "g").await.unwrap();
        assert_eq!(
            (depth.waiting, depth.pending),
            (0, 0),
            "{name}: gone once acked"
        );
    }
}
