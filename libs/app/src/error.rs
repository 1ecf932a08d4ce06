//! Why a process could not start: one readable line each, and the exit code it leaves with.
//! Below both start-up and the demo seeding, so neither has to reach into the other.

use pitlane_store::StoreError;

/// Why the server could not start. Each is one readable line; `exit_code` says how to exit.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("configuration: {0}")]
    Config(#[from] crate::config::ConfigError),
    #[error("database: {0}")]
    Database(String),
    /// The database is set up so that the server must not run on it (a role that could read
    /// around row-level security, no schema); the text says how to fix it.
    #[error("{0}")]
    Setup(String),
    #[error("redis: {0}")]
    Redis(String),
    #[error("cannot listen on {addr}: {error}")]
    Listen { addr: String, error: String },
}

impl StartError {
    pub fn exit_code(&self) -> i32 {
        match self {
            StartError::Config(_) | StartError::Setup(_) => 2,
            _ => 1,
        }
    }
}

pub fn db_error(err: StoreError) -> StartError {
    match err {
        StoreError::UnsafeRole(message) | StoreError::Config(message) => StartError::Setup(message),
        other => StartError::Database(other.to_string()),
    }
}
