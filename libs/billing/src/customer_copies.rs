//! Invoices keep whom they were issued to as it was on the day (a rename or a merge changes
//! nothing on them), and are kept for the tax authorities after an erasure with their numbers
//! and amounts, but not whom they were for: the name and contact details copied onto them go.
//! The front desk calls this hook inside its transaction (see `pitlane_frontdesk::hooks`).

use pitlane_domain::{ServiceError, ids::CustomerId};
use pitlane_store::{
    TenantTx,
    entity::invoice,
    sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr},
};

pub struct InvoicesForgetErasedCustomers;

#[async_trait::async_trait]
impl pitlane_frontdesk::hooks::CustomerHook for InvoicesForgetErasedCustomers {
    async fn renamed(&self, _: &TenantTx, _: CustomerId, _: &str) -> Result<(), ServiceError> {
        Ok(())
    }

    async fn merged(&self, _: &TenantTx, _: CustomerId, _: CustomerId) -> Result<(), ServiceError> {
        Ok(())
    }

    async fn erased(
        &self,
        tx: &TenantTx,
        customer: CustomerId,
        erased_name: &str,
    ) -> Result<(), ServiceError> {
        tx.update_all(
            invoice::Entity::update_many()
                .col_expr(invoice::Column::CustomerName, Expr::value(erased_name))
                .col_expr(
                    invoice::Column::CustomerEmail,
                    Expr::value(Option::<String>::None),
                )
                .col_expr(
                    invoice::Column::CustomerPhone,
                    Expr::value(Option::<String>::None),
                )
                .col_expr(invoice::Column::VehicleLabel, Expr::value(""))
                .filter(invoice::Column::CustomerId.eq(customer.0)),
        )
        .await?;
        Ok(())
    }
}
