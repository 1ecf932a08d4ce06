use sea_orm::entity::prelude::*;

/// A part's level at one branch: the sum of its movements, and what lines hold of it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stock_levels")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub part_id: Uuid,
    pub branch_id: Uuid,
    pub on_hand_milli: i64,
    pub reserved_milli: i64,
    pub reorder_at_milli: Option<i64>,
    pub bin_location: Option<String>,
    pub low_notified_at: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
