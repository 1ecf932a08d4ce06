//! Pitlane's HTTP surface: configuration, one poem route tree with the API (poem-openapi) and
//! the portal (maud), and the start-up that ties the store and the bus to it.

pub mod api;
pub mod client_ip;
pub mod config;
pub mod events;
pub mod idempotency;
pub mod input_guard;
pub mod links;
pub mod metrics;
pub mod observe;
pub mod pages;
pub mod problem;
pub mod server;
pub mod session;
pub mod state;
pub mod sweeps;
pub mod tenant;
pub mod webhooks;

pub use config::{Config, ConfigError, LogFormat};
pub use server::{
    RunningServer, StartError, init_logging, migrate, prepare, routes, serve, shutdown_signal,
    start,
};
pub use state::AppState;
