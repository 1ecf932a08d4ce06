//! The portal and the tenant's public pages, server-rendered with maud.

pub mod access;
pub mod account;
pub mod auth;
pub mod booking;
pub mod calendar;
pub mod campaigns;
pub mod customer;
pub mod customers;
pub mod desk_settings;
pub mod errors;
pub mod forms;
pub mod inbox;
pub mod layout;
pub mod messages;
pub mod notifications;
pub mod operator;
pub mod picker;
pub mod portal;
pub mod public;
pub mod repair;
pub mod signup;
pub mod sso;
pub mod staff;
pub mod templates;
pub mod two_factor;
