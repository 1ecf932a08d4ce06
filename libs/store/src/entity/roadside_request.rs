use sea_orm::entity::prelude::*;

/// A driver's call for help at the roadside, from asking to fixed, towed in or cancelled.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "roadside_requests")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub number: i64,
    pub branch_id: Uuid,
    pub customer_id: Uuid,
    pub vehicle_id: Option<Uuid>,
    pub plate: Option<String>,
    pub trouble: String,
    pub note: Option<String>,
    pub address: Option<String>,
    pub lat_micro: Option<i64>,
    pub lon_micro: Option<i64>,
    pub status: String,
    pub ring: String,
    /// The membership of the mechanic who took it.
    pub mechanic_id: Option<Uuid>,
    pub distance_m: Option<i32>,
    pub quote_minor: i64,
    pub currency: String,
    pub eta_minutes: Option<i32>,
    pub arrival_lat_micro: Option<i64>,
    pub arrival_lon_micro: Option<i64>,
    pub cancel_reason: Option<String>,
    pub cancelled_by: Option<String>,
    pub outcome_note: Option<String>,
    pub invoice_id: Option<Uuid>,
    pub repair_order_id: Option<Uuid>,
    pub positions_coarsened: bool,
    pub driver_read_at: Option<DateTimeUtc>,
    pub crew_read_at: Option<DateTimeUtc>,
    pub commission_minor: Option<i64>,
    pub created_at: DateTimeUtc,
    pub accepted_at: Option<DateTimeUtc>,
    pub en_route_at: Option<DateTimeUtc>,
    pub arrived_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
