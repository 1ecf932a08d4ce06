//! What other capabilities keep of a customer, and how they hear that it changed. The front
//! desk owns customers; the workshop owns repair orders and billing owns invoices, which
//! carry a copy of the customer's name (and contact details) for the board and for the tax
//! authorities. The front desk does not write their tables: each owner registers a hook, and
//! the front desk calls every hook inside the transaction of the change, so the copies change
//! with it or not at all.

use pitlane_domain::{
    ServiceError,
    ids::{CustomerId, TenantId},
};
use pitlane_store::TenantTx;

#[async_trait::async_trait]
pub trait CustomerHook: Send + Sync {
    /// The customer is now called `name`.
    async fn renamed(
        &self,
        tx: &TenantTx,
        customer: CustomerId,
        name: &str,
    ) -> Result<(), ServiceError>;

    /// `duplicate` was merged into `keep`: its records are `keep`'s now.
    async fn merged(
        &self,
        tx: &TenantTx,
        keep: CustomerId,
        duplicate: CustomerId,
    ) -> Result<(), ServiceError>;

    /// The customer was erased: what identifies them goes; `erased_name` stands in its place.
    async fn erased(
        &self,
        tx: &TenantTx,
        customer: CustomerId,
        erased_name: &str,
    ) -> Result<(), ServiceError>;

    /// After an erasure committed: what may only happen then (live updates to whoever the
    /// erasure concerned).
    async fn erased_committed(&self, _tenant: TenantId, _customer: CustomerId) {}

    /// What the capability keeps of the customer that the front desk's export does not show,
    /// for their privacy export: the part's name and its JSON; `None` when it keeps nothing.
    async fn exported(
        &self,
        _tx: &TenantTx,
        _customer: CustomerId,
    ) -> Result<Option<(&'static str, serde_json::Value)>, ServiceError> {
        Ok(None)
    }
}

/// The hooks of every capability that keeps customers' details, in the order they run.
pub type CustomerHooks = std::sync::Arc<[std::sync::Arc<dyn CustomerHook>]>;
