//! The workshop as the API sends and takes it: name, brand and sender settings.

use pitlane_notify::service::{SenderInput, SenderSettings};
use pitlane_store::entity::tenant;
use pitlane_tenancy::brand::BrandInput;
use poem_openapi::{Object, types::Example};
use uuid::Uuid;

/// The workshop (tenant).
#[derive(Object)]
pub struct Workshop {
    pub id: Uuid,
    /// Its address on the platform: `{slug}.{base domain}` and `/t/{slug}`.
    pub slug: String,
    pub name: String,
    /// `active` or `suspended`.
    pub status: String,
    pub plan: String,
    pub brand: Brand,
}

impl From<tenant::Model> for Workshop {
    fn from(t: tenant::Model) -> Self {
        Self {
            id: t.id,
            slug: t.slug,
            name: t.name,
            status: t.status,
            plan: t.plan,
            brand: Brand {
                primary_color: t.brand_primary,
                accent_color: t.brand_accent,
                logo_url: t.brand_logo_url,
                default_theme: t.default_theme,
            },
        }
    }
}

/// How the workshop's pages look.
#[derive(Object)]
pub struct Brand {
    pub primary_color: String,
    pub accent_color: String,
    #[oai(nullable)]
    pub logo_url: Option<String>,
    /// `system`, `light` or `dark`.
    pub default_theme: String,
}

/// A change of name and brand.
#[derive(Object)]
#[oai(example)]
pub struct BrandUpdate {
    /// 1–120 characters.
    pub name: String,
    /// A hex colour, `#rrggbb` or `#rgb`.
    pub primary_color: String,
    pub accent_color: String,
    /// An `https://` address, or empty for none.
    pub logo_url: Option<String>,
    /// `system`, `light` or `dark`.
    pub default_theme: String,
}

impl Example for BrandUpdate {
    fn example() -> Self {
        Self {
            name: "Joe's Garage".into(),
            primary_color: "#0b5394".into(),
            accent_color: "#e69138".into(),
            logo_url: Some("https://cdn.example.com/joes-garage/logo.png".into()),
            default_theme: "system".into(),
        }
    }
}

impl From<BrandUpdate> for BrandInput {
    fn from(b: BrandUpdate) -> Self {
        Self {
            name: b.name,
            primary_color: b.primary_color,
            accent_color: b.accent_color,
            logo_url: b.logo_url,
            default_theme: b.default_theme,
        }
    }
}

/// How the workshop's e-mail looks to recipients.
#[derive(Object)]
#[oai(example)]
pub struct Sender {
    /// The name shown as the sender; the workshop's name when empty.
    #[oai(nullable)]
    pub sender_name: Option<String>,
    /// Where customers' replies go; when empty they go nowhere.
    #[oai(nullable)]
    pub reply_to: Option<String>,
    /// The number SMS come from and customers reply to (E.164); the deployment's default
    /// number when empty.
    #[oai(nullable)]
    pub sms_sender: Option<String>,
}

impl Example for Sender {
    fn example() -> Self {
        Self {
            sender_name: Some("Joe's Garage".into()),
            reply_to: Some("desk@joes-garage.example".into()),
            sms_sender: None,
        }
    }
}

impl From<SenderSettings> for Sender {
    fn from(s: SenderSettings) -> Self {
        Self {
            sender_name: s.sender_name,
            reply_to: s.reply_to,
            sms_sender: s.sms_sender,
        }
    }
}

/// Absent fields are empty: they clear the setting.
impl<'a> From<&'a Sender> for SenderInput<'a> {
    fn from(s: &'a Sender) -> Self {
        Self {
            sender_name: s.sender_name.as_deref().unwrap_or(""),
            reply_to: s.reply_to.as_deref().unwrap_or(""),
            sms_sender: s.sms_sender.as_deref().unwrap_or(""),
        }
    }
}
