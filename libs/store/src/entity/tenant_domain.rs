use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tenant_domains")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub host: String,
    pub created_at: DateTimeUtc,
    /// The value the workshop publishes in DNS to prove it owns the host.
    pub verification_token: Option<String>,
    /// When the proof was found; `None` until then, and after the record was gone too long.
    pub verified_at: Option<DateTimeUtc>,
    pub checked_at: Option<DateTimeUtc>,
    /// Since when the record has been missing, while the domain is still verified.
    pub failing_since: Option<DateTimeUtc>,
    pub check_error: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
