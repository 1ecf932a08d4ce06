use sea_orm::entity::prelude::*;

/// A workshop's customer: contact details, consent, tags.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "customers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub company: Option<String>,
    pub address: Option<String>,
    pub tags: String,
    pub email_consent_at: Option<DateTimeUtc>,
    pub email_consent_source: Option<String>,
    pub sms_consent_at: Option<DateTimeUtc>,
    pub sms_consent_source: Option<String>,
    pub marketing_consent_at: Option<DateTimeUtc>,
    pub marketing_consent_source: Option<String>,
    pub marketing_unsubscribed_at: Option<DateTimeUtc>,
    pub user_id: Option<Uuid>,
    pub merged_into: Option<Uuid>,
    pub erased_at: Option<DateTimeUtc>,
    pub search: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
