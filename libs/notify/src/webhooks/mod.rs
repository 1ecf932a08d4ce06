//! Webhooks for integrators (issue 22), following the Standard Webhooks specification
//! (standardwebhooks.com): what a delivery is signed with ([`signing`]) and where a delivery
//! may go ([`target`]). The registry of endpoints and the deliveries through the outbox build
//! on these.

pub mod signing;
pub mod target;
