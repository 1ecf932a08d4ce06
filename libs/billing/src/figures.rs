//! Keeps the daily figures the reports read in step with the documents, in the documents'
//! own transactions: issuing or voiding an invoice, writing a credit note, receiving a
//! payment, making a refund (or learning it failed). The same readers feed the rebuild, so a
//! figure maintained here and one rebuilt from scratch are computed the same way.
//!
//! What each document adds is decided in `pitlane_domain::reports::facts`; this file reads
//! the rows that decision needs.

use std::collections::HashMap;

use pitlane_domain::{
    ServiceError,
    invoicing::TaxMode,
    reports::{
        Deltas,
        facts::{self, CreditNoteFacts, InvoiceFacts, InvoiceLineFacts},
    },
};
use pitlane_store::{
    TenantTx,
    entity::{credit_note, credit_note_line, invoice, invoice_line, payment, refund},
    sea_orm::{ColumnTrait, QueryFilter, QueryOrder},
};
use uuid::Uuid;

type Zones = pitlane_domain::reports::period::BranchZones;

fn totals_error(e: pitlane_domain::invoicing::TotalsError) -> ServiceError {
    ServiceError::internal(format!("figures of an invoice: {e}"))
}

fn invoice_deltas(
    zones: &Zones,
    row: &invoice::Model,
    lines: &[invoice_line::Model],
) -> Result<Deltas, ServiceError> {
    let Some(issued_at) = row.issued_at else {
        return Ok(Deltas::new());
    };
    facts::of_invoice(&InvoiceFacts {
        branch_id: row.branch_id,
        day: zones.day(row.branch_id, issued_at),
        has_vehicle: row.vehicle_id.is_some(),
        advisor_id: row.advisor_id,
        mode: TaxMode::from_flag(row.prices_include_tax),
        lines: lines
            .iter()
            .map(|l| InvoiceLineFacts {
                kind: l.kind.clone(),
                quantity_milli: l.quantity_milli,
                unit_price: l.unit_price_minor,
                tax_rate_bp: l.tax_rate_bp,
                tax_name: l.tax_name.clone(),
                unit_cost: l.unit_cost_minor,
                billed_hours_milli: l.billed_hours_milli,
                category: l.category.clone(),
                technician_id: l.technician_id,
            })
            .collect(),
    })
    .map_err(totals_error)
}

fn credit_note_deltas(
    zones: &Zones,
    invoice: &invoice::Model,
    note: &credit_note::Model,
    lines: &[credit_note_line::Model],
) -> Result<Deltas, ServiceError> {
    facts::of_credit_note(&CreditNoteFacts {
        branch_id: invoice.branch_id,
        day: zones.day(invoice.branch_id, note.created_at),
        advisor_id: invoice.advisor_id,
        lines: lines
            .iter()
            .map(|l| (l.amount_minor, l.tax_rate_bp, l.tax_name.clone()))
            .collect(),
    })
    .map_err(totals_error)
}

fn payment_deltas(zones: &Zones, invoice: &invoice::Model, paid: &payment::Model) -> Deltas {
    facts::of_payment(
        invoice.branch_id,
        zones.day(invoice.branch_id, paid.received_at),
        &paid.method,
        paid.amount_minor,
    )
}

/// A refund counts unless it failed (a pending one already holds its money back, as the
/// invoice's balance does).
fn refund_deltas(
    zones: &Zones,
    invoice: &invoice::Model,
    paid: &payment::Model,
    made: &refund::Model,
) -> Deltas {
    if made.status == "failed" {
        return Deltas::new();
    }
    facts::of_refund(
        invoice.branch_id,
        zones.day(invoice.branch_id, made.created_at),
        &paid.method,
        made.amount_minor,
    )
}

async fn lines_of(
    tx: &TenantTx,
    invoice_id: Uuid,
) -> Result<Vec<invoice_line::Model>, ServiceError> {
    Ok(tx
        .all(
            tx.select::<invoice_line::Entity>()
                .filter(invoice_line::Column::InvoiceId.eq(invoice_id))
                .order_by_asc(invoice_line::Column::Position)
                .order_by_asc(invoice_line::Column::Id),
        )
        .await?)
}

/// An invoice was issued: its sales count on its issue day.
pub(crate) async fn invoice_issued(
    tx: &TenantTx,
    row: &invoice::Model,
) -> Result<(), ServiceError> {
    let zones = tx.branch_zones().await?;
    let lines = lines_of(tx, row.id).await?;
    tx.add_figures(&invoice_deltas(&zones, row, &lines)?)
        .await?;
    Ok(())
}

/// An issued invoice was voided: what its issue added is taken back, on its issue day.
pub(crate) async fn invoice_voided(
    tx: &TenantTx,
    row: &invoice::Model,
) -> Result<(), ServiceError> {
    let zones = tx.branch_zones().await?;
    let lines = lines_of(tx, row.id).await?;
    tx.add_figures(&facts::negate(invoice_deltas(&zones, row, &lines)?))
        .await?;
    Ok(())
}

pub(crate) async fn credit_note_written(
    tx: &TenantTx,
    invoice: &invoice::Model,
    note: &credit_note::Model,
) -> Result<(), ServiceError> {
    let zones = tx.branch_zones().await?;
    let lines = tx
        .all(
            tx.select::<credit_note_line::Entity>()
                .filter(credit_note_line::Column::CreditNoteId.eq(note.id)),
        )
        .await?;
    tx.add_figures(&credit_note_deltas(&zones, invoice, note, &lines)?)
        .await?;
    Ok(())
}

pub(crate) async fn payment_received(
    tx: &TenantTx,
    invoice: &invoice::Model,
    paid: &payment::Model,
) -> Result<(), ServiceError> {
    let zones = tx.branch_zones().await?;
    tx.add_figures(&payment_deltas(&zones, invoice, paid))
        .await?;
    Ok(())
}

/// A refund was made, or its status changed (`before` is how it stood until now).
pub(crate) async fn refund_changed(
    tx: &TenantTx,
    before: Option<&refund::Model>,
    after: &refund::Model,
) -> Result<(), ServiceError> {
    let zones = tx.branch_zones().await?;
    let invoice = tx.get::<invoice::Entity>(after.invoice_id).await?;
    let paid = tx.get::<payment::Entity>(after.payment_id).await?;
    let mut deltas = refund_deltas(&zones, &invoice, &paid, after);
    if let Some(before) = before {
        facts::merge(
            &mut deltas,
            facts::negate(refund_deltas(&zones, &invoice, &paid, before)),
        );
    }
    tx.add_figures(&deltas).await?;
    Ok(())
}

/// Every figure the tenant's documents add up to, computed from scratch: what the rebuild
/// writes, and what a test compares the maintained figures with.
pub async fn from_documents(tx: &TenantTx) -> Result<Deltas, ServiceError> {
    let zones = tx.branch_zones().await?;
    let mut all = Deltas::new();
    let mut after: Option<Uuid> = None;
    loop {
        let page = tx
            .page(
                tx.select::<invoice::Entity>()
                    .filter(invoice::Column::IssuedAt.is_not_null())
                    .filter(invoice::Column::Status.ne("void")),
                after,
                500,
            )
            .await?;
        let ids: Vec<Uuid> = page.items.iter().map(|i| i.id).collect();
        let mut lines: HashMap<Uuid, Vec<invoice_line::Model>> = HashMap::new();
        for line in tx
            .all(
                tx.select::<invoice_line::Entity>()
                    .filter(invoice_line::Column::InvoiceId.is_in(ids.clone()))
                    .order_by_asc(invoice_line::Column::Position)
                    .order_by_asc(invoice_line::Column::Id),
            )
            .await?
        {
            lines.entry(line.invoice_id).or_default().push(line);
        }
        let invoices: HashMap<Uuid, invoice::Model> =
            page.items.into_iter().map(|i| (i.id, i)).collect();
        for row in invoices.values() {
            let lines = lines.remove(&row.id).unwrap_or_default();
            facts::merge(&mut all, invoice_deltas(&zones, row, &lines)?);
        }
        // What was written against these invoices: credit notes, payments, refunds.
        let notes = tx
            .all(
                tx.select::<credit_note::Entity>()
                    .filter(credit_note::Column::InvoiceId.is_in(ids.clone())),
            )
            .await?;
        let note_ids: Vec<Uuid> = notes.iter().map(|n| n.id).collect();
        let mut note_lines: HashMap<Uuid, Vec<credit_note_line::Model>> = HashMap::new();
        for line in tx
            .all(
                tx.select::<credit_note_line::Entity>()
                    .filter(credit_note_line::Column::CreditNoteId.is_in(note_ids)),
            )
            .await?
        {
            note_lines
                .entry(line.credit_note_id)
                .or_default()
                .push(line);
        }
        for note in &notes {
            let invoice = &invoices[&note.invoice_id];
            let lines = note_lines.remove(&note.id).unwrap_or_default();
            facts::merge(&mut all, credit_note_deltas(&zones, invoice, note, &lines)?);
        }
        let payments: HashMap<Uuid, payment::Model> = tx
            .all(
                tx.select::<payment::Entity>()
                    .filter(payment::Column::InvoiceId.is_in(ids.clone())),
            )
            .await?
            .into_iter()
            .map(|p| (p.id, p))
            .collect();
        for paid in payments.values() {
            facts::merge(
                &mut all,
                payment_deltas(&zones, &invoices[&paid.invoice_id], paid),
            );
        }
        for made in tx
            .all(
                tx.select::<refund::Entity>()
                    .filter(refund::Column::InvoiceId.is_in(ids)),
            )
            .await?
        {
            if let Some(paid) = payments.get(&made.payment_id) {
                facts::merge(
                    &mut all,
                    refund_deltas(&zones, &invoices[&made.invoice_id], paid, &made),
                );
            }
        }
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    Ok(all)
}
