//! What the platform tells a workshop's owners about their plan: in the portal's
//! notifications, for everyone who may manage billing.

use pitlane_domain::{ServiceError, permissions::Permission};
use pitlane_notify::staff::{NewNotification, notify_members_with};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    TrialEnding,
    PaymentFailed,
    LimitReached { what: &'static str },
}

impl Notice {
    fn note(self) -> NewNotification {
        let (title, body) = match self {
            Notice::TrialEnding => (
                "Your trial ends soon".to_owned(),
                "Choose a plan to keep the workshop running without a break.".to_owned(),
            ),
            Notice::PaymentFailed => (
                "Payment for your plan failed".to_owned(),
                "Update the card in Stripe's portal within 7 days, or the workshop becomes read-only.".to_owned(),
            ),
            Notice::LimitReached { what } => (
                format!("Your plan's limit of {what} is reached"),
                format!("Choose a larger plan to add more {what}."),
            ),
        };
        NewNotification {
            title,
            body,
            link: Some("/portal/settings/plan".into()),
        }
    }
}

/// Notifies everyone who may manage the plan, in the caller's transaction (so the notice is
/// there exactly when the change it is about is); publish what it returns after commit.
pub async fn note(
    tx: &pitlane_store::TenantTx,
    notice: Notice,
) -> Result<pitlane_notify::staff::Notified, ServiceError> {
    Ok(notify_members_with(tx, Permission::BillingManage, &notice.note()).await?)
}
