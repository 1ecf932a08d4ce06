//! `/mechanics/{mechanic_id}/pay`: how a mechanic is paid, for their earnings.

use pitlane_domain::quantity::format_percent;
use pitlane_store::entity::mechanic_profile;
use pitlane_workshop::earnings;
use poem::web::Data;
use poem_openapi::{Object, OpenApi, param::Path, payload::Json, types::Example};
use uuid::Uuid;

use crate::api::{ApiTags, Caller};
use crate::problem::Problem;
use pitlane_app::state::AppState;

#[derive(Object)]
#[oai(example)]
pub struct PayWrite {
    /// `hourly`, `flat_rate` or `commission`.
    pub pay_scheme: String,
    /// Per hour, as typed (`22.50`), for hourly and flat rate.
    pub rate: Option<String>,
    /// Percent of labour sold (`35`), for commission.
    pub commission_percent: Option<String>,
}

impl Example for PayWrite {
    fn example() -> Self {
        Self {
            pay_scheme: "flat_rate".into(),
            rate: Some("24.00".into()),
            commission_percent: None,
        }
    }
}

#[derive(Object)]
pub struct PaySettings {
    pub mechanic_id: Uuid,
    pub pay_scheme: String,
    pub rate_minor: i64,
    pub commission: String,
}

impl From<mechanic_profile::Model> for PaySettings {
    fn from(row: mechanic_profile::Model) -> Self {
        Self {
            mechanic_id: row.membership_id,
            pay_scheme: row.pay_scheme,
            rate_minor: row.pay_rate_minor,
            commission: format_percent(row.commission_bp),
        }
    }
}

pub struct MechanicPayApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Jobs")]
impl MechanicPayApi {
    /// Set how a mechanic is paid
    ///
    /// Needs `staff.manage`.
    #[oai(
        path = "/mechanics/:mechanic_id/pay",
        method = "put",
        operation_id = "set_mechanic_pay"
    )]
    async fn set_pay(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        mechanic_id: Path<Uuid>,
        body: Json<PayWrite>,
    ) -> Result<Json<PaySettings>, Problem> {
        let row = earnings::set_pay(
            &state.workshop,
            &auth.actor,
            mechanic_id.0,
            body.0.pay_scheme.trim(),
            body.0.rate.as_deref(),
            body.0.commission_percent.as_deref(),
        )
        .await?;
        Ok(Json(row.into()))
    }
}
