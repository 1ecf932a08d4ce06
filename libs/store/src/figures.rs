//! The daily figures (`daily_figures`): adding a document's deltas in its own transaction,
//! and summing them for a report. What the figures mean and what each document adds is
//! decided in `pitlane_domain::reports`; this file only stores and sums them.

use chrono::NaiveDate;
use pitlane_domain::reports::{Deltas, Dimension, Figures};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QueryResult, QuerySelect,
    sea_query::{Alias, Expr, ExprTrait, OnConflict, Query},
};
use uuid::Uuid;

use crate::{
    StoreError, TenantTx,
    entity::daily_figure::{self, Column},
};

/// Rows per upsert: as many as keep a statement's bound values (six for the row's key, one
/// per figure) under 30,000, below SQLite's 32,766 and PostgreSQL's 65,535.
pub const ROWS_PER_STATEMENT: usize = 30_000 / (6 + Figures::NAMES.len());

/// What a sum of figures is grouped by, besides its breakdown key.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Grouping {
    pub by_branch: bool,
    pub by_day: bool,
}

/// Which figures to sum: one breakdown, a range of local days, one branch or all the
/// member may see.
#[derive(Debug, Clone, Copy)]
pub struct FigureQuery {
    pub dimension: Dimension,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub branch: Option<Uuid>,
    pub grouping: Grouping,
}

/// The figures of a row of sums, one column each.
fn summed_figures(row: &QueryResult, pre: &str) -> Result<Figures, DbErr> {
    let mut values = Vec::with_capacity(Figures::NAMES.len());
    for name in Figures::NAMES {
        values.push(row.try_get::<i64>(pre, name)?);
    }
    Ok(Figures::from_values(&values))
}

/// One key's sums of [`TenantTx::sum_figures_split`]: of the days before the split, or of
/// those from it on (`recent`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitSum {
    pub dimension: String,
    pub key: String,
    pub recent: bool,
    pub figures: Figures,
}

impl FromQueryResult for SplitSum {
    fn from_query_result(row: &QueryResult, pre: &str) -> Result<Self, DbErr> {
        Ok(SplitSum {
            dimension: row.try_get(pre, "dimension")?,
            key: row.try_get(pre, "key")?,
            recent: row.try_get(pre, "recent")?,
            figures: summed_figures(row, pre)?,
        })
    }
}

/// One group's sums.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summed {
    pub branch_id: Option<Uuid>,
    pub day: Option<NaiveDate>,
    pub key: String,
    pub figures: Figures,
}

impl FromQueryResult for Summed {
    fn from_query_result(row: &QueryResult, pre: &str) -> Result<Self, DbErr> {
        Ok(Summed {
            branch_id: row.try_get::<Option<Uuid>>(pre, "branch_id").ok().flatten(),
            day: row.try_get::<Option<NaiveDate>>(pre, "day").ok().flatten(),
            key: row.try_get(pre, "key")?,
            figures: summed_figures(row, pre)?,
        })
    }
}

fn column_of(name: &str) -> Alias {
    Alias::new(name)
}

impl TenantTx {
    /// Adds deltas to the daily figures in this transaction, rows in key order (so concurrent
    /// writers lock them in the same order), each row created at its first delta and added to
    /// after. A document's few rows go in one statement; a rebuild's thousands in statements
    /// of [`ROWS_PER_STATEMENT`], under both databases' limits on bound values.
    pub async fn add_figures(&self, deltas: &Deltas) -> Result<(), StoreError> {
        if deltas.is_empty() {
            return Ok(());
        }
        self.lock_figures(false).await?;
        let rows: Vec<_> = deltas.iter().collect();
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            self.add_figure_rows(chunk).await?;
        }
        Ok(())
    }

    async fn add_figure_rows(
        &self,
        deltas: &[(&pitlane_domain::reports::FigureKey, &Figures)],
    ) -> Result<(), StoreError> {
        if deltas.is_empty() {
            return Ok(());
        }
        let mut columns = vec![
            column_of("tenant_id"),
            column_of("id"),
            column_of("branch_id"),
            column_of("day"),
            column_of("dimension"),
            column_of("key"),
        ];
        columns.extend(Figures::NAMES.iter().map(|n| column_of(n)));
        let mut insert = Query::insert();
        insert.into_table(daily_figure::Entity).columns(columns);
        for (key, figures) in deltas {
            let mut values: Vec<Expr> = vec![
                Expr::val(self.tenant_id().0),
                Expr::val(Uuid::now_v7()),
                Expr::val(key.branch_id),
                Expr::val(key.day),
                Expr::val(key.dimension.key()),
                Expr::val(key.key.as_str()),
            ];
            values.extend(figures.values().into_iter().map(Expr::val));
            insert.values_panic(values);
        }
        let mut conflict = OnConflict::columns([
            Column::TenantId,
            Column::BranchId,
            Column::Day,
            Column::Dimension,
            Column::Key,
        ]);
        for name in Figures::NAMES {
            conflict.value(
                column_of(name),
                Expr::col((daily_figure::Entity, column_of(name)))
                    .add(Expr::col((Alias::new("excluded"), column_of(name)))),
            );
        }
        insert.on_conflict(conflict.to_owned());
        let backend = self.conn().get_database_backend();
        self.conn().execute_raw(backend.build(&insert)).await?;
        Ok(())
    }

    /// Sums the figures a query names, by key (and branch or day if asked), in key order.
    pub async fn sum_figures(&self, query: &FigureQuery) -> Result<Vec<Summed>, StoreError> {
        self.all_as(self.figures_select(query)).await
    }

    /// Sums of several breakdowns over the days `from..=to`, each key's split into the days
    /// before `split` and those from `split` on, in one statement planned like one sum (the
    /// dashboard: today's and the week's, today's by payment method and by mechanic).
    pub async fn sum_figures_split(
        &self,
        dimensions: &[Dimension],
        (from, to): (NaiveDate, NaiveDate),
        split: NaiveDate,
        branch: Option<Uuid>,
    ) -> Result<Vec<SplitSum>, StoreError> {
        let mut select = self
            .select::<daily_figure::Entity>()
            .select_only()
            .column(Column::Dimension)
            .column(Column::Key)
            .expr_as(Expr::col(Column::Day).gte(split), "recent")
            .filter(Column::Dimension.is_in(dimensions.iter().map(|d| d.key())))
            .filter(Column::Day.between(from, to))
            .group_by(Column::Dimension)
            .group_by(Column::Key)
            // The output column: the same comparison, not a second one with its own value.
            .group_by(Expr::cust("recent"));
        if let Some(branch) = branch {
            select = select.filter(Column::BranchId.eq(branch));
        }
        for name in Figures::NAMES {
            select = select.expr_as(
                Expr::cust(format!("cast(coalesce(sum({name}), 0) as bigint)")),
                *name,
            );
        }
        self.all_as(select).await
    }

    /// The select of one sum.
    fn figures_select(&self, query: &FigureQuery) -> sea_orm::Select<daily_figure::Entity> {
        let mut select = self
            .select::<daily_figure::Entity>()
            .select_only()
            .column(Column::Key)
            .filter(Column::Dimension.eq(query.dimension.key()))
            .filter(Column::Day.between(query.from, query.to))
            .group_by(Column::Key)
            .order_by_asc(Column::Key);
        if let Some(branch) = query.branch {
            select = select.filter(Column::BranchId.eq(branch));
        }
        if query.grouping.by_branch {
            select = select
                .column(Column::BranchId)
                .group_by(Column::BranchId)
                .order_by_asc(Column::BranchId);
        }
        if query.grouping.by_day {
            select = select
                .column(Column::Day)
                .group_by(Column::Day)
                .order_by_asc(Column::Day);
        }
        for name in Figures::NAMES {
            select = select.expr_as(
                Expr::cust(format!("cast(coalesce(sum({name}), 0) as bigint)")),
                *name,
            );
        }
        select
    }

    /// Orders a rebuild against the documents' own figure writes (PostgreSQL; SQLite runs one
    /// writing transaction at a time anyway). Writers share the tenant's figures lock until
    /// they commit; a rebuild takes it alone *before* it reads the documents, so a document
    /// is either read by the rebuild or adds its figures after the rebuild's rows are written,
    /// never lost between the two.
    pub async fn lock_figures(&self, alone: bool) -> Result<(), StoreError> {
        let backend = self.conn().get_database_backend();
        if backend != sea_orm::DbBackend::Postgres {
            return Ok(());
        }
        let function = if alone {
            "pg_advisory_xact_lock"
        } else {
            "pg_advisory_xact_lock_shared"
        };
        self.conn()
            .execute_raw(sea_orm::Statement::from_sql_and_values(
                backend,
                format!("select {function}(hashtext('pitlane:daily_figures:' || $1))"),
                [self.tenant_id().0.to_string().into()],
            ))
            .await?;
        Ok(())
    }

    /// The tenant's branches' time zones, to put documents on their branch's local day.
    pub async fn branch_zones(
        &self,
    ) -> Result<pitlane_domain::reports::period::BranchZones, StoreError> {
        let branches = self
            .all(self.select::<crate::entity::branch::Entity>())
            .await?;
        Ok(pitlane_domain::reports::period::BranchZones::new(
            branches.iter().map(|b| (b.id, b.time_zone.as_str())),
        ))
    }

    /// Removes every daily figure of the tenant, before a rebuild writes them again.
    pub async fn clear_figures(&self) -> Result<(), StoreError> {
        daily_figure::Entity::delete_many()
            .filter(Column::TenantId.eq(self.tenant_id().0))
            .exec(self.conn())
            .await?;
        Ok(())
    }

    /// Every stored row, in key order: what a rebuild is compared with.
    pub async fn all_figures(&self) -> Result<Vec<daily_figure::Model>, StoreError> {
        self.all(
            self.select::<daily_figure::Entity>()
                .order_by_asc(Column::BranchId)
                .order_by_asc(Column::Day)
                .order_by_asc(Column::Dimension)
                .order_by_asc(Column::Key),
        )
        .await
    }
}

/// The figures of a stored row.
pub fn figures_of(row: &daily_figure::Model) -> Figures {
    Figures {
        invoices: row.invoices,
        cars: row.cars,
        labour_minor: row.labour_minor,
        parts_minor: row.parts_minor,
        fees_minor: row.fees_minor,
        other_minor: row.other_minor,
        discounts_minor: row.discounts_minor,
        net_minor: row.net_minor,
        tax_minor: row.tax_minor,
        credit_notes: row.credit_notes,
        credited_net_minor: row.credited_net_minor,
        credited_tax_minor: row.credited_tax_minor,
        parts_cost_minor: row.parts_cost_minor,
        labour_cost_minor: row.labour_cost_minor,
        billed_hours_milli: row.billed_hours_milli,
        payments: row.payments,
        payments_minor: row.payments_minor,
        refunds: row.refunds,
        refunds_minor: row.refunds_minor,
        answered_lines: row.answered_lines,
        approved_lines: row.approved_lines,
        answered_value_minor: row.answered_value_minor,
        approved_value_minor: row.approved_value_minor,
        inspections: row.inspections,
        inspections_completed: row.inspections_completed,
        findings_green: row.findings_green,
        findings_yellow: row.findings_yellow,
        findings_red: row.findings_red,
        findings_unrated: row.findings_unrated,
    }
}
