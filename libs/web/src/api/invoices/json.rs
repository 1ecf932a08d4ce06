//! Invoices with their lines, tax, payments (receipts), refunds and credit notes, and what
//! drafting, paying, refunding and crediting take. `Invoice` is also the answer of
//! `POST /repair-orders/{order_id}/invoice`.

use chrono::{DateTime, Utc};
use pitlane_billing::{
    invoices::{self, DraftInput, InvoiceView, LineInput},
    payments::{CreditInput, PaymentInput, RefundInput},
};
use pitlane_domain::{invoicing, quantity::format_quantity};
use pitlane_store::entity::{credit_note, invoice, invoice_line, payment, refund};
use poem_openapi::{ApiResponse, Object, payload::Binary, types::Example};
use uuid::Uuid;

/// One line of the invoice list.
#[derive(Object)]
pub struct InvoiceSummary {
    pub id: Uuid,
    /// `INV-2026-000123`; none while draft.
    #[oai(nullable)]
    pub number: Option<String>,
    /// `draft`, `issued`, `partly_paid`, `paid` or `void`.
    pub status: String,
    pub customer_id: Uuid,
    pub customer_name: String,
    #[oai(nullable)]
    pub repair_order_id: Option<Uuid>,
    pub currency: String,
    pub total_minor: i64,
    pub balance_due_minor: i64,
    #[oai(nullable)]
    pub issued_at: Option<DateTime<Utc>>,
    #[oai(nullable)]
    pub due_at: Option<DateTime<Utc>>,
}

impl From<&invoice::Model> for InvoiceSummary {
    fn from(row: &invoice::Model) -> Self {
        let total = invoices::total_of(row);
        Self {
            id: row.id,
            number: row.number.clone(),
            status: row.status.clone(),
            customer_id: row.customer_id,
            customer_name: row.customer_name.clone(),
            repair_order_id: row.repair_order_id,
            balance_due_minor: invoices::balance_due_of(row).minor,
            currency: total.currency.to_string(),
            total_minor: total.minor,
            issued_at: row.issued_at,
            due_at: row.due_at,
        }
    }
}

#[derive(Object)]
pub struct InvoiceLine {
    pub id: Uuid,
    pub position: i32,
    /// `labour`, `part`, `fee`, `discount` or `other`.
    pub kind: String,
    pub description: String,
    /// `1.5`.
    pub quantity: String,
    /// Net or gross as the invoice's `prices_include_tax` says; negative for a discount.
    pub unit_price_minor: i64,
    pub tax_rate_bp: i32,
    pub tax_name: String,
    pub amount_minor: i64,
}

impl From<&invoice_line::Model> for InvoiceLine {
    fn from(l: &invoice_line::Model) -> Self {
        Self {
            id: l.id,
            position: l.position,
            kind: l.kind.clone(),
            description: l.description.clone(),
            quantity: format_quantity(l.quantity_milli),
            unit_price_minor: l.unit_price_minor,
            tax_rate_bp: l.tax_rate_bp,
            tax_name: l.tax_name.clone(),
            amount_minor: l.amount_minor,
        }
    }
}

/// The tax of the lines at one rate.
#[derive(Object)]
pub struct TaxGroup {
    pub rate_bp: i32,
    pub net_minor: i64,
    pub tax_minor: i64,
}

impl From<&invoicing::TaxGroup> for TaxGroup {
    fn from(g: &invoicing::TaxGroup) -> Self {
        Self {
            rate_bp: g.rate_bp,
            net_minor: g.net,
            tax_minor: g.tax,
        }
    }
}

#[derive(Object)]
pub struct Payment {
    pub id: Uuid,
    /// The receipt's number, `RCT-2026-000045`.
    pub number: String,
    /// `cash`, `card_terminal`, `bank_transfer`, `card_online` or `rounding`.
    pub method: String,
    pub amount_minor: i64,
    pub refunded_minor: i64,
    #[oai(nullable)]
    pub reference: Option<String>,
    pub received_at: DateTime<Utc>,
    #[oai(nullable)]
    pub recorded_by: Option<String>,
}

impl From<&payment::Model> for Payment {
    fn from(p: &payment::Model) -> Self {
        Self {
            id: p.id,
            number: p.number.clone(),
            method: p.method.clone(),
            amount_minor: p.amount_minor,
            refunded_minor: p.refunded_minor,
            reference: p.reference.clone(),
            received_at: p.received_at,
            recorded_by: p.recorded_by.clone(),
        }
    }
}

#[derive(Object)]
pub struct Refund {
    pub id: Uuid,
    pub payment_id: Uuid,
    pub amount_minor: i64,
    pub reason: String,
    /// `pending`, `succeeded` or `failed`.
    pub status: String,
    #[oai(nullable)]
    pub credit_note_id: Option<Uuid>,
    #[oai(nullable)]
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<&refund::Model> for Refund {
    fn from(r: &refund::Model) -> Self {
        Self {
            id: r.id,
            payment_id: r.payment_id,
            amount_minor: r.amount_minor,
            reason: r.reason.clone(),
            status: r.status.clone(),
            credit_note_id: r.credit_note_id,
            created_by: r.created_by.clone(),
            created_at: r.created_at,
        }
    }
}

#[derive(Object)]
pub struct CreditNote {
    pub id: Uuid,
    /// `CN-2026-000007`.
    pub number: String,
    pub reason: String,
    pub net_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
    #[oai(nullable)]
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<&credit_note::Model> for CreditNote {
    fn from(c: &credit_note::Model) -> Self {
        Self {
            id: c.id,
            number: c.number.clone(),
            reason: c.reason.clone(),
            net_minor: c.net_minor,
            tax_minor: c.tax_minor,
            total_minor: c.total_minor,
            created_by: c.created_by.clone(),
            created_at: c.created_at,
        }
    }
}

/// An invoice with its lines, tax, payments, refunds and credit notes.
#[derive(Object)]
pub struct Invoice {
    pub id: Uuid,
    #[oai(nullable)]
    pub number: Option<String>,
    pub status: String,
    pub branch_id: Uuid,
    pub customer_id: Uuid,
    pub customer_name: String,
    #[oai(nullable)]
    pub vehicle_id: Option<Uuid>,
    pub vehicle: String,
    #[oai(nullable)]
    pub repair_order_id: Option<Uuid>,
    pub currency: String,
    /// Whether the unit prices and amounts include tax.
    pub prices_include_tax: bool,
    pub lines: Vec<InvoiceLine>,
    pub tax_groups: Vec<TaxGroup>,
    pub net_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
    pub credited_minor: i64,
    pub paid_minor: i64,
    pub refunded_minor: i64,
    /// Total − credited − paid + refunded.
    pub balance_due_minor: i64,
    pub payments: Vec<Payment>,
    pub refunds: Vec<Refund>,
    pub credit_notes: Vec<CreditNote>,
    #[oai(nullable)]
    pub notes: Option<String>,
    #[oai(nullable)]
    pub issued_at: Option<DateTime<Utc>>,
    #[oai(nullable)]
    pub due_at: Option<DateTime<Utc>>,
    #[oai(nullable)]
    pub voided_at: Option<DateTime<Utc>>,
    #[oai(nullable)]
    pub void_reason: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<&InvoiceView> for Invoice {
    fn from(v: &InvoiceView) -> Self {
        let i = &v.invoice;
        let total = v.total();
        Self {
            id: i.id,
            number: i.number.clone(),
            status: i.status.clone(),
            branch_id: i.branch_id,
            customer_id: i.customer_id,
            customer_name: i.customer_name.clone(),
            vehicle_id: i.vehicle_id,
            vehicle: i.vehicle_label.clone(),
            repair_order_id: i.repair_order_id,
            currency: total.currency.to_string(),
            prices_include_tax: i.prices_include_tax,
            lines: v.lines.iter().map(InvoiceLine::from).collect(),
            tax_groups: v.totals.groups.iter().map(TaxGroup::from).collect(),
            net_minor: i.net_minor,
            tax_minor: i.tax_minor,
            total_minor: total.minor,
            credited_minor: i.credited_minor,
            paid_minor: i.paid_minor,
            refunded_minor: i.refunded_minor,
            balance_due_minor: v.balance_due().minor,
            payments: v.payments.iter().map(Payment::from).collect(),
            refunds: v.refunds.iter().map(Refund::from).collect(),
            credit_notes: v.credit_notes.iter().map(CreditNote::from).collect(),
            notes: i.notes.clone(),
            issued_at: i.issued_at,
            due_at: i.due_at,
            voided_at: i.voided_at,
            void_reason: i.void_reason.clone(),
            created_at: i.created_at,
        }
    }
}

/// A draft invoice not from a repair order.
#[derive(Object)]
#[oai(example)]
pub struct InvoiceDraftWrite {
    pub branch_id: Uuid,
    pub customer_id: Uuid,
    pub vehicle_id: Option<Uuid>,
    pub notes: Option<String>,
}

impl Example for InvoiceDraftWrite {
    fn example() -> Self {
        Self {
            branch_id: Uuid::nil(),
            customer_id: Uuid::nil(),
            vehicle_id: None,
            notes: Some("Tyres fitted while you wait".into()),
        }
    }
}

impl From<InvoiceDraftWrite> for DraftInput {
    fn from(w: InvoiceDraftWrite) -> Self {
        DraftInput {
            branch_id: w.branch_id,
            customer_id: w.customer_id.into(),
            vehicle_id: w.vehicle_id.map(Into::into),
            notes: w.notes,
        }
    }
}

/// A line for a draft invoice.
#[derive(Object)]
#[oai(example)]
pub struct InvoiceLineWrite {
    /// `labour`, `part`, `fee`, `discount` or `other`.
    pub kind: String,
    pub description: String,
    /// Hours or units, `1` if empty.
    pub quantity: Option<String>,
    /// The price of one as people write it (`49.90`); a discount's amount positive.
    pub unit_price: String,
    /// One of the branch's extra tax rates; the branch's standard rate if not given.
    pub tax_rate_id: Option<Uuid>,
    /// `false`: no tax on this line.
    pub taxable: Option<bool>,
}

impl Example for InvoiceLineWrite {
    fn example() -> Self {
        Self {
            kind: "part".into(),
            description: "Wiper blades".into(),
            quantity: Some("2".into()),
            unit_price: "14.50".into(),
            tax_rate_id: None,
            taxable: Some(true),
        }
    }
}

impl From<InvoiceLineWrite> for LineInput {
    fn from(w: InvoiceLineWrite) -> Self {
        LineInput {
            kind: w.kind,
            description: w.description,
            quantity: w.quantity.unwrap_or_default(),
            unit_price: w.unit_price,
            tax_rate_id: w.tax_rate_id,
            taxable: w.taxable.unwrap_or(true),
        }
    }
}

#[derive(Object)]
#[oai(example)]
pub struct VoidWrite {
    pub reason: String,
}

impl Example for VoidWrite {
    fn example() -> Self {
        Self {
            reason: "Raised for the wrong customer".into(),
        }
    }
}

/// A payment received by hand.
#[derive(Object)]
#[oai(example)]
pub struct PaymentWrite {
    /// `cash`, `card_terminal` or `bank_transfer`.
    pub method: String,
    /// `120.00`.
    pub amount: String,
    pub reference: Option<String>,
    pub received_at: Option<DateTime<Utc>>,
}

impl Example for PaymentWrite {
    fn example() -> Self {
        Self {
            method: "card_terminal".into(),
            amount: "120.00".into(),
            reference: Some("slip 0042".into()),
            received_at: None,
        }
    }
}

impl From<PaymentWrite> for PaymentInput {
    fn from(w: PaymentWrite) -> Self {
        PaymentInput {
            method: w.method,
            amount: w.amount,
            reference: w.reference,
            received_at: w.received_at,
        }
    }
}

#[derive(Object)]
#[oai(example)]
pub struct RefundWrite {
    pub amount: String,
    pub reason: String,
    /// Also issue a credit note for the amount, so the invoice stays settled (default true).
    pub credit_note: Option<bool>,
}

impl Example for RefundWrite {
    fn example() -> Self {
        Self {
            amount: "20.00".into(),
            reason: "Part returned unused".into(),
            credit_note: Some(true),
        }
    }
}

impl From<RefundWrite> for RefundInput {
    fn from(w: RefundWrite) -> Self {
        RefundInput {
            amount: w.amount,
            reason: w.reason,
            credit_note: w.credit_note.unwrap_or(true),
        }
    }
}

#[derive(Object)]
#[oai(example)]
pub struct CreditNoteWrite {
    pub reason: String,
    pub description: Option<String>,
    /// What the customer is credited, tax included (`10.00`).
    pub amount: String,
    /// One of the invoice's rates; its main rate if not given.
    pub tax_rate_bp: Option<i32>,
}

impl Example for CreditNoteWrite {
    fn example() -> Self {
        Self {
            reason: "Goodwill: waiting time".into(),
            description: None,
            amount: "10.00".into(),
            tax_rate_bp: None,
        }
    }
}

impl From<CreditNoteWrite> for CreditInput {
    fn from(w: CreditNoteWrite) -> Self {
        CreditInput {
            reason: w.reason,
            description: w.description.unwrap_or_default(),
            amount: w.amount,
            tax_rate_bp: w.tax_rate_bp,
        }
    }
}

#[derive(ApiResponse)]
pub enum InvoicePdf {
    /// The invoice as a PDF.
    #[oai(status = 200, content_type = "application/pdf")]
    Ok(
        Binary<Vec<u8>>,
        #[oai(header = "content-disposition")] String,
    ),
}

/// The invoice rendered with the workshop's brand, named by its number (or `draft-{id}`).
impl From<&InvoiceView> for InvoicePdf {
    fn from(view: &InvoiceView) -> Self {
        let name = view
            .invoice
            .number
            .clone()
            .unwrap_or_else(|| format!("draft-{}", view.invoice.id));
        InvoicePdf::Ok(
            Binary(pitlane_billing::pdf::render(view)),
            format!("inline; filename=\"{name}.pdf\""),
        )
    }
}
