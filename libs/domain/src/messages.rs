//! Message kinds, channels and templates: what the notification platform may send, which
//! variables each kind's templates may use, and the template language (`{{ name }}`).
//!
//! A template is checked when it is saved: a variable its kind does not provide is an error
//! then, never a blank in a customer's inbox.

use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Channel {
    Email,
    Sms,
}

impl Channel {
    pub const ALL: [Channel; 2] = [Channel::Email, Channel::Sms];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == raw)
    }
}

/// Every message the platform sends. Each names the variables its templates may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MessageKind {
    /// The owner checking the sender setup from the settings page.
    TestMessage,
    EmailVerification,
    /// A person who already had a Pitlane login signed up another workshop: where to sign in.
    WorkshopCreated,
    StaffInvitation,
    PasswordReset,
    /// A customer's one-time sign-in link to the workshop's site.
    MagicLink,
    BookingConfirmation,
    /// A booked appointment moved (the calendar entry updates).
    AppointmentChanged,
    /// A booked appointment was cancelled (the calendar entry is withdrawn).
    AppointmentCancelled,
    AppointmentReminder,
    /// The one-time code a guest types to confirm an online booking.
    BookingCode,
    /// A vehicle's service is due by date or mileage.
    MaintenanceDue,
    /// A member of staff wrote to the customer in their conversation.
    ConversationReply,
    EstimateReady,
    /// A repair order the customer follows changed status.
    RepairStatus,
    /// The work is done: the vehicle can be collected.
    VehicleReady,
    InvoiceIssued,
    /// Money received against an invoice: the receipt.
    PaymentReceipt,
    /// Money given back.
    RefundIssued,
    /// To a workshop's owners about its Pitlane plan: trial ending, payment failed, a limit.
    PlanNotice,
    /// A tenant's campaign: bulk, paced per tenant, with an unsubscribe link.
    Newsletter,
    /// The dashboard by e-mail, daily or weekly, to staff who asked for it.
    DashboardDigest,
    /// The one-time code a guest types to send a roadside request.
    RoadsideCode,
    /// A driver's roadside request moved on: a mechanic took it, arrived, it ended.
    RoadsideUpdate,
    /// The mechanic or dispatcher wrote in a roadside request's chat while the driver's page
    /// was closed.
    RoadsideMessage,
    /// After a repair order is closed or a roadside job is done: a link to rate it.
    FeedbackRequest,
}

/// Provided for every kind: the workshop's own name and contact.
pub const COMMON_VARIABLES: [&str; 2] = ["workshop_name", "workshop_phone"];

impl MessageKind {
    pub const ALL: [MessageKind; 26] = [
        MessageKind::TestMessage,
        MessageKind::EmailVerification,
        MessageKind::WorkshopCreated,
        MessageKind::StaffInvitation,
        MessageKind::PasswordReset,
        MessageKind::MagicLink,
        MessageKind::BookingConfirmation,
        MessageKind::AppointmentChanged,
        MessageKind::AppointmentCancelled,
        MessageKind::AppointmentReminder,
        MessageKind::BookingCode,
        MessageKind::MaintenanceDue,
        MessageKind::ConversationReply,
        MessageKind::EstimateReady,
        MessageKind::RepairStatus,
        MessageKind::VehicleReady,
        MessageKind::InvoiceIssued,
        MessageKind::PaymentReceipt,
        MessageKind::RefundIssued,
        MessageKind::PlanNotice,
        MessageKind::Newsletter,
        MessageKind::DashboardDigest,
        MessageKind::RoadsideCode,
        MessageKind::RoadsideUpdate,
        MessageKind::RoadsideMessage,
        MessageKind::FeedbackRequest,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::TestMessage => "test_message",
            MessageKind::EmailVerification => "email_verification",
            MessageKind::WorkshopCreated => "workshop_created",
            MessageKind::StaffInvitation => "staff_invitation",
            MessageKind::PasswordReset => "password_reset",
            MessageKind::MagicLink => "magic_link",
            MessageKind::BookingConfirmation => "booking_confirmation",
            MessageKind::AppointmentChanged => "appointment_changed",
            MessageKind::AppointmentCancelled => "appointment_cancelled",
            MessageKind::AppointmentReminder => "appointment_reminder",
            MessageKind::BookingCode => "booking_code",
            MessageKind::MaintenanceDue => "maintenance_due",
            MessageKind::ConversationReply => "conversation_reply",
            MessageKind::EstimateReady => "estimate_ready",
            MessageKind::RepairStatus => "repair_status",
            MessageKind::VehicleReady => "vehicle_ready",
            MessageKind::InvoiceIssued => "invoice_issued",
            MessageKind::PaymentReceipt => "payment_receipt",
            MessageKind::RefundIssued => "refund_issued",
            MessageKind::PlanNotice => "plan_notice",
            MessageKind::Newsletter => "newsletter",
            MessageKind::DashboardDigest => "dashboard_digest",
            MessageKind::RoadsideCode => "roadside_code",
            MessageKind::RoadsideUpdate => "roadside_update",
            MessageKind::RoadsideMessage => "roadside_message",
            MessageKind::FeedbackRequest => "feedback_request",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw)
    }

    /// What people call it, for the settings pages.
    pub fn label(self) -> &'static str {
        match self {
            MessageKind::TestMessage => "Test message",
            MessageKind::EmailVerification => "E-mail verification",
            MessageKind::WorkshopCreated => "Confirm a new workshop (to an owner who had a login)",
            MessageKind::StaffInvitation => "Staff invitation",
            MessageKind::PasswordReset => "Password reset",
            MessageKind::MagicLink => "Customer sign-in link",
            MessageKind::BookingConfirmation => "Booking confirmation",
            MessageKind::AppointmentChanged => "Appointment moved",
            MessageKind::AppointmentCancelled => "Appointment cancelled",
            MessageKind::AppointmentReminder => "Appointment reminder",
            MessageKind::BookingCode => "Booking code",
            MessageKind::MaintenanceDue => "Maintenance due",
            MessageKind::ConversationReply => "Reply to a customer",
            MessageKind::EstimateReady => "Estimate ready",
            MessageKind::RepairStatus => "Repair status",
            MessageKind::VehicleReady => "Vehicle ready for pickup",
            MessageKind::InvoiceIssued => "Invoice issued",
            MessageKind::PaymentReceipt => "Payment receipt",
            MessageKind::RefundIssued => "Refund confirmation",
            MessageKind::PlanNotice => "Notice about the Pitlane plan (to owners)",
            MessageKind::Newsletter => "Newsletter",
            MessageKind::DashboardDigest => "Dashboard digest (to staff who asked for it)",
            MessageKind::RoadsideCode => "Roadside request code",
            MessageKind::RoadsideUpdate => "Roadside request update",
            MessageKind::RoadsideMessage => {
                "Roadside chat message (when the driver's page is closed)"
            }
            MessageKind::FeedbackRequest => "Asking the customer to rate the work",
        }
    }

    /// The variables this kind provides besides [`COMMON_VARIABLES`].
    pub fn variables(self) -> &'static [&'static str] {
        match self {
            MessageKind::TestMessage => &["sent_by"],
            // The link of a message that carries a security token is Pitlane's, placed after
            // the workshop's text: it is no variable, so no template can move it or wrap it
            // in another address.
            MessageKind::EmailVerification => &["name"],
            MessageKind::WorkshopCreated => &["name"],
            MessageKind::StaffInvitation => &["name", "invited_by", "role"],
            MessageKind::PasswordReset | MessageKind::MagicLink => &["name"],
            MessageKind::BookingConfirmation
            | MessageKind::AppointmentChanged
            | MessageKind::AppointmentCancelled
            | MessageKind::AppointmentReminder => &[
                "customer_name",
                "service",
                "when",
                "branch",
                "branch_address",
                "manage_link",
            ],
            MessageKind::BookingCode => &["code"],
            MessageKind::MaintenanceDue => &["customer_name", "vehicle", "due", "link"],
            MessageKind::ConversationReply => &["customer_name", "body", "author", "link"],
            MessageKind::EstimateReady => &["customer_name", "vehicle", "total", "link"],
            MessageKind::RepairStatus => &["customer_name", "vehicle", "number", "status", "link"],
            MessageKind::VehicleReady => &["customer_name", "vehicle", "number", "branch", "link"],
            MessageKind::InvoiceIssued => &["customer_name", "number", "total", "due_date", "link"],
            MessageKind::PaymentReceipt | MessageKind::RefundIssued => &[
                "customer_name",
                "number",
                "amount",
                "receipt",
                "balance",
                "link",
            ],
            MessageKind::PlanNotice => &["name", "headline", "body", "link"],
            MessageKind::Newsletter => &["customer_name", "headline", "body", "unsubscribe_link"],
            MessageKind::DashboardDigest => &["name", "headline", "body", "link"],
            MessageKind::RoadsideCode => &["code"],
            MessageKind::RoadsideUpdate => {
                &["customer_name", "number", "status", "mechanic", "link"]
            }
            MessageKind::RoadsideMessage => &["customer_name", "number", "author", "body", "link"],
            MessageKind::FeedbackRequest => &["customer_name", "subject", "mechanic", "link"],
        }
    }

    /// Messages whose `link` carries a security token (verification, reset, magic link,
    /// invitation, a new workshop's confirmation): the link and its button are rendered by
    /// Pitlane, outside editable text.
    pub fn carries_security_link(self) -> bool {
        matches!(
            self,
            MessageKind::EmailVerification
                | MessageKind::WorkshopCreated
                | MessageKind::StaffInvitation
                | MessageKind::PasswordReset
                | MessageKind::MagicLink
        )
    }

    pub fn allows(self, variable: &str) -> bool {
        COMMON_VARIABLES.contains(&variable) || self.variables().contains(&variable)
    }

    /// Bulk messages are marketing: paced per tenant and sent only with an unsubscribe link.
    pub fn is_bulk(self) -> bool {
        matches!(self, MessageKind::Newsletter)
    }

    /// Example values, for previews and for checking that a template renders.
    pub fn sample(self) -> BTreeMap<String, String> {
        let value = |name: &str| -> &str {
            match name {
                "workshop_name" => "Pitlane Motors",
                "workshop_phone" => "+44 20 7946 0000",
                "sent_by" => "Alex Owner",
                "name" | "customer_name" => "Sam Driver",
                "invited_by" => "Alex Owner",
                "role" => "service advisor",
                "service" => "Annual service",
                "when" => "Tuesday 3 March, 09:30",
                "branch" => "Camden",
                "branch_address" => "12 High Street, London",
                "vehicle" => "2019 Volkswagen Golf (AB12 CDE)",
                "total" => "£412.50",
                "number" => "INV-2026-000123",
                "due_date" => "17 March 2026",
                "amount" => "£100.00",
                "receipt" => "RCT-2026-000045",
                "balance" => "£312.50",
                "headline" => "Winter check: 20% off",
                "body" => "Beat the cold with a free battery test at any visit.",
                "code" => "482913",
                "due" => "by 30 April 2026 or 60,000 km",
                "author" => "Jo Advisor",
                "status" => "Waiting for parts",
                "mechanic" => "Mo Mechanic",
                _ => "https://example.test/link",
            }
        };
        COMMON_VARIABLES
            .iter()
            .chain(self.variables())
            .map(|name| ((*name).to_owned(), value(name).to_owned()))
            .collect()
    }
}

/// A template that failed its check, with a reason a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("{{{{ {0} }}}} is not a variable of this message; use one of: {1}")]
    UnknownVariable(String, String),
    #[error("a {{{{ is not closed with }}}}")]
    Unclosed,
    #[error("{{{{ }}}} needs a variable name inside")]
    Empty,
    #[error("must not be empty")]
    Blank,
    #[error("must be at most {0} characters")]
    TooLong(usize),
    #[error(
        "{{{{ {0} }}}} must stand on its own, with a space or a line break before and after it, so that no other address can wrap it"
    )]
    LinkNotAlone(String),
}

/// A link variable (`link`, `manage_link`, `unsubscribe_link`): its value is a signed
/// address of Pitlane's, which a template must not be able to pass to another site.
fn is_link_variable(name: &str) -> bool {
    name == "link" || name.ends_with("_link")
}

/// Whether a link variable stands alone between `before` and `after`: nothing that could
/// make it part of another address (`https://evil.example/?u={{ link }}`,
/// `{{ link }}.evil.example`) touches it. Brackets around it and punctuation ending a
/// sentence after it are fine.
fn stands_alone(before: &str, after: &str) -> bool {
    let is_bracket = |c: char| matches!(c, '(' | '<' | '[');
    // Before it: the start, a space, or a bracket that itself follows the start or a space
    // (`https://evil.example/?u=({{ link }})` would keep the link inside that address).
    let mut back = before.chars().rev();
    let open = match back.next() {
        None => true,
        Some(c) if c.is_whitespace() => true,
        Some(c) if is_bracket(c) => back.next().is_none_or(char::is_whitespace),
        Some(_) => false,
    };
    // After it: the end, a space, or a closing bracket or a sentence's punctuation, then the
    // end or a space (a bracket may close before the punctuation: `({{ link }}).`).
    let ends = |rest: &str| rest.chars().next().is_none_or(char::is_whitespace);
    let mut rest = after;
    if rest.starts_with([')', '>', ']']) {
        rest = &rest[1..];
    }
    if rest.starts_with(['.', ',', ';', ':', '!', '?']) {
        rest = &rest[1..];
    }
    open && ends(rest)
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Variable(String),
}

/// A parsed template: text with `{{ variable }}` holes, every variable known to its kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    source: String,
    pieces: Vec<Piece>,
}

impl Template {
    pub const MAX_LEN: usize = 20_000;

    pub fn parse(source: &str, kind: MessageKind) -> Result<Self, TemplateError> {
        if source.trim().is_empty() {
            return Err(TemplateError::Blank);
        }
        if source.chars().count() > Self::MAX_LEN {
            return Err(TemplateError::TooLong(Self::MAX_LEN));
        }
        let mut pieces = Vec::new();
        let mut rest = source;
        while let Some(start) = rest.find("{{") {
            if start > 0 {
                pieces.push(Piece::Text(rest[..start].to_owned()));
            }
            let after = &rest[start + 2..];
            let end = after.find("}}").ok_or(TemplateError::Unclosed)?;
            let name = after[..end].trim();
            if name.is_empty() {
                return Err(TemplateError::Empty);
            }
            if !kind.allows(name) {
                let known: Vec<&str> = COMMON_VARIABLES
                    .iter()
                    .chain(kind.variables())
                    .copied()
                    .collect();
                return Err(TemplateError::UnknownVariable(
                    name.to_owned(),
                    known.join(", "),
                ));
            }
            if is_link_variable(name)
                && !stands_alone(
                    &source[..source.len() - rest.len() + start],
                    &after[end + 2..],
                )
            {
                return Err(TemplateError::LinkNotAlone(name.to_owned()));
            }
            pieces.push(Piece::Variable(name.to_owned()));
            rest = &after[end + 2..];
        }
        if !rest.is_empty() {
            pieces.push(Piece::Text(rest.to_owned()));
        }
        Ok(Self {
            source: source.to_owned(),
            pieces,
        })
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// Fills the holes. A variable with no value renders empty (kinds always provide theirs;
    /// the check at save time is what keeps unknown names out).
    pub fn render(&self, vars: &BTreeMap<String, String>) -> String {
        self.render_with(vars, |s| s.to_owned())
    }

    /// Fills the holes, passing each value through `escape` (HTML, say).
    pub fn render_with(
        &self,
        vars: &BTreeMap<String, String>,
        escape: impl Fn(&str) -> String,
    ) -> String {
        let mut out = String::with_capacity(self.source.len() + 64);
        for piece in &self.pieces {
            match piece {
                Piece::Text(text) => out.push_str(text),
                Piece::Variable(name) => {
                    out.push_str(&escape(vars.get(name).map(String::as_str).unwrap_or("")))
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_variables_render() {
        let kind = MessageKind::AppointmentReminder;
        let t = Template::parse(
            "Hi {{ customer_name }}, see you {{when}} at {{workshop_name}}.",
            kind,
        )
        .unwrap();
        assert_eq!(
            t.render(&kind.sample()),
            "Hi Sam Driver, see you Tuesday 3 March, 09:30 at Pitlane Motors."
        );
    }

    #[test]
    fn unknown_variables_are_refused_with_the_known_ones() {
        let err = Template::parse("Hi {{ first_name }}", MessageKind::PasswordReset).unwrap_err();
        assert_eq!(
            err.to_string(),
            "{{ first_name }} is not a variable of this message; use one of: workshop_name, workshop_phone, name"
        );
        assert_eq!(
            Template::parse("Hi {{ name", MessageKind::PasswordReset),
            Err(TemplateError::Unclosed)
        );
        assert_eq!(
            Template::parse("Hi {{ }}", MessageKind::PasswordReset),
            Err(TemplateError::Empty)
        );
        assert_eq!(
            Template::parse("  ", MessageKind::PasswordReset),
            Err(TemplateError::Blank)
        );
    }

    #[test]
    fn a_link_cannot_be_wrapped_in_another_address() {
        let kind = MessageKind::EstimateReady;
        for wrapped in [
            "Look: https://evil.example/?u={{ link }}",
            "Look: https://evil.example/{{link}}",
            "Look: {{ link }}.evil.example",
            "Look: {{ link }}&x=1",
            "Look: <a href=\"{{ link }}\">here</a>",
            "Look:{{ link }}",
            "Look: https://evil.example/?u=({{ link }})",
            "Look: {{ workshop_name }}({{ link }})",
            "Look: ({{ link }})x",
        ] {
            assert_eq!(
                Template::parse(wrapped, kind),
                Err(TemplateError::LinkNotAlone("link".into())),
                "{wrapped}"
            );
        }
        for alone in [
            "{{ link }}",
            "Your estimate: {{ link }}",
            "See it here ({{ link }}), thanks.",
            "Open <{{ link }}>.",
            "Open {{ link }}. Thanks!",
            "Open:\n{{link}}\n",
            "Open it ({{ link }}).",
            "[{{ link }}]",
        ] {
            assert!(Template::parse(alone, kind).is_ok(), "{alone}");
        }
        assert!(
            Template::parse(
                "Stop: example.test/{{ unsubscribe_link }}",
                MessageKind::Newsletter
            )
            .is_err()
        );
    }

    #[test]
    fn kinds_and_channels_round_trip() {
        for kind in MessageKind::ALL {
            assert_eq!(MessageKind::parse(kind.as_str()), Some(kind));
            assert!(!kind.sample().is_empty());
        }
        for channel in Channel::ALL {
            assert_eq!(Channel::parse(channel.as_str()), Some(channel));
        }
    }
}
