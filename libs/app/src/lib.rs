//! Pitlane's composition root: the one typed configuration, the application's state built
//! from it (every capability connected once), logging, metrics, shutdown, the background
//! rounds and the demo workshop. Both processes start here: `pitlane-server` puts the web
//! layer on top, `pitlane-worker` runs the shared workers; neither links what it does not use.

pub mod config;
pub mod demo;
pub mod error;
pub mod links;
pub mod logging;
pub mod metrics;
pub mod shutdown;
pub mod start;
pub mod state;
pub mod sweeps;
pub mod tenants;

pub use config::{Config, ConfigError, LogFormat};
pub use error::StartError;
pub use logging::init_logging;
pub use shutdown::shutdown_signal;
pub use start::{migrate, prepare};
pub use state::AppState;
