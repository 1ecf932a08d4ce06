//! The demo workshop's floor and parts room, made once with the demo tenant after its front
//! desk: labour rates and tax, a supplier, parts in stock (one already low), canned jobs, and
//! a repair order with an estimate waiting to be sent.

use pitlane_domain::{
    Actor, ServiceError,
    ids::{CustomerId, MembershipId, PartId, RepairOrderId, TenantId, UserId, VehicleId},
    permissions::Role,
};
use pitlane_inventory::{parts, stock, suppliers};
use pitlane_store::{
    TenantCtx,
    entity::{branch, membership, vehicle},
    sea_orm::{ColumnTrait, QueryFilter},
};

use crate::{Workshop, canned, lines, orders, settings};

pub async fn seed(ws: &Workshop, tenant: TenantId) -> Result<(), ServiceError> {
    let tx = ws.store().tx(&TenantCtx::new(tenant)).await?;
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
    let vehicle = tx
        .first(
            tx.select::<vehicle::Entity>()
                .filter(vehicle::Column::CustomerId.is_not_null()),
        )
        .await?;
    tx.commit().await?;
    let owner = Actor::builtin(
        UserId(owner.user_id),
        MembershipId(owner.id),
        tenant,
        Role::Owner,
    );
    let inv = &ws.inventory;
    settings::set_branch_rates(
        ws,
        &owner,
        branch.id,
        &settings::BranchRatesInput {
            labour_rate: "95.00".into(),
            labour_cost: "35.00".into(),
            tax_percent: "20".into(),
        },
    )
    .await?;
    settings::update(
        ws,
        &owner,
        &settings::SettingsInput {
            parts_markup_percent: "45".into(),
            price_matrix: Vec::new(),
            shop_supplies_percent: "5".into(),
            shop_supplies_cap: Some("25.00".into()),
            allow_negative_stock: false,
            pay_period: "weekly".into(),
        },
    )
    .await?;
    let supplier = suppliers::create(
        inv,
        &owner,
        &suppliers::SupplierInput {
            name: "Motor Factors".into(),
            email: Some("orders@motorfactors.example".into()),
            ..Default::default()
        },
    )
    .await?;
    let mut made = Vec::new();
    for (sku, name, brand, cost, on_hand, reorder_at) in [
        ("OF-100", "Oil filter", "Mann", "6.50", "12", "4"),
        ("BP-220", "Front brake pads", "Brembo", "38.00", "3", "2"),
        ("WB-60", "Wiper blades (pair)", "Bosch", "9.00", "1", "2"),
        (
            "OIL-5W30",
            "Engine oil 5W-30 (litre)",
            "Castrol",
            "7.20",
            "40",
            "10",
        ),
    ] {
        let part = parts::create(
            inv,
            &owner,
            &parts::PartInput {
                sku: sku.into(),
                name: name.into(),
                brand: Some(brand.into()),
                cost: cost.into(),
                supplier_id: Some(supplier.id),
                active: true,
                ..Default::default()
            },
        )
        .await?;
        stock::record(
            inv,
            &owner,
            &stock::MovementInput {
                part_id: PartId(part.id),
                branch_id: branch.id,
                kind: "receive".into(),
                quantity: on_hand.into(),
                reason: Some("opening stock".into()),
            },
        )
        .await?;
        stock::set_reorder(
            inv,
            &owner,
            PartId(part.id),
            branch.id,
            Some(reorder_at),
            None,
        )
        .await?;
        made.push(part);
    }
    let (filter, pads, oil) = (PartId(made[0].id), PartId(made[1].id), PartId(made[3].id));
    let line = |kind: &str, description: &str, quantity: &str, part_id| canned::CannedLineInput {
        kind: kind.into(),
        description: description.into(),
        quantity: Some(quantity.into()),
        part_id,
        ..Default::default()
    };
    canned::save(
        ws,
        &owner,
        None,
        &canned::CannedJobInput {
            name: "Oil service".into(),
            description: Some("Engine oil and filter".into()),
            skill: None,
            lines: vec![
                line(
                    "labour",
                    "Drain and refill oil, replace filter",
                    "0.8",
                    None,
                ),
                line("part", "Oil filter", "1", Some(filter)),
                line("part", "Engine oil", "4.5", Some(oil)),
            ],
        },
    )
    .await?;
    let brakes = canned::save(
        ws,
        &owner,
        None,
        &canned::CannedJobInput {
            name: "Front brake pads".into(),
            description: None,
            skill: Some("brakes".into()),
            lines: vec![
                line("labour", "Replace front brake pads", "1.2", None),
                line("part", "Front brake pads", "1", Some(pads)),
            ],
        },
    )
    .await?;
    if let Some(vehicle) = vehicle {
        let order = orders::open_walk_in(
            ws,
            &owner,
            &orders::OrderInput {
                branch_id: branch.id,
                customer_id: CustomerId(vehicle.customer_id.unwrap_or_default()),
                vehicle_id: VehicleId(vehicle.id),
                concern: Some("Squealing from the front when braking".into()),
                follow_updates: true,
                ..Default::default()
            },
        )
        .await?;
        lines::add_canned(ws, &owner, RepairOrderId(order.order.id), brakes.job.id).await?;
    }
    Ok(())
}
