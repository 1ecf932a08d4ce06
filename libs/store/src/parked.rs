//! One transaction for a whole page: the session check's transaction, parked for the request
//! being served and taken by the first tenant transaction the page opens.
//!
//! A signed-in page first checks its session (`pitlane_session_member`, which sets the
//! tenant for its transaction), then reads what it shows. Done in one transaction, that is one
//! `BEGIN` and one tenant setting fewer per page. What is parked carries nothing of who asked:
//! only the tenant setting, so whoever takes it for that tenant gets what [`Store::tx`] would
//! open, under the same row-level security; a request for another tenant never gets it.
//!
//! [`Store::tx`]: crate::Store::tx

use std::{future::Future, sync::Mutex};

use pitlane_domain::ids::TenantId;
use sea_orm::DatabaseTransaction;

tokio::task_local! {
    static PARKED: Mutex<Option<(TenantId, DatabaseTransaction)>>;
}

/// Serves a request with room for a parked transaction; one left untaken at the end is
/// rolled back.
pub async fn scope<F: Future>(request: F) -> F::Output {
    PARKED.scope(Mutex::new(None), request).await
}

/// Whether the request being served has room for a parked transaction.
pub(crate) fn available() -> bool {
    PARKED.try_with(|_| ()).is_ok()
}

/// Parks an open transaction whose tenant setting is `tenant`.
pub(crate) fn park(tenant: TenantId, tx: DatabaseTransaction) {
    let _ = PARKED.try_with(|slot| {
        *slot
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some((tenant, tx));
    });
}

/// Rolls back a parked transaction nobody took, before the request takes another
/// connection: a request never holds two, so requests waiting for a second connection can
/// never hold every connection of the pool between them.
pub(crate) fn discard() {
    let parked = PARKED
        .try_with(|slot| {
            slot.lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take()
        })
        .ok()
        .flatten();
    drop(parked);
}

/// The parked transaction, if it is for `tenant`.
pub(crate) fn take(tenant: TenantId) -> Option<DatabaseTransaction> {
    PARKED
        .try_with(|slot| {
            let mut slot = slot
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            match slot.take() {
                Some((parked, tx)) if parked == tenant => Some(tx),
                other => {
                    *slot = other;
                    None
                }
            }
        })
        .ok()
        .flatten()
}
