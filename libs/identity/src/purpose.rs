//! What a signed link is for. Below both the links and the keyring: each purpose has a
//! lifetime here and a signing key of its own there.

use chrono::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    VerifyEmail,
    ResetPassword,
    MagicLink,
    Invitation,
    /// A customer's link to see, move, cancel or check in to one appointment; not single use,
    /// it expires when the appointment ends.
    ManageBooking,
    /// A customer's one-click unsubscribe from a workshop's offers; works for a year.
    Unsubscribe,
    /// A customer's view of their repair order: status, estimate approval, inspection.
    RepairOrder,
    /// A customer's view of one invoice, where they pay it by card; good for a year.
    Invoice,
    /// Confirms a workshop signed up with an address that already has a login: only the
    /// address's owner can make it theirs.
    ConfirmWorkshop,
    /// A driver's view of their roadside request: where the mechanic is, the chat, the bill;
    /// not single use, the request's row is read each time.
    Roadside,
    /// A customer's one rating of a closed repair order or a finished roadside job; spent by
    /// the rating, which its row records.
    Feedback,
}

impl Purpose {
    pub const ALL: [Purpose; 11] = [
        Purpose::VerifyEmail,
        Purpose::ResetPassword,
        Purpose::MagicLink,
        Purpose::Invitation,
        Purpose::ManageBooking,
        Purpose::Unsubscribe,
        Purpose::RepairOrder,
        Purpose::Invoice,
        Purpose::ConfirmWorkshop,
        Purpose::Roadside,
        Purpose::Feedback,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Purpose::VerifyEmail => "verify_email",
            Purpose::ResetPassword => "reset_password",
            Purpose::MagicLink => "magic_link",
            Purpose::Invitation => "invitation",
            Purpose::ManageBooking => "manage_booking",
            Purpose::Unsubscribe => "unsubscribe",
            Purpose::RepairOrder => "repair_order",
            Purpose::Invoice => "invoice",
            Purpose::ConfirmWorkshop => "confirm_workshop",
            Purpose::Roadside => "roadside",
            Purpose::Feedback => "feedback",
        }
    }

    /// How long a link stays good.
    pub fn lifetime(self) -> Duration {
        match self {
            Purpose::VerifyEmail => Duration::days(3),
            Purpose::ResetPassword => Duration::minutes(30),
            Purpose::MagicLink => Duration::minutes(15),
            Purpose::Invitation => Duration::days(7),
            Purpose::ManageBooking => Duration::days(180),
            Purpose::Unsubscribe => Duration::days(365),
            Purpose::RepairOrder => Duration::days(180),
            Purpose::Invoice => Duration::days(365),
            Purpose::ConfirmWorkshop => Duration::days(3),
            Purpose::Roadside => Duration::days(90),
            Purpose::Feedback => Duration::days(60),
        }
    }
}
