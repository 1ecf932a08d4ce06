//! `/earnings`: the mechanics' earnings for a pay period (how one is paid is set under
//! `/mechanics`).

pub(crate) mod json;

use chrono::NaiveDate;
use pitlane_workshop::earnings;
use poem::web::Data;
use poem_openapi::{OpenApi, param::Query, payload::Json};

use self::json::EarningsReport;
use super::{ApiTags, Caller};
use crate::problem::Problem;
use pitlane_app::state::AppState;

pub struct EarningsApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Jobs")]
impl EarningsApi {
    /// Earnings for a pay period
    ///
    /// Needs `jobs.work` (one's own) or `staff.manage` / `reports.view` (everyone's). The
    /// period (weekly, fortnightly or monthly, per workshop) holding `day`, today by default.
    #[oai(path = "/earnings", method = "get", operation_id = "get_earnings")]
    async fn get(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        day: Query<Option<NaiveDate>>,
    ) -> Result<Json<EarningsReport>, Problem> {
        let (period, rows) = earnings::for_period(&state.workshop, &auth.actor, day.0).await?;
        let currency = state
            .store
            .tenant_by_id(auth.actor.tenant_id)
            .await
            .map_err(pitlane_domain::ServiceError::from)?
            .map(|t| t.currency)
            .unwrap_or_default();
        Ok(Json(EarningsReport::new(period, currency, rows)))
    }
}
