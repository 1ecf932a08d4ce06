//! Getting paid: invoices, credit notes, payments and refunds; card payments through each
//! workshop's own Stripe account; Stripe's webhooks; and the workshops' plans.
//!
//! - [`invoice`]: one invoice as the others share it: its view, status, money (`resettle`),
//!   numbering, links, messages and live announcements; it depends on none of them;
//! - [`invoices`]: drafts from a repair order or on their own, issuing with gap-free numbers,
//!   voiding; the customer's signed link;
//! - [`payments`]: payments staff record, receipts, refunds, credit notes;
//! - [`connect`], [`checkout`]: Stripe Connect onboarding, and Checkout on the branded page;
//! - [`events`]: the webhook inbox, worked in the background, idempotent and order-tolerant;
//! - [`subscriptions`], [`plans`]: the platform's own billing of workshops, and its limits;
//! - [`pdf`]: the invoice's PDF; [`gateway`]: our one door to Stripe's API.

pub mod checkout;
pub mod connect;
pub mod customer_copies;
pub mod demo;
pub mod events;
pub mod figures;
pub mod gateway;
pub mod invoice;
pub mod invoices;
pub mod owners;
pub mod payments;
pub mod pdf;
pub mod plans;
pub mod site;
pub mod subscriptions;
pub mod tax_rates;

use std::sync::Arc;

use pitlane_domain::{FieldErrors, ServiceError};
use pitlane_workshop::Workshop;

pub use gateway::{Gateway, StripeSettings};
pub use site::SiteOf;

/// What the billing services share.
#[derive(Clone)]
pub struct Billing {
    pub workshop: Workshop,
    /// Stripe, when this deployment has a key; card payments are off without it.
    pub gateway: Option<Arc<Gateway>>,
    /// Wakes the webhook worker of this process when an event was stored.
    pub inbox: Arc<tokio::sync::Notify>,
}

impl Billing {
    pub fn new(workshop: Workshop, stripe: Option<StripeSettings>) -> Result<Self, String> {
        let gateway = match stripe {
            Some(settings) => Some(Arc::new(Gateway::new(settings)?)),
            None => None,
        };
        Ok(Self {
            workshop,
            gateway,
            inbox: Arc::new(tokio::sync::Notify::new()),
        })
    }

    pub fn store(&self) -> &pitlane_store::Store {
        self.workshop.store()
    }

    /// Stripe, or the answer that card payments are not set up on this deployment.
    pub fn gateway(&self) -> Result<&Gateway, ServiceError> {
        self.gateway.as_deref().ok_or_else(|| {
            ServiceError::Conflict(FieldErrors::single(
                "stripe",
                "this deployment is not connected to Stripe (STRIPE_SECRET_KEY is not set)",
            ))
        })
    }
}
