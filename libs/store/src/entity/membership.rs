use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "memberships")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub role: String,
    pub status: String,
    pub custom_role_id: Option<Uuid>,
    pub branch_limited: bool,
    /// `off`, `daily` or `weekly`: the dashboard digest this member asked for.
    pub digest: String,
    /// The branch-local day the last digest went out, so one is sent once.
    pub digest_sent_on: Option<Date>,
    pub created_at: DateTimeUtc,
    pub updated_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
