use sea_orm::entity::prelude::*;

/// A line of work or a part a mechanic did or used at the roadside, billed with the call-out.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "roadside_work")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub request_id: Uuid,
    pub kind: String,
    pub description: String,
    pub quantity_milli: i64,
    pub unit_price_minor: i64,
    pub unit_cost_minor: i64,
    pub taxable: bool,
    pub part_id: Option<Uuid>,
    pub added_by: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
