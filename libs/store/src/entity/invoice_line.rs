use sea_orm::entity::prelude::*;

/// One line of an invoice.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invoice_lines")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub invoice_id: Uuid,
    pub position: i32,
    pub kind: String,
    pub description: String,
    pub quantity_milli: i64,
    pub unit_price_minor: i64,
    pub tax_rate_bp: i32,
    pub tax_name: String,
    pub amount_minor: i64,
    /// What one unit cost the workshop (a part's cost, an hour of the branch's labour).
    pub unit_cost_minor: i64,
    /// The hours a labour line bills (a flat-rate job's book hours), else 0.
    pub billed_hours_milli: i64,
    /// The work category (the skill of the job the line was for), '' for none.
    pub category: String,
    /// The mechanic whose job the line was for.
    pub technician_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
