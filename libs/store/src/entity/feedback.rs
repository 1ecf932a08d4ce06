use sea_orm::entity::prelude::*;

/// A customer asked to rate a closed repair order or a finished roadside job, and once they
/// answered, their rating.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "feedback")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub branch_id: Uuid,
    pub customer_id: Uuid,
    /// `repair_order` or `roadside`.
    pub subject: String,
    pub repair_order_id: Option<Uuid>,
    pub roadside_request_id: Option<Uuid>,
    /// The membership of the mechanic rated.
    pub mechanic_id: Option<Uuid>,
    pub label: String,
    pub asked_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub job_stars: Option<i16>,
    pub mechanic_stars: Option<i16>,
    pub comment: Option<String>,
    pub answered_at: Option<DateTimeUtc>,
    pub hidden_at: Option<DateTimeUtc>,
    pub hidden_by: Option<String>,
    pub hidden_reason: Option<String>,
    pub reply: Option<String>,
    pub replied_at: Option<DateTimeUtc>,
    pub replied_by: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
