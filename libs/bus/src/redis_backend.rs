use std::time::Duration;

use futures_util::{StreamExt, stream::BoxStream};
use redis::{
    AsyncCommands, Client,
    aio::{ConnectionManager, ConnectionManagerConfig},
    streams::{StreamReadOptions, StreamReadReply},
};

use crate::{BusResult, Delivery, KeyValue, PubSub, Queue};

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
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Duration::from_secs(2))
            .set_response_timeout(Duration::from_secs(2))
            .set_number_of_retries(2);
        let shared = client.get_connection_manager_with_config(config).await?;
        let blocking = client
            .get_connection_manager_with_config(
                ConnectionManagerConfig::new().set_connection_timeout(Duration::from_secs(2)),
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

    async fn subscribe(&self, channel: &str) -> BusResult<BoxStream<'static, String>> {
        let mut pubsub = self.client.get_async_pubsub().await?;
        pubsub.subscribe(self.key(channel)).await?;
        let stream = pubsub
            .into_on_message()
            .filter_map(|msg| async move { msg.get_payload::<String>().ok() });
        Ok(stream.boxed())
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
        Ok(self
            .shared
            .clone()
            .xack(self.key(queue), group, &[id])
            .await?)
    }
}
