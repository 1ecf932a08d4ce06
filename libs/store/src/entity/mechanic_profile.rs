use sea_orm::entity::prelude::*;

/// A mechanic's skills and weekly hours (none: the branch's hours).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mechanic_profiles")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub membership_id: Uuid,
    pub skills: String,
    pub working_hours: Option<Json>,
    pub pay_scheme: String,
    pub pay_rate_minor: i64,
    pub commission_bp: i32,
    /// Drives out to roadside requests.
    pub takes_roadside: bool,
    /// On duty for roadside requests since then; `None` when off duty.
    pub on_duty_since: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
