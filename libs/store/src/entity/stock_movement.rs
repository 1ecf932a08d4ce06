use sea_orm::entity::prelude::*;

/// One entry of the stock ledger (signed quantity).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stock_movements")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub part_id: Uuid,
    pub branch_id: Uuid,
    pub kind: String,
    pub quantity_milli: i64,
    pub reason: Option<String>,
    pub unit_cost_minor: Option<i64>,
    pub repair_order_id: Option<Uuid>,
    pub purchase_order_id: Option<Uuid>,
    pub transfer_id: Option<Uuid>,
    pub stock_count_id: Option<Uuid>,
    pub by_name: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
