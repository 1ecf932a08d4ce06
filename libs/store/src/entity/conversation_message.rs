use sea_orm::entity::prelude::*;

/// One message of a conversation, from the customer (in) or staff (out).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "conversation_messages")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub conversation_id: Uuid,
    pub direction: String,
    pub channel: String,
    pub body: String,
    pub author_name: Option<String>,
    pub created_at: DateTimeUtc,
    /// Written in a roadside request's chat (which is part of the customer's conversation).
    pub roadside_request_id: Option<Uuid>,
    /// A photo sent in a roadside chat: its storage key and type.
    pub photo_key: Option<String>,
    pub photo_type: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
