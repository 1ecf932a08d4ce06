use sea_orm::entity::prelude::*;

/// One branch's sums for one local day and one breakdown (see the `daily_figures` migration).
/// The columns mirror `pitlane_domain::reports::Figures`, where each is defined.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "daily_figures")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub branch_id: Uuid,
    pub day: Date,
    pub dimension: String,
    pub key: String,
    pub invoices: i64,
    pub cars: i64,
    pub labour_minor: i64,
    pub parts_minor: i64,
    pub fees_minor: i64,
    pub other_minor: i64,
    pub discounts_minor: i64,
    pub net_minor: i64,
    pub tax_minor: i64,
    pub credit_notes: i64,
    pub credited_net_minor: i64,
    pub credited_tax_minor: i64,
    pub parts_cost_minor: i64,
    pub labour_cost_minor: i64,
    pub billed_hours_milli: i64,
    pub payments: i64,
    pub payments_minor: i64,
    pub refunds: i64,
    pub refunds_minor: i64,
    pub answered_lines: i64,
    pub approved_lines: i64,
    pub answered_value_minor: i64,
    pub approved_value_minor: i64,
    pub inspections: i64,
    pub inspections_completed: i64,
    pub findings_green: i64,
    pub findings_yellow: i64,
    pub findings_red: i64,
    pub findings_unrated: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
