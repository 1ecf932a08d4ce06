//! Pitlane's pure domain: types whose constructors are the only place a rule lives.
//! No I/O, no async runtime, no database: everything here is testable in isolation.

pub mod actor;
pub mod appointment;
pub mod branch;
pub mod brand;
pub mod error;
pub mod feedback;
pub mod ics;
pub mod ids;
pub mod invoicing;
pub mod labour;
pub mod live;
pub mod messages;
pub mod money;
pub mod permissions;
pub mod phone;
pub mod plans;
pub mod pricing;
pub mod quantity;
pub mod repair_order;
pub mod reports;
pub mod roadside;
pub mod schedule;
pub mod stock;
pub mod text;
pub mod upload;
pub mod vin;

pub use actor::Actor;
pub use error::{FieldError, FieldErrors, ServiceError};
