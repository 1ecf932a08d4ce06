//! What the floor's documents add to the daily figures, read in the shape the figures need:
//! answered estimate lines with their order's branch and advisor (for a rebuild), and each
//! inspection's points counted by rating (for a rebuild, or for the one inspection a change
//! touched). What they add is decided in `pitlane_domain::reports::facts`.
//! Each read joins the repair order, whose tenant and branch scope applies as on every read.

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, FromQueryResult,
    sea_query::{Alias, Expr, ExprTrait, JoinType, Order, Query, SelectStatement},
};
use uuid::Uuid;

use crate::{
    StoreError, TenantTx,
    entity::{inspection, inspection_item, repair_order, repair_order_line},
};

/// An estimate line the customer answered, with what the figures need of its order.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct AnsweredLine {
    pub id: Uuid,
    pub branch_id: Uuid,
    pub advisor_id: Option<Uuid>,
    /// `approved` or `declined`.
    pub decision: String,
    pub decided_at: DateTime<Utc>,
    pub kind: String,
    pub quantity_milli: i64,
    pub unit_price_minor: i64,
}

/// An inspection with its points counted by rating.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct InspectionTally {
    pub id: Uuid,
    pub branch_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub inspector: Option<String>,
    pub status: String,
    pub green: i64,
    pub yellow: i64,
    pub red: i64,
    pub unrated: i64,
}

fn col<E: sea_orm::EntityTrait, C: sea_orm::sea_query::IntoIden>(entity: E, column: C) -> Expr {
    Expr::col((entity, column))
}

impl TenantTx {
    /// Joins the repair orders a reader may see, by the order id in `order`.
    fn join_orders(&self, query: &mut SelectStatement, tenant: Expr, order: Expr) {
        query
            .inner_join(
                repair_order::Entity,
                col(repair_order::Entity, repair_order::Column::TenantId)
                    .eq(tenant)
                    .and(col(repair_order::Entity, repair_order::Column::Id).eq(order)),
            )
            .cond_where(self.scope::<repair_order::Entity>());
    }

    async fn read_as<M: FromQueryResult>(
        &self,
        query: &SelectStatement,
    ) -> Result<Vec<M>, StoreError> {
        let statement = self.conn().get_database_backend().build(query);
        Ok(M::find_by_statement(statement).all(self.conn()).await?)
    }

    /// A page of the answered estimate lines, by id after `after`.
    pub async fn answered_lines(
        &self,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<Vec<AnsweredLine>, StoreError> {
        use repair_order_line::Column as L;
        let line = |c: L| col(repair_order_line::Entity, c);
        let mut query = Query::select();
        query
            .expr_as(line(L::Id), Alias::new("id"))
            .expr_as(
                col(repair_order::Entity, repair_order::Column::BranchId),
                Alias::new("branch_id"),
            )
            .expr_as(
                col(repair_order::Entity, repair_order::Column::AdvisorId),
                Alias::new("advisor_id"),
            )
            .expr_as(line(L::Decision), Alias::new("decision"))
            .expr_as(line(L::DecidedAt), Alias::new("decided_at"))
            .expr_as(line(L::Kind), Alias::new("kind"))
            .expr_as(line(L::QuantityMilli), Alias::new("quantity_milli"))
            .expr_as(line(L::UnitPriceMinor), Alias::new("unit_price_minor"))
            .from(repair_order_line::Entity)
            .cond_where(self.scope::<repair_order_line::Entity>())
            .and_where(L::Decision.is_in(["approved", "declined"]))
            .and_where(L::DecidedAt.is_not_null())
            .order_by((repair_order_line::Entity, L::Id), Order::Asc)
            .limit(limit);
        if let Some(after) = after {
            query.and_where(line(L::Id).gt(after));
        }
        self.join_orders(&mut query, line(L::TenantId), line(L::RepairOrderId));
        self.read_as(&query).await
    }

    /// Every inspection with its points counted by rating, or only the one `only` names.
    pub async fn inspection_tallies(
        &self,
        only: Option<Uuid>,
    ) -> Result<Vec<InspectionTally>, StoreError> {
        use inspection::Column as I;
        let ins = |c: I| col(inspection::Entity, c);
        let rated = |rating: &str| {
            let test = match rating {
                "" => {
                    "inspection_items.id is not null and inspection_items.rating is null".to_owned()
                }
                r => format!("inspection_items.rating = '{r}'"),
            };
            Expr::cust(format!(
                "cast(coalesce(sum(case when {test} then 1 else 0 end), 0) as bigint)"
            ))
        };
        let mut query = Query::select();
        query
            .expr_as(ins(I::Id), Alias::new("id"))
            .expr_as(
                col(repair_order::Entity, repair_order::Column::BranchId),
                Alias::new("branch_id"),
            )
            .expr_as(ins(I::CreatedAt), Alias::new("created_at"))
            .expr_as(ins(I::InspectorName), Alias::new("inspector"))
            .expr_as(ins(I::Status), Alias::new("status"))
            .expr_as(rated("green"), Alias::new("green"))
            .expr_as(rated("yellow"), Alias::new("yellow"))
            .expr_as(rated("red"), Alias::new("red"))
            .expr_as(rated(""), Alias::new("unrated"))
            .from(inspection::Entity)
            .join(
                JoinType::LeftJoin,
                inspection_item::Entity,
                col(inspection_item::Entity, inspection_item::Column::TenantId)
                    .eq(ins(I::TenantId))
                    .and(
                        col(
                            inspection_item::Entity,
                            inspection_item::Column::InspectionId,
                        )
                        .eq(ins(I::Id)),
                    ),
            )
            .cond_where(self.scope::<inspection::Entity>())
            .group_by_col((inspection::Entity, I::Id))
            .group_by_col((repair_order::Entity, repair_order::Column::BranchId))
            .group_by_col((inspection::Entity, I::CreatedAt))
            .group_by_col((inspection::Entity, I::InspectorName))
            .group_by_col((inspection::Entity, I::Status));
        if let Some(id) = only {
            query.and_where(ins(I::Id).eq(id));
        }
        self.join_orders(&mut query, ins(I::TenantId), ins(I::RepairOrderId));
        self.read_as(&query).await
    }
}
