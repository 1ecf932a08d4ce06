//! The demo workshop's invoice: one issued to a demo customer, so a first start shows the
//! invoice list, an invoice page with its PDF, and the customer's page.

use pitlane_domain::{
    Actor, ServiceError,
    ids::{CustomerId, InvoiceId, MembershipId, TenantId, UserId},
    permissions::Role,
};
use pitlane_store::{
    TenantCtx,
    entity::{branch, customer, membership},
    sea_orm::{ColumnTrait, QueryFilter},
};

use crate::{
    Billing,
    invoices::{self, DraftInput, LineInput},
};

pub async fn seed(billing: &Billing, tenant: TenantId, site: &str) -> Result<(), ServiceError> {
    let tx = billing.store().tx(&TenantCtx::new(tenant)).await?;
    let owner = tx
        .first(
            tx.select::<membership::Entity>()
                .filter(membership::Column::Role.eq("owner")),
        )
        .await?
        .ok_or(ServiceError::NotFound)?;
    let branch = tx
        .first(tx.select::<branch::Entity>())
        .await?
        .ok_or(ServiceError::NotFound)?;
    let customer = tx.first(tx.select::<customer::Entity>()).await?;
    tx.commit().await?;
    let Some(customer) = customer else {
        return Ok(());
    };
    let owner = Actor::builtin(
        UserId(owner.user_id),
        MembershipId(owner.id),
        tenant,
        Role::Owner,
    );
    let draft = invoices::draft(
        billing,
        &owner,
        &DraftInput {
            branch_id: branch.id,
            customer_id: CustomerId(customer.id),
            vehicle_id: None,
            notes: Some("Fitted while you waited".into()),
        },
    )
    .await?;
    for (kind, description, quantity, price) in [
        ("part", "Wiper blades (pair)", "1", "24.90"),
        ("labour", "Fit wiper blades", "0.2", "95.00"),
        ("fee", "Screen wash top-up", "1", "4.50"),
    ] {
        invoices::add_line(
            billing,
            &owner,
            InvoiceId(draft.invoice.id),
            &LineInput {
                kind: kind.into(),
                description: description.into(),
                quantity: quantity.into(),
                unit_price: price.into(),
                tax_rate_id: None,
                taxable: true,
            },
        )
        .await?;
    }
    invoices::issue(billing, &owner, InvoiceId(draft.invoice.id), site).await?;
    Ok(())
}
