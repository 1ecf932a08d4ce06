use sea_orm::entity::prelude::*;

/// A line of a canned job; an unset price is taken when it is added.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "canned_job_lines")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub canned_job_id: Uuid,
    pub position: i32,
    pub kind: String,
    pub description: String,
    pub quantity_milli: i64,
    pub unit_price_minor: Option<i64>,
    pub part_id: Option<Uuid>,
    pub taxable: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
