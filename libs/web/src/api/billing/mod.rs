//! `/billing`: the workshop's Stripe connection, its plan and its invoice settings.

pub(crate) mod json;

use pitlane_billing::{connect, subscriptions, tax_rates};
use poem::{Request, web::Data};
use poem_openapi::{OpenApi, payload::Json};

use self::json::{BillingStatus, InvoiceSettingsWrite, PlanWrite, Redirect};
use super::{ApiTags, Caller, site};
use crate::problem::Problem;
use pitlane_app::state::AppState;

pub struct BillingApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Invoices")]
impl BillingApi {
    /// Change the invoice settings
    ///
    /// Needs `settings.manage`. Applies to invoices drafted from now on.
    #[oai(
        path = "/billing/invoice-settings",
        method = "put",
        operation_id = "save_invoice_settings"
    )]
    async fn invoice_settings(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        body: Json<InvoiceSettingsWrite>,
    ) -> Result<Json<BillingStatus>, Problem> {
        let row = tax_rates::save_settings(&state.billing, &auth.actor, &body.0.into()).await?;
        Ok(Json(BillingStatus::new(&state, &row)))
    }

    /// The workshop's Stripe connection and plan
    ///
    /// Needs `tenant.read`.
    #[oai(path = "/billing", method = "get", operation_id = "get_billing")]
    async fn get(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
    ) -> Result<Json<BillingStatus>, Problem> {
        let workshop = connect::workshop(&state.billing, &auth.actor).await?;
        Ok(Json(BillingStatus::new(&state, &workshop)))
    }

    /// Connect Stripe
    ///
    /// Needs `billing.manage`. Creates the workshop's Stripe account once, and returns
    /// Stripe's onboarding page to send the owner to.
    #[oai(
        path = "/billing/stripe-onboarding",
        method = "post",
        operation_id = "start_stripe_onboarding"
    )]
    async fn onboarding(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        req: &Request,
    ) -> Result<Json<Redirect>, Problem> {
        let site = site(&state, req)?;
        let url = connect::onboarding_link(&state.billing, &auth.actor, &site).await?;
        Ok(Json(Redirect { url }))
    }

    /// Choose a plan
    ///
    /// Needs `billing.manage`. Returns Stripe Checkout (subscription, priced per branch).
    #[oai(
        path = "/billing/plan-checkout",
        method = "post",
        operation_id = "choose_plan"
    )]
    async fn choose_plan(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        req: &Request,
        body: Json<PlanWrite>,
    ) -> Result<Json<Redirect>, Problem> {
        let site = site(&state, req)?;
        let url =
            subscriptions::choose_plan(&state.billing, &auth.actor, &body.0.plan, &site).await?;
        Ok(Json(Redirect { url }))
    }
}
