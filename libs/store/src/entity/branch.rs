use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "branches")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    pub address_line1: Option<String>,
    pub address_line2: Option<String>,
    pub city: Option<String>,
    pub postal_code: Option<String>,
    pub region: Option<String>,
    pub country: Option<String>,
    pub phone: Option<String>,
    pub time_zone: String,
    pub business_hours: Json,
    pub labour_rate_minor: i64,
    pub labour_cost_minor: i64,
    pub tax_rate_bp: i32,
    /// What the owner wants the branch to sell in a week (net); 0 sets no goal.
    pub weekly_sales_goal_minor: i64,
    /// The hour of the branch's morning when the dashboard digest goes out.
    pub digest_hour: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// What a list of branches shows: a projection, so list pages decode only these columns.
#[derive(Clone, Debug, PartialEq, Eq, sea_orm::FromQueryResult)]
pub struct Overview {
    pub id: Uuid,
    pub name: String,
    pub city: Option<String>,
    pub time_zone: String,
    pub phone: Option<String>,
}

impl Overview {
    /// The query for overviews, in creation order.
    pub fn select(query: Select<Entity>) -> Select<Entity> {
        use sea_orm::{QueryOrder, QuerySelect};
        query
            .select_only()
            .columns([
                Column::Id,
                Column::Name,
                Column::City,
                Column::TimeZone,
                Column::Phone,
            ])
            .order_by_asc(Column::Id)
    }
}
