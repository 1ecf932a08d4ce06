//! Pitlane's pure domain: types whose constructors are the only place a rule lives.
//! No I/O, no async runtime, no database: everything here is testable in isolation.

pub mod actor;
pub mod branch;
pub mod brand;
pub mod error;
pub mod ids;
pub mod live;
pub mod messages;
pub mod permissions;
pub mod phone;
pub mod text;

pub use actor::Actor;
pub use error::{FieldError, FieldErrors, ServiceError};
