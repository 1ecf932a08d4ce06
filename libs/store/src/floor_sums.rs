//! Sums for the floor's reports, added up in the database rather than read row by row:
//! estimate answers by advisor, inspections and their findings by inspector. A year of a
//! ten-branch chain holds some 400,000 answered lines; reading them whole took seconds and
//! bound more ids in one statement than PostgreSQL (65,535) or SQLite (32,766) accept.
//! Each sum joins the repair order, whose tenant and branch scope applies as on every read.

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, FromQueryResult, IntoSimpleExpr,
    sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement},
};
use uuid::Uuid;

use crate::{
    StoreError, TenantTx,
    entity::{inspection, inspection_item, repair_order, repair_order_line},
};

/// Estimate lines answered one way, for one advisor.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct AnswerSum {
    pub advisor_id: Option<Uuid>,
    /// `approved` or `declined`.
    pub decision: String,
    pub lines: i64,
    /// What the lines ask of the customer before tax, priced as
    /// `pitlane_workshop::order::priced(line).amount()` prices each (a test holds the two
    /// equal): labour and parts round quantity × price half away from zero to the minor unit;
    /// flat labour and fees are their price; a discount takes its price off.
    pub value_minor: i64,
}

/// Inspections started by one inspector (their recorded name, `None` when not recorded).
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct InspectionSum {
    pub inspector: Option<String>,
    pub started: i64,
    pub completed: i64,
}

/// Inspection points of one rating (`None`: not rated), by inspector.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct FindingSum {
    pub inspector: Option<String>,
    pub rating: Option<String>,
    pub items: i64,
}

const LINE_VALUE: &str = "case repair_order_lines.kind \
     when 'labour_flat' then repair_order_lines.unit_price_minor \
     when 'fee' then repair_order_lines.unit_price_minor \
     when 'discount' then -repair_order_lines.unit_price_minor \
     else (repair_order_lines.quantity_milli * repair_order_lines.unit_price_minor + 500) / 1000 end";

impl TenantTx {
    /// The repair orders a reader may see, optionally of one branch, as a join condition.
    fn join_orders(
        &self,
        query: &mut SelectStatement,
        tenant: impl IntoSimpleExpr,
        order: impl IntoSimpleExpr,
        branch: Option<Uuid>,
    ) {
        query
            .inner_join(
                repair_order::Entity,
                Expr::col((repair_order::Entity, repair_order::Column::TenantId))
                    .eq(tenant.into_simple_expr())
                    .and(
                        Expr::col((repair_order::Entity, repair_order::Column::Id))
                            .eq(order.into_simple_expr()),
                    ),
            )
            .cond_where(self.scope::<repair_order::Entity>());
        if let Some(branch) = branch {
            query.and_where(repair_order::Column::BranchId.eq(branch));
        }
    }

    async fn sums<M: FromQueryResult>(
        &self,
        query: &SelectStatement,
    ) -> Result<Vec<M>, StoreError> {
        let statement = self.conn().get_database_backend().build(query);
        Ok(M::find_by_statement(statement).all(self.conn()).await?)
    }

    /// Estimate lines answered (approved or declined) between `start` and `end`, by the
    /// advisor of their order and the answer.
    pub async fn estimate_answers(
        &self,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        branch: Option<Uuid>,
    ) -> Result<Vec<AnswerSum>, StoreError> {
        let mut query = Query::select();
        query
            .expr_as(
                Expr::col((repair_order::Entity, repair_order::Column::AdvisorId)),
                Alias::new("advisor_id"),
            )
            .expr_as(
                Expr::col((
                    repair_order_line::Entity,
                    repair_order_line::Column::Decision,
                )),
                Alias::new("decision"),
            )
            .expr_as(Expr::cust("count(*)"), Alias::new("lines"))
            .expr_as(
                Expr::cust(format!("cast(sum({LINE_VALUE}) as bigint)")),
                Alias::new("value_minor"),
            )
            .from(repair_order_line::Entity)
            .cond_where(self.scope::<repair_order_line::Entity>())
            .and_where(repair_order_line::Column::DecidedAt.gte(start))
            .and_where(repair_order_line::Column::DecidedAt.lt(end))
            .and_where(repair_order_line::Column::Decision.is_in(["approved", "declined"]))
            .group_by_col((repair_order::Entity, repair_order::Column::AdvisorId))
            .group_by_col((
                repair_order_line::Entity,
                repair_order_line::Column::Decision,
            ));
        self.join_orders(
            &mut query,
            Expr::col((
                repair_order_line::Entity,
                repair_order_line::Column::TenantId,
            )),
            Expr::col((
                repair_order_line::Entity,
                repair_order_line::Column::RepairOrderId,
            )),
            branch,
        );
        self.sums(&query).await
    }

    /// Inspections started between `start` and `end`, by inspector: how many, how many
    /// completed.
    pub async fn inspection_sums(
        &self,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        branch: Option<Uuid>,
    ) -> Result<Vec<InspectionSum>, StoreError> {
        let mut query = Query::select();
        query
            .expr_as(
                Expr::col((inspection::Entity, inspection::Column::InspectorName)),
                Alias::new("inspector"),
            )
            .expr_as(Expr::cust("count(*)"), Alias::new("started"))
            .expr_as(
                Expr::cust(
                    "cast(sum(case when inspections.status = 'completed' then 1 else 0 end) as bigint)",
                ),
                Alias::new("completed"),
            )
            .from(inspection::Entity)
            .cond_where(self.scope::<inspection::Entity>())
            .and_where(inspection::Column::CreatedAt.gte(start))
            .and_where(inspection::Column::CreatedAt.lt(end))
            .group_by_col((inspection::Entity, inspection::Column::InspectorName));
        self.join_orders(
            &mut query,
            Expr::col((inspection::Entity, inspection::Column::TenantId)),
            Expr::col((inspection::Entity, inspection::Column::RepairOrderId)),
            branch,
        );
        self.sums(&query).await
    }

    /// The points of inspections started between `start` and `end`, by inspector and rating.
    pub async fn finding_sums(
        &self,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        branch: Option<Uuid>,
    ) -> Result<Vec<FindingSum>, StoreError> {
        let mut query = Query::select();
        query
            .expr_as(
                Expr::col((inspection::Entity, inspection::Column::InspectorName)),
                Alias::new("inspector"),
            )
            .expr_as(
                Expr::col((inspection_item::Entity, inspection_item::Column::Rating)),
                Alias::new("rating"),
            )
            .expr_as(Expr::cust("count(*)"), Alias::new("items"))
            .from(inspection_item::Entity)
            .inner_join(
                inspection::Entity,
                Expr::col((inspection::Entity, inspection::Column::TenantId))
                    .eq(Expr::col((
                        inspection_item::Entity,
                        inspection_item::Column::TenantId,
                    )))
                    .and(
                        Expr::col((inspection::Entity, inspection::Column::Id)).eq(Expr::col((
                            inspection_item::Entity,
                            inspection_item::Column::InspectionId,
                        ))),
                    ),
            )
            .cond_where(self.scope::<inspection_item::Entity>())
            .cond_where(self.scope::<inspection::Entity>())
            .and_where(inspection::Column::CreatedAt.gte(start))
            .and_where(inspection::Column::CreatedAt.lt(end))
            .group_by_col((inspection::Entity, inspection::Column::InspectorName))
            .group_by_col((inspection_item::Entity, inspection_item::Column::Rating));
        self.join_orders(
            &mut query,
            Expr::col((inspection::Entity, inspection::Column::TenantId)),
            Expr::col((inspection::Entity, inspection::Column::RepairOrderId)),
            branch,
        );
        self.sums(&query).await
    }
}
