//! Message templates as the API sends and takes them.

use pitlane_notify::{Composed, templates::MessageTemplate};
use poem_openapi::{Object, types::Example};

/// The wording of one message kind on one channel.
#[derive(Object)]
pub struct Template {
    /// `{kind}.{channel}`, e.g. `booking_confirmation.sms`: what the template's paths take.
    pub id: String,
    /// `booking_confirmation`, `appointment_reminder`, `test_message`…
    pub kind: String,
    /// `email` or `sms`.
    pub channel: String,
    /// E-mail only.
    #[oai(nullable)]
    pub subject: Option<String>,
    /// Text with `{{ variable }}` holes.
    pub body: String,
    /// False while the built-in wording applies.
    pub custom: bool,
    /// The variables this kind offers (plus `workshop_name` and `workshop_phone`).
    pub variables: Vec<String>,
}

impl From<MessageTemplate> for Template {
    fn from(t: MessageTemplate) -> Self {
        Self {
            id: format!("{}.{}", t.kind.as_str(), t.channel.as_str()),
            kind: t.kind.as_str().to_owned(),
            channel: t.channel.as_str().to_owned(),
            subject: t.subject,
            body: t.body,
            custom: t.custom,
            variables: pitlane_domain::messages::COMMON_VARIABLES
                .iter()
                .chain(t.kind.variables())
                .map(|v| (*v).to_owned())
                .collect(),
        }
    }
}

/// A template as written; an unknown `{{ variable }}` is refused (422) with the known ones.
#[derive(Object)]
#[oai(example)]
pub struct TemplateInput {
    /// Required for e-mail; must be absent or empty for SMS.
    pub subject: Option<String>,
    pub body: String,
}

impl Example for TemplateInput {
    fn example() -> Self {
        Self {
            subject: Some("See you {{ when }}".into()),
            body: "Hello {{ customer_name }}, your {{ service }} is booked for {{ when }} at {{ branch }}.\n\n{{ workshop_name }}".into(),
        }
    }
}

/// What a template produces with the kind's sample data.
#[derive(Object)]
pub struct Preview {
    #[oai(nullable)]
    pub subject: Option<String>,
    pub text: String,
    /// The branded HTML part (e-mail only).
    #[oai(nullable)]
    pub html: Option<String>,
}

impl From<Composed> for Preview {
    fn from(c: Composed) -> Self {
        Self {
            subject: c.subject,
            text: c.text,
            html: c.html,
        }
    }
}
