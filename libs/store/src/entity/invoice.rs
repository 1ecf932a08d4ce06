use sea_orm::entity::prelude::*;

/// An invoice: a draft until issued, then never edited.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invoices")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub number: Option<String>,
    pub branch_id: Uuid,
    pub customer_id: Uuid,
    pub vehicle_id: Option<Uuid>,
    pub repair_order_id: Option<Uuid>,
    /// The repair order's service advisor, when made from one.
    pub advisor_id: Option<Uuid>,
    pub status: String,
    pub currency: String,
    pub prices_include_tax: bool,
    pub customer_name: String,
    pub customer_email: Option<String>,
    pub customer_phone: Option<String>,
    pub vehicle_label: String,
    pub notes: Option<String>,
    pub net_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
    pub credited_minor: i64,
    pub paid_minor: i64,
    pub refunded_minor: i64,
    pub issued_at: Option<DateTimeUtc>,
    pub due_at: Option<DateTimeUtc>,
    pub voided_at: Option<DateTimeUtc>,
    pub void_reason: Option<String>,
    pub created_by: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
