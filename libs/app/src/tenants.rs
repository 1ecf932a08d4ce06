//! The tenants resolved lately, shared by every request of this process.
//!
//! Every request for a workshop first finds the workshop by its address (slug or custom
//! domain). Kept for a few seconds only, a cache of them mostly missed with thousands of
//! workshops; kept long, it must hear of every change. So it follows them: every write to a
//! workshop's own row or domains goes through the store's tenant transactions, which tell
//! after the commit ([`Store::tenant_changes`]); each process relays its changes onto the bus
//! (Redis pub/sub in the SaaS shape, in process when embedded), and every process forgets
//! what it hears named there. While this process cannot hear the bus (Redis away, resubscribing)
//! entries live a few seconds, as before; when it hears it again, it starts empty.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use futures_util::StreamExt;
use pitlane_bus::Bus;
use pitlane_domain::ids::TenantId;
use pitlane_store::{Store, StoreError, entity::tenant};

/// Recently resolved tenants, so a page does not pay a lookup per request.
#[derive(Default)]
pub struct TenantCache {
    entries: Mutex<HashMap<String, (Arc<tenant::Model>, Instant)>>,
    /// Counts forgettings: a lookup that raced one does not keep what it read.
    forgotten: AtomicU64,
    /// Whether this process hears the bus's changes now.
    following: AtomicBool,
}

/// How long an entry lives while changes are heard: a last resort, were one ever missed.
const FOLLOWED_TTL: Duration = Duration::from_secs(600);
/// How long an entry lives while changes cannot be heard.
const UNFOLLOWED_TTL: Duration = Duration::from_secs(5);
/// Entries kept at most (a slug and a domain per workshop).
const MAX_ENTRIES: usize = 50_000;
/// The bus channel of changed workshops; a message names one, or `*` for all.
const CHANNEL: &str = "tenants";
const EVERY_WORKSHOP: &str = "*";

impl TenantCache {
    fn ttl(&self) -> Duration {
        if self.following() {
            FOLLOWED_TTL
        } else {
            UNFOLLOWED_TTL
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Arc<tenant::Model>, Instant)>> {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn get(&self, key: &str) -> Option<Arc<tenant::Model>> {
        let ttl = self.ttl();
        self.lock()
            .get(key)
            .filter(|(_, at)| at.elapsed() < ttl)
            .map(|(t, _)| t.clone())
    }

    fn put(&self, key: String, tenant: Arc<tenant::Model>) {
        let ttl = self.ttl();
        let mut entries = self.lock();
        if entries.len() >= MAX_ENTRIES {
            entries.retain(|_, (_, at)| at.elapsed() < ttl);
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(key, (tenant, Instant::now()));
    }

    /// Whether this process hears other processes' changes of workshops now.
    pub fn following(&self) -> bool {
        self.following.load(Ordering::Acquire)
    }

    /// Forgets a tenant after it changed (brand, status, domains), so the next page shows the
    /// change. Changes are heard from the bus too; this is for the request that made one, so
    /// its next page does not wait for the bus.
    pub fn invalidate(&self, tenant: TenantId) {
        self.forgotten.fetch_add(1, Ordering::AcqRel);
        self.lock().retain(|_, (t, _)| t.id != tenant.0);
    }

    fn forget_all(&self) {
        self.forgotten.fetch_add(1, Ordering::AcqRel);
        self.lock().clear();
    }

    pub async fn by_slug(
        &self,
        store: &Store,
        slug: &str,
    ) -> Result<Option<Arc<tenant::Model>>, StoreError> {
        self.lookup(format!("slug:{slug}"), store.tenant_by_slug(slug))
            .await
    }

    pub async fn by_host(
        &self,
        store: &Store,
        host: &str,
    ) -> Result<Option<Arc<tenant::Model>>, StoreError> {
        self.lookup(format!("host:{host}"), store.tenant_by_host(host))
            .await
    }

    /// The workshop of an API key, by the hash of its secret (a key never changes
    /// workshop; whether it is still good is checked inside the workshop on every request).
    pub async fn by_api_key(
        &self,
        store: &Store,
        secret_hash: &str,
    ) -> Result<Option<Arc<tenant::Model>>, StoreError> {
        self.lookup(
            format!("key:{secret_hash}"),
            store.tenant_by_api_key(secret_hash),
        )
        .await
    }

    /// A cached tenant, or the database's answer (kept when it found one, unless a change was
    /// heard while it was being read: what was read may be from before it).
    async fn lookup(
        &self,
        key: String,
        fetch: impl Future<Output = Result<Option<tenant::Model>, StoreError>>,
    ) -> Result<Option<Arc<tenant::Model>>, StoreError> {
        if let Some(hit) = self.get(&key) {
            return Ok(Some(hit));
        }
        let before = self.forgotten.load(Ordering::Acquire);
        let found = fetch.await?.map(Arc::new);
        if let Some(t) = &found
            && self.forgotten.load(Ordering::Acquire) == before
        {
            self.put(key, t.clone());
        }
        Ok(found)
    }

    /// Follows changes of workshops: relays this process's onto the bus and forgets every
    /// workshop the bus names, for as long as the runtime runs.
    pub fn follow(self: &Arc<Self>, store: &Store, bus: &Bus) {
        tokio::spawn(relay(store.tenant_changes(), bus.clone(), self.clone()));
        tokio::spawn(listen(bus.clone(), self.clone()));
    }
}

/// Announces this process's committed changes of workshops on the bus.
async fn relay(
    mut changes: tokio::sync::broadcast::Receiver<TenantId>,
    bus: Bus,
    cache: Arc<TenantCache>,
) {
    use tokio::sync::broadcast::error::RecvError;
    loop {
        let message = match changes.recv().await {
            Ok(tenant) => {
                cache.invalidate(tenant);
                tenant.0.to_string()
            }
            // Changes went by unread: everyone starts over.
            Err(RecvError::Lagged(_)) => {
                cache.forget_all();
                EVERY_WORKSHOP.to_owned()
            }
            Err(RecvError::Closed) => return,
        };
        if let Err(err) = bus.pubsub.publish(CHANNEL, &message).await {
            // The others may not hear this one: they keep entries a few seconds only
            // until they hear the bus again, and then start empty.
            tracing::warn!(error = %err, "announcing a workshop's change");
        }
    }
}

/// Forgets the workshops the bus names; resubscribes when the subscription ends.
async fn listen(bus: Bus, cache: Arc<TenantCache>) {
    loop {
        match bus.pubsub.subscribe(CHANNEL).await {
            Ok(mut messages) => {
                // What was kept while not hearing may have changed meanwhile.
                cache.forget_all();
                cache.following.store(true, Ordering::Release);
                while let Some(message) = messages.next().await {
                    match message.parse::<uuid::Uuid>() {
                        Ok(id) => cache.invalidate(TenantId(id)),
                        Err(_) => cache.forget_all(),
                    }
                }
                cache.following.store(false, Ordering::Release);
                tracing::warn!("workshop changes: subscription ended; resubscribing");
            }
            Err(err) => tracing::warn!(error = %err, "workshop changes: subscribing"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
