use sea_orm::entity::prelude::*;

/// An SMS a customer sent to the tenant's number.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sms_inbound")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub from_phone: String,
    pub to_phone: String,
    pub body: String,
    /// `stop`, `start` or `help` when the message was one of those keywords.
    pub keyword: Option<String>,
    pub provider_ref: String,
    pub received_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
