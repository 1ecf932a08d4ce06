//! Invoices, payments, refunds and credit notes; the workshop's Stripe connection and plan.

use chrono::{DateTime, Utc};
use pitlane_billing::{
    checkout::card_payments,
    connect::{self, ConnectStatus},
    invoices::{self, DraftInput, InvoiceView, LineInput, ListFilter},
    payments::{self, CreditInput, PaymentInput, RefundInput},
    subscriptions::{self, Standing},
};
use pitlane_domain::{invoicing::InvoiceStatus, plans, quantity::format_quantity};
use pitlane_store::entity::{credit_note, invoice, invoice_line, payment, refund, tenant};
use poem::{Request, web::Data};
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Path, Query},
    payload::{Binary, Json},
    types::Example,
};
use uuid::Uuid;

use super::{ApiTags, Caller, site};
use crate::{problem::Problem, state::AppState};

/// One line of the invoice list.
#[derive(Object)]
pub struct InvoiceSummary {
    pub id: Uuid,
    /// `INV-2026-000123`; none while draft.
    pub number: Option<String>,
    /// `draft`, `issued`, `partly_paid`, `paid` or `void`.
    pub status: String,
    pub customer_id: Uuid,
    pub customer_name: String,
    pub repair_order_id: Option<Uuid>,
    pub currency: String,
    pub total_minor: i64,
    pub balance_due_minor: i64,
    pub issued_at: Option<DateTime<Utc>>,
    pub due_at: Option<DateTime<Utc>>,
}

#[derive(Object)]
pub struct InvoiceList {
    /// Newest first, 100 at a time.
    pub items: Vec<InvoiceSummary>,
    /// Pass as `before` for the next page.
    pub next_before: Option<Uuid>,
}

fn summary(row: &invoice::Model) -> InvoiceSummary {
    InvoiceSummary {
        id: row.id,
        number: row.number.clone(),
        status: row.status.clone(),
        customer_id: row.customer_id,
        customer_name: row.customer_name.clone(),
        repair_order_id: row.repair_order_id,
        currency: row.currency.clone(),
        total_minor: row.total_minor,
        balance_due_minor: invoices::settlement(row).balance_due(),
        issued_at: row.issued_at,
        due_at: row.due_at,
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

#[derive(Object)]
pub struct InvoiceLines {
    pub items: Vec<InvoiceLine>,
}

fn line_api(l: &invoice_line::Model) -> InvoiceLine {
    InvoiceLine {
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

/// The tax of the lines at one rate.
#[derive(Object)]
pub struct TaxGroup {
    pub rate_bp: i32,
    pub net_minor: i64,
    pub tax_minor: i64,
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
    pub reference: Option<String>,
    pub received_at: DateTime<Utc>,
    pub recorded_by: Option<String>,
}

#[derive(Object)]
pub struct Payments {
    pub items: Vec<Payment>,
}

fn payment_api(p: &payment::Model) -> Payment {
    Payment {
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

#[derive(Object)]
pub struct Refund {
    pub id: Uuid,
    pub payment_id: Uuid,
    pub amount_minor: i64,
    pub reason: String,
    /// `pending`, `succeeded` or `failed`.
    pub status: String,
    pub credit_note_id: Option<Uuid>,
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
}

fn refund_api(r: &refund::Model) -> Refund {
    Refund {
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

#[derive(Object)]
pub struct CreditNote {
    pub id: Uuid,
    /// `CN-2026-000007`.
    pub number: String,
    pub reason: String,
    pub net_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Object)]
pub struct CreditNotes {
    pub items: Vec<CreditNote>,
}

fn credit_api(c: &credit_note::Model) -> CreditNote {
    CreditNote {
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

/// An invoice with its lines, tax, payments, refunds and credit notes.
#[derive(Object)]
pub struct Invoice {
    pub id: Uuid,
    pub number: Option<String>,
    pub status: String,
    pub branch_id: Uuid,
    pub customer_id: Uuid,
    pub customer_name: String,
    pub vehicle_id: Option<Uuid>,
    pub vehicle: String,
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
    pub notes: Option<String>,
    pub issued_at: Option<DateTime<Utc>>,
    pub due_at: Option<DateTime<Utc>>,
    pub voided_at: Option<DateTime<Utc>>,
    pub void_reason: Option<String>,
    pub created_at: DateTime<Utc>,
}

fn invoice_api(v: &InvoiceView) -> Invoice {
    let i = &v.invoice;
    Invoice {
        id: i.id,
        number: i.number.clone(),
        status: i.status.clone(),
        branch_id: i.branch_id,
        customer_id: i.customer_id,
        customer_name: i.customer_name.clone(),
        vehicle_id: i.vehicle_id,
        vehicle: i.vehicle_label.clone(),
        repair_order_id: i.repair_order_id,
        currency: i.currency.clone(),
        prices_include_tax: i.prices_include_tax,
        lines: v.lines.iter().map(line_api).collect(),
        tax_groups: v
            .totals
            .groups
            .iter()
            .map(|g| TaxGroup {
                rate_bp: g.rate_bp,
                net_minor: g.net,
                tax_minor: g.tax,
            })
            .collect(),
        net_minor: i.net_minor,
        tax_minor: i.tax_minor,
        total_minor: i.total_minor,
        credited_minor: i.credited_minor,
        paid_minor: i.paid_minor,
        refunded_minor: i.refunded_minor,
        balance_due_minor: v.money().balance_due(),
        payments: v.payments.iter().map(payment_api).collect(),
        refunds: v.refunds.iter().map(refund_api).collect(),
        credit_notes: v.credit_notes.iter().map(credit_api).collect(),
        notes: i.notes.clone(),
        issued_at: i.issued_at,
        due_at: i.due_at,
        voided_at: i.voided_at,
        void_reason: i.void_reason.clone(),
        created_at: i.created_at,
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

#[derive(ApiResponse)]
pub enum InvoiceCreated {
    /// Created.
    #[oai(status = 201)]
    Created(Json<Invoice>),
}

#[derive(ApiResponse)]
pub enum InvoicePdf {
    /// The invoice as a PDF.
    #[oai(status = 200)]
    Ok(
        Binary<Vec<u8>>,
        #[oai(header = "content-type")] String,
        #[oai(header = "content-disposition")] String,
    ),
}

/// Where to send the browser next (Stripe's hosted pages).
#[derive(Object)]
pub struct Redirect {
    pub url: String,
}

/// The workshop's Stripe connection and plan.
#[derive(Object)]
pub struct BillingStatus {
    /// `not_connected`, `pending` or `active`.
    pub stripe: String,
    pub stripe_label: String,
    /// Why customers cannot pay by card, when they cannot.
    pub card_payments_off_because: Option<String>,
    /// `trial`, `starter`, `growth` or `chain`.
    pub plan: String,
    /// `trialing`, `active`, `past_due` or `canceled`.
    pub billing_status: String,
    pub trial_ends_at: Option<DateTime<Utc>>,
    /// Whether staff may change data now (false when read-only for non-payment).
    pub can_change: bool,
    pub banner: Option<String>,
}

#[derive(Object)]
#[oai(example)]
pub struct PlanWrite {
    /// `starter`, `growth` or `chain`.
    pub plan: String,
}

impl Example for PlanWrite {
    fn example() -> Self {
        Self {
            plan: "growth".into(),
        }
    }
}

pub(crate) fn billing_status(state: &AppState, w: &tenant::Model) -> BillingStatus {
    let connect = ConnectStatus::of(w);
    let standing = Standing::of(w, Utc::now());
    // Without Stripe (self-hosted) there are no plans to pay, so no standing to lose.
    let enforced = state.billing.gateway.is_some();
    BillingStatus {
        stripe: connect.key().into(),
        stripe_label: connect.label().into(),
        card_payments_off_because: card_payments(w, &state.billing).err().map(str::to_owned),
        plan: plans::plan(&w.plan).key.into(),
        billing_status: w.billing_status.clone(),
        trial_ends_at: w.trial_ends_at,
        can_change: !enforced || standing.allows_changes(),
        banner: standing.banner().filter(|_| enforced),
    }
}

#[derive(Object)]
pub struct TaxRate {
    pub id: Uuid,
    pub branch_id: Uuid,
    pub name: String,
    pub rate_bp: i32,
}

#[derive(Object)]
pub struct TaxRates {
    pub items: Vec<TaxRate>,
}

#[derive(Object)]
#[oai(example)]
pub struct TaxRateWrite {
    pub branch_id: Uuid,
    /// `Reduced`.
    pub name: String,
    /// `5` or `5.5` (per cent).
    pub rate: String,
}

impl Example for TaxRateWrite {
    fn example() -> Self {
        Self {
            branch_id: Uuid::nil(),
            name: "Reduced".into(),
            rate: "5".into(),
        }
    }
}

#[derive(Object)]
#[oai(example)]
pub struct InvoiceSettingsWrite {
    /// Prices (and invoice lines) include tax.
    pub prices_include_tax: bool,
    /// Days from issue to due date.
    pub due_days: u32,
    /// Printed at the foot of every invoice (bank details, registration number).
    pub footer: Option<String>,
}

impl Example for InvoiceSettingsWrite {
    fn example() -> Self {
        Self {
            prices_include_tax: true,
            due_days: 14,
            footer: Some("IBAN DE00 0000 0000 0000 0000 00".into()),
        }
    }
}

#[derive(ApiResponse)]
pub enum TaxRateCreated {
    /// Created.
    #[oai(status = 201)]
    Created(Json<TaxRate>),
}

pub struct InvoicesApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Invoices")]
impl InvoicesApi {
    /// Invoices
    ///
    /// Needs `repair_orders.read`. Newest first, 100 at a time.
    #[oai(path = "/invoices", method = "get", operation_id = "list_invoices")]
    async fn list(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        /// One state only (`draft`, `issued`, `partly_paid`, `paid`, `void`).
        status: Query<Option<String>>,
        /// Only what is still owed (issued or partly paid).
        unpaid: Query<Option<bool>>,
        customer_id: Query<Option<Uuid>>,
        before: Query<Option<Uuid>>,
    ) -> Result<Json<InvoiceList>, Problem> {
        let status = match status.0.as_deref().filter(|s| !s.is_empty()) {
            None => None,
            Some(raw) => Some(InvoiceStatus::parse(raw).ok_or_else(|| {
                pitlane_domain::FieldErrors::single("status", "not an invoice status")
            })?),
        };
        let rows = invoices::list(
            &state.billing,
            &auth.actor,
            &ListFilter {
                status,
                customer_id: customer_id.0,
                unpaid: unpaid.0.unwrap_or(false),
            },
            before.0,
        )
        .await?;
        Ok(Json(InvoiceList {
            next_before: (rows.len() == 100)
                .then(|| rows.last().map(|r| r.id))
                .flatten(),
            items: rows.iter().map(summary).collect(),
        }))
    }

    /// Start a draft invoice
    ///
    /// Needs `invoices.write`. For a customer (and vehicle), not from a repair order.
    #[oai(path = "/invoices", method = "post", operation_id = "create_invoice")]
    async fn create(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        body: Json<InvoiceDraftWrite>,
    ) -> Result<InvoiceCreated, Problem> {
        let view = invoices::draft(
            &state.billing,
            &auth.actor,
            &DraftInput {
                branch_id: body.0.branch_id,
                customer_id: body.0.customer_id,
                vehicle_id: body.0.vehicle_id,
                notes: body.0.notes,
            },
        )
        .await?;
        Ok(InvoiceCreated::Created(Json(invoice_api(&view))))
    }

    /// Invoice a repair order
    ///
    /// Needs `invoices.write`. A draft with the order's lines (those not declined), shop
    /// supplies and tax. One live invoice per order: a second is a 409.
    #[oai(
        path = "/repair-orders/:order_id/invoice",
        method = "post",
        operation_id = "invoice_repair_order"
    )]
    async fn invoice_order(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        order_id: Path<Uuid>,
    ) -> Result<InvoiceCreated, Problem> {
        let view = invoices::draft_from_order(&state.billing, &auth.actor, order_id.0).await?;
        Ok(InvoiceCreated::Created(Json(invoice_api(&view))))
    }

    /// An invoice
    ///
    /// Needs `repair_orders.read`.
    #[oai(
        path = "/invoices/:invoice_id",
        method = "get",
        operation_id = "get_invoice"
    )]
    async fn get(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        invoice_id: Path<Uuid>,
    ) -> Result<Json<Invoice>, Problem> {
        let view = invoices::get(&state.billing, &auth.actor, invoice_id.0).await?;
        Ok(Json(invoice_api(&view)))
    }

    /// An invoice's PDF
    ///
    /// Needs `repair_orders.read`. The same figures as the invoice, with the workshop's brand.
    #[oai(
        path = "/invoices/:invoice_id/pdf",
        method = "get",
        operation_id = "get_invoice_pdf"
    )]
    async fn pdf(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        invoice_id: Path<Uuid>,
    ) -> Result<InvoicePdf, Problem> {
        let view = invoices::get(&state.billing, &auth.actor, invoice_id.0).await?;
        Ok(pdf_response(&view))
    }

    /// An invoice's lines
    ///
    /// Needs `repair_orders.read`.
    #[oai(
        path = "/invoices/:invoice_id/lines",
        method = "get",
        operation_id = "list_invoice_lines"
    )]
    async fn lines(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        invoice_id: Path<Uuid>,
    ) -> Result<Json<InvoiceLines>, Problem> {
        let view = invoices::get(&state.billing, &auth.actor, invoice_id.0).await?;
        Ok(Json(InvoiceLines {
            items: view.lines.iter().map(line_api).collect(),
        }))
    }

    /// Add a line to a draft
    ///
    /// Needs `invoices.write`. An issued invoice is never edited (409): credit it instead.
    #[oai(
        path = "/invoices/:invoice_id/lines",
        method = "post",
        operation_id = "add_invoice_line"
    )]
    async fn add_line(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        invoice_id: Path<Uuid>,
        body: Json<InvoiceLineWrite>,
    ) -> Result<InvoiceCreated, Problem> {
        let w = body.0;
        let view = invoices::add_line(
            &state.billing,
            &auth.actor,
            invoice_id.0,
            &LineInput {
                kind: w.kind,
                description: w.description,
                quantity: w.quantity.unwrap_or_default(),
                unit_price: w.unit_price,
                tax_rate_id: w.tax_rate_id,
                taxable: w.taxable.unwrap_or(true),
            },
        )
        .await?;
        Ok(InvoiceCreated::Created(Json(invoice_api(&view))))
    }

    /// Remove a line from a draft
    ///
    /// Needs `invoices.write`.
    #[oai(
        path = "/invoices/:invoice_id/lines/:line_id",
        method = "delete",
        operation_id = "remove_invoice_line"
    )]
    async fn remove_line(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        invoice_id: Path<Uuid>,
        line_id: Path<Uuid>,
    ) -> Result<Json<Invoice>, Problem> {
        let view =
            invoices::remove_line(&state.billing, &auth.actor, invoice_id.0, line_id.0).await?;
        Ok(Json(invoice_api(&view)))
    }

    /// Issue a draft
    ///
    /// Needs `invoices.write`. Gives the next number (`INV-2026-000123`, gap-free), the due
    /// date, and sends the customer the invoice with its PDF and pay link.
    #[oai(
        path = "/invoices/:invoice_id/issue",
        method = "post",
        operation_id = "issue_invoice"
    )]
    async fn issue(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        req: &Request,
        invoice_id: Path<Uuid>,
    ) -> Result<Json<Invoice>, Problem> {
        let site = site(&state, req)?;
        let view = invoices::issue(&state.billing, &auth.actor, invoice_id.0, &site).await?;
        Ok(Json(invoice_api(&view)))
    }

    /// Void an invoice
    ///
    /// Needs `invoices.write`. Only while nothing was paid or credited against it.
    #[oai(
        path = "/invoices/:invoice_id/void",
        method = "post",
        operation_id = "void_invoice"
    )]
    async fn void(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        invoice_id: Path<Uuid>,
        body: Json<VoidWrite>,
    ) -> Result<Json<Invoice>, Problem> {
        let view =
            invoices::void(&state.billing, &auth.actor, invoice_id.0, &body.0.reason).await?;
        Ok(Json(invoice_api(&view)))
    }

    /// An invoice's payments
    ///
    /// Needs `repair_orders.read`.
    #[oai(
        path = "/invoices/:invoice_id/payments",
        method = "get",
        operation_id = "list_invoice_payments"
    )]
    async fn payments(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        invoice_id: Path<Uuid>,
    ) -> Result<Json<Payments>, Problem> {
        let view = invoices::get(&state.billing, &auth.actor, invoice_id.0).await?;
        Ok(Json(Payments {
            items: view.payments.iter().map(payment_api).collect(),
        }))
    }

    /// Record a payment
    ///
    /// Needs `invoices.write`. Cash, card terminal or bank transfer; at most what is still
    /// due. On a draft it is a deposit. The customer gets a receipt.
    #[oai(
        path = "/invoices/:invoice_id/payments",
        method = "post",
        operation_id = "record_payment"
    )]
    async fn record_payment(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        req: &Request,
        invoice_id: Path<Uuid>,
        body: Json<PaymentWrite>,
    ) -> Result<InvoiceCreated, Problem> {
        let site = site(&state, req)?;
        let w = body.0;
        let view = payments::record_payment(
            &state.billing,
            &auth.actor,
            invoice_id.0,
            &PaymentInput {
                method: w.method,
                amount: w.amount,
                reference: w.reference,
                received_at: w.received_at,
            },
            &site,
        )
        .await?;
        Ok(InvoiceCreated::Created(Json(invoice_api(&view))))
    }

    /// A payment (its receipt)
    ///
    /// Needs `repair_orders.read`.
    #[oai(
        path = "/invoices/:invoice_id/payments/:payment_id",
        method = "get",
        operation_id = "get_payment"
    )]
    async fn payment(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        invoice_id: Path<Uuid>,
        payment_id: Path<Uuid>,
    ) -> Result<Json<Payment>, Problem> {
        let (paid, view) = payments::receipt(&state.billing, &auth.actor, payment_id.0).await?;
        if view.invoice.id != invoice_id.0 {
            return Err(pitlane_domain::ServiceError::NotFound.into());
        }
        Ok(Json(payment_api(&paid)))
    }

    /// Refund a payment
    ///
    /// Needs `invoices.refund`. Card payments made on the branded page are refunded through
    /// Stripe (nothing is recorded if Stripe refuses or is down); others are recorded. A
    /// reason is required and the refund is in the audit log.
    #[oai(
        path = "/invoices/:invoice_id/payments/:payment_id/refunds",
        method = "post",
        operation_id = "refund_payment"
    )]
    async fn refund(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        req: &Request,
        invoice_id: Path<Uuid>,
        payment_id: Path<Uuid>,
        body: Json<RefundWrite>,
    ) -> Result<InvoiceCreated, Problem> {
        let site = site(&state, req)?;
        let (_, view) = payments::receipt(&state.billing, &auth.actor, payment_id.0).await?;
        if view.invoice.id != invoice_id.0 {
            return Err(pitlane_domain::ServiceError::NotFound.into());
        }
        let w = body.0;
        let view = payments::refund(
            &state.billing,
            &auth.actor,
            payment_id.0,
            &RefundInput {
                amount: w.amount,
                reason: w.reason,
                credit_note: w.credit_note.unwrap_or(true),
            },
            &site,
        )
        .await?;
        Ok(InvoiceCreated::Created(Json(invoice_api(&view))))
    }

    /// An invoice's credit notes
    ///
    /// Needs `repair_orders.read`.
    #[oai(
        path = "/invoices/:invoice_id/credit-notes",
        method = "get",
        operation_id = "list_credit_notes"
    )]
    async fn credit_notes(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        invoice_id: Path<Uuid>,
    ) -> Result<Json<CreditNotes>, Problem> {
        let view = invoices::get(&state.billing, &auth.actor, invoice_id.0).await?;
        Ok(Json(CreditNotes {
            items: view.credit_notes.iter().map(credit_api).collect(),
        }))
    }

    /// Issue a credit note
    ///
    /// Needs `invoices.write`. The only way to lower what an issued invoice asks for;
    /// numbered `CN-2026-000007`, at most what is not yet credited.
    #[oai(
        path = "/invoices/:invoice_id/credit-notes",
        method = "post",
        operation_id = "create_credit_note"
    )]
    async fn credit(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        invoice_id: Path<Uuid>,
        body: Json<CreditNoteWrite>,
    ) -> Result<InvoiceCreated, Problem> {
        let w = body.0;
        let view = payments::credit(
            &state.billing,
            &auth.actor,
            invoice_id.0,
            &CreditInput {
                reason: w.reason,
                description: w.description.unwrap_or_default(),
                amount: w.amount,
                tax_rate_bp: w.tax_rate_bp,
            },
        )
        .await?;
        Ok(InvoiceCreated::Created(Json(invoice_api(&view))))
    }

    /// Tax rates
    ///
    /// Needs `tenant.read`. The rates branches charge beside their standard rate.
    #[oai(path = "/tax-rates", method = "get", operation_id = "list_tax_rates")]
    async fn tax_rates(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
    ) -> Result<Json<TaxRates>, Problem> {
        let rows = pitlane_billing::tax_rates::list(&state.billing, &auth.actor).await?;
        Ok(Json(TaxRates {
            items: rows
                .into_iter()
                .map(|r| TaxRate {
                    id: r.id,
                    branch_id: r.branch_id,
                    name: r.name,
                    rate_bp: r.rate_bp,
                })
                .collect(),
        }))
    }

    /// Add a tax rate to a branch
    ///
    /// Needs `settings.manage`.
    #[oai(path = "/tax-rates", method = "post", operation_id = "create_tax_rate")]
    async fn add_tax_rate(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        body: Json<TaxRateWrite>,
    ) -> Result<TaxRateCreated, Problem> {
        let r = pitlane_billing::tax_rates::add(
            &state.billing,
            &auth.actor,
            body.0.branch_id,
            &body.0.name,
            &body.0.rate,
        )
        .await?;
        Ok(TaxRateCreated::Created(Json(TaxRate {
            id: r.id,
            branch_id: r.branch_id,
            name: r.name,
            rate_bp: r.rate_bp,
        })))
    }

    /// Change the invoice settings
    ///
    /// Needs `settings.manage`. Applies to invoices drafted from now on.
    #[oai(
        path = "/billing/invoice-settings",
        method = "put",
        operation_id = "save_invoice_settings"
    )]
    async fn invoice_settings(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        body: Json<InvoiceSettingsWrite>,
    ) -> Result<Json<BillingStatus>, Problem> {
        let row = pitlane_billing::tax_rates::save_settings(
            &state.billing,
            &auth.actor,
            &pitlane_billing::tax_rates::InvoiceSettings {
                prices_include_tax: body.0.prices_include_tax,
                due_days: body.0.due_days.to_string(),
                footer: body.0.footer,
            },
        )
        .await?;
        Ok(Json(billing_status(&state, &row)))
    }

    /// The workshop's Stripe connection and plan
    ///
    /// Needs `tenant.read`.
    #[oai(path = "/billing", method = "get", operation_id = "get_billing")]
    async fn billing(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
    ) -> Result<Json<BillingStatus>, Problem> {
        let workshop = connect::workshop(&state.billing, &auth.actor).await?;
        Ok(Json(billing_status(&state, &workshop)))
    }

    /// Connect Stripe
    ///
    /// Needs `billing.manage`. Creates the workshop's Stripe account once, and returns
    /// Stripe's onboarding page to send the owner to.
    #[oai(
        path = "/billing/stripe-onboarding",
        method = "post",
        operation_id = "start_stripe_onboarding"
    )]
    async fn onboarding(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        req: &Request,
    ) -> Result<Json<Redirect>, Problem> {
        let site = site(&state, req)?;
        let url = connect::onboarding_link(&state.billing, &auth.actor, &site).await?;
        Ok(Json(Redirect { url }))
    }

    /// Choose a plan
    ///
    /// Needs `billing.manage`. Returns Stripe Checkout (subscription, priced per branch).
    #[oai(
        path = "/billing/plan-checkout",
        method = "post",
        operation_id = "choose_plan"
    )]
    async fn choose_plan(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        req: &Request,
        body: Json<PlanWrite>,
    ) -> Result<Json<Redirect>, Problem> {
        let site = site(&state, req)?;
        let url =
            subscriptions::choose_plan(&state.billing, &auth.actor, &body.0.plan, &site).await?;
        Ok(Json(Redirect { url }))
    }
}

pub(crate) fn pdf_response(view: &InvoiceView) -> InvoicePdf {
    let name = view
        .invoice
        .number
        .clone()
        .unwrap_or_else(|| format!("draft-{}", view.invoice.id));
    InvoicePdf::Ok(
        Binary(pitlane_billing::pdf::render(view)),
        "application/pdf".into(),
        format!("inline; filename=\"{name}.pdf\""),
    )
}
