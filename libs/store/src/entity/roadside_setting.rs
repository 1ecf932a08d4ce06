use sea_orm::entity::prelude::*;

/// Whether a branch drives out to breakdowns, from where, how far and for what price.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "roadside_settings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub branch_id: Uuid,
    pub enabled: bool,
    pub lat_micro: Option<i64>,
    pub lon_micro: Option<i64>,
    pub radius_m: i32,
    pub call_out_minor: i64,
    pub per_km_minor: i64,
    pub included_km: i32,
    pub speed_kmh: i32,
    pub near_m: i32,
    pub wide_m: i32,
    pub widen_after_s: i32,
    pub dispatcher_after_s: i32,
    pub accept_target_s: i32,
    pub arrive_target_s: i32,
    pub call_out_commission_bp: i32,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
