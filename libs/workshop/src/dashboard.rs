//! The dashboard at a glance, read in one transaction: the branches, unread conversations,
//! open repair orders and parts low on stock, each only for those whose role shows it.

use pitlane_domain::{Actor, ServiceError, permissions::Permission};
use pitlane_store::{TenantCtx, entity::branch, sea_orm::QuerySelect};

use crate::{Workshop, orders};

#[derive(Debug, Clone, Default)]
pub struct Glance {
    pub branches: Vec<branch::Overview>,
    pub unread_conversations: Option<u64>,
    pub open_orders: Option<u64>,
    pub low_stock: Option<u64>,
}

pub async fn glance(ws: &Workshop, actor: &Actor) -> Result<Glance, ServiceError> {
    actor.require(Permission::TenantRead)?;
    let tx = ws.store().tx(&TenantCtx::of(actor)).await?;
    let branches = tx
        .all_as(branch::Overview::select(tx.select::<branch::Entity>()).limit(100))
        .await?;
    let unread_conversations = if actor.can(Permission::CustomersRead) {
        Some(pitlane_frontdesk::conversations::unread_in(&tx).await?)
    } else {
        None
    };
    let open_orders = if actor.can(Permission::RepairOrdersRead) {
        Some(orders::open_in(&tx).await?)
    } else {
        None
    };
    let low_stock = if actor.can(Permission::InventoryRead) {
        Some(pitlane_inventory::stock::low_in(&tx).await?)
    } else {
        None
    };
    tx.commit().await?;
    Ok(Glance {
        branches,
        unread_conversations,
        open_orders,
        low_stock,
    })
}
