//! `/tax-rates`: the branches' extra tax rates.

pub(crate) mod json;

use pitlane_billing::tax_rates;
use poem::web::Data;
use poem_openapi::{OpenApi, param::Query, payload::Json};

use self::json::{TaxRate, TaxRateWrite};
use super::{
    ApiTags, Caller,
    shapes::{Created, Page, PageQuery},
};
use crate::problem::Problem;
use pitlane_app::state::AppState;

pub struct TaxRatesApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Invoices")]
impl TaxRatesApi {
    /// Tax rates
    ///
    /// Needs `tenant.read`. The rates branches charge beside their standard rate, by branch
    /// and then rate.
    #[oai(path = "/tax-rates", method = "get", operation_id = "list_tax_rates")]
    async fn list(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1–200 (default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<Page<TaxRate>>, Problem> {
        let rows = tax_rates::list(&state.billing, &auth.actor).await?;
        let items = rows.into_iter().map(TaxRate::from).collect();
        let page = PageQuery::new(cursor.0, limit.0);
        Ok(Json(Page::from_ordered(items, &page, |item| item.id)?))
    }

    /// Add a tax rate to a branch
    ///
    /// Needs `settings.manage`.
    #[oai(path = "/tax-rates", method = "post", operation_id = "create_tax_rate")]
    async fn create(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        body: Json<TaxRateWrite>,
    ) -> Result<Created<TaxRate>, Problem> {
        let r = tax_rates::add(
            &state.billing,
            &auth.actor,
            body.0.branch_id,
            &body.0.name,
            &body.0.rate,
        )
        .await?;
        Ok(Created::new(r))
    }
}
