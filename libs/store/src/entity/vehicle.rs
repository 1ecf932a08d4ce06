use sea_orm::entity::prelude::*;

/// A vehicle the workshop has seen, with its current owner.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "vehicles")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub customer_id: Option<Uuid>,
    pub vin: Option<String>,
    pub plate: Option<String>,
    pub plate_region: Option<String>,
    pub make: Option<String>,
    pub model: Option<String>,
    pub year: Option<i32>,
    pub engine: Option<String>,
    pub colour: Option<String>,
    pub mileage_unit: String,
    pub last_mileage: Option<i64>,
    pub next_service_on: Option<Date>,
    pub next_service_mileage: Option<i64>,
    pub maintenance_notified_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
