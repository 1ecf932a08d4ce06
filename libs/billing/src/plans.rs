//! The tenant's plan, as card payments and limits see it.

use pitlane_domain::plans;
use pitlane_store::entity::tenant;

/// The platform's fee on a card payment to this workshop.
pub fn application_fee(workshop: &tenant::Model, amount: i64) -> i64 {
    plans::application_fee(&plans::plan(&workshop.plan), amount)
}
