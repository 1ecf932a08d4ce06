use sea_orm::entity::prelude::*;

/// A part on a purchase order, and how much of it has arrived.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "purchase_order_lines")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub purchase_order_id: Uuid,
    pub part_id: Uuid,
    pub quantity_milli: i64,
    pub received_milli: i64,
    pub unit_cost_minor: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
