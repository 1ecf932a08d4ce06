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
    collections::{HashMap, HashSet},
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use chrono::Utc;
use futures_util::StreamExt;
use pitlane_bus::{Bus, Delivery, entry_order};
use pitlane_domain::{
    ids::TenantId,
    live::Topic,
    messages::{Channel, MessageKind},
    permissions::Permission,
};
use pitlane_store::{
    Outcome, Store, StoreError, TenantCtx,
    entity::{outbox, sms_consent},
};
use serde_json::json;
use tokio::{sync::watch, task::JoinHandle};
use uuid::Uuid;

use crate::{
    GROUP, Mailer, NotifyConfig, QUEUE, SendError, TenantSender,
    backoff::retry_delay,
    compose::compose,
    consent, email,
    live::Live,
    outbox::MessageData,
    sms::{Sms, Texter},
    staff::{NewNotification, notify_members_with},
    templates,
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

/// The state a message is in after this outcome, as the outbox names it.
fn status_of(outcome: &Outcome) -> &'static str {
    match outcome {
        Outcome::Sent { .. } => "sent",
        Outcome::Retry { .. } => "pending",
        Outcome::Dead { .. } => "dead",
        Outcome::Suppressed { .. } => "suppressed",
    }
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
    live: Live,
    config: NotifyConfig,
    mailer: Mailer,
    texter: Texter,
    consumer: String,
    stats: Arc<WorkerStats>,
}

/// What sending one tenant's messages of a batch needs, read once per batch: so a template
/// edited or a STOP received a moment ago applies to the very next batch.
struct TenantContext {
    sender: TenantSender,
    templates: HashMap<(MessageKind, Channel), (Option<String>, String)>,
    consent: HashMap<String, sms_consent::Model>,
}

/// A worker's heartbeat lasts this long unless renewed (every [`QUEUE_WATCH_EVERY`]).
const HEARTBEAT_TTL: Duration = Duration::from_secs(6);

fn heartbeat(consumer: &str) -> String {
    format!("worker:alive:{consumer}")
}

/// How often the queue's store is asked whether it lost its entries.
const QUEUE_WATCH_EVERY: Duration = Duration::from_secs(2);

/// When the queue has lost its entries, messages queued this recently are left to the relay
/// that queued them: it commits a batch as queued and pushes it a moment later, so a batch
/// committed in these seconds is in its hands (pushed, or released if the push fails), and
/// should that relay die, its stopped heartbeat puts the batch back. Without this, a relay
/// between commit and push could see its batch reset to pending and then queued as well.
const LOST_ENTRIES_GRACE: Duration = Duration::from_secs(10);

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

const READ_BATCH: usize = 256;
const PURGE_EVERY: Duration = Duration::from_secs(600);
const PURGE_BATCH: u32 = 5_000;

fn key_of(delivery: &Delivery) -> Option<(Uuid, Uuid)> {
    let (tenant, id) = delivery.payload.split_once(':')?;
    Some((Uuid::parse_str(tenant).ok()?, Uuid::parse_str(id).ok()?))
}

impl Workers {
    /// `consumer` names this worker in the consumer group; it must differ between processes.
    pub fn new(
        store: Store,
        bus: Bus,
        live: Live,
        config: NotifyConfig,
        consumer: String,
    ) -> Result<Self, String> {
        let mailer = Mailer::from_config(&config)?;
        let texter = Texter::from_config(&config)?;
        Ok(Self {
            inner: Arc::new(Inner {
                store,
                bus,
                live,
                config,
                mailer,
                texter,
                consumer,
                stats: Arc::default(),
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
        let stop = watch.clone();
        tasks.push(tokio::spawn(async move { me.upkeep_loop(stop).await }));
        let me = self.clone();
        tasks.push(tokio::spawn(
            async move { me.queue_watch_loop(watch).await },
        ));
        WorkersHandle { shutdown, tasks }
    }

    // ---- Relay ----

    /// Moves one batch of due messages onto the queue; returns how many.
    pub async fn relay_once(&self) -> Result<usize, String> {
        let c = &self.inner.config;
        let batch = self
            .inner
            .store
            .outbox_claim(
                500,
                c.per_tenant_batch,
                c.max_in_flight,
                &self.inner.consumer,
            )
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
        // Committed first: a worker must never read an entry before its row says queued.
        batch.commit().await.map_err(|e| e.to_string())?;
        if self.inner.config.abort_in_relay {
            tracing::error!(
                "PITLANE_FAULT: aborting in the relay, after committing, before queueing"
            );
            std::process::abort();
        }
        if let Err(err) = self.inner.bus.queue.push_many(QUEUE, &payloads).await {
            // The queue is unreachable: the messages go back to pending and wait for it. (Had
            // this process died here instead, its heartbeat would stop and another worker
            // would put them back within seconds: see `queue_watch_loop`.)
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
        let contexts = self.contexts(to_send.iter().map(|(row, _)| row)).await;
        let contexts = &contexts;
        futures_util::stream::iter(to_send)
            .for_each_concurrent(inner.config.concurrency, |(row, ids)| {
                let context = contexts.get(&row.tenant_id).cloned();
                self.send_one(row, ids, context)
            })
            .await;
    }

    /// Sends one message, records it at once, then acknowledges its queue entries.
    ///
    /// Each delivery is recorded by itself as soon as the provider accepted it, not with
    /// others in a group commit: if this process is killed, at most the messages in flight
    /// at that instant (one per concurrent send) can go out a second time.
    async fn send_one(
        &self,
        row: outbox::Model,
        ids: Vec<String>,
        context: Option<Result<Arc<TenantContext>, SendError>>,
    ) {
        let outcome = match context {
            Some(Ok(context)) => self.deliver(&row, &context).await,
            Some(Err(err)) => self.failed(&row, err),
            None => self.failed(&row, SendError::temporary("tenant not loaded")),
        };
        let key = (row.tenant_id, row.id);
        let recorded = match self
            .inner
            .store
            .outbox_finish_many(&self.inner.consumer, &[(key, outcome.clone())])
            .await
        {
            Ok(recorded) => recorded,
            Err(err) => {
                // Unrecorded: the entry stays unacknowledged, to be claimed after the lease.
                tracing::error!(error = %err, message = %row.id, "recording a delivery");
                return;
            }
        };
        if self.inner.config.abort_after_send {
            tracing::error!(message = %row.id, "PITLANE_FAULT: aborting after send, before acknowledging");
            std::process::abort();
        }
        for id in ids {
            self.ack(&id).await;
        }
        // Not recorded by us: another worker took the message over; nothing to announce.
        if recorded.contains(&key) {
            let mut changes: HashMap<Uuid, Vec<serde_json::Value>> = HashMap::new();
            changes
                .entry(key.0)
                .or_default()
                .push(json!({ "id": key.1, "status": status_of(&outcome) }));
            let dead = match &outcome {
                Outcome::Dead { error } => vec![(key, error.clone())],
                _ => Vec::new(),
            };
            let me = self.clone();
            tokio::spawn(async move { me.announce(changes, dead).await });
        }
    }

    /// Tells the tenants' open pages what changed, and their admins about dead letters.
    async fn announce(
        &self,
        changes: HashMap<Uuid, Vec<serde_json::Value>>,
        dead: Vec<((Uuid, Uuid), String)>,
    ) {
        let inner = &self.inner;
        for (tenant, messages) in changes {
            inner
                .live
                .publish(
                    tenant,
                    Topic::Messages,
                    None,
                    "messages.updated",
                    json!({ "messages": messages }),
                )
                .await;
        }
        for ((tenant, id), error) in dead {
            let note = NewNotification {
                title: "A message could not be sent".into(),
                body: error,
                link: Some(format!("/portal/messages?status=dead#m-{id}")),
            };
            let written = async {
                let tx = inner.store.tx(&TenantCtx::new(TenantId(tenant))).await?;
                let notified = notify_members_with(&tx, Permission::SettingsManage, &note).await?;
                tx.commit().await?;
                Ok::<_, StoreError>(notified)
            }
            .await;
            match written {
                Ok(notified) => notified.publish(&inner.live).await,
                Err(err) => tracing::warn!(error = %err, "notifying staff of a dead letter"),
            }
        }
    }

    /// Reads, once per tenant in the batch, what sending its messages needs.
    async fn contexts<'a>(
        &self,
        rows: impl Iterator<Item = &'a outbox::Model>,
    ) -> HashMap<Uuid, Result<Arc<TenantContext>, SendError>> {
        let mut phones: HashMap<Uuid, HashSet<String>> = HashMap::new();
        for row in rows {
            let entry = phones.entry(row.tenant_id).or_default();
            if row.channel == Channel::Sms.as_str() {
                entry.insert(row.recipient.clone());
            }
        }
        let mut contexts = HashMap::with_capacity(phones.len());
        for (tenant, phones) in phones {
            let loaded = async {
                let tx = self
                    .inner
                    .store
                    .tx(&TenantCtx::new(TenantId(tenant)))
                    .await?;
                let context = TenantContext {
                    sender: templates::sender_in(&tx).await?,
                    templates: templates::custom_templates(&tx).await?,
                    consent: consent::consent_of(&tx, &phones).await?,
                };
                tx.commit().await?;
                Ok::<_, StoreError>(Arc::new(context))
            }
            .await;
            let context = loaded.map_err(|err| match err {
                StoreError::NotFound => SendError::permanent("the tenant no longer exists"),
                other => SendError::temporary(other.to_string()),
            });
            contexts.insert(tenant, context);
        }
        contexts
    }

    async fn ack(&self, id: &str) {
        if let Err(err) = self.inner.bus.queue.ack(QUEUE, GROUP, id).await {
            // An unacknowledged entry is claimed again later and skipped as already handled.
            tracing::warn!(error = %err, entry = id, "acknowledging");
        }
    }

    /// Sends one taken message and says how it ended.
    async fn deliver(&self, row: &outbox::Model, context: &TenantContext) -> Outcome {
        if row.channel == Channel::Sms.as_str()
            && let Some(reason) = consent::refusal(context.consent.get(&row.recipient))
        {
            bump(&self.inner.stats.suppressed, 1);
            return Outcome::Suppressed { reason };
        }
        match self.try_deliver(row, context).await {
            Ok(provider_ref) => {
                bump(&self.inner.stats.sent, 1);
                Outcome::Sent {
                    provider_ref: Some(provider_ref),
                }
            }
            Err(err) => self.failed(row, err),
        }
    }

    /// A failed send: retried later with backoff, or dead when it cannot succeed.
    fn failed(&self, row: &outbox::Model, err: SendError) -> Outcome {
        let inner = &self.inner;
        if err.permanent || row.attempts as u32 >= inner.config.max_attempts {
            bump(&inner.stats.dead, 1);
            tracing::warn!(message = %row.id, tenant = %row.tenant_id, attempts = row.attempts, error = %err, "message dead-lettered");
            return Outcome::Dead {
                error: format!("after {} attempt(s): {}", row.attempts, err.message),
            };
        }
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

    async fn try_deliver(
        &self,
        row: &outbox::Model,
        context: &TenantContext,
    ) -> Result<String, SendError> {
        let kind = MessageKind::parse(&row.kind)
            .ok_or_else(|| SendError::permanent(format!("unknown message kind {:?}", row.kind)))?;
        let channel = Channel::parse(&row.channel)
            .ok_or_else(|| SendError::permanent(format!("unknown channel {:?}", row.channel)))?;
        let data: MessageData = serde_json::from_value(row.data.clone())
            .map_err(|e| SendError::permanent(format!("unreadable message data: {e}")))?;
        let sender = &context.sender;
        let custom = context
            .templates
            .get(&(kind, channel))
            .map(|(subject, body)| (subject.as_deref(), body.as_str()));
        let composed = compose(kind, channel, sender, &data.vars, custom)
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
                    sender,
                    to: &row.recipient,
                    to_name: data.to_name.as_deref(),
                    unsubscribe: data.vars.get("unsubscribe_link").map(String::as_str),
                    attachments: &data.attachments,
                };
                let message = email::build(&envelope, &composed)?;
                self.inner.mailer.send(message).await
            }
            Channel::Sms => {
                let from = sender
                    .sms_sender
                    .as_deref()
                    .or(self.inner.config.sms_from.as_deref())
                    .ok_or_else(|| {
                        SendError::permanent(
                            "no SMS sender number: set one in Message settings (or SMS_FROM for the deployment)",
                        )
                    })?;
                let reference = format!("{}:{}", row.tenant_id, row.id);
                self.inner
                    .texter
                    .send(&Sms {
                        reference: &reference,
                        from,
                        to: &row.recipient,
                        body: &composed.text,
                    })
                    .await
            }
        }
    }

    // ---- Noticing a queue that lost its entries ----

    /// Every two seconds, asks the queue's store whether it lost entries (Redis restarted
    /// empty, or was flushed; the in-process queue of an earlier run). If so, messages marked
    /// `queued` may have no entry any more: they are put back at once for the relay, instead
    /// of waiting out the queued lease. An entry that did survive finds its message taken or
    /// sent and is simply acknowledged.
    ///
    /// It also keeps this worker's heartbeat, and puts back the queued messages of relays
    /// whose heartbeat is gone: a relay that died between committing messages as queued and
    /// adding them to the queue.
    async fn queue_watch_loop(self, mut stop: watch::Receiver<bool>) {
        let kv = &self.inner.bus.kv;
        loop {
            let _ = kv
                .set(&heartbeat(&self.inner.consumer), b"1", Some(HEARTBEAT_TTL))
                .await;
            self.requeue_dead_relays().await;
            // Down (an error): the relay and the senders say so; this looks again later.
            if let Ok(true) = self.inner.bus.queue.lost_entries(QUEUE).await {
                match self
                    .inner
                    .store
                    .outbox_requeue_stale(LOST_ENTRIES_GRACE, self.inner.config.lease)
                    .await
                {
                    Ok(0) => {}
                    Ok(n) => tracing::warn!(
                        messages = n,
                        "the queue lost its entries (Redis restarted empty?): requeued its queued messages"
                    ),
                    Err(err) => {
                        tracing::warn!(error = %err, "requeueing after the queue lost its entries")
                    }
                }
            }
            tokio::select! {
                _ = stop.changed() => return,
                () = tokio::time::sleep(QUEUE_WATCH_EVERY) => {}
            }
        }
    }

    async fn requeue_dead_relays(&self) {
        let Ok(relays) = self.inner.store.outbox_relays().await else {
            return;
        };
        let mut dead = Vec::new();
        for relay in relays.into_iter().filter(|r| *r != self.inner.consumer) {
            // Only a clear "no heartbeat" counts; a store that cannot answer proves nothing.
            if let Ok(None) = self.inner.bus.kv.get(&heartbeat(&relay)).await {
                dead.push(relay);
            }
        }
        if dead.is_empty() {
            return;
        }
        match self.inner.store.outbox_requeue_relayed_by(&dead).await {
            Ok(0) => {}
            Ok(n) => tracing::warn!(
                messages = n,
                relays = ?dead,
                "put back the queued messages of relays that stopped"
            ),
            Err(err) => tracing::warn!(error = %err, "putting back a stopped relay's messages"),
        }
    }

    // ---- Upkeep: claiming a crashed worker's entries, and requeueing lost ones ----

    async fn upkeep_loop(self, mut stop: watch::Receiver<bool>) {
        let inner = &self.inner;
        let every =
            (inner.config.lease / 2).clamp(Duration::from_millis(200), Duration::from_secs(30));
        let mut last_purge: Option<std::time::Instant> = None;
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
            if last_purge.is_none_or(|at| at.elapsed() >= PURGE_EVERY) {
                last_purge = Some(std::time::Instant::now());
                self.purge_once().await;
            }
        }
    }

    /// Deletes finished messages past the retention period, in batches. Returns how many.
    pub async fn purge_once(&self) -> u64 {
        let inner = &self.inner;
        let mut purged = 0u64;
        loop {
            match inner
                .store
                .outbox_purge(inner.config.retention, PURGE_BATCH)
                .await
            {
                Ok(n) => {
                    purged += u64::from(n);
                    if n < PURGE_BATCH {
                        break;
                    }
                }
                Err(err) => {
                    tracing::warn!(error = %err, "purging old messages");
                    break;
                }
            }
        }
        if purged > 0 {
            tracing::info!(messages = purged, "purged messages past their retention");
        }
        purged
    }
}
