//! The shared workers: the relay (outbox → queue), the senders (queue → SMTP/SMS → delivery
//! record → acknowledgement), the rescuer (`XAUTOCLAIM` of a crashed worker's messages) and
//! the sweeper (messages whose queue entry was lost go back in line).
//!
//! Exactly-once as the recipient sees it rests on the delivery record: a message is sent only
//! by the worker that *took* it (`outbox_take` moves it from queued to sending under that
//! worker's name), and the result is recorded before the queue entry is acknowledged. A worker
//! that dies after recording leaves an entry that the next worker claims, finds sent, and just
//! acknowledges. The one gap is a crash between the server's "accepted" and our record of it
//! (a single database round trip); such a message is sent again after the lease, with the same
//! Message-ID, which mail clients use to fold duplicates.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use chrono::Utc;
use futures_util::StreamExt;
use pitlane_bus::{Bus, Delivery};
use pitlane_domain::{
    ids::TenantId,
    messages::{Channel, MessageKind},
};
use pitlane_store::{
    Outcome, Store, StoreError, TenantCtx,
    entity::{branch, outbox},
    sea_orm::{ColumnTrait, QueryFilter, QueryOrder},
};
use tokio::{sync::watch, task::JoinHandle};
use uuid::Uuid;

use crate::{
    GROUP, Mailer, NotifyConfig, QUEUE, SendError, TenantSender, backoff::retry_delay,
    compose::compose, email, outbox::MessageData,
};

/// Counters of one process's workers, for `/metrics`.
#[derive(Debug, Default)]
pub struct WorkerStats {
    pub relayed: AtomicU64,
    pub sent: AtomicU64,
    pub retried: AtomicU64,
    pub dead: AtomicU64,
    pub suppressed: AtomicU64,
    /// Queue entries whose message was already sent or held elsewhere (redeliveries).
    pub skipped: AtomicU64,
    pub reclaimed: AtomicU64,
}

fn bump(counter: &AtomicU64, by: u64) {
    counter.fetch_add(by, Ordering::Relaxed);
}

#[derive(Clone)]
pub struct Workers {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    bus: Bus,
    config: NotifyConfig,
    mailer: Mailer,
    consumer: String,
    stats: Arc<WorkerStats>,
    senders: Mutex<HashMap<Uuid, (Instant, TenantSender)>>,
}

/// Running workers; `stop` lets sends in flight finish.
pub struct WorkersHandle {
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl WorkersHandle {
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

const SENDER_CACHE: Duration = Duration::from_secs(30);
const READ_BATCH: usize = 256;

/// A queue entry id (`millis-sequence`) as something that sorts in queue order.
fn entry_order(id: &str) -> (u64, u64) {
    let (ms, seq) = id.split_once('-').unwrap_or((id, "0"));
    (
        ms.parse().unwrap_or(u64::MAX),
        seq.parse().unwrap_or(u64::MAX),
    )
}

fn key_of(delivery: &Delivery) -> Option<(Uuid, Uuid)> {
    let (tenant, id) = delivery.payload.split_once(':')?;
    Some((Uuid::parse_str(tenant).ok()?, Uuid::parse_str(id).ok()?))
}

impl Workers {
    /// `consumer` names this worker in the consumer group; it must differ between processes.
    pub fn new(
        store: Store,
        bus: Bus,
        config: NotifyConfig,
        consumer: String,
    ) -> Result<Self, String> {
        let mailer = Mailer::from_config(&config)?;
        Ok(Self {
            inner: Arc::new(Inner {
                store,
                bus,
                config,
                mailer,
                consumer,
                stats: Arc::default(),
                senders: Mutex::default(),
            }),
        })
    }

    /// A consumer name unique to this process.
    pub fn default_consumer_name() -> String {
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "worker".into());
        format!(
            "{host}-{}-{}",
            std::process::id(),
            &Uuid::new_v4().simple().to_string()[..8]
        )
    }

    pub fn stats(&self) -> Arc<WorkerStats> {
        self.inner.stats.clone()
    }

    pub fn start(&self) -> WorkersHandle {
        let (shutdown, watch) = watch::channel(false);
        let mut tasks = Vec::new();
        let me = self.clone();
        let stop = watch.clone();
        tasks.push(tokio::spawn(async move { me.relay_loop(stop).await }));
        let me = self.clone();
        let stop = watch.clone();
        tasks.push(tokio::spawn(async move { me.send_loop(stop).await }));
        let me = self.clone();
        tasks.push(tokio::spawn(async move { me.upkeep_loop(watch).await }));
        WorkersHandle { shutdown, tasks }
    }

    // ---- Relay ----

    /// Moves one batch of due messages onto the queue; returns how many.
    pub async fn relay_once(&self) -> Result<usize, String> {
        let c = &self.inner.config;
        let batch = self
            .inner
            .store
            .outbox_claim(500, c.per_tenant_batch, c.max_in_flight)
            .await
            .map_err(|e| e.to_string())?;
        if batch.messages.is_empty() {
            return Ok(0);
        }
        let keys = batch.messages.clone();
        let payloads: Vec<String> = keys
            .iter()
            .map(|(tenant, id)| format!("{tenant}:{id}"))
            .collect();
        batch.commit().await.map_err(|e| e.to_string())?;
        if let Err(err) = self.inner.bus.queue.push_many(QUEUE, &payloads).await {
            // The queue is unreachable: the messages go back to pending and wait for it. (Had
            // this process died here instead, the sweeper would requeue them after a while.)
            if let Err(release) = self.inner.store.outbox_release(&keys).await {
                tracing::warn!(error = %release, "releasing messages the queue refused");
            }
            return Err(err.to_string());
        }
        bump(&self.inner.stats.relayed, payloads.len() as u64);
        Ok(payloads.len())
    }

    async fn relay_loop(self, mut stop: watch::Receiver<bool>) {
        let mut failures = 0u32;
        loop {
            let relayed = self.relay_once().await;
            if relayed.is_ok() {
                failures = 0;
            }
            let pause = match relayed {
                // More may be due (the per-tenant cap leaves some for the next round).
                Ok(n) if n > 0 => Duration::ZERO,
                Ok(_) => self.inner.config.relay_interval,
                Err(err) => {
                    failures += 1;
                    tracing::warn!(error = %err, "relay: will try again");
                    retry_delay(Duration::from_millis(250), Duration::from_secs(5), failures)
                }
            };
            if *stop.borrow() {
                return;
            }
            if !pause.is_zero() {
                tokio::select! {
                    _ = stop.changed() => return,
                    () = tokio::time::sleep(pause) => {}
                }
            }
        }
    }

    // ---- Senders ----

    async fn send_loop(self, mut stop: watch::Receiver<bool>) {
        let mut failures = 0u32;
        while !*stop.borrow() {
            let read = tokio::select! {
                _ = stop.changed() => return,
                read = self.inner.bus.queue.read(
                    QUEUE, GROUP, &self.inner.consumer, READ_BATCH, Duration::from_secs(1)) => read,
            };
            match read {
                Ok(deliveries) => {
                    failures = 0;
                    self.process(deliveries).await;
                }
                Err(err) => {
                    failures += 1;
                    tracing::warn!(error = %err, "reading the queue: will try again");
                    let pause =
                        retry_delay(Duration::from_millis(250), Duration::from_secs(5), failures);
                    tokio::select! {
                        _ = stop.changed() => return,
                        () = tokio::time::sleep(pause) => {}
                    }
                }
            }
        }
    }

    /// Takes, sends, records and acknowledges a batch of queue entries.
    pub async fn process(&self, deliveries: Vec<Delivery>) {
        if deliveries.is_empty() {
            return;
        }
        let inner = &self.inner;
        let mut entries: HashMap<(Uuid, Uuid), Vec<String>> = HashMap::new();
        let mut junk = Vec::new();
        for delivery in &deliveries {
            match key_of(delivery) {
                Some(key) => entries.entry(key).or_default().push(delivery.id.clone()),
                None => junk.push(delivery.id.clone()),
            }
        }
        let keys: Vec<(Uuid, Uuid)> = entries.keys().copied().collect();
        let taken = match inner
            .store
            .outbox_take(&keys, &inner.consumer, inner.config.lease)
            .await
        {
            Ok(taken) => taken,
            Err(err) => {
                // Not acknowledged: after the lease another worker (or this one) claims them.
                tracing::warn!(error = %err, "taking messages: left for a later claim");
                return;
            }
        };
        let mut to_send = Vec::with_capacity(taken.len());
        for row in taken {
            let ids = entries.remove(&(row.tenant_id, row.id)).unwrap_or_default();
            to_send.push((row, ids));
        }
        // Send in queue order (the take returns rows in storage order), so the relay's fair
        // interleaving of tenants is what recipients see.
        to_send.sort_by_key(|(_, ids)| ids.iter().map(|id| entry_order(id)).min());
        // What is left was sent already, or is being sent by a live worker: acknowledge.
        let skipped: Vec<String> = entries.into_values().flatten().chain(junk).collect();
        bump(&inner.stats.skipped, skipped.len() as u64);
        for id in skipped {
            self.ack(&id).await;
        }
        futures_util::stream::iter(to_send)
            .for_each_concurrent(inner.config.concurrency, |(row, ids)| async move {
                let outcome = self.deliver(&row).await;
                let recorded = inner
                    .store
                    .outbox_finish(row.tenant_id, row.id, &inner.consumer, &outcome)
                    .await;
                match recorded {
                    Ok(_) => {
                        if inner.config.abort_after_send {
                            tracing::error!(message = %row.id, "PITLANE_FAULT: aborting after send, before acknowledging");
                            std::process::abort();
                        }
                        for id in ids {
                            self.ack(&id).await;
                        }
                    }
                    // Unrecorded: leave the entry unacknowledged, to be claimed after the lease.
                    Err(err) => tracing::error!(error = %err, message = %row.id, "recording a delivery"),
                }
            })
            .await;
    }

    async fn ack(&self, id: &str) {
        if let Err(err) = self.inner.bus.queue.ack(QUEUE, GROUP, id).await {
            // An unacknowledged entry is claimed again later and skipped as already handled.
            tracing::warn!(error = %err, entry = id, "acknowledging");
        }
    }

    /// Sends one taken message and says how it ended.
    async fn deliver(&self, row: &outbox::Model) -> Outcome {
        let inner = &self.inner;
        let result = self.try_deliver(row).await;
        match result {
            Ok(provider_ref) => {
                bump(&inner.stats.sent, 1);
                Outcome::Sent {
                    provider_ref: Some(provider_ref),
                }
            }
            Err(err) if err.permanent || row.attempts as u32 >= inner.config.max_attempts => {
                bump(&inner.stats.dead, 1);
                tracing::warn!(message = %row.id, tenant = %row.tenant_id, attempts = row.attempts, error = %err, "message dead-lettered");
                Outcome::Dead {
                    error: format!("after {} attempt(s): {}", row.attempts, err.message),
                }
            }
            Err(err) => {
                bump(&inner.stats.retried, 1);
                let wait = retry_delay(
                    inner.config.retry_base,
                    inner.config.retry_max,
                    row.attempts.max(1) as u32,
                );
                tracing::info!(message = %row.id, attempts = row.attempts, error = %err, retry_in_ms = wait.as_millis() as u64, "send failed; will retry");
                Outcome::Retry {
                    error: err.message,
                    at: Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default(),
                }
            }
        }
    }

    async fn try_deliver(&self, row: &outbox::Model) -> Result<String, SendError> {
        let kind = MessageKind::parse(&row.kind)
            .ok_or_else(|| SendError::permanent(format!("unknown message kind {:?}", row.kind)))?;
        let channel = Channel::parse(&row.channel)
            .ok_or_else(|| SendError::permanent(format!("unknown channel {:?}", row.channel)))?;
        let data: MessageData = serde_json::from_value(row.data.clone())
            .map_err(|e| SendError::permanent(format!("unreadable message data: {e}")))?;
        let sender = self.sender(row.tenant_id).await?;
        let composed = compose(kind, channel, &sender, &data.vars, None)
            .map_err(|e| SendError::permanent(format!("template: {e}")))?;
        match channel {
            Channel::Email => {
                let domain = self
                    .inner
                    .config
                    .mail_from
                    .rsplit('@')
                    .next()
                    .unwrap_or("localhost");
                let envelope = email::Envelope {
                    message_id: format!("<{}@{domain}>", row.id),
                    from_address: &self.inner.config.mail_from,
                    sender: &sender,
                    to: &row.recipient,
                    to_name: data.to_name.as_deref(),
                    unsubscribe: data.vars.get("unsubscribe_link").map(String::as_str),
                    attachments: &data.attachments,
                };
                let message = email::build(&envelope, &composed)?;
                self.inner.mailer.send(message).await
            }
            Channel::Sms => Err(SendError::permanent("SMS is not set up on this deployment")),
        }
    }

    async fn sender(&self, tenant_id: Uuid) -> Result<TenantSender, SendError> {
        if let Some((at, sender)) = self
            .inner
            .senders
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&tenant_id)
            && at.elapsed() < SENDER_CACHE
        {
            return Ok(sender.clone());
        }
        let tenant = self
            .inner
            .store
            .tenant_by_id(TenantId(tenant_id))
            .await
            .map_err(|e| SendError {
                permanent: false,
                message: e.to_string(),
            })?
            .ok_or_else(|| SendError::permanent("the tenant no longer exists"))?;
        let phone = self
            .workshop_phone(tenant_id)
            .await
            .map_err(|e| SendError {
                permanent: false,
                message: e.to_string(),
            })?;
        let sender = TenantSender {
            name: tenant.name,
            sender_name: tenant.email_sender_name,
            reply_to: tenant.email_reply_to,
            phone,
            primary_color: tenant.brand_primary,
        };
        self.inner
            .senders
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(tenant_id, (Instant::now(), sender.clone()));
        Ok(sender)
    }

    /// The phone number of the tenant's first branch that has one.
    async fn workshop_phone(&self, tenant_id: Uuid) -> Result<Option<String>, StoreError> {
        let tx = self
            .inner
            .store
            .tx(&TenantCtx::new(TenantId(tenant_id)))
            .await?;
        let first = tx
            .first(
                tx.select::<branch::Entity>()
                    .filter(branch::Column::Phone.is_not_null())
                    .order_by_asc(branch::Column::Id),
            )
            .await?;
        tx.commit().await?;
        Ok(first.and_then(|b| b.phone))
    }

    // ---- Upkeep: claiming a crashed worker's entries, and requeueing lost ones ----

    async fn upkeep_loop(self, mut stop: watch::Receiver<bool>) {
        let inner = &self.inner;
        let every =
            (inner.config.lease / 2).clamp(Duration::from_millis(200), Duration::from_secs(30));
        loop {
            tokio::select! {
                _ = stop.changed() => return,
                () = tokio::time::sleep(every) => {}
            }
            match inner
                .bus
                .queue
                .claim_stale(
                    QUEUE,
                    GROUP,
                    &inner.consumer,
                    inner.config.lease,
                    READ_BATCH,
                )
                .await
            {
                Ok(claimed) if !claimed.is_empty() => {
                    tracing::info!(
                        entries = claimed.len(),
                        "claimed messages of a silent worker"
                    );
                    bump(&inner.stats.reclaimed, claimed.len() as u64);
                    self.process(claimed).await;
                }
                Ok(_) => {}
                Err(err) => tracing::warn!(error = %err, "claiming stale entries"),
            }
            match inner
                .store
                .outbox_requeue_stale(inner.config.queued_lease, inner.config.lease)
                .await
            {
                Ok(0) => {}
                Ok(n) => {
                    tracing::info!(messages = n, "requeued messages whose queue entry was lost")
                }
                Err(err) => tracing::warn!(error = %err, "requeueing stale messages"),
            }
        }
    }
}
