//! The portal and the tenant's public pages, server-rendered with maud.

pub mod auth;
pub mod errors;
pub mod forms;
pub mod layout;
pub mod messages;
pub mod notifications;
pub mod operator;
pub mod portal;
pub mod public;
pub mod templates;
