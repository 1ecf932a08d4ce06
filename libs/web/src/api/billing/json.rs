//! The workshop's Stripe connection and plan, and its invoice settings.

use chrono::{DateTime, Utc};
use pitlane_app::state::AppState;
use pitlane_billing::{
    checkout::card_payments, connect::ConnectStatus, subscriptions::Standing,
    tax_rates::InvoiceSettings,
};
use pitlane_domain::plans;
use pitlane_store::entity::tenant;
use poem_openapi::{Object, types::Example};

/// Where to send the browser next (Stripe's hosted pages).
#[derive(Object)]
pub struct Redirect {
    pub url: String,
}

/// The workshop's Stripe connection and plan.
#[derive(Object)]
pub struct BillingStatus {
    /// `not_connected`, `pending` or `active`.
    pub stripe: String,
    pub stripe_label: String,
    /// Why customers cannot pay by card, when they cannot.
    #[oai(nullable)]
    pub card_payments_off_because: Option<String>,
    /// `trial`, `starter`, `growth` or `chain`.
    pub plan: String,
    /// `trialing`, `active`, `past_due` or `canceled`.
    pub billing_status: String,
    #[oai(nullable)]
    pub trial_ends_at: Option<DateTime<Utc>>,
    /// Whether staff may change data now (false when read-only for non-payment).
    pub can_change: bool,
    #[oai(nullable)]
    pub banner: Option<String>,
}

impl BillingStatus {
    /// How the workshop `w` stands now; without Stripe (self-hosted) there are no plans to
    /// pay, so no standing to lose.
    pub fn new(state: &AppState, w: &tenant::Model) -> Self {
        let connect = ConnectStatus::of(w);
        let standing = Standing::of(w, Utc::now());
        let enforced = state.billing.gateway.is_some();
        Self {
            stripe: connect.key().into(),
            stripe_label: connect.label().into(),
            card_payments_off_because: card_payments(w, &state.billing).err().map(str::to_owned),
            plan: plans::plan(&w.plan).key.into(),
            billing_status: w.billing_status.clone(),
            trial_ends_at: w.trial_ends_at,
            can_change: !enforced || standing.allows_changes(),
            banner: standing.banner().filter(|_| enforced),
        }
    }
}

#[derive(Object)]
#[oai(example)]
pub struct PlanWrite {
    /// `starter`, `growth` or `chain`.
    pub plan: String,
}

impl Example for PlanWrite {
    fn example() -> Self {
        Self {
            plan: "growth".into(),
        }
    }
}

#[derive(Object)]
#[oai(example)]
pub struct InvoiceSettingsWrite {
    /// Prices (and invoice lines) include tax.
    pub prices_include_tax: bool,
    /// Days from issue to due date.
    pub due_days: u32,
    /// Printed at the foot of every invoice (bank details, registration number).
    pub footer: Option<String>,
}

impl Example for InvoiceSettingsWrite {
    fn example() -> Self {
        Self {
            prices_include_tax: true,
            due_days: 14,
            footer: Some("IBAN DE00 0000 0000 0000 0000 00".into()),
        }
    }
}

impl From<InvoiceSettingsWrite> for InvoiceSettings {
    fn from(w: InvoiceSettingsWrite) -> Self {
        InvoiceSettings {
            prices_include_tax: w.prices_include_tax,
            due_days: w.due_days.to_string(),
            footer: w.footer,
        }
    }
}
