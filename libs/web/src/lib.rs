//! Pitlane's HTTP surface: one poem route tree with the API (poem-openapi) and the pages
//! (maud), over the application state that `pitlane-app` builds.

pub mod api;
pub mod client_ip;
pub mod compress;
pub mod events;
pub mod idempotency;
pub mod input_guard;
pub mod links;
pub mod observe;
pub mod pages;
pub mod problem;
pub mod rate_limit;
pub mod request_id;
pub mod server;
pub mod session;
pub mod tenant;
pub mod webhooks;

pub use pitlane_app::{AppState, Config, ConfigError, StartError};
pub use server::{RunningServer, routes, serve, start};
