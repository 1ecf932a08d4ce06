//! Tenants, branches, custom domains and brand settings: the application services.
//! Each takes the acting member, checks the permission once, and works in one tenant transaction.

pub mod branches;
pub mod brand;
pub mod domains;
mod seed;

pub use seed::{DemoCredentials, NewTenant, create_tenant, ensure_demo_tenant};
