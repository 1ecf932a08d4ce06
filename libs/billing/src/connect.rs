//! Stripe Connect: each workshop connects its own Stripe account and is paid into it directly.
//! The owner starts onboarding from Settings → Payments; Stripe sends them back to the return
//! page (or to the refresh page when the link went stale), and `account.updated` webhooks
//! keep what we know of the account current.

use chrono::Utc;
use pitlane_domain::{Actor, ServiceError, permissions::Permission};
use pitlane_identity::audit::{self, By, Event};
use pitlane_store::{
    TenantCtx, TenantTx,
    entity::tenant,
    sea_orm::{ActiveValue::Set, IntoActiveModel},
};
use serde_json::json;

use stripe::StripeRequest;

use crate::{
    Billing,
    gateway::{CallError, Gateway},
};

/// What the settings page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectStatus {
    NotConnected,
    /// Connected, but Stripe does not yet let it take payments (onboarding unfinished, or
    /// under review).
    Pending,
    Active,
}

impl ConnectStatus {
    pub fn of(workshop: &tenant::Model) -> Self {
        match (&workshop.stripe_account_id, workshop.stripe_charges_enabled) {
            (None, _) => Self::NotConnected,
            (Some(_), false) => Self::Pending,
            (Some(_), true) => Self::Active,
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Self::NotConnected => "not_connected",
            Self::Pending => "pending",
            Self::Active => "active",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::NotConnected => "Not connected",
            Self::Pending => "Pending: Stripe needs more details",
            Self::Active => "Able to take payments",
        }
    }
}

/// Where the owner goes to (continue to) set up the workshop's Stripe account. The account is
/// created once per workshop: the idempotency key is the workshop's id.
pub async fn onboarding_link(
    billing: &Billing,
    actor: &Actor,
    site: &str,
) -> Result<String, ServiceError> {
    actor.require(Permission::BillingManage)?;
    let gateway = billing.gateway()?;
    let ctx = TenantCtx::of(actor);
    let tx = billing.store().tx(&ctx).await?;
    let workshop = tx.get::<tenant::Entity>(tx.tenant_id().0).await?;
    tx.commit().await?;
    let account = match &workshop.stripe_account_id {
        Some(id) => id.clone(),
        None => {
            let id = create_account(gateway, &workshop)
                .await
                .map_err(|e| e.into_service_error("stripe"))?;
            let tx = billing.store().tx(&ctx).await?;
            let row = tx.get::<tenant::Entity>(tx.tenant_id().0).await?;
            let mut active = row.into_active_model();
            active.stripe_account_id = Set(Some(id.clone()));
            active.updated_at = Set(Utc::now());
            tx.update(active).await?;
            audit::record(
                &tx,
                By::Member(actor),
                Event::new("stripe.connect").detail(json!({ "account": id })),
            )
            .await?;
            tx.commit().await?;
            id
        }
    };
    account_link(gateway, &account, site)
        .await
        .map_err(|e| e.into_service_error("stripe"))
}

async fn create_account(gateway: &Gateway, workshop: &tenant::Model) -> Result<String, CallError> {
    use stripe_connect::account::{CreateAccount, CreateAccountType};
    let key = format!("account:{}", workshop.id);
    let metadata =
        std::collections::HashMap::from([("tenant_id".to_owned(), workshop.id.to_string())]);
    let account = gateway
        .call("create account", || {
            let mut request = CreateAccount::new()
                .type_(CreateAccountType::Standard)
                .metadata(metadata.clone());
            if let Some(country) = &workshop.country {
                request = request.country(country.clone());
            }
            request
                .customize()
                .request_strategy(Gateway::idempotent(&key))
                .send(&gateway.client)
        })
        .await?;
    Ok(account.id.to_string())
}

async fn account_link(gateway: &Gateway, account: &str, site: &str) -> Result<String, CallError> {
    use stripe_connect::account_link::{CreateAccountLink, CreateAccountLinkType};
    let link = gateway
        .call("account link", || {
            CreateAccountLink::new(account.to_owned(), CreateAccountLinkType::AccountOnboarding)
                .refresh_url(format!("{site}/portal/settings/payments/refresh"))
                .return_url(format!("{site}/portal/settings/payments/return"))
                .customize()
                .send(&gateway.client)
        })
        .await?;
    Ok(link.url)
}

/// What Stripe says an account may do now.
#[derive(Debug, Clone, Copy)]
pub struct AccountState {
    pub charges_enabled: bool,
    pub details_submitted: bool,
}

pub(crate) async fn fetch_account(
    gateway: &Gateway,
    account: &str,
) -> Result<AccountState, CallError> {
    use stripe_connect::account::RetrieveAccount;
    let id: stripe::AccountId = account
        .parse()
        .map_err(|_| CallError::Unavailable("account id does not parse".into()))?;
    let account = gateway
        .call("retrieve account", || {
            RetrieveAccount::new(id.clone())
                .customize()
                .send(&gateway.client)
        })
        .await?;
    Ok(AccountState {
        charges_enabled: account.charges_enabled.unwrap_or(false),
        details_submitted: account.details_submitted.unwrap_or(false),
    })
}

/// Stores what Stripe says of the workshop's account, in the caller's transaction.
pub(crate) async fn apply_account(
    tx: &TenantTx,
    state: AccountState,
) -> Result<tenant::Model, ServiceError> {
    let row = tx.get::<tenant::Entity>(tx.tenant_id().0).await?;
    if row.stripe_charges_enabled == state.charges_enabled
        && row.stripe_details_submitted == state.details_submitted
    {
        return Ok(row);
    }
    let mut active = row.into_active_model();
    active.stripe_charges_enabled = Set(state.charges_enabled);
    active.stripe_details_submitted = Set(state.details_submitted);
    active.updated_at = Set(Utc::now());
    Ok(tx.update(active).await?)
}

/// The return page: asks Stripe how the account stands now (the webhook may come later).
pub async fn refresh_status(
    billing: &Billing,
    actor: &Actor,
) -> Result<tenant::Model, ServiceError> {
    actor.require(Permission::BillingManage)?;
    let gateway = billing.gateway()?;
    let ctx = TenantCtx::of(actor);
    let tx = billing.store().tx(&ctx).await?;
    let workshop = tx.get::<tenant::Entity>(tx.tenant_id().0).await?;
    tx.commit().await?;
    let Some(account) = workshop.stripe_account_id.clone() else {
        return Ok(workshop);
    };
    let state = fetch_account(gateway, &account)
        .await
        .map_err(|e| e.into_service_error("stripe"))?;
    let tx = billing.store().tx(&ctx).await?;
    let row = apply_account(&tx, state).await?;
    tx.commit().await?;
    Ok(row)
}

/// The workshop's own row, for its settings pages.
pub async fn workshop(billing: &Billing, actor: &Actor) -> Result<tenant::Model, ServiceError> {
    actor.require(Permission::TenantRead)?;
    let tx = billing.store().tx(&TenantCtx::of(actor)).await?;
    let row = tx.get::<tenant::Entity>(tx.tenant_id().0).await?;
    tx.commit().await?;
    Ok(row)
}
