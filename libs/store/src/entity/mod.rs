//! sea-orm entities. Tables with a `tenant_id` are reachable only through `TenantTx`.

pub mod api_key;
pub mod audit_entry;
pub mod auth_link;
pub mod branch;
pub mod invitation;
pub mod mechanic_application;
pub mod membership;
pub mod membership_branch;
pub mod message_template;
pub mod notification;
pub mod outbox;
pub mod recovery_code;
pub mod role;
pub mod sms_consent;
pub mod sms_inbound;
pub mod tenant;
pub mod tenant_domain;
pub mod user;
pub mod user_identity;
