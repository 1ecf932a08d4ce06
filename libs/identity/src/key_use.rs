//! When each API key was last used, written in the background. A key is checked on every
//! request made with it (a mechanic's phone sends its position every few seconds); the
//! request neither waits for the write nor holds a database connection for it, and keys used
//! at about the same time are written together, one statement per workshop.

use std::{
    collections::{BTreeSet, HashMap},
    sync::{Arc, OnceLock},
};

use chrono::{DateTime, Utc};
use pitlane_domain::ids::TenantId;
use pitlane_store::{
    Store, StoreError, TenantCtx,
    entity::api_key,
    sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr},
};
use tokio::sync::mpsc;
use uuid::Uuid;

/// Uses waiting to be written at most; beyond that one is dropped, and a later use of the
/// same key writes it.
const WAITING: usize = 4096;
/// Uses written in one go at most.
const BATCH: usize = 1024;

/// A key of a workshop, used at a time.
type Use = (TenantId, Uuid, DateTime<Utc>);

#[derive(Clone)]
pub struct KeyUse {
    store: Store,
    writer: Arc<OnceLock<mpsc::Sender<Use>>>,
}

impl KeyUse {
    pub fn new(store: Store) -> Self {
        Self {
            store,
            writer: Arc::new(OnceLock::new()),
        }
    }

    /// Records that `key` of `tenant` was used at `at`; written shortly after.
    pub fn note(&self, tenant: TenantId, key: Uuid, at: DateTime<Utc>) {
        let writer = self.writer.get_or_init(|| {
            let (sender, receiver) = mpsc::channel(WAITING);
            tokio::spawn(write_uses(self.store.clone(), receiver));
            sender
        });
        let _ = writer.try_send((tenant, key, at));
    }
}

async fn write_uses(store: Store, mut uses: mpsc::Receiver<Use>) {
    let mut batch = Vec::with_capacity(BATCH);
    while uses.recv_many(&mut batch, BATCH).await > 0 {
        // A busy key is noted by every request until its write lands: once is enough.
        let mut by_tenant: HashMap<TenantId, (BTreeSet<Uuid>, DateTime<Utc>)> = HashMap::new();
        for (tenant, key, at) in batch.drain(..) {
            let (keys, latest) = by_tenant.entry(tenant).or_insert((BTreeSet::new(), at));
            keys.insert(key);
            *latest = (*latest).max(at);
        }
        for (tenant, (keys, at)) in by_tenant {
            if let Err(err) = mark_used(&store, tenant, keys, at).await {
                tracing::warn!(error = %err, "writing when API keys were last used");
            }
        }
    }
}

async fn mark_used(
    store: &Store,
    tenant: TenantId,
    keys: BTreeSet<Uuid>,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let tx = store.tx(&TenantCtx::new(tenant)).await?;
    tx.update_all(
        api_key::Entity::update_many()
            .col_expr(api_key::Column::LastUsedAt, Expr::value(Some(at)))
            .filter(api_key::Column::Id.is_in(keys)),
    )
    .await?;
    tx.commit().await
}
