//! Earnings per pay period: each mechanic's clocked and billed hours, labour sold and pay.

use chrono::NaiveDate;
use pitlane_domain::labour::PayScheme;
use pitlane_workshop::earnings::Earnings;
use poem_openapi::Object;
use uuid::Uuid;

#[derive(Object)]
pub struct MechanicEarnings {
    /// The mechanic's membership.
    pub id: Uuid,
    pub name: String,
    /// `hourly`, `flat_rate` or `commission`.
    pub pay_scheme: String,
    /// The rate per hour (hourly, flat rate) in minor units.
    #[oai(nullable)]
    pub rate_minor: Option<i64>,
    /// The share of labour sold (commission), e.g. `35%`.
    #[oai(nullable)]
    pub commission: Option<String>,
    pub clocked_seconds: i64,
    pub billed_hours: String,
    pub labour_sales_minor: i64,
    /// Billed hours ÷ clocked hours; unset when nothing was clocked.
    #[oai(nullable)]
    pub efficiency: Option<String>,
    /// Roadside jobs ended in the period; their time from setting off is in `clocked_seconds`.
    pub roadside_jobs: u32,
    /// The share of those jobs' call-outs, included in `earned_minor`.
    pub roadside_commission_minor: i64,
    pub earned_minor: i64,
}

impl From<Earnings> for MechanicEarnings {
    fn from(e: Earnings) -> Self {
        let (scheme, rate, commission) = match &e.scheme {
            PayScheme::Hourly { rate } => ("hourly", Some(*rate), None),
            PayScheme::FlatRate { rate } => ("flat_rate", Some(*rate), None),
            PayScheme::Commission { share } => (
                "commission",
                None,
                Some(format!(
                    "{}%",
                    (*share * rust_decimal::Decimal::from(100)).normalize()
                )),
            ),
        };
        Self {
            id: e.mechanic_id,
            name: e.name,
            pay_scheme: scheme.into(),
            rate_minor: rate,
            commission,
            clocked_seconds: e.work.clocked.num_seconds(),
            billed_hours: e.work.billed_hours.normalize().to_string(),
            labour_sales_minor: e.work.labour_sales,
            efficiency: e.efficiency.map(|x| x.normalize().to_string()),
            roadside_jobs: e.roadside_jobs,
            roadside_commission_minor: e.roadside_commission,
            earned_minor: e.earned,
        }
    }
}

#[derive(Object)]
pub struct EarningsReport {
    pub period_start: NaiveDate,
    /// The first day after the period.
    pub period_end: NaiveDate,
    pub currency: String,
    pub items: Vec<MechanicEarnings>,
}

impl EarningsReport {
    /// The period `[start, end)`, in the workshop's currency, with every mechanic's earnings.
    pub fn new(
        (start, end): (NaiveDate, NaiveDate),
        currency: String,
        rows: Vec<Earnings>,
    ) -> Self {
        Self {
            period_start: start,
            period_end: end,
            currency,
            items: rows.into_iter().map(MechanicEarnings::from).collect(),
        }
    }
}
