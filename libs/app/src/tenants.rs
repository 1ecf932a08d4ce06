//! The tenants resolved lately, shared by every request of this process.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use pitlane_domain::ids::TenantId;
use pitlane_store::{Store, StoreError, entity::tenant};

/// Recently resolved tenants, so a page does not pay a lookup per request. Entries live a few
/// seconds; changes made through this process drop them at once, other processes' expire.
#[derive(Default)]
pub struct TenantCache {
    entries: Mutex<HashMap<String, (Arc<tenant::Model>, Instant)>>,
}

const CACHE_TTL: Duration = Duration::from_secs(5);

impl TenantCache {
    fn get(&self, key: &str) -> Option<Arc<tenant::Model>> {
        let entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        entries
            .get(key)
            .filter(|(_, at)| at.elapsed() < CACHE_TTL)
            .map(|(t, _)| t.clone())
    }

    fn put(&self, key: String, tenant: Arc<tenant::Model>) {
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if entries.len() > 10_000 {
            entries.retain(|_, (_, at)| at.elapsed() < CACHE_TTL);
        }
        entries.insert(key, (tenant, Instant::now()));
    }

    /// Forgets a tenant after it changed (brand, status), so the next page shows the change.
    pub fn invalidate(&self, tenant: TenantId) {
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        entries.retain(|_, (t, _)| t.id != tenant.0);
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

    /// A cached tenant, or the database's answer (kept when it found one).
    async fn lookup(
        &self,
        key: String,
        fetch: impl Future<Output = Result<Option<tenant::Model>, StoreError>>,
    ) -> Result<Option<Arc<tenant::Model>>, StoreError> {
        if let Some(hit) = self.get(&key) {
            return Ok(Some(hit));
        }
        let found = fetch.await?.map(Arc::new);
        if let Some(t) = &found {
            self.put(key, t.clone());
        }
        Ok(found)
    }
}
