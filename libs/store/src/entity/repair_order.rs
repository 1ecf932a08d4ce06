use sea_orm::entity::prelude::*;

/// A vehicle's visit to the workshop, from estimate to closed.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "repair_orders")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub number: i64,
    pub branch_id: Uuid,
    pub customer_id: Uuid,
    pub vehicle_id: Uuid,
    pub appointment_id: Option<Uuid>,
    pub status: String,
    pub mileage_in: Option<i64>,
    pub mileage_out: Option<i64>,
    pub concern: Option<String>,
    pub advisor_id: Option<Uuid>,
    pub promised_at: Option<DateTimeUtc>,
    pub approval_method: Option<String>,
    pub approved_at: Option<DateTimeUtc>,
    pub approved_by: Option<String>,
    pub approval_version: i32,
    pub follow_updates: bool,
    pub customer_name: String,
    pub vehicle_label: String,
    pub total_minor: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub closed_at: Option<DateTimeUtc>,
    /// The earlier order of the same vehicle this one comes back for: the fault returned.
    pub comeback_of: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// A card of the repair-order board: the columns it shows, read in one query.
#[derive(Clone, Debug, PartialEq, Eq, sea_orm::FromQueryResult)]
pub struct BoardCard {
    pub id: Uuid,
    pub number: i64,
    pub branch_id: Uuid,
    pub customer_id: Uuid,
    pub vehicle_id: Uuid,
    pub status: String,
    pub customer_name: String,
    pub vehicle_label: String,
    pub total_minor: i64,
    pub promised_at: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
    /// The order's jobs, and how many of them are finished.
    pub jobs: i64,
    pub jobs_done: i64,
}

impl BoardCard {
    /// The cards with their jobs' progress, in one statement (the jobs are counted per card
    /// by the jobs' own index, under the same row-level security).
    pub fn select(query: Select<Entity>) -> Select<Entity> {
        use sea_orm::{QuerySelect, sea_query::Expr};
        query
            .select_only()
            .columns([
                Column::Id,
                Column::Number,
                Column::BranchId,
                Column::CustomerId,
                Column::VehicleId,
                Column::Status,
                Column::CustomerName,
                Column::VehicleLabel,
                Column::TotalMinor,
                Column::PromisedAt,
                Column::UpdatedAt,
            ])
            .expr_as(
                Expr::cust(
                    "(select count(*) from jobs j where j.tenant_id = repair_orders.tenant_id \
                      and j.repair_order_id = repair_orders.id)",
                ),
                "jobs",
            )
            .expr_as(
                Expr::cust(
                    "(select count(*) from jobs j where j.tenant_id = repair_orders.tenant_id \
                      and j.repair_order_id = repair_orders.id and j.status = 'finished')",
                ),
                "jobs_done",
            )
    }
}
