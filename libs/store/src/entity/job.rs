use sea_orm::entity::prelude::*;

/// A unit of work on a repair order for one mechanic.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "jobs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub repair_order_id: Uuid,
    pub branch_id: Uuid,
    pub title: String,
    pub skill: Option<String>,
    pub mechanic_id: Option<Uuid>,
    pub status: String,
    pub on_board: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
