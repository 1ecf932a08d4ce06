//! Built-in templates: what every tenant sends until it writes its own.

use pitlane_domain::messages::{Channel, MessageKind};

/// The subject (e-mail only) and body of a kind's built-in template on a channel.
pub fn template(kind: MessageKind, channel: Channel) -> (Option<&'static str>, &'static str) {
    use MessageKind::*;
    match (channel, kind) {
        (Channel::Email, TestMessage) => (
            Some("Test message from {{ workshop_name }}"),
            "This is a test message sent by {{ sent_by }} from the {{ workshop_name }} settings page.\n\nIf you can read this, e-mail from {{ workshop_name }} reaches its customers.",
        ),
        (Channel::Sms, TestMessage) => (
            None,
            "{{ workshop_name }}: test message sent by {{ sent_by }}. SMS works.",
        ),
        (Channel::Email, EmailVerification) => (
            Some("Confirm your e-mail address"),
            "Hello {{ name }},\n\nPlease confirm your e-mail address for {{ workshop_name }} with the link below. It works for 3 days. If you did not sign up, ignore this message.",
        ),
        (Channel::Sms, EmailVerification) => (
            None,
            "{{ workshop_name }}: confirm your e-mail with this link:",
        ),
        (Channel::Email, WorkshopCreated) => (
            Some("Confirm {{ workshop_name }} on Pitlane"),
            "Hello {{ name }},\n\nSomeone, we hope you, signed up {{ workshop_name }} on Pitlane with this address, which already has a Pitlane login. To open the workshop as its owner, confirm with the link below; you then sign in with the password you already have.\n\nNot you? Ignore this e-mail: the workshop stays closed and is nobody's.",
        ),
        (Channel::Sms, WorkshopCreated) => (
            None,
            "Confirm {{ workshop_name }} on Pitlane with this link:",
        ),
        (Channel::Email, StaffInvitation) => (
            Some("{{ invited_by }} invited you to {{ workshop_name }}"),
            "Hello {{ name }},\n\n{{ invited_by }} invited you to join {{ workshop_name }} on Pitlane as {{ role }}. Accept with the link below.",
        ),
        (Channel::Sms, StaffInvitation) => {
            (None, "{{ invited_by }} invited you to {{ workshop_name }}:")
        }
        (Channel::Email, PasswordReset) => (
            Some("Reset your password"),
            "Hello {{ name }},\n\nSomeone asked to reset your password for {{ workshop_name }}. If it was you, choose a new one with the link below. It works for 30 minutes. If it was not you, ignore this message.",
        ),
        (Channel::Sms, PasswordReset) => (
            None,
            "{{ workshop_name }}: reset your password (valid 30 minutes):",
        ),
        (Channel::Email, MagicLink) => (
            Some("Your sign-in link for {{ workshop_name }}"),
            "Hello {{ name }},\n\nSign in to {{ workshop_name }} with the link below. It works once, for 15 minutes. If you did not ask for it, ignore this message.",
        ),
        (Channel::Sms, MagicLink) => (None, "{{ workshop_name }}: sign in (valid 15 minutes):"),
        (Channel::Email, BookingConfirmation) => (
            Some("Your booking at {{ workshop_name }}: {{ when }}"),
            "Hello {{ customer_name }},\n\nYour {{ service }} is booked for {{ when }} at {{ branch }}, {{ branch_address }}.\n\nTo change or cancel it:\n\n{{ manage_link }}\n\nSee you soon,\n{{ workshop_name }}\n{{ workshop_phone }}",
        ),
        (Channel::Sms, BookingConfirmation) => (
            None,
            "{{ workshop_name }}: {{ service }} booked for {{ when }} at {{ branch }}. Change or cancel: {{ manage_link }}",
        ),
        (Channel::Email, AppointmentReminder) => (
            Some("Reminder: {{ service }} {{ when }}"),
            "Hello {{ customer_name }},\n\nA reminder of your {{ service }} on {{ when }} at {{ branch }}, {{ branch_address }}.\n\nCan't make it? Change or cancel here:\n\n{{ manage_link }}\n\n{{ workshop_name }}\n{{ workshop_phone }}",
        ),
        (Channel::Sms, AppointmentReminder) => (
            None,
            "{{ workshop_name }}: reminder, {{ service }} {{ when }} at {{ branch }}. Change: {{ manage_link }}",
        ),
        (Channel::Email, AppointmentChanged) => (
            Some("Your booking at {{ workshop_name }} moved to {{ when }}"),
            "Hello {{ customer_name }},\n\nYour {{ service }} is now on {{ when }} at {{ branch }}, {{ branch_address }}. The attached calendar entry replaces the old one.\n\nTo change or cancel it:\n\n{{ manage_link }}\n\n{{ workshop_name }}\n{{ workshop_phone }}",
        ),
        (Channel::Sms, AppointmentChanged) => (
            None,
            "{{ workshop_name }}: your {{ service }} moved to {{ when }} at {{ branch }}. Details: {{ manage_link }}",
        ),
        (Channel::Email, AppointmentCancelled) => (
            Some("Cancelled: {{ service }} on {{ when }}"),
            "Hello {{ customer_name }},\n\nYour {{ service }} on {{ when }} at {{ branch }} is cancelled.\n\nTo book again:\n\n{{ manage_link }}\n\n{{ workshop_name }}\n{{ workshop_phone }}",
        ),
        (Channel::Sms, AppointmentCancelled) => (
            None,
            "{{ workshop_name }}: your {{ service }} on {{ when }} is cancelled.",
        ),
        (Channel::Email, BookingCode) => (
            Some("{{ code }} is your booking code for {{ workshop_name }}"),
            "Your code to confirm the booking at {{ workshop_name }} is:\n\n{{ code }}\n\nIt works for 15 minutes. If you did not book, ignore this message.",
        ),
        (Channel::Sms, BookingCode) => (
            None,
            "{{ code }} is your {{ workshop_name }} booking code (15 minutes).",
        ),
        (Channel::Email, MaintenanceDue) => (
            Some("Your {{ vehicle }} is due for a service"),
            "Hello {{ customer_name }},\n\nYour {{ vehicle }} is due for its service {{ due }}.\n\nBook a time that suits you:\n\n{{ link }}\n\n{{ workshop_name }}\n{{ workshop_phone }}",
        ),
        (Channel::Sms, MaintenanceDue) => (
            None,
            "{{ workshop_name }}: your {{ vehicle }} is due for a service {{ due }}. Book: {{ link }}",
        ),
        (Channel::Email, ConversationReply) => (
            Some("{{ author }} of {{ workshop_name }} wrote to you"),
            "Hello {{ customer_name }},\n\n{{ body }}\n\n{{ author }}, {{ workshop_name }}\n\nReply here: {{ link }}",
        ),
        (Channel::Sms, ConversationReply) => (None, "{{ workshop_name }}: {{ body }}"),
        (Channel::Email, EstimateReady) => (
            Some("Your estimate for {{ vehicle }}"),
            "Hello {{ customer_name }},\n\nThe estimate for your {{ vehicle }} is ready: {{ total }}.\n\nReview and approve it here:\n\n{{ link }}\n\n{{ workshop_name }}\n{{ workshop_phone }}",
        ),
        (Channel::Sms, EstimateReady) => (
            None,
            "{{ workshop_name }}: estimate for {{ vehicle }} is {{ total }}. Review: {{ link }}",
        ),
        (Channel::Email, RoadsideCode) => (
            Some("{{ code }} is your code for roadside help from {{ workshop_name }}"),
            "Your code to send your roadside request to {{ workshop_name }} is:\n\n{{ code }}\n\nIt works for 15 minutes. If you did not ask for help, ignore this message.",
        ),
        (Channel::Sms, RoadsideCode) => (
            None,
            "{{ code }} is your {{ workshop_name }} roadside help code (15 minutes).",
        ),
        (Channel::Email, RoadsideUpdate) => (
            Some("Roadside help {{ number }}: {{ status }}"),
            "Hello {{ customer_name }},\n\nYour roadside request {{ number }}: {{ status }}. Mechanic: {{ mechanic }}.\n\nFollow it live, see where the mechanic is and message them here:\n\n{{ link }}\n\n{{ workshop_name }}\n{{ workshop_phone }}",
        ),
        (Channel::Sms, RoadsideUpdate) => (
            None,
            "{{ workshop_name }} roadside {{ number }}: {{ status }} ({{ mechanic }}). Follow it: {{ link }}",
        ),
        (Channel::Email, RoadsideMessage) => (
            Some("{{ author }} wrote about your roadside request {{ number }}"),
            "Hello {{ customer_name }},\n\n{{ author }} wrote:\n\n{{ body }}\n\nAnswer and follow your request here:\n\n{{ link }}\n\n{{ workshop_name }}\n{{ workshop_phone }}",
        ),
        (Channel::Sms, RoadsideMessage) => (
            None,
            "{{ workshop_name }} roadside {{ number }}, {{ author }}: {{ body }} Answer: {{ link }}",
        ),
        (Channel::Email, FeedbackRequest) => (
            Some("How did we do? {{ subject }}"),
            "Hello {{ customer_name }},\n\nThank you for choosing {{ workshop_name }}. How did we do with {{ subject }}? Your mechanic was {{ mechanic }}.\n\nRate the work and the mechanic in a few seconds here (one to five stars, and a word if you like):\n\n{{ link }}\n\n{{ workshop_name }}\n{{ workshop_phone }}",
        ),
        (Channel::Sms, FeedbackRequest) => (
            None,
            "{{ workshop_name }}: how did we do with {{ subject }}? Rate it: {{ link }}",
        ),
        (Channel::Email, RepairStatus) => (
            Some("{{ vehicle }}: {{ status }}"),
            "Hello {{ customer_name }},\n\nYour {{ vehicle }} ({{ number }}) is now: {{ status }}.\n\nFollow it live here:\n\n{{ link }}\n\n{{ workshop_name }}\n{{ workshop_phone }}",
        ),
        (Channel::Sms, RepairStatus) => (
            None,
            "{{ workshop_name }}: your {{ vehicle }} is now {{ status }}. Follow it: {{ link }}",
        ),
        (Channel::Email, VehicleReady) => (
            Some("Your {{ vehicle }} is ready for pickup"),
            "Hello {{ customer_name }},\n\nGood news: your {{ vehicle }} ({{ number }}) is ready to collect at {{ branch }}.\n\nThe details of the work:\n\n{{ link }}\n\nSee you soon,\n{{ workshop_name }}\n{{ workshop_phone }}",
        ),
        (Channel::Sms, VehicleReady) => (
            None,
            "{{ workshop_name }}: your {{ vehicle }} is ready for pickup at {{ branch }}. Details: {{ link }}",
        ),
        (Channel::Email, InvoiceIssued) => (
            Some("Invoice {{ number }} from {{ workshop_name }}"),
            "Hello {{ customer_name }},\n\nInvoice {{ number }} for {{ total }} is due on {{ due_date }}.\n\nView and pay it here:\n\n{{ link }}\n\nThank you,\n{{ workshop_name }}",
        ),
        (Channel::Sms, InvoiceIssued) => (
            None,
            "{{ workshop_name }}: invoice {{ number }}, {{ total }}, due {{ due_date }}. Pay: {{ link }}",
        ),
        (Channel::Email, PaymentReceipt) => (
            Some("Receipt {{ receipt }}: {{ amount }} received"),
            "Hello {{ customer_name }},\n\nThank you: we received {{ amount }} for invoice {{ number }} (receipt {{ receipt }}). Still due: {{ balance }}.\n\nThe invoice and its payments:\n\n{{ link }}\n\n{{ workshop_name }}",
        ),
        (Channel::Sms, PaymentReceipt) => (
            None,
            "{{ workshop_name }}: {{ amount }} received for invoice {{ number }}, receipt {{ receipt }}. Still due: {{ balance }}. {{ link }}",
        ),
        (Channel::Email, RefundIssued) => (
            Some("Refund of {{ amount }} for invoice {{ number }}"),
            "Hello {{ customer_name }},\n\nWe have refunded {{ amount }} of payment {{ receipt }} for invoice {{ number }}. A card refund takes 5 to 10 days to reach your account.\n\nThe invoice and its payments:\n\n{{ link }}\n\n{{ workshop_name }}",
        ),
        (Channel::Sms, RefundIssued) => (
            None,
            "{{ workshop_name }}: we refunded {{ amount }} for invoice {{ number }}. {{ link }}",
        ),
        (Channel::Email, PlanNotice) => (
            Some("{{ headline }}"),
            "Hello {{ name }},\n\n{{ body }}\n\n{{ link }}\n\nPitlane",
        ),
        (Channel::Sms, PlanNotice) => (None, "Pitlane: {{ headline }}. {{ link }}"),
        (Channel::Email, Newsletter) => (
            Some("{{ headline }}"),
            "Hello {{ customer_name }},\n\n{{ body }}\n\n{{ workshop_name }}\n{{ workshop_phone }}",
        ),
        (Channel::Sms, Newsletter) => (
            None,
            "{{ workshop_name }}: {{ headline }}. Reply STOP to opt out.",
        ),
        (Channel::Email, DashboardDigest) => (
            Some("{{ headline }}"),
            "Hello {{ name }},\n\n{{ body }}\n\nThe dashboard, live:\n\n{{ link }}\n\nYou asked for this summary; change it on the dashboard.\n\n{{ workshop_name }}",
        ),
        (Channel::Sms, DashboardDigest) => {
            (None, "{{ workshop_name }}: {{ headline }}. {{ link }}")
        }
    }
}

#[cfg(test)]
mod tests {
    use pitlane_domain::messages::Template;

    use super::*;

    #[test]
    fn every_built_in_template_passes_its_own_check() {
        for kind in MessageKind::ALL {
            for channel in Channel::ALL {
                let (subject, body) = template(kind, channel);
                assert_eq!(subject.is_some(), channel == Channel::Email, "{kind:?}");
                if let Some(subject) = subject {
                    Template::parse(subject, kind).expect("subject");
                }
                Template::parse(body, kind).expect("body");
            }
        }
    }
}
