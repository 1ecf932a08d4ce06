//! sea-orm entities. Tables with a `tenant_id` are reachable only through `TenantTx`.

pub mod branch;
pub mod membership;
pub mod outbox;
pub mod tenant;
pub mod tenant_domain;
pub mod user;
