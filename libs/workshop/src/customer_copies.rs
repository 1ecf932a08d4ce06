//! Repair orders keep the customer's name for the board: it follows a rename, a merge moves
//! the orders to the customer kept, and an erasure blanks it. The front desk calls this hook
//! inside its transaction (see `pitlane_frontdesk::hooks`).

use pitlane_domain::{ServiceError, ids::CustomerId};
use pitlane_store::{
    TenantTx,
    entity::repair_order,
    sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr},
};

pub struct OrdersFollowTheirCustomer;

#[async_trait::async_trait]
impl pitlane_frontdesk::hooks::CustomerHook for OrdersFollowTheirCustomer {
    async fn renamed(
        &self,
        tx: &TenantTx,
        customer: CustomerId,
        name: &str,
    ) -> Result<(), ServiceError> {
        set_name(tx, customer, name).await
    }

    async fn merged(
        &self,
        tx: &TenantTx,
        keep: CustomerId,
        duplicate: CustomerId,
    ) -> Result<(), ServiceError> {
        tx.update_all(
            repair_order::Entity::update_many()
                .col_expr(repair_order::Column::CustomerId, Expr::value(keep.0))
                .filter(repair_order::Column::CustomerId.eq(duplicate.0)),
        )
        .await?;
        Ok(())
    }

    async fn erased(
        &self,
        tx: &TenantTx,
        customer: CustomerId,
        erased_name: &str,
    ) -> Result<(), ServiceError> {
        set_name(tx, customer, erased_name).await
    }
}

async fn set_name(tx: &TenantTx, customer: CustomerId, name: &str) -> Result<(), ServiceError> {
    tx.update_all(
        repair_order::Entity::update_many()
            .col_expr(repair_order::Column::CustomerName, Expr::value(name))
            .filter(repair_order::Column::CustomerId.eq(customer.0)),
    )
    .await?;
    Ok(())
}
