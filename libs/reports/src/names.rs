//! The names reports show for members (advisors, technicians), read in one query each.

use std::collections::HashMap;

use pitlane_domain::ServiceError;
use pitlane_store::{
    TenantTx,
    entity::{membership, user},
    sea_orm::{ColumnTrait, EntityTrait, QueryFilter},
};
use uuid::Uuid;

/// Every member of the tenant by membership id, with their name.
pub async fn members(tx: &TenantTx) -> Result<HashMap<Uuid, String>, ServiceError> {
    let memberships = tx.all(tx.select::<membership::Entity>()).await?;
    let user_ids: Vec<Uuid> = memberships.iter().map(|m| m.user_id).collect();
    let users: HashMap<Uuid, String> = tx
        .people()
        .all(user::Entity::find().filter(user::Column::Id.is_in(user_ids)))
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    Ok(memberships
        .into_iter()
        .map(|m| {
            let name = users.get(&m.user_id).cloned().unwrap_or_default();
            (m.id, name)
        })
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
