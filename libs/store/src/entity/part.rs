use sea_orm::entity::prelude::*;

/// A part in the tenant's catalogue; `price_minor` unset means priced by markup.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "parts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub sku: String,
    pub name: String,
    pub brand: Option<String>,
    pub fitment_notes: Option<String>,
    pub cost_minor: i64,
    pub price_minor: Option<i64>,
    pub tax_class: String,
    pub barcode: Option<String>,
    pub supplier_id: Option<Uuid>,
    pub active: bool,
    pub search: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
