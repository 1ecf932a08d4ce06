use sea_orm::entity::prelude::*;

/// Labour, a part, a fee or a discount on a repair order, with the customer's answer.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "repair_order_lines")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub repair_order_id: Uuid,
    pub position: i32,
    pub kind: String,
    pub description: String,
    pub quantity_milli: i64,
    pub unit_price_minor: i64,
    pub unit_cost_minor: i64,
    pub taxable: bool,
    pub part_id: Option<Uuid>,
    pub job_id: Option<Uuid>,
    pub decision: String,
    pub decided_at: Option<DateTimeUtc>,
    pub source: String,
    pub followed_up_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
