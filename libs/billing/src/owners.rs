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
    billing: &crate::Billing,
    tx: &pitlane_store::TenantTx,
    notice: Notice,
    site: &str,
) -> Result<pitlane_notify::staff::Notified, ServiceError> {
    use pitlane_store::{
        entity::user,
        sea_orm::{ColumnTrait, EntityTrait, QueryFilter},
    };
    let note = notice.note();
    let notified = notify_members_with(tx, Permission::BillingManage, &note).await?;
    // And by e-mail, since an owner may not open the portal before it matters.
    let people = tx
        .people()
        .all(user::Entity::find().filter(user::Column::Id.is_in(notified.users())))
        .await?;
    let day = chrono::Utc::now().format("%Y-%m-%d");
    for person in people {
        let Ok(address) = pitlane_domain::text::Email::parse(&person.email) else {
            continue;
        };
        billing
            .workshop
            .desk
            .outbox
            .enqueue(
                tx,
                pitlane_notify::OutgoingMessage {
                    kind: pitlane_domain::messages::MessageKind::PlanNotice,
                    to: pitlane_notify::Recipient::Email {
                        address,
                        name: Some(person.name.clone()),
                    },
                    vars: [
                        ("name", person.name.clone()),
                        ("headline", note.title.clone()),
                        ("body", note.body.clone()),
                        ("link", format!("{site}/portal/settings/payments")),
                    ]
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v))
                    .collect(),
                    attachments: Vec::new(),
                    send_at: None,
                    // One of each notice a day, however many events say the same.
                    idempotency_key: format!("plan:{}:{}:{day}", person.id, note.title),
                },
            )
            .await?;
    }
    Ok(notified)
}
