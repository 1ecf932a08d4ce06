//! `/invoices`: drafts and issued invoices, their lines and PDF, payments with receipts,
//! refunds and credit notes (invoicing a repair order is under `/repair-orders`).

pub(crate) mod json;

use pitlane_billing::{
    invoices::{self, InvoiceView, ListFilter},
    payments,
};
use pitlane_domain::invoicing::InvoiceStatus;
use poem::{Request, web::Data};
use poem_openapi::{
    OpenApi,
    param::{Path, Query},
    payload::Json,
};
use uuid::Uuid;

use self::json::{
    CreditNote, CreditNoteWrite, Invoice, InvoiceDraftWrite, InvoiceLine, InvoiceLineWrite,
    InvoicePdf, InvoiceSummary, Payment, PaymentWrite, RefundWrite, VoidWrite,
};
use super::{
    ApiTags, Caller,
    shapes::{Created, Page, PageQuery},
    site,
};
use crate::problem::Problem;
use pitlane_app::state::AppState;

/// The invoice's PDF, for the API and the pages.
pub(crate) fn pdf_response(view: &InvoiceView) -> InvoicePdf {
    InvoicePdf::from(view)
}

pub struct InvoicesApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Invoices")]
impl InvoicesApi {
    /// Invoices
    ///
    /// Needs `repair_orders.read`. Newest first (the order they were started in).
    #[allow(clippy::too_many_arguments)]
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
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1–200 (default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<Page<InvoiceSummary>>, Problem> {
        let page = PageQuery::new(cursor.0, limit.0);
        let status = match status.0.as_deref().filter(|s| !s.is_empty()) {
            None => None,
            Some(raw) => Some(InvoiceStatus::parse(raw).ok_or_else(|| {
                pitlane_domain::FieldErrors::single("status", "not an invoice status")
            })?),
        };
        let found = invoices::page(
            &state.billing,
            &auth.actor,
            &ListFilter {
                status,
                customer_id: customer_id.0.map(Into::into),
                unpaid: unpaid.0.unwrap_or(false),
            },
            page.cursor_id()?,
            page.limit,
        )
        .await?;
        let items: Vec<InvoiceSummary> = found.items.iter().map(InvoiceSummary::from).collect();
        Ok(Json(Page::of(items, found.next)))
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
    ) -> Result<Created<Invoice>, Problem> {
        let view = invoices::draft(&state.billing, &auth.actor, &body.0.into()).await?;
        Ok(Created::new(&view))
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
        let view = invoices::get(&state.billing, &auth.actor, invoice_id.0.into()).await?;
        Ok(Json((&view).into()))
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
        let view = invoices::get(&state.billing, &auth.actor, invoice_id.0.into()).await?;
        Ok(pdf_response(&view))
    }

    /// An invoice's lines
    ///
    /// Needs `repair_orders.read`. By position on the invoice.
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
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1–200 (default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<Page<InvoiceLine>>, Problem> {
        let view = invoices::get(&state.billing, &auth.actor, invoice_id.0.into()).await?;
        let items = view.lines.iter().map(InvoiceLine::from).collect();
        let page = PageQuery::new(cursor.0, limit.0);
        Ok(Json(Page::from_ordered(items, &page, |l| l.id)?))
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
    ) -> Result<Created<Invoice>, Problem> {
        let view = invoices::add_line(
            &state.billing,
            &auth.actor,
            invoice_id.0.into(),
            &body.0.into(),
        )
        .await?;
        Ok(Created::new(&view))
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
            invoices::remove_line(&state.billing, &auth.actor, invoice_id.0.into(), line_id.0)
                .await?;
        Ok(Json((&view).into()))
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
        let view = invoices::issue(&state.billing, &auth.actor, invoice_id.0.into(), &site).await?;
        Ok(Json((&view).into()))
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
        let view = invoices::void(
            &state.billing,
            &auth.actor,
            invoice_id.0.into(),
            &body.0.reason,
        )
        .await?;
        Ok(Json((&view).into()))
    }

    /// An invoice's payments
    ///
    /// Needs `repair_orders.read`. Oldest first.
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
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1–200 (default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<Page<Payment>>, Problem> {
        let view = invoices::get(&state.billing, &auth.actor, invoice_id.0.into()).await?;
        let items = view.payments.iter().map(Payment::from).collect();
        let page = PageQuery::new(cursor.0, limit.0);
        Ok(Json(Page::from_ordered(items, &page, |p| p.id)?))
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
    ) -> Result<Created<Invoice>, Problem> {
        let site = site(&state, req)?;
        let view = payments::record_payment(
            &state.billing,
            &auth.actor,
            invoice_id.0.into(),
            &body.0.into(),
            &site,
        )
        .await?;
        Ok(Created::new(&view))
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
        Ok(Json((&paid).into()))
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
    ) -> Result<Created<Invoice>, Problem> {
        let site = site(&state, req)?;
        let (_, view) = payments::receipt(&state.billing, &auth.actor, payment_id.0).await?;
        if view.invoice.id != invoice_id.0 {
            return Err(pitlane_domain::ServiceError::NotFound.into());
        }
        let view = payments::refund(
            &state.billing,
            &auth.actor,
            payment_id.0,
            &body.0.into(),
            &site,
        )
        .await?;
        Ok(Created::new(&view))
    }

    /// An invoice's credit notes
    ///
    /// Needs `repair_orders.read`. Oldest first.
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
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1–200 (default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<Page<CreditNote>>, Problem> {
        let view = invoices::get(&state.billing, &auth.actor, invoice_id.0.into()).await?;
        let items = view.credit_notes.iter().map(CreditNote::from).collect();
        let page = PageQuery::new(cursor.0, limit.0);
        Ok(Json(Page::from_ordered(items, &page, |c| c.id)?))
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
    ) -> Result<Created<Invoice>, Problem> {
        let view = payments::credit(
            &state.billing,
            &auth.actor,
            invoice_id.0.into(),
            &body.0.into(),
        )
        .await?;
        Ok(Created::new(&view))
    }
}
