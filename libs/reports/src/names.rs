//! The names reports show for members (advisors, technicians), read in one query each.

use std::collections::HashMap;

use pitlane_domain::ServiceError;
use pitlane_store::{
    TenantTx,
    entity::{membership, user},
    sea_orm::{ColumnTrait, EntityTrait, FromQueryResult, QueryFilter, QuerySelect},
};
use uuid::Uuid;

#[derive(FromQueryResult)]
struct Member {
    id: Uuid,
    user_id: Uuid,
    role: String,
    status: String,
}

#[derive(FromQueryResult)]
struct Named {
    id: Uuid,
    name: String,
}

/// A staff member: membership id, name, built-in role key and whether active.
#[derive(Debug, Clone)]
pub struct StaffMember {
    pub id: Uuid,
    pub name: String,
    pub role: String,
    pub active: bool,
}

/// Every staff member of the tenant with their name and role. Customers' accounts are left
/// out (reports name advisors and technicians; a workshop may have thousands of customers
/// with accounts), and of the people only the name is read.
pub async fn staff(tx: &TenantTx) -> Result<Vec<StaffMember>, ServiceError> {
    let memberships: Vec<Member> = tx
        .all_as(
            tx.select::<membership::Entity>()
                .select_only()
                .columns([
                    membership::Column::Id,
                    membership::Column::UserId,
                    membership::Column::Role,
                    membership::Column::Status,
                ])
                .filter(membership::Column::Role.ne("customer")),
        )
        .await?;
    let user_ids: Vec<Uuid> = memberships.iter().map(|m| m.user_id).collect();
    let users: HashMap<Uuid, String> = tx
        .people()
        .all_as::<_, Named>(
            user::Entity::find()
                .select_only()
                .columns([user::Column::Id, user::Column::Name])
                .filter(user::Column::Id.is_in(user_ids)),
        )
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    Ok(memberships
        .into_iter()
        .map(|m| StaffMember {
            id: m.id,
            name: users.get(&m.user_id).cloned().unwrap_or_default(),
            active: m.status == "active",
            role: m.role,
        })
        .collect())
}

/// Every staff member of the tenant by membership id, with their name.
pub async fn members(tx: &TenantTx) -> Result<HashMap<Uuid, String>, ServiceError> {
    Ok(staff(tx)
        .await?
        .into_iter()
        .map(|m| (m.id, m.name))
        .collect())
}

/// The name for a breakdown key that holds a membership id ('' or unknown: `none`).
pub fn member_label(names: &HashMap<Uuid, String>, key: &str, none: &str) -> String {
    key.parse::<Uuid>()
        .ok()
        .and_then(|id| names.get(&id).cloned())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| none.to_owned())
}
