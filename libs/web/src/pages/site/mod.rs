//! The customer's pages on the workshop's branded site: its front page, booking, the repair's
//! live status and estimate, paying an invoice, the account, messages, roadside help, rating
//! the work, unsubscribing.

/// Routed apart from the rest: the one-click unsubscribe (RFC 8058) is a POST from a mail
/// client, without a form token (see `pages::tenant_routes`).
pub mod unsubscribe;

page_modules!(
    home, account, messages, booking, repair, pay, roadside, feedback,
);
