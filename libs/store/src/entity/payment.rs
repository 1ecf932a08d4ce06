use sea_orm::entity::prelude::*;

/// Money received against an invoice, with its receipt number.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub invoice_id: Uuid,
    pub number: String,
    pub method: String,
    pub amount_minor: i64,
    pub refunded_minor: i64,
    pub reference: Option<String>,
    pub received_at: DateTimeUtc,
    pub recorded_by: Option<String>,
    pub stripe_payment_intent: Option<String>,
    pub stripe_checkout_session: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
