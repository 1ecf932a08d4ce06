//! Where a workshop's site is, for the links in the messages billing sends (receipts, plan
//! notices). The composition root knows the deployment's addresses; billing is handed this.

use std::sync::Arc;

use pitlane_store::entity::tenant;

/// The address of a workshop's site, for links in the messages events cause.
pub type SiteOf = Arc<dyn Fn(&tenant::Model) -> String + Send + Sync>;
