use sea_orm::entity::prelude::*;

/// A single-use link sent to a person (verify e-mail, reset password, magic link), or to an
/// address with no login yet (a customer's first magic link).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "auth_links")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The person; empty for a customer's first magic link, which names `email` instead.
    pub user_id: Option<Uuid>,
    pub email: Option<String>,
    pub name: Option<String>,
    /// The workshop a link is for (a new workshop waiting for its owner's confirmation).
    pub workshop_id: Option<Uuid>,
    pub purpose: String,
    pub expires_at: DateTimeUtc,
    pub used_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
