//! Who reads a report, over which days and branches, in which currency: resolved once per
//! report, in the one transaction the report reads in (so its figures agree with each other).

use chrono::{NaiveDate, Utc};
use chrono_tz::Tz;
use pitlane_domain::{
    Actor, FieldErrors, ServiceError,
    permissions::Permission,
    reports::{
        Dimension, Figures, Grain, Period, Preset,
        period::{local_day, zone},
    },
};
use pitlane_store::{
    TenantCtx, TenantTx,
    entity::{branch, invoice},
    figures::{FigureQuery, Grouping, Summed},
    sea_orm::{
        ColumnTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect, sea_query::Expr,
    },
};
use uuid::Uuid;

use crate::{
    Reports,
    report::{Headline, Report, ReportKind, Table, Unit},
};

/// A report as asked for, before it is checked: the API's query and the page's form.
#[derive(Debug, Clone, Default)]
pub struct ReportQuery {
    /// `today`, `week`, `month`, `quarter`, `year` or `custom`; `month` when not given.
    pub preset: Option<String>,
    /// A custom range's first and last day, `2026-03-01`.
    pub from: Option<String>,
    pub to: Option<String>,
    /// One branch; every branch the reader may see when not given.
    pub branch_id: Option<Uuid>,
    /// How a trend groups its days: `day`, `week` or `month`; fitted to the range when not
    /// given.
    pub grain: Option<String>,
}

fn parse_day(field: &str, raw: Option<&str>, errors: &mut FieldErrors) -> Option<NaiveDate> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => {
            errors.add(field, "choose a day for a custom range");
            None
        }
        Some(raw) => errors.check(
            field,
            NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                .map_err(|_| "must be a date such as 2026-03-01"),
        ),
    }
}

impl ReportQuery {
    /// The preset, range and grain asked for, with today at the reader's branch; field
    /// errors name `preset`, `from`, `to` and `grain`.
    pub fn resolve(
        &self,
        today: NaiveDate,
    ) -> Result<(Preset, Period, Option<Grain>), FieldErrors> {
        let mut errors = FieldErrors::new();
        let preset = match self
            .preset
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => Preset::Month,
            Some(raw) => Preset::parse(raw).unwrap_or_else(|| {
                errors.add(
                    "preset",
                    "choose today, week, month, quarter, year or custom",
                );
                Preset::Month
            }),
        };
        let grain = match self
            .grain
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => None,
            Some(raw) => {
                let grain = Grain::parse(raw);
                if grain.is_none() {
                    errors.add("grain", "choose day, week or month");
                }
                grain
            }
        };
        let period = if preset == Preset::Custom {
            let from = parse_day("from", self.from.as_deref(), &mut errors);
            let to = parse_day("to", self.to.as_deref(), &mut errors);
            match (from, to) {
                (Some(from), Some(to)) => Period::new(from, to).or_else(|| {
                    errors.add(
                        "to",
                        "must be on or after the first day, and at most ten years later",
                    );
                    None
                }),
                _ => None,
            }
        } else {
            Some(Period::to_date(preset, today))
        };
        errors.into_result()?;
        Ok((
            preset,
            period.unwrap_or(Period::to_date(Preset::Month, today)),
            grain,
        ))
    }
}

/// One report's reading context.
pub struct Scope {
    pub tx: TenantTx,
    pub kind: ReportKind,
    pub actor: Actor,
    pub preset: Preset,
    pub period: Period,
    pub previous: Period,
    pub last_year: Period,
    pub grain: Grain,
    /// Every branch the reader may see, in creation order.
    pub branches: Vec<branch::Model>,
    /// The one branch asked for.
    pub branch: Option<branch::Model>,
    /// The clock the report's days are read on: the branch's, or the first branch's.
    pub tz: Tz,
    pub today: NaiveDate,
    pub currency: String,
    /// The one mechanic a report is limited to (a mechanic reading their own productivity).
    pub self_only: Option<Uuid>,
}

impl Scope {
    pub async fn open(
        reports: &Reports,
        actor: &Actor,
        kind: ReportKind,
        query: &ReportQuery,
    ) -> Result<Self, ServiceError> {
        // A mechanic sees their own productivity; everything else needs `reports.view`.
        let self_only = if kind == ReportKind::Technicians && !actor.can(Permission::ReportsView) {
            actor.require(Permission::JobsWork)?;
            Some(actor.membership_id.0)
        } else {
            actor.require(Permission::ReportsView)?;
            None
        };
        let tx = reports.store().tx(&TenantCtx::of(actor)).await?;
        let mut scope = Self::in_tx(tx, actor, kind, query).await?;
        scope.self_only = self_only;
        Ok(scope)
    }

    /// The scope in a transaction already open (the digest reads several reports in one).
    pub async fn in_tx(
        tx: TenantTx,
        actor: &Actor,
        kind: ReportKind,
        query: &ReportQuery,
    ) -> Result<Self, ServiceError> {
        // A report's sums are over a period of the workshop's history: how best to read
        // them depends on how large the workshop is.
        tx.plan_for_values().await?;
        Self::read(tx, actor, kind, query).await
    }

    /// The scope for a page that reads mostly what is open now (the dashboard): its
    /// statements keep generic plans, planned once per connection rather than on every
    /// request (planning them afresh was more than half of the dashboard's database time);
    /// the page plans its one sum over history for its values itself.
    pub async fn in_tx_generally_planned(
        tx: TenantTx,
        actor: &Actor,
        kind: ReportKind,
        query: &ReportQuery,
    ) -> Result<Self, ServiceError> {
        Self::read(tx, actor, kind, query).await
    }

    async fn read(
        tx: TenantTx,
        actor: &Actor,
        kind: ReportKind,
        query: &ReportQuery,
    ) -> Result<Self, ServiceError> {
        // A branch-limited member's transaction sees only their branches.
        let branches = tx
            .all(
                tx.select::<branch::Entity>()
                    .order_by_asc(branch::Column::Id),
            )
            .await?;
        let branch = match query.branch_id {
            Some(id) => Some(
                branches
                    .iter()
                    .find(|b| b.id == id)
                    .cloned()
                    // Another workshop's branch, or one outside the reader's, is not found,
                    // like a missing one.
                    .ok_or(ServiceError::NotFound)?,
            ),
            None => None,
        };
        let tz = branch
            .as_ref()
            .or(branches.first())
            .map_or(Tz::UTC, |b| zone(&b.time_zone));
        let today = local_day(Utc::now(), tz);
        let (preset, period, grain) = query.resolve(today)?;
        let currency = tx.currency().await?.as_str().to_owned();
        Ok(Self {
            kind,
            actor: actor.clone(),
            preset,
            previous: period.previous(preset),
            last_year: period.last_year(),
            grain: grain.unwrap_or_else(|| Grain::fitting(&period)),
            period,
            branches,
            branch,
            tz,
            today,
            currency,
            self_only: None,
            tx,
        })
    }

    /// The rows of `E` whose `at` falls in the report's period, in its branch when it names
    /// one (and always only in the branches the reader may see).
    pub async fn rows_in_period<E>(
        &self,
        at: E::Column,
        branch: E::Column,
    ) -> Result<Vec<E::Model>, ServiceError>
    where
        E: pitlane_store::TenantScoped,
    {
        let (start, end) = self.period.bounds(self.tz);
        let mut query = self
            .tx
            .select::<E>()
            .filter(at.gte(start))
            .filter(at.lt(end));
        if let Some(id) = self.branch_id() {
            query = query.filter(branch.eq(id));
        }
        Ok(self.tx.all(query).await?)
    }

    pub fn branch_id(&self) -> Option<Uuid> {
        self.branch.as_ref().map(|b| b.id)
    }

    /// The branches a report shows: the one asked for, or all the reader may see.
    pub fn shown_branches(&self) -> Vec<&branch::Model> {
        match &self.branch {
            Some(b) => vec![b],
            None => self.branches.iter().collect(),
        }
    }

    pub fn branch_name(&self, id: Option<Uuid>) -> String {
        id.and_then(|id| self.branches.iter().find(|b| b.id == id))
            .map_or_else(|| "—".to_owned(), |b| b.name.clone())
    }

    /// The figures of one breakdown over a period, by key (and branch or day if asked).
    pub async fn sums(
        &self,
        dimension: Dimension,
        period: Period,
        grouping: Grouping,
    ) -> Result<Vec<Summed>, ServiceError> {
        Ok(self
            .tx
            .sum_figures(&FigureQuery {
                dimension,
                from: period.from,
                to: period.to,
                branch: self.branch_id(),
                grouping,
            })
            .await?)
    }

    /// The whole figures of a period (every shown branch together).
    pub async fn total(&self, period: Period) -> Result<Figures, ServiceError> {
        Ok(self
            .sums(Dimension::All, period, Grouping::default())
            .await?
            .into_iter()
            .map(|s| s.figures)
            .sum())
    }

    /// The period, the previous one and last year's, totalled: what headlines compare.
    pub async fn compared(&self) -> Result<[Figures; 3], ServiceError> {
        Ok([
            self.total(self.period).await?,
            self.total(self.previous).await?,
            self.total(self.last_year).await?,
        ])
    }

    /// Ends the reading transaction and puts the report together.
    pub async fn finish(self, parts: (Vec<Headline>, Vec<Table>)) -> Result<Report, ServiceError> {
        self.tx.commit().await?;
        let (headlines, tables) = parts;
        Ok(Report {
            kind: self.kind,
            preset: self.preset,
            period: self.period,
            previous: self.previous,
            last_year: self.last_year,
            branch: self.branch.map(|b| (b.id, b.name)),
            currency: self.currency,
            headlines,
            tables,
        })
    }
}

/// A headline from the three periods' figures and how to read one figure out of them.
pub fn headline(
    key: &'static str,
    label: &'static str,
    unit: crate::report::Unit,
    figures: &[Figures; 3],
    read: impl Fn(&Figures) -> Option<i64>,
) -> Headline {
    Headline {
        key,
        label,
        unit,
        current: read(&figures[0]),
        previous: read(&figures[1]),
        last_year: read(&figures[2]),
    }
}

/// A headline with no earlier periods to compare (a figure of now, or a ratio of the period).
pub fn only(key: &'static str, label: &'static str, unit: Unit, value: Option<i64>) -> Headline {
    Headline {
        key,
        label,
        unit,
        current: value,
        previous: None,
        last_year: None,
    }
}

impl Scope {
    /// The invoices still owed now (issued or partly paid, with a balance due), the one due
    /// longest ago first: the receivables report and the dashboard read the same list.
    /// How many invoices are unpaid, what they still owe, and the one due longest ago,
    /// added up in the database: the dashboard's tile, without reading a large chain's
    /// thousands of open invoices whole. "Unpaid" and "owed" are
    /// `Settlement::balance_due` (total − credited − paid + refunded) above zero.
    pub async fn unpaid_summary(&self) -> Result<(u64, i64, Option<invoice::Model>), ServiceError> {
        let owed = "(invoices.total_minor - invoices.credited_minor - invoices.paid_minor + invoices.refunded_minor)";
        let mut query = self
            .tx
            .select::<invoice::Entity>()
            .filter(invoice::Column::Status.is_in(["issued", "partly_paid"]))
            .filter(Expr::cust(format!("{owed} > 0")));
        if let Some(branch) = self.branch_id() {
            query = query.filter(invoice::Column::BranchId.eq(branch));
        }
        #[derive(FromQueryResult)]
        struct Owed {
            invoices: i64,
            owed: i64,
        }
        let sum: Vec<Owed> = self
            .tx
            .all_as(
                query
                    .clone()
                    .select_only()
                    .expr_as(Expr::cust("count(*)"), "invoices")
                    .expr_as(
                        Expr::cust(format!("cast(coalesce(sum({owed}), 0) as bigint)")),
                        "owed",
                    ),
            )
            .await?;
        let oldest = self
            .tx
            .first(
                query
                    .order_by_asc(invoice::Column::DueAt)
                    .order_by_asc(invoice::Column::Id),
            )
            .await?;
        let (invoices, owed) = sum.first().map_or((0, 0), |s| (s.invoices, s.owed));
        Ok((u64::try_from(invoices).unwrap_or(0), owed, oldest))
    }

    pub async fn unpaid_invoices(&self) -> Result<Vec<invoice::Model>, ServiceError> {
        let mut query = self
            .tx
            .select::<invoice::Entity>()
            .filter(invoice::Column::Status.is_in(["issued", "partly_paid"]))
            .order_by_asc(invoice::Column::DueAt);
        if let Some(branch) = self.branch_id() {
            query = query.filter(invoice::Column::BranchId.eq(branch));
        }
        Ok(self
            .tx
            .all(query)
            .await?
            .into_iter()
            .filter(|i| pitlane_billing::invoice::settlement(i).balance_due() > 0)
            .collect())
    }
}
