//! What the mechanic did and used at the roadside: labour, parts from the branch's stock,
//! fees, priced by the same rules as a repair order's lines. When the car is fixed on the
//! spot the parts leave stock and one invoice is issued for the call-out and the work, which
//! the driver pays by card on their phone (the invoice's own pay page) or later. The
//! mechanic's share of the call-out is fixed on the request when the job ends.

use chrono::{DateTime, Utc};
use pitlane_domain::{
    Actor, FieldErrors, ServiceError,
    ids::{CustomerId, PartId, VehicleId},
    money::Money,
    roadside::{RoadsideStatus, Trouble},
    stock::MovementKind,
    text::CurrencyCode,
};
use pitlane_inventory::stock::{Movement, apply};
use pitlane_notify::staff::Notified;
use pitlane_store::{
    TenantCtx, TenantTx,
    entity::{branch, invoice, roadside_request, roadside_work},
    sea_orm::{ActiveValue::Set, ColumnTrait, QueryFilter, QueryOrder},
};
use pitlane_workshop::lines::{BillableLine, LineInput, Parsed, billable_line, parse};
use uuid::Uuid;

use crate::{
    Roadside,
    request::{self, as_worker, display_number, status_of},
    settings,
};

/// One line of roadside work, as its page and the API show it.
#[derive(Debug, Clone)]
pub struct WorkLine {
    pub id: Uuid,
    /// `labour`, `labour_flat`, `part`, `fee` or `discount`.
    pub kind: String,
    pub description: String,
    pub quantity_milli: i64,
    pub unit_price: Money,
    /// Before tax; negative for a discount.
    pub amount: Money,
    pub part_id: Option<Uuid>,
    pub added_by: Option<String>,
    pub created_at: DateTime<Utc>,
}

fn parsed_of(w: &roadside_work::Model) -> Parsed {
    Parsed {
        kind: w.kind.clone(),
        description: w.description.clone(),
        quantity_milli: w.quantity_milli,
        unit_price: w.unit_price_minor,
        unit_cost: w.unit_cost_minor,
        taxable: w.taxable,
        part_id: w.part_id,
    }
}

fn line_of(w: roadside_work::Model, currency: &CurrencyCode) -> WorkLine {
    let billed = billable_line(&parsed_of(&w), 0, String::new(), None);
    let amount = priced_amount(&billed);
    WorkLine {
        id: w.id,
        kind: w.kind,
        description: w.description,
        quantity_milli: w.quantity_milli,
        unit_price: Money::new(w.unit_price_minor, currency.clone()),
        amount: Money::new(amount, currency.clone()),
        part_id: w.part_id,
        added_by: w.added_by,
        created_at: w.created_at,
    }
}

/// A billed line's net amount, by the one pricing rule.
fn priced_amount(line: &BillableLine) -> i64 {
    pitlane_domain::invoicing::PricedLine {
        quantity_milli: line.quantity_milli,
        unit_price: line.unit_price,
        tax_rate_bp: 0,
    }
    .amount()
}

pub(crate) async fn lines_in(
    tx: &TenantTx,
    request: Uuid,
) -> Result<Vec<roadside_work::Model>, ServiceError> {
    Ok(tx
        .all(
            tx.select::<roadside_work::Entity>()
                .filter(roadside_work::Column::RequestId.eq(request))
                .order_by_asc(roadside_work::Column::Id),
        )
        .await?)
}

pub(crate) async fn views(tx: &TenantTx, request: Uuid) -> Result<Vec<WorkLine>, ServiceError> {
    let currency = tx.currency().await?;
    Ok(lines_in(tx, request)
        .await?
        .into_iter()
        .map(|w| line_of(w, &currency))
        .collect())
}

/// The work on a request, for its mechanic and the dispatchers.
pub async fn list(rs: &Roadside, actor: &Actor, id: Uuid) -> Result<Vec<WorkLine>, ServiceError> {
    let tx = rs.store().tx(&TenantCtx::of(actor)).await?;
    as_worker(&tx, actor, id).await?;
    let lines = views(&tx, id).await?;
    tx.commit().await?;
    Ok(lines)
}

fn with_the_car(row: &roadside_request::Model) -> Result<(), ServiceError> {
    match status_of(row) {
        RoadsideStatus::OnSite | RoadsideStatus::Working => Ok(()),
        status => Err(ServiceError::Conflict(FieldErrors::single(
            "status",
            format!(
                "work is added with the car, on site or working; this request is {}",
                status.label().to_lowercase()
            ),
        ))),
    }
}

/// Adds work or a part (from the catalogue, priced by the workshop's rules unless a price is
/// typed) while the mechanic is with the car.
pub async fn add(
    rs: &Roadside,
    actor: &Actor,
    id: Uuid,
    input: &LineInput,
) -> Result<WorkLine, ServiceError> {
    let tx = rs.store().tx(&TenantCtx::of(actor)).await?;
    let row = as_worker(&tx, actor, id).await?;
    with_the_car(&row)?;
    let p = parse(&tx, row.branch_id, input).await?;
    let added_by = tx.actor_name(actor).await?;
    let saved = tx
        .insert(roadside_work::ActiveModel {
            tenant_id: Set(tx.tenant_id().0),
            id: Set(Uuid::now_v7()),
            request_id: Set(row.id),
            kind: Set(p.kind),
            description: Set(p.description),
            quantity_milli: Set(p.quantity_milli),
            unit_price_minor: Set(p.unit_price),
            unit_cost_minor: Set(p.unit_cost),
            taxable: Set(p.taxable),
            part_id: Set(p.part_id),
            added_by: Set(added_by),
            created_at: Set(Utc::now()),
        })
        .await?;
    let currency = tx.currency().await?;
    tx.commit().await?;
    request::announce(rs, &row, "roadside.work").await;
    Ok(line_of(saved, &currency))
}

/// Takes a line off while the mechanic is still with the car.
pub async fn remove(
    rs: &Roadside,
    actor: &Actor,
    id: Uuid,
    line: Uuid,
) -> Result<(), ServiceError> {
    let tx = rs.store().tx(&TenantCtx::of(actor)).await?;
    let row = as_worker(&tx, actor, id).await?;
    with_the_car(&row)?;
    let gone = tx
        .delete_all(
            <roadside_work::Entity as pitlane_store::sea_orm::EntityTrait>::delete_many()
                .filter(roadside_work::Column::Id.eq(line))
                .filter(roadside_work::Column::RequestId.eq(row.id)),
        )
        .await?;
    if gone == 0 {
        return Err(ServiceError::NotFound);
    }
    tx.commit().await?;
    request::announce(rs, &row, "roadside.work").await;
    Ok(())
}

/// The mechanic's share of a request's call-out, by the branch's rule.
/// Half a minor unit rounds up; both are never negative.
pub(crate) fn commission(quote_minor: i64, commission_bp: i32) -> i64 {
    let share = (i128::from(quote_minor) * i128::from(commission_bp) + 5_000) / 10_000;
    i64::try_from(share).unwrap_or(i64::MAX)
}

/// Fixed on the spot: the parts leave the branch's stock and the call-out and the work are
/// billed on one invoice, issued at once (the driver is sent it with a pay link). In the
/// caller's transaction; `None` when there is nothing to bill.
pub(crate) async fn bill_in(
    rs: &Roadside,
    tx: &TenantTx,
    actor: &Actor,
    row: &roadside_request::Model,
    site: &str,
) -> Result<(Option<invoice::Model>, Notified), ServiceError> {
    let work = lines_in(tx, row.id).await?;
    let by = tx.actor_name(actor).await?;
    let number = display_number(row.number);
    let mut notified = Notified::default();
    for part in work.iter().filter(|w| w.kind == "part") {
        let Some(part_id) = part.part_id else {
            continue;
        };
        let mut movement = Movement::new(
            PartId(part_id),
            row.branch_id,
            MovementKind::Consume,
            part.quantity_milli,
        );
        movement.reason = Some(format!("Roadside {number}"));
        movement.unit_cost_minor = Some(part.unit_cost_minor);
        let (_, told) = apply(tx, movement, 0, by.clone())
            .await
            .map_err(|e| e.renamed("quantity", "status"))?;
        notified.merge(told);
    }
    let branch = tx.get::<branch::Entity>(row.branch_id).await?;
    let mut lines = Vec::new();
    if row.quote_minor > 0 {
        lines.push(BillableLine {
            kind: "fee",
            description: call_out_description(row),
            quantity_milli: 1000,
            unit_price: row.quote_minor,
            taxable: true,
            unit_cost: 0,
            billed_hours_milli: 0,
            category: "roadside".into(),
            technician_id: row.mechanic_id,
        });
    }
    lines.extend(work.iter().map(|w| {
        billable_line(
            &parsed_of(w),
            branch.labour_cost_minor,
            "roadside".into(),
            row.mechanic_id,
        )
    }));
    if lines.is_empty() {
        return Ok((None, notified));
    }
    let invoice = pitlane_billing::invoices::bill_in(
        &rs.billing,
        tx,
        actor,
        pitlane_billing::invoices::Bill {
            branch_id: row.branch_id,
            customer_id: CustomerId(row.customer_id),
            vehicle_id: row.vehicle_id.map(VehicleId),
            lines,
            notes: Some(format!("Roadside help {number}")),
        },
        site,
    )
    .await?;
    Ok((Some(invoice), notified))
}

/// Towed in: the call-out and what was done at the roadside go onto the repair order opened
/// for the car, to be approved and billed with the rest (its parts leave stock with the
/// order's). In the caller's transaction.
pub(crate) async fn carry_to_order_in(
    tx: &TenantTx,
    row: &roadside_request::Model,
    order: &pitlane_store::entity::repair_order::Model,
) -> Result<(), ServiceError> {
    let mut lines = Vec::new();
    if row.quote_minor > 0 {
        lines.push(Parsed {
            kind: "fee".into(),
            description: call_out_description(row),
            quantity_milli: 1000,
            unit_price: row.quote_minor,
            unit_cost: 0,
            taxable: true,
            part_id: None,
        });
    }
    lines.extend(lines_in(tx, row.id).await?.iter().map(parsed_of));
    pitlane_workshop::lines::carry_in(tx, order, lines).await
}

fn call_out_description(row: &roadside_request::Model) -> String {
    let trouble = Trouble::parse(&row.trouble).unwrap_or(Trouble::Other);
    let distance = row
        .distance_m
        .map(|d| format!(", {:.1} km", f64::from(d) / 1000.0))
        .unwrap_or_default();
    format!(
        "Roadside call-out {}: {}{distance}",
        display_number(row.number),
        trouble.label()
    )
}

/// What the driver owes for a request, when it was billed.
#[derive(Debug, Clone)]
pub struct Bill {
    pub invoice_id: Uuid,
    pub number: String,
    pub total: Money,
    pub balance_due: Money,
}

pub(crate) async fn bill_of(
    tx: &TenantTx,
    row: &roadside_request::Model,
) -> Result<Option<Bill>, ServiceError> {
    let Some(id) = row.invoice_id else {
        return Ok(None);
    };
    let invoice = tx.get::<invoice::Entity>(id).await?;
    Ok(Some(Bill {
        invoice_id: invoice.id,
        number: invoice.number.clone().unwrap_or_default(),
        total: pitlane_billing::invoices::total_of(&invoice),
        balance_due: pitlane_billing::invoices::balance_due_of(&invoice),
    }))
}

pub(crate) async fn settings_commission(
    tx: &TenantTx,
    row: &roadside_request::Model,
) -> Result<i64, ServiceError> {
    let rules = settings::of_branch(tx, row.branch_id).await?;
    Ok(commission(row.quote_minor, rules.call_out_commission_bp))
}

#[cfg(test)]
mod tests {
    use super::commission;

    #[test]
    fn the_share_of_a_call_out_rounds_to_the_minor_unit() {
        assert_eq!(commission(5_000, 2_000), 1_000);
        assert_eq!(commission(4_999, 1_250), 625);
        assert_eq!(commission(5_000, 0), 0);
    }
}
