use std::time::Duration;

use futures_util::{StreamExt, stream::BoxStream};
use redis::{
    AsyncCommands, Client,
    aio::{ConnectionManager, ConnectionManagerConfig},
    streams::{
        StreamAutoClaimOptions, StreamAutoClaimReply, StreamMaxlen, StreamPendingReply,
        StreamRangeReply, StreamReadOptions, StreamReadReply,
    },
};

use crate::{BusResult, Delivery, KeyValue, PubSub, Queue, QueueDepth};

/// Redis, shared by every server and worker process of a deployment.
#[derive(Clone)]
pub struct RedisBus {
    client: Client,
    /// Short commands from the whole process, multiplexed on one connection.
    shared: ConnectionManager,
    /// Blocking stream reads get their own connection so they never hold up short commands.
    blocking: ConnectionManager,
    prefix: String,
}

impl RedisBus {
    pub async fn connect(url: &str, prefix: &str) -> BusResult<Self> {
        let client = Client::open(url)?;
        // When Redis is away, commands must fail within a couple of seconds (callers have a
        // fallback: the outbox waits in the database, sessions have a local copy), not queue
        // behind a long reconnect schedule.
        let quick = || {
            ConnectionManagerConfig::new()
                .set_connection_timeout(Duration::from_secs(1))
                .set_number_of_retries(1)
                .set_factor(100)
                .set_max_delay(500)
        };
        let shared = client
            .get_connection_manager_with_config(
                quick().set_response_timeout(Duration::from_secs(2)),
            )
            .await?;
        // Blocking reads wait up to a few seconds by design.
        let blocking = client
            .get_connection_manager_with_config(
                quick().set_response_timeout(Duration::from_secs(10)),
            )
            .await?;
        Ok(Self {
            client,
            shared,
            blocking,
            prefix: prefix.to_owned(),
        })
    }

    fn key(&self, name: &str) -> String {
        format!("{}{}", self.prefix, name)
    }

    pub async fn ping(&self) -> BusResult<()> {
        let mut conn = self.shared.clone();
        let _: String = redis::cmd("PING").query_async(&mut conn).await?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl KeyValue for RedisBus {
    async fn get(&self, key: &str) -> BusResult<Option<Vec<u8>>> {
        Ok(self.shared.clone().get(self.key(key)).await?)
    }

    async fn get_many(&self, keys: &[String]) -> BusResult<Vec<Option<Vec<u8>>>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let keys: Vec<String> = keys.iter().map(|k| self.key(k)).collect();
        Ok(redis::cmd("MGET")
            .arg(&keys)
            .query_async(&mut self.shared.clone())
            .await?)
    }

    async fn set(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> BusResult<()> {
        let mut conn = self.shared.clone();
        match ttl {
            Some(ttl) => {
                conn.pset_ex::<_, _, ()>(self.key(key), value, ttl.as_millis().max(1) as u64)
                    .await?
            }
            None => conn.set::<_, _, ()>(self.key(key), value).await?,
        }
        Ok(())
    }

    async fn delete(&self, key: &str) -> BusResult<()> {
        Ok(self.shared.clone().del(self.key(key)).await?)
    }

    async fn take(&self, key: &str) -> BusResult<Option<Vec<u8>>> {
        Ok(redis::cmd("GETDEL")
            .arg(self.key(key))
            .query_async(&mut self.shared.clone())
            .await?)
    }

    async fn incr(&self, key: &str, by: i64, ttl: Duration) -> BusResult<i64> {
        let key = self.key(key);
        let (value,): (i64,) = redis::pipe()
            .atomic()
            .incr(&key, by)
            .cmd("PEXPIRE")
            .arg(&key)
            .arg(ttl.as_millis().max(1) as u64)
            .arg("NX")
            .ignore()
            .query_async(&mut self.shared.clone())
            .await?;
        Ok(value)
    }
}

#[async_trait::async_trait]
impl PubSub for RedisBus {
    async fn publish(&self, channel: &str, message: &str) -> BusResult<()> {
        Ok(self
            .shared
            .clone()
            .publish(self.key(channel), message)
            .await?)
    }

    async fn publish_many(&self, channel: &str, messages: &[String]) -> BusResult<()> {
        let channel = self.key(channel);
        let mut pipe = redis::pipe();
        for message in messages {
            pipe.publish(&channel, message).ignore();
        }
        Ok(pipe.query_async(&mut self.shared.clone()).await?)
    }

    async fn subscribe(&self, channel: &str) -> BusResult<BoxStream<'static, String>> {
        let mut pubsub = self.client.get_async_pubsub().await?;
        pubsub.subscribe(self.key(channel)).await?;
        let stream = pubsub
            .into_on_message()
            .filter_map(|msg| async move { msg.get_payload::<String>().ok() });
        Ok(stream.boxed())
    }

    async fn log_append(&self, log: &str, message: &str, keep: usize) -> BusResult<String> {
        Ok(self
            .shared
            .clone()
            .xadd_maxlen(
                self.key(log),
                StreamMaxlen::Approx(keep),
                "*",
                &[("m", message)],
            )
            .await?)
    }

    async fn log_since(
        &self,
        log: &str,
        after: &str,
        limit: usize,
    ) -> BusResult<Vec<(String, String)>> {
        let reply: StreamRangeReply = self
            .shared
            .clone()
            .xrange_count(self.key(log), format!("({after}"), "+", limit)
            .await?;
        Ok(reply
            .ids
            .into_iter()
            .filter_map(|entry| {
                let message: String = entry.get("m")?;
                Some((entry.id, message))
            })
            .collect())
    }
}

#[async_trait::async_trait]
impl Queue for RedisBus {
    async fn push(&self, queue: &str, payload: &str) -> BusResult<String> {
        Ok(self
            .shared
            .clone()
            .xadd(self.key(queue), "*", &[("payload", payload)])
            .await?)
    }

    async fn push_many(&self, queue: &str, payloads: &[String]) -> BusResult<Vec<String>> {
        if payloads.is_empty() {
            return Ok(Vec::new());
        }
        let key = self.key(queue);
        let mut pipe = redis::pipe();
        for payload in payloads {
            pipe.xadd(&key, "*", &[("payload", payload)]);
        }
        Ok(pipe.query_async(&mut self.shared.clone()).await?)
    }

    async fn read(
        &self,
        queue: &str,
        group: &str,
        consumer: &str,
        count: usize,
        block: Duration,
    ) -> BusResult<Vec<Delivery>> {
        let key = self.key(queue);
        let mut conn = self.blocking.clone();
        let created: Result<(), _> = conn.xgroup_create_mkstream(&key, group, "0").await;
        if let Err(err) = created {
            // BUSYGROUP: the group exists already, which is the normal case.
            if err.code() != Some("BUSYGROUP") {
                return Err(err.into());
            }
        }
        let options = StreamReadOptions::default()
            .group(group, consumer)
            .count(count)
            .block(block.as_millis() as usize);
        let reply: Option<StreamReadReply> = conn.xread_options(&[&key], &[">"], &options).await?;
        let deliveries = reply
            .into_iter()
            .flat_map(|reply| reply.keys)
            .flat_map(|key| key.ids)
            .map(|entry| Delivery {
                payload: entry.get::<String>("payload").unwrap_or_default(),
                id: entry.id,
            })
            .collect();
        Ok(deliveries)
    }

    async fn ack(&self, queue: &str, group: &str, id: &str) -> BusResult<()> {
        let key = self.key(queue);
        // Deleting the entry keeps the stream as long as its backlog, not its history.
        redis::pipe()
            .atomic()
            .xack(&key, group, &[id])
            .ignore()
            .xdel(&key, &[id])
            .ignore()
            .query_async::<()>(&mut self.shared.clone())
            .await?;
        Ok(())
    }

    async fn claim_stale(
        &self,
        queue: &str,
        group: &str,
        consumer: &str,
        min_idle: Duration,
        count: usize,
    ) -> BusResult<Vec<Delivery>> {
        let options = StreamAutoClaimOptions::default().count(count);
        let reply: Result<StreamAutoClaimReply, _> = self
            .shared
            .clone()
            .xautoclaim_options(
                self.key(queue),
                group,
                consumer,
                min_idle.as_millis() as u64,
                "0-0",
                options,
            )
            .await;
        let reply = match reply {
            Ok(reply) => reply,
            // No group yet (nothing was ever read): nothing to claim.
            Err(err) if err.code() == Some("NOGROUP") => return Ok(Vec::new()),
            Err(err) => return Err(err.into()),
        };
        Ok(reply
            .claimed
            .into_iter()
            .map(|entry| Delivery {
                payload: entry.get::<String>("payload").unwrap_or_default(),
                id: entry.id,
            })
            .collect())
    }

    async fn lost_entries(&self, queue: &str) -> BusResult<bool> {
        // SET NX answers OK only to whoever finds the marker gone.
        let set: Option<String> = redis::cmd("SET")
            .arg(format!("{}:marker", self.key(queue)))
            .arg("1")
            .arg("NX")
            .query_async(&mut self.shared.clone())
            .await?;
        Ok(set.is_some())
    }

    async fn depth(&self, queue: &str, group: &str) -> BusResult<QueueDepth> {
        let key = self.key(queue);
        let mut conn = self.shared.clone();
        let waiting: u64 = conn.xlen(&key).await?;
        let pending: Result<StreamPendingReply, _> = conn.xpending(&key, group).await;
        let pending = match pending {
            Ok(reply) => reply.count() as u64,
            Err(err) if err.code() == Some("NOGROUP") => 0,
            Err(err) => return Err(err.into()),
        };
        Ok(QueueDepth { waiting, pending })
    }
}
