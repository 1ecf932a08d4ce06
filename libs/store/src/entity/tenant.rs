use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tenants")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub slug: String,
    pub name: String,
    pub status: String,
    pub plan: String,
    pub brand_primary: String,
    pub brand_accent: String,
    pub brand_logo_url: Option<String>,
    pub default_theme: String,
    pub email_sender_name: Option<String>,
    pub email_reply_to: Option<String>,
    pub sms_sender: Option<String>,
    pub country: Option<String>,
    pub currency: String,
    pub trial_ends_at: Option<DateTimeUtc>,
    pub require_sso: bool,
    pub require_two_factor: bool,
    /// Single sign-on counts as two-factor: the provider enforces its own second factor.
    pub sso_trusts_mfa: bool,
    pub booking_auto_confirm: bool,
    pub booking_cutoff_hours: i32,
    pub reminder_offsets: String,
    pub parts_markup_bp: i32,
    pub price_matrix: Option<Json>,
    pub shop_supplies_bp: i32,
    pub shop_supplies_cap_minor: i64,
    pub allow_negative_stock: bool,
    pub pay_period: String,
    pub prices_include_tax: bool,
    pub invoice_due_days: i32,
    pub invoice_footer: Option<String>,
    pub stripe_account_id: Option<String>,
    pub stripe_charges_enabled: bool,
    pub stripe_details_submitted: bool,
    pub stripe_customer_id: Option<String>,
    pub stripe_subscription_id: Option<String>,
    pub billing_status: String,
    pub past_due_since: Option<DateTimeUtc>,
    pub trial_warned_at: Option<DateTimeUtc>,
    /// The definition of the daily figures this workshop's rows were built under
    /// (`pitlane_domain::reports::FIGURES_VERSION`); older rows are rebuilt.
    pub figures_version: i32,
    /// Made by a sign-up with an address that already has a login, and serving nothing
    /// until that login's owner confirms it from their e-mail.
    pub awaiting_owner: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    pub fn is_suspended(&self) -> bool {
        self.status == "suspended"
    }
}
