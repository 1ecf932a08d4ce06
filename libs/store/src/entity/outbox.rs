use sea_orm::entity::prelude::*;

/// One message on its way out: written with the change that causes it, then relayed,
/// sent by a shared worker, and kept as the record of its delivery.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kind: String,
    pub channel: String,
    pub recipient: String,
    pub data: Json,
    pub idempotency_key: String,
    pub bulk: bool,
    pub status: String,
    pub attempts: i32,
    pub not_before: DateTimeUtc,
    pub locked_by: Option<String>,
    pub locked_at: Option<DateTimeUtc>,
    pub last_error: Option<String>,
    pub provider_ref: Option<String>,
    /// What the SMS provider reported after accepting the message.
    pub delivery_status: Option<String>,
    pub sent_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
