//! Shared infrastructure behind one set of traits: key-value with expiry (sessions, throttles),
//! pub/sub (live updates) and queues (background work). Redis backs them in the SaaS shape,
//! so any number of server and worker processes share state; the in-process backend serves the
//! embedded shape, where there is one process and no Redis.

mod memory;
mod redis_backend;

use std::{sync::Arc, time::Duration};

use futures_util::stream::BoxStream;

pub use memory::MemoryBus;
pub use redis_backend::RedisBus;

#[derive(Debug, thiserror::Error)]
pub enum BusError {
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
}

pub type BusResult<T> = Result<T, BusError>;

#[async_trait::async_trait]
pub trait KeyValue: Send + Sync {
    async fn get(&self, key: &str) -> BusResult<Option<Vec<u8>>>;
    /// Several values in one round trip, in the order of `keys`.
    async fn get_many(&self, keys: &[String]) -> BusResult<Vec<Option<Vec<u8>>>> {
        let mut values = Vec::with_capacity(keys.len());
        for key in keys {
            values.push(self.get(key).await?);
        }
        Ok(values)
    }
    /// Stores a value; with `ttl` it disappears after that long.
    async fn set(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> BusResult<()>;
    async fn delete(&self, key: &str) -> BusResult<()>;
    /// Reads and removes a value in one step: of two callers at once, only one gets it
    /// (single-use tokens).
    async fn take(&self, key: &str) -> BusResult<Option<Vec<u8>>>;
    /// Adds `by` to a counter that expires `ttl` after its first increment; returns the new value.
    async fn incr(&self, key: &str, by: i64, ttl: Duration) -> BusResult<i64>;
}

#[async_trait::async_trait]
pub trait PubSub: Send + Sync {
    async fn publish(&self, channel: &str, message: &str) -> BusResult<()>;
    /// Publishes several messages on `channel`, in order, in one round trip where the bus
    /// can (a busy publisher would otherwise wait a round trip per message).
    async fn publish_many(&self, channel: &str, messages: &[String]) -> BusResult<()> {
        for message in messages {
            self.publish(channel, message).await?;
        }
        Ok(())
    }
    /// Messages published on `channel` from now on, from any process sharing the bus.
    async fn subscribe(&self, channel: &str) -> BusResult<BoxStream<'static, String>>;
    /// Appends to a short history (`log`), keeping about the last `keep` entries; returns the
    /// entry's id (`millis-sequence`, increasing). Readers who missed messages catch up from it.
    async fn log_append(&self, log: &str, message: &str, keep: usize) -> BusResult<String>;
    /// Entries of `log` after the id `after`, oldest first, at most `limit`.
    async fn log_since(
        &self,
        log: &str,
        after: &str,
        limit: usize,
    ) -> BusResult<Vec<(String, String)>>;
}

/// Orders ids of the form `millis-sequence` (stream and log entry ids).
pub fn entry_order(id: &str) -> (u64, u64) {
    let (ms, seq) = id.split_once('-').unwrap_or((id, "0"));
    (
        ms.parse().unwrap_or(u64::MAX),
        seq.parse().unwrap_or(u64::MAX),
    )
}

/// A message taken from a queue; it stays pending until acknowledged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub id: String,
    pub payload: String,
}

#[async_trait::async_trait]
pub trait Queue: Send + Sync {
    async fn push(&self, queue: &str, payload: &str) -> BusResult<String>;
    /// Pushes several messages in one round trip where the backend allows it.
    async fn push_many(&self, queue: &str, payloads: &[String]) -> BusResult<Vec<String>> {
        let mut ids = Vec::with_capacity(payloads.len());
        for payload in payloads {
            ids.push(self.push(queue, payload).await?);
        }
        Ok(ids)
    }
    /// Up to `count` new messages for this consumer group, waiting up to `block` for the first.
    async fn read(
        &self,
        queue: &str,
        group: &str,
        consumer: &str,
        count: usize,
        block: Duration,
    ) -> BusResult<Vec<Delivery>>;
    /// Whether the queue's store may have lost entries since this was last asked (by any
    /// process): a marker kept beside the queue is missing, so Redis restarted empty or was
    /// flushed (or this is the first look ever). The first caller to see it missing puts it
    /// back and gets `true`; everyone else, `false`.
    async fn lost_entries(&self, queue: &str) -> BusResult<bool>;
    /// Acknowledges a message and removes it from the queue (each queue has one group).
    async fn ack(&self, queue: &str, group: &str, id: &str) -> BusResult<()>;
    /// Messages another consumer read but has not acknowledged for `min_idle` (it crashed, or
    /// hangs), handed over to `consumer` (Redis `XAUTOCLAIM`).
    async fn claim_stale(
        &self,
        queue: &str,
        group: &str,
        consumer: &str,
        min_idle: Duration,
        count: usize,
    ) -> BusResult<Vec<Delivery>>;
    /// How many messages wait in the queue, and how many of them are read but unacknowledged.
    async fn depth(&self, queue: &str, group: &str) -> BusResult<QueueDepth>;
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueDepth {
    pub waiting: u64,
    pub pending: u64,
}

/// The backend a process runs with, chosen once from configuration.
#[derive(Clone)]
pub struct Bus {
    pub kv: Arc<dyn KeyValue>,
    pub pubsub: Arc<dyn PubSub>,
    pub queue: Arc<dyn Queue>,
    redis: Option<RedisBus>,
}

impl Bus {
    pub fn in_process() -> Self {
        let memory = Arc::new(MemoryBus::default());
        Self {
            kv: memory.clone(),
            pubsub: memory.clone(),
            queue: memory,
            redis: None,
        }
    }

    /// Connects to Redis; every key, channel and stream is put under `prefix`
    /// (so tests, or several deployments, can share one Redis).
    pub async fn redis(url: &str, prefix: &str) -> BusResult<Self> {
        let redis = Arc::new(RedisBus::connect(url, prefix).await?);
        Ok(Self {
            kv: redis.clone(),
            pubsub: redis.clone(),
            queue: redis.clone(),
            redis: Some((*redis).clone()),
        })
    }

    pub fn is_redis(&self) -> bool {
        self.redis.is_some()
    }

    /// Whether the backend answers (always, in process).
    pub async fn ping(&self) -> BusResult<()> {
        match &self.redis {
            Some(redis) => redis.ping().await,
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests;
