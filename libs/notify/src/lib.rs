//! The notification platform (DESIGN.md, "Background work").
//!
//! A capability that causes a message calls [`Outbox::enqueue`] inside its own tenant
//! transaction, so the message exists exactly when the change does. The [`Workers`] (inside
//! `pitlane-worker` processes, or inside the server when embedded) run the relay, which moves
//! due messages from the outbox onto a queue (a Redis Stream, or in process), and the senders,
//! which take each message, send it, record the delivery by message id, then acknowledge.

pub mod abuse;
mod backoff;
mod compose;
mod config;
pub mod consent;
mod defaults;
mod email;
pub mod live;
mod outbox;
pub mod service;
pub mod sms;
pub mod staff;
pub mod templates;
pub mod webhooks;
mod workers;

pub use compose::{Composed, TenantSender, compose};
pub use config::{NotifyConfig, NotifyConfigError};
pub use email::{Mailer, SendError};
pub use live::{Listener, Live, LiveEvent};
pub use outbox::{Attachment, Outbox, OutgoingMessage, Recipient};
pub use workers::{WorkerStats, Workers, WorkersHandle};

/// The queue (Redis Stream) messages travel on, and the consumer group that reads it.
pub const QUEUE: &str = "outbox";
pub const GROUP: &str = "senders";
