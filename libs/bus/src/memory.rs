use std::{
    collections::{HashMap, VecDeque},
    sync::Mutex,
    time::{Duration, Instant},
};

use futures_util::{StreamExt, stream::BoxStream};
use tokio::sync::{Notify, broadcast};

use crate::{BusResult, Delivery, KeyValue, PubSub, Queue, QueueDepth};

/// Everything in one process: a map with expiry, broadcast channels and in-memory queues.
#[derive(Default)]
pub struct MemoryBus {
    values: Mutex<HashMap<String, Entry>>,
    channels: Mutex<HashMap<String, broadcast::Sender<String>>>,
    queues: Mutex<HashMap<String, MemoryQueue>>,
    queue_signal: Notify,
    logs: Mutex<HashMap<String, VecDeque<(String, String)>>>,
    last_log_id: Mutex<(u64, u64)>,
}

struct Entry {
    value: Vec<u8>,
    expires: Option<Instant>,
}

impl Entry {
    fn live(&self, now: Instant) -> bool {
        self.expires.is_none_or(|e| e > now)
    }
}

/// One consumer group: messages not yet read, and those read but not acknowledged.
#[derive(Default)]
struct Group {
    unread: VecDeque<Delivery>,
    /// Read but not acknowledged: by whom, and since when.
    pending: HashMap<String, (Delivery, Instant)>,
}

#[derive(Default)]
struct MemoryQueue {
    next_id: u64,
    groups: HashMap<String, Group>,
    /// Messages pushed while no group existed, handed to the groups created after them.
    backlog: Vec<Delivery>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding the lock leaves plain data behind; keep serving it.
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[async_trait::async_trait]
impl KeyValue for MemoryBus {
    async fn get(&self, key: &str) -> BusResult<Option<Vec<u8>>> {
        let mut values = lock(&self.values);
        match values.get(key) {
            Some(entry) if entry.live(Instant::now()) => Ok(Some(entry.value.clone())),
            Some(_) => {
                values.remove(key);
                Ok(None)
            }
            None => Ok(None),
        }
    }

    async fn set(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> BusResult<()> {
        let mut values = lock(&self.values);
        let now = Instant::now();
        if values.len() % 1024 == 1023 {
            values.retain(|_, entry| entry.live(now));
        }
        values.insert(
            key.to_owned(),
            Entry {
                value: value.to_vec(),
                expires: ttl.map(|t| now + t),
            },
        );
        Ok(())
    }

    async fn delete(&self, key: &str) -> BusResult<()> {
        lock(&self.values).remove(key);
        Ok(())
    }

    async fn take(&self, key: &str) -> BusResult<Option<Vec<u8>>> {
        let taken = lock(&self.values).remove(key);
        Ok(taken
            .filter(|entry| entry.live(Instant::now()))
            .map(|entry| entry.value))
    }

    async fn incr(&self, key: &str, by: i64, ttl: Duration) -> BusResult<i64> {
        let mut values = lock(&self.values);
        let now = Instant::now();
        let fresh = || Entry {
            value: b"0".to_vec(),
            expires: Some(now + ttl),
        };
        let entry = values.entry(key.to_owned()).or_insert_with(fresh);
        if !entry.live(now) {
            *entry = fresh();
        }
        let current: i64 = std::str::from_utf8(&entry.value)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let next = current + by;
        entry.value = next.to_string().into_bytes();
        Ok(next)
    }
}

#[async_trait::async_trait]
impl PubSub for MemoryBus {
    async fn publish(&self, channel: &str, message: &str) -> BusResult<()> {
        if let Some(sender) = lock(&self.channels).get(channel) {
            // No subscribers is not an error: nobody is listening right now.
            let _ = sender.send(message.to_owned());
        }
        Ok(())
    }

    async fn subscribe(&self, channel: &str) -> BusResult<BoxStream<'static, String>> {
        let receiver = lock(&self.channels)
            .entry(channel.to_owned())
            .or_insert_with(|| broadcast::channel(1024).0)
            .subscribe();
        let stream = futures_util::stream::unfold(receiver, |mut receiver| async move {
            loop {
                match receiver.recv().await {
                    Ok(message) => return Some((message, receiver)),
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        });
        Ok(stream.boxed())
    }

    async fn log_append(&self, log: &str, message: &str, keep: usize) -> BusResult<String> {
        let id = {
            let mut last = lock(&self.last_log_id);
            let ms = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as u64);
            *last = if ms > last.0 {
                (ms, 0)
            } else {
                (last.0, last.1 + 1)
            };
            format!("{}-{}", last.0, last.1)
        };
        let mut logs = lock(&self.logs);
        let entries = logs.entry(log.to_owned()).or_default();
        entries.push_back((id.clone(), message.to_owned()));
        while entries.len() > keep.max(1) {
            entries.pop_front();
        }
        Ok(id)
    }

    async fn log_since(
        &self,
        log: &str,
        after: &str,
        limit: usize,
    ) -> BusResult<Vec<(String, String)>> {
        let after = crate::entry_order(after);
        Ok(lock(&self.logs)
            .get(log)
            .map(|entries| {
                entries
                    .iter()
                    .filter(|(id, _)| crate::entry_order(id) > after)
                    .take(limit)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default())
    }
}

#[async_trait::async_trait]
impl Queue for MemoryBus {
    /// The queue lives in this process: at its first look, whatever an earlier run of the
    /// process had queued is gone.
    async fn lost_entries(&self, queue: &str) -> BusResult<bool> {
        let mut values = lock(&self.values);
        let key = format!("queue-marker:{queue}");
        if values.contains_key(&key) {
            return Ok(false);
        }
        values.insert(
            key,
            Entry {
                value: b"1".to_vec(),
                expires: None,
            },
        );
        Ok(true)
    }

    async fn push(&self, queue: &str, payload: &str) -> BusResult<String> {
        let id = {
            let mut queues = lock(&self.queues);
            let q = queues.entry(queue.to_owned()).or_default();
            q.next_id += 1;
            let delivery = Delivery {
                id: format!("{}-0", q.next_id),
                payload: payload.to_owned(),
            };
            if q.groups.is_empty() {
                q.backlog.push(delivery.clone());
            }
            for group in q.groups.values_mut() {
                group.unread.push_back(delivery.clone());
            }
            delivery.id
        };
        self.queue_signal.notify_waiters();
        Ok(id)
    }

    async fn read(
        &self,
        queue: &str,
        group: &str,
        _consumer: &str,
        count: usize,
        block: Duration,
    ) -> BusResult<Vec<Delivery>> {
        let deadline = Instant::now() + block;
        loop {
            let notified = self.queue_signal.notified();
            {
                let mut queues = lock(&self.queues);
                let q = queues.entry(queue.to_owned()).or_default();
                let backlog = q.backlog.clone();
                let group = q.groups.entry(group.to_owned()).or_insert_with(|| Group {
                    unread: backlog.into(),
                    pending: HashMap::new(),
                });
                let taken: Vec<Delivery> =
                    (0..count).map_while(|_| group.unread.pop_front()).collect();
                if !taken.is_empty() {
                    let now = Instant::now();
                    for d in &taken {
                        group.pending.insert(d.id.clone(), (d.clone(), now));
                    }
                    return Ok(taken);
                }
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(Vec::new());
            }
            let _ = tokio::time::timeout(deadline - now, notified).await;
        }
    }

    async fn ack(&self, queue: &str, group: &str, id: &str) -> BusResult<()> {
        if let Some(group) = lock(&self.queues)
            .get_mut(queue)
            .and_then(|q| q.groups.get_mut(group))
        {
            group.pending.remove(id);
        }
        Ok(())
    }

    async fn claim_stale(
        &self,
        queue: &str,
        group: &str,
        _consumer: &str,
        min_idle: Duration,
        count: usize,
    ) -> BusResult<Vec<Delivery>> {
        let mut queues = lock(&self.queues);
        let Some(group) = queues.get_mut(queue).and_then(|q| q.groups.get_mut(group)) else {
            return Ok(Vec::new());
        };
        let now = Instant::now();
        let mut stale: Vec<&mut (Delivery, Instant)> = group
            .pending
            .values_mut()
            .filter(|(_, since)| now.duration_since(*since) >= min_idle)
            .collect();
        stale.sort_by(|a, b| a.0.id.cmp(&b.0.id));
        Ok(stale
            .into_iter()
            .take(count)
            .map(|entry| {
                entry.1 = now;
                entry.0.clone()
            })
            .collect())
    }

    async fn depth(&self, queue: &str, group: &str) -> BusResult<QueueDepth> {
        let queues = lock(&self.queues);
        let Some(q) = queues.get(queue) else {
            return Ok(QueueDepth::default());
        };
        Ok(match q.groups.get(group) {
            Some(g) => QueueDepth {
                waiting: (g.unread.len() + g.pending.len()) as u64,
                pending: g.pending.len() as u64,
            },
            None => QueueDepth {
                waiting: q.backlog.len() as u64,
                pending: 0,
            },
        })
    }
}
