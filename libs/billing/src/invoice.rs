//! One invoice as every billing service reads and changes it: its view (lines, totals,
//! payments, refunds, credit notes), its status, its money (`resettle`: every change of money
//! ends there), its numbering, its audit entries, the customer's link and messages, and its
//! live announcements. `invoices`, `payments`, `checkout`, `events` and `pdf` stand on this;
//! it uses none of them, so an invoice's money rules read top to bottom in one place.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Utc};
use pitlane_domain::{
    Actor, FieldErrors, ServiceError,
    ids::InvoiceId,
    invoicing::{
        self, InvoiceStatus, InvoiceTotals, PricedLine, Settlement, TaxMode, document_number,
    },
    live::Topic,
    messages::MessageKind,
    money::Money,
    phone::PhoneE164,
    text::{CurrencyCode, Email},
};
use pitlane_identity::{
    audit::{self, By, Event},
    links::Purpose,
};
use pitlane_notify::{OutgoingMessage, Recipient};
use pitlane_store::{
    TenantTx,
    entity::{
        branch, checkout_session, credit_note, customer, invoice, invoice_line, payment, refund,
        tenant,
    },
    sea_orm::{ActiveValue::Set, ColumnTrait, IntoActiveModel, QueryFilter, QueryOrder},
};
use serde_json::json;

use crate::Billing;

/// An invoice with everything its pages and PDF show.
#[derive(Debug, Clone)]
pub struct InvoiceView {
    pub invoice: invoice::Model,
    pub lines: Vec<invoice_line::Model>,
    pub totals: InvoiceTotals,
    pub payments: Vec<payment::Model>,
    pub refunds: Vec<refund::Model>,
    pub credit_notes: Vec<credit_note::Model>,
    pub branch: branch::Model,
    pub workshop: tenant::Model,
    /// The latest card payment started on the branded page, and how it stands.
    pub last_checkout: Option<checkout_session::Model>,
}

impl InvoiceView {
    pub fn status(&self) -> InvoiceStatus {
        InvoiceStatus::parse(&self.invoice.status).unwrap_or(InvoiceStatus::Draft)
    }

    pub fn money(&self) -> Settlement {
        settlement(&self.invoice)
    }

    pub fn currency(&self) -> CurrencyCode {
        currency_of(&self.invoice)
    }

    /// An amount of this invoice (a line's, a payment's, a figure of `totals` or `money()`)
    /// with the invoice's currency.
    pub fn amount(&self, minor: i64) -> Money {
        Money::new(minor, self.currency())
    }

    /// What the invoice comes to, tax included.
    pub fn total(&self) -> Money {
        total_of(&self.invoice)
    }

    /// What the customer still owes; negative when they paid more.
    pub fn balance_due(&self) -> Money {
        balance_due_of(&self.invoice)
    }

    /// The number people see: the issued number, or "Draft".
    pub fn title(&self) -> String {
        self.invoice
            .number
            .clone()
            .unwrap_or_else(|| "Draft invoice".into())
    }

    pub fn mode(&self) -> TaxMode {
        TaxMode::from_flag(self.invoice.prices_include_tax)
    }
}

pub fn settlement(row: &invoice::Model) -> Settlement {
    Settlement {
        total: row.total_minor,
        credited: row.credited_minor,
        paid: row.paid_minor,
        refunded: row.refunded_minor,
    }
}

/// What an invoice comes to, tax included, in its currency.
pub fn total_of(row: &invoice::Model) -> Money {
    Money::new(row.total_minor, currency_of(row))
}

/// What the customer still owes on an invoice, in its currency; negative when they paid more.
pub fn balance_due_of(row: &invoice::Model) -> Money {
    Money::new(settlement(row).balance_due(), currency_of(row))
}

pub(crate) fn currency_of(row: &invoice::Model) -> CurrencyCode {
    CurrencyCode::parse(&row.currency).unwrap_or_else(|_| CurrencyCode::parse("EUR").expect("EUR"))
}

pub fn status_of(row: &invoice::Model) -> Result<InvoiceStatus, ServiceError> {
    InvoiceStatus::parse(&row.status).ok_or_else(|| {
        pitlane_domain::ServiceError::internal(format!("stored status {}", row.status))
    })
}

pub(crate) async fn view(
    tx: &TenantTx,
    invoice: invoice::Model,
) -> Result<InvoiceView, ServiceError> {
    let lines = lines_of(tx, InvoiceId(invoice.id)).await?;
    let totals = totals_of(&lines, TaxMode::from_flag(invoice.prices_include_tax))?;
    let payments = tx
        .all(
            tx.select::<payment::Entity>()
                .filter(payment::Column::InvoiceId.eq(invoice.id))
                .order_by_asc(payment::Column::Id),
        )
        .await?;
    let refunds = tx
        .all(
            tx.select::<refund::Entity>()
                .filter(refund::Column::InvoiceId.eq(invoice.id))
                .order_by_asc(refund::Column::Id),
        )
        .await?;
    let credit_notes = tx
        .all(
            tx.select::<credit_note::Entity>()
                .filter(credit_note::Column::InvoiceId.eq(invoice.id))
                .order_by_asc(credit_note::Column::Id),
        )
        .await?;
    let branch = tx.get::<branch::Entity>(invoice.branch_id).await?;
    let workshop = tx.get::<tenant::Entity>(tx.tenant_id().0).await?;
    let last_checkout = tx
        .first(
            tx.select::<checkout_session::Entity>()
                .filter(checkout_session::Column::InvoiceId.eq(invoice.id))
                .order_by_desc(checkout_session::Column::CreatedAt),
        )
        .await?;
    Ok(InvoiceView {
        last_checkout,
        invoice,
        lines,
        totals,
        payments,
        refunds,
        credit_notes,
        branch,
        workshop,
    })
}

pub(crate) async fn lines_of(
    tx: &TenantTx,
    invoice_id: InvoiceId,
) -> Result<Vec<invoice_line::Model>, ServiceError> {
    Ok(tx
        .all(
            tx.select::<invoice_line::Entity>()
                .filter(invoice_line::Column::InvoiceId.eq(invoice_id.0))
                .order_by_asc(invoice_line::Column::Position)
                .order_by_asc(invoice_line::Column::Id),
        )
        .await?)
}

fn priced(line: &invoice_line::Model) -> PricedLine {
    PricedLine {
        quantity_milli: line.quantity_milli,
        unit_price: line.unit_price_minor,
        tax_rate_bp: line.tax_rate_bp,
    }
}

pub(crate) fn totals_of(
    lines: &[invoice_line::Model],
    mode: TaxMode,
) -> Result<InvoiceTotals, ServiceError> {
    let priced: Vec<PricedLine> = lines.iter().map(priced).collect();
    invoicing::totals(&priced, mode)
        .map_err(|e| ServiceError::Invalid(FieldErrors::single("lines", e.to_string())))
}

/// Gives the next number of a document kind in this tenant, in the caller's transaction: the
/// counter row stays locked until commit, so numbers have no gaps even under concurrent issuing.
pub(crate) async fn next_document_number(
    tx: &TenantTx,
    prefix: &str,
    at: DateTime<Utc>,
) -> Result<String, ServiceError> {
    let year = at.year();
    let sequence = tx
        .next_number(&format!("{}-{year}", prefix.to_lowercase()), 1)
        .await?;
    Ok(document_number(prefix, year, sequence))
}

/// The customer's link to the invoice on the workshop's site.
pub fn customer_link(billing: &Billing, site: &str, invoice_id: InvoiceId) -> String {
    let expires = Utc::now() + Purpose::Invoice.lifetime();
    let token = billing
        .workshop
        .desk
        .signer
        .sign(Purpose::Invoice, invoice_id.0, expires);
    format!("{site}/invoice?token={token}")
}

/// The invoice a customer's link names; a bad or expired link is "not found".
pub(crate) fn invoice_of_link(billing: &Billing, token: &str) -> Result<InvoiceId, ServiceError> {
    billing
        .workshop
        .desk
        .signer
        .verify(Purpose::Invoice, token)
        .map(InvoiceId)
        .map_err(|_| ServiceError::NotFound)
}

/// Writes a message about the invoice to the customer: e-mail if they have an address (it
/// carries the PDF), else SMS with consent.
pub(crate) async fn tell_customer<const N: usize>(
    billing: &Billing,
    tx: &TenantTx,
    row: &invoice::Model,
    kind: MessageKind,
    vars: [(&str, String); N],
    attachments: Vec<pitlane_notify::Attachment>,
    key: String,
) -> Result<(), ServiceError> {
    let customer = tx.get::<customer::Entity>(row.customer_id).await?;
    let mut all: BTreeMap<String, String> =
        vars.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    all.insert("customer_name".into(), customer.name.clone());
    let email = customer.email.as_deref().and_then(|e| Email::parse(e).ok());
    let phone = customer
        .phone
        .as_deref()
        .filter(|_| customer.sms_consent_at.is_some())
        .and_then(|p| PhoneE164::parse(p, None).ok());
    let (to, attachments) = match (email, phone) {
        (Some(address), _) => (
            Recipient::Email {
                address,
                name: Some(customer.name.clone()),
            },
            attachments,
        ),
        (None, Some(phone)) => (
            Recipient::Sms {
                phone: phone.as_str().to_owned(),
            },
            Vec::new(),
        ),
        (None, None) => return Ok(()),
    };
    billing
        .workshop
        .desk
        .outbox
        .enqueue(
            tx,
            OutgoingMessage {
                kind,
                to,
                vars: all,
                attachments,
                send_at: None,
                idempotency_key: key,
            },
        )
        .await?;
    Ok(())
}

/// Tells the workshop's open pages and the customer's open invoice page; after commit.
pub async fn publish(billing: &Billing, row: &invoice::Model, kind: &str) {
    let data = json!({
        "id": row.id,
        "number": row.number,
        "status": row.status,
        "balance_minor": settlement(row).balance_due(),
    });
    let live = &billing.workshop.desk.live;
    live.publish(row.tenant_id, Topic::Workshop, None, kind, data.clone())
        .await;
    live.publish(row.tenant_id, Topic::Invoice, Some(row.id), kind, data)
        .await;
}

pub(crate) async fn record(
    tx: &TenantTx,
    actor: &Actor,
    action: &'static str,
    row: &invoice::Model,
    detail: serde_json::Value,
) -> Result<(), ServiceError> {
    audit::record(
        tx,
        By::Member(actor),
        Event::new(action)
            .subject(row.number.clone().unwrap_or_else(|| row.id.to_string()))
            .detail(detail),
    )
    .await
}

/// Re-reads an invoice's money from its payments, refunds and credit notes, and moves its
/// status to match. Every change of money goes through here, in its own transaction.
pub(crate) async fn resettle(
    tx: &TenantTx,
    row: invoice::Model,
) -> Result<invoice::Model, ServiceError> {
    let payments = tx
        .all(
            tx.select::<payment::Entity>()
                .filter(payment::Column::InvoiceId.eq(row.id)),
        )
        .await?;
    let credited: i64 = tx
        .all(
            tx.select::<credit_note::Entity>()
                .filter(credit_note::Column::InvoiceId.eq(row.id)),
        )
        .await?
        .iter()
        .map(|c| c.total_minor)
        .sum();
    let money = Settlement {
        total: row.total_minor,
        credited,
        paid: payments.iter().map(|p| p.amount_minor).sum(),
        refunded: payments.iter().map(|p| p.refunded_minor).sum(),
    };
    let status = status_of(&row)?.after(&money);
    let mut active = row.into_active_model();
    active.credited_minor = Set(money.credited);
    active.paid_minor = Set(money.paid);
    active.refunded_minor = Set(money.refunded);
    active.status = Set(status.key().into());
    active.updated_at = Set(Utc::now());
    Ok(tx.update(active).await?)
}
