//! sea-orm entities. Tables with a `tenant_id` are reachable only through `TenantTx`.

pub mod branch;
pub mod membership;
pub mod message_template;
pub mod notification;
pub mod outbox;
pub mod sms_consent;
pub mod sms_inbound;
pub mod tenant;
pub mod tenant_domain;
pub mod user;
