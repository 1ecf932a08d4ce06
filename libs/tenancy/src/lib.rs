//! Tenants, branches, custom domains and brand settings: the application services.
//! Each takes the acting member, checks the permission once, and works in one tenant transaction.

pub mod branches;
pub mod brand;
pub mod dns;
pub mod domains;
pub mod operator;
pub mod security;
mod seed;

pub use seed::{
    DEMO_SLUG, DemoCredentials, NewTenant, SignedUp, Signup, TRIAL_DAYS, confirm_workshop,
    create_tenant, ensure_demo_tenant, release_unclaimed, sign_up,
};
