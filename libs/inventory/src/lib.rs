//! Parts and stock. The catalogue is per tenant; stock is per branch and kept as a ledger:
//! every change of a level is a movement (receive, consume, adjust with a reason, transfer,
//! return to supplier), written in the same transaction as the level, so a level is always
//! the sum of its movements. Approved repair-order lines reserve parts; finishing the order
//! consumes them.
//!
//! Levels change by conditional updates (`… where on_hand - reserved >= n`), so two advisors
//! taking the last unit at once cannot both succeed on any backend: the loser is told how many
//! are left.

pub mod counts;
pub mod parts;
pub mod purchasing;
pub mod stock;
pub mod suppliers;

use pitlane_notify::Live;
use pitlane_store::Store;

/// What the inventory services share: the store, and live updates for staff notifications.
#[derive(Clone)]
pub struct Inventory {
    pub store: Store,
    pub live: Live,
}

/// An optional text field: trimmed, empty as none, at most `max` characters.
pub(crate) fn optional(
    errors: &mut pitlane_domain::FieldErrors,
    field: &str,
    raw: Option<&str>,
    max: usize,
) -> Option<String> {
    errors
        .check(field, pitlane_domain::text::optional_text(raw, max))
        .flatten()
}
