//! Money against invoices: payments staff record (cash, card terminal, bank transfer) with a
//! numbered receipt, card payments from Stripe, refunds (through Stripe for card payments),
//! and credit notes, the only way to lower what an issued invoice asks for.

use chrono::{DateTime, Utc};
use pitlane_domain::{
    Actor, FieldErrors, ServiceError,
    ids::InvoiceId,
    invoicing::{self, InvoiceStatus, PaymentMethod, PricedLine, TaxMode},
    messages::MessageKind,
    money::{format_amount, parse_amount},
    permissions::Permission,
    text::optional_text,
};
use pitlane_store::{
    TenantCtx, TenantTx,
    entity::{credit_note, credit_note_line, invoice, payment, refund, tenant},
    sea_orm::{
        ActiveValue::Set,
        ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter,
        sea_query::{Expr, ExprTrait},
    },
};
use serde_json::json;
use stripe::StripeRequest;
use uuid::Uuid;

use crate::{
    Billing,
    gateway::Gateway,
    invoice::{
        InvoiceView, currency_of, customer_link, next_document_number, publish, record, resettle,
        settlement, status_of, tell_customer, view,
    },
};

/// A payment staff record by hand.
#[derive(Debug, Clone, Default)]
pub struct PaymentInput {
    /// `cash`, `card_terminal` or `bank_transfer`.
    pub method: String,
    pub amount: String,
    /// The terminal's slip number, the transfer's reference.
    pub reference: Option<String>,
    /// When the money came in; now if not given.
    pub received_at: Option<DateTime<Utc>>,
}

/// Records a payment: a deposit on a draft, or against what an issued invoice still asks.
pub async fn record_payment(
    billing: &Billing,
    actor: &Actor,
    invoice_id: InvoiceId,
    input: &PaymentInput,
    site: &str,
) -> Result<InvoiceView, ServiceError> {
    actor.require(Permission::InvoicesWrite)?;
    let tx = billing.store().tx(&TenantCtx::of(actor)).await?;
    let row = tx.get_for_update::<invoice::Entity>(invoice_id.0).await?;
    let currency = currency_of(&row);
    let mut errors = FieldErrors::new();
    let method =
        PaymentMethod::parse(&input.method).filter(|m| PaymentMethod::RECORDED.contains(m));
    if method.is_none() {
        errors.add("method", "choose cash, card terminal or bank transfer");
    }
    let amount = errors.check("amount", parse_amount(&input.amount, &currency));
    let reference = errors
        .check("reference", optional_text(input.reference.as_deref(), 200))
        .flatten();
    if input
        .received_at
        .is_some_and(|at| at > Utc::now() + chrono::Duration::minutes(5))
    {
        errors.add("received_at", "cannot be in the future");
    }
    errors.into_result()?;
    let (method, amount) = (method.unwrap_or(PaymentMethod::Cash), amount.unwrap_or(0));
    if amount <= 0 {
        return Err(FieldErrors::single("amount", "must be more than zero").into());
    }
    let status = status_of(&row)?;
    let owed = match status {
        InvoiceStatus::Draft => row.total_minor - settlement(&row).net_paid(),
        InvoiceStatus::Issued | InvoiceStatus::PartlyPaid => settlement(&row).balance_due(),
        InvoiceStatus::Paid => 0,
        InvoiceStatus::Void => {
            return Err(ServiceError::Conflict(FieldErrors::single(
                "amount",
                "the invoice is void",
            )));
        }
    };
    if amount > owed {
        return Err(FieldErrors::single(
            "amount",
            format!(
                "is more than the {} still due",
                format_amount(Ord::max(owed, 0), &currency)
            ),
        )
        .into());
    }
    let by = tx.actor_name(actor).await?;
    let paid = insert_payment(
        &tx,
        &row,
        NewPayment {
            method,
            amount,
            reference,
            received_at: input.received_at.unwrap_or_else(Utc::now),
            recorded_by: by,
            payment_intent: None,
            checkout_session: None,
        },
    )
    .await?;
    let row = resettle(&tx, row).await?;
    record(
        &tx,
        actor,
        "payment.record",
        &row,
        json!({ "receipt": paid.number, "method": method.key(), "amount_minor": amount }),
    )
    .await?;
    receipt_message(billing, &tx, &row, &paid, site).await?;
    let result = view(&tx, row).await?;
    tx.commit().await?;
    publish(billing, &result.invoice, "invoice.payment").await;
    Ok(result)
}

pub(crate) struct NewPayment {
    pub method: PaymentMethod,
    pub amount: i64,
    pub reference: Option<String>,
    pub received_at: DateTime<Utc>,
    pub recorded_by: Option<String>,
    pub payment_intent: Option<String>,
    pub checkout_session: Option<String>,
}

pub(crate) async fn insert_payment(
    tx: &TenantTx,
    row: &invoice::Model,
    new: NewPayment,
) -> Result<payment::Model, ServiceError> {
    let number = next_document_number(tx, "RCT", Utc::now()).await?;
    let paid = tx
        .insert(payment::ActiveModel {
            id: Set(Uuid::now_v7()),
            invoice_id: Set(row.id),
            number: Set(number),
            method: Set(new.method.key().into()),
            amount_minor: Set(new.amount),
            refunded_minor: Set(0),
            reference: Set(new.reference),
            received_at: Set(new.received_at),
            recorded_by: Set(new.recorded_by),
            stripe_payment_intent: Set(new.payment_intent),
            stripe_checkout_session: Set(new.checkout_session),
            created_at: Set(Utc::now()),
            ..Default::default()
        })
        .await?;
    crate::figures::payment_received(tx, row, &paid).await?;
    Ok(paid)
}

pub(crate) async fn receipt_message(
    billing: &Billing,
    tx: &TenantTx,
    row: &invoice::Model,
    paid: &payment::Model,
    site: &str,
) -> Result<(), ServiceError> {
    let currency = currency_of(row);
    tell_customer(
        billing,
        tx,
        row,
        MessageKind::PaymentReceipt,
        [
            (
                "number",
                row.number.clone().unwrap_or_else(|| "(draft)".into()),
            ),
            ("amount", format_amount(paid.amount_minor, &currency)),
            ("receipt", paid.number.clone()),
            (
                "balance",
                format_amount(Ord::max(settlement(row).balance_due(), 0), &currency),
            ),
            ("link", customer_link(billing, site, InvoiceId(row.id))),
        ],
        Vec::new(),
        format!("payment:{}:receipt", paid.id),
    )
    .await
}

/// A refund staff give.
#[derive(Debug, Clone, Default)]
pub struct RefundInput {
    pub amount: String,
    pub reason: String,
    /// Also issue a credit note for the amount, so the invoice stays settled (returned parts,
    /// a goodwill discount); without one the refunded money is owed again.
    pub credit_note: bool,
}

/// Gives money back from a payment: through Stripe for a card payment on the branded page
/// (on the workshop's account), recorded for the others. Stripe is asked first; only when it
/// has accepted is anything written, so a refused or failed call changes nothing.
pub async fn refund(
    billing: &Billing,
    actor: &Actor,
    payment_id: Uuid,
    input: &RefundInput,
    site: &str,
) -> Result<InvoiceView, ServiceError> {
    actor.require(Permission::InvoicesRefund)?;
    let ctx = TenantCtx::of(actor);
    // Read and check first, without holding anything while Stripe is called.
    let (paid, row) = {
        let tx = billing.store().tx(&ctx).await?;
        let paid = tx.get::<payment::Entity>(payment_id).await?;
        let row = tx.get::<invoice::Entity>(paid.invoice_id).await?;
        tx.commit().await?;
        (paid, row)
    };
    let currency = currency_of(&row);
    let mut errors = FieldErrors::new();
    let amount = errors.check("amount", parse_amount(&input.amount, &currency));
    let reason = input.reason.trim().to_owned();
    if reason.is_empty() {
        errors.add("reason", "say why the money is given back");
    } else if reason.chars().count() > 500 {
        errors.add("reason", "must be at most 500 characters");
    }
    errors.into_result()?;
    let amount = amount.unwrap_or(0);
    let left = paid.amount_minor - paid.refunded_minor;
    if amount <= 0 || amount > left {
        return Err(FieldErrors::single(
            "amount",
            format!(
                "must be more than zero and at most the {} not yet refunded",
                format_amount(left, &currency)
            ),
        )
        .into());
    }
    if paid.method == PaymentMethod::Rounding.key() {
        return Err(FieldErrors::single("amount", "a rounding entry cannot be refunded").into());
    }
    // Everything that could refuse the refund is checked before Stripe moves any money.
    if input.credit_note {
        let creditable = row.total_minor - row.credited_minor;
        if !status_of(&row)?.is_issued() || amount > creditable {
            return Err(FieldErrors::single(
                "amount",
                format!(
                    "a credit note can cover at most the {} not yet credited; refund without one, or less",
                    format_amount(Ord::max(creditable, 0), &currency)
                ),
            )
            .into());
        }
    }
    let stripe = if paid.method == PaymentMethod::CardOnline.key() {
        let gateway = billing
            .gateway()
            .map_err(|e| e.renamed("stripe", "amount"))?;
        let workshop = {
            let tx = billing.store().tx(&ctx).await?;
            let w = tx.get::<tenant::Entity>(tx.tenant_id().0).await?;
            tx.commit().await?;
            w
        };
        let account = workshop.stripe_account_id.clone().ok_or_else(|| {
            FieldErrors::single("amount", "the workshop's Stripe account is not connected")
        })?;
        let intent = paid.stripe_payment_intent.clone().ok_or_else(|| {
            ServiceError::internal(format!("card payment {} has no payment intent", paid.id))
        })?;
        // The key names what was refunded before: a retry after a lost answer gets Stripe's
        // first refund back, while a second refund of the same amount is a new one.
        let key = format!("refund:{}:{}:{amount}", paid.id, paid.refunded_minor);
        let created = stripe_refund(gateway, &account, &intent, amount, &key)
            .await
            .map_err(|e| e.into_service_error("amount"))?;
        Some(created)
    } else {
        None
    };
    let tx = billing.store().tx(&ctx).await?;
    let by = tx.actor_name(actor).await?;
    let outcome = apply_refund(
        &tx,
        payment_id,
        RefundFacts {
            amount,
            reason: reason.clone(),
            stripe: stripe.clone(),
            credit_note: input.credit_note,
            by,
        },
    )
    .await?;
    let row = outcome.invoice;
    record(
        &tx,
        actor,
        "payment.refund",
        &row,
        json!({ "receipt": paid.number, "amount_minor": amount, "reason": reason, "stripe_refund": stripe.as_ref().map(|s| &s.id) }),
    )
    .await?;
    refund_message(billing, &tx, &row, &paid, amount, site).await?;
    let result = view(&tx, row).await?;
    tx.commit().await?;
    publish(billing, &result.invoice, "invoice.refund").await;
    Ok(result)
}

/// A refund Stripe has accepted.
#[derive(Debug, Clone)]
pub(crate) struct StripeRefund {
    pub id: String,
    pub succeeded: bool,
}

pub(crate) async fn stripe_refund(
    gateway: &Gateway,
    account: &str,
    payment_intent: &str,
    amount: i64,
    key: &str,
) -> Result<StripeRefund, crate::gateway::CallError> {
    use stripe_core::refund::CreateRefund;
    let account: stripe::AccountId = account.parse().expect("account ids parse");
    let refund = gateway
        .call("refund", || {
            CreateRefund::new()
                .payment_intent(payment_intent.to_owned())
                .amount(amount)
                // The platform's fee goes back in proportion: the workshop does not pay a fee
                // on money it returned.
                .refund_application_fee(true)
                .customize()
                .account_id(account.clone())
                .request_strategy(Gateway::idempotent(key))
                .send(&gateway.client)
        })
        .await?;
    Ok(StripeRefund {
        id: refund.id.to_string(),
        succeeded: matches!(refund.status.as_deref(), Some("succeeded")),
    })
}

pub(crate) struct RefundFacts {
    pub amount: i64,
    pub reason: String,
    pub stripe: Option<StripeRefund>,
    pub credit_note: bool,
    pub by: Option<String>,
}

pub(crate) struct Refunded {
    pub invoice: invoice::Model,
    /// False when this Stripe refund was already recorded (a webhook got there first).
    pub new: bool,
}

/// Writes a refund and what it changes, in the caller's transaction.
pub(crate) async fn apply_refund(
    tx: &TenantTx,
    payment_id: Uuid,
    facts: RefundFacts,
) -> Result<Refunded, ServiceError> {
    let paid = tx.get::<payment::Entity>(payment_id).await?;
    let row = tx
        .get_for_update::<invoice::Entity>(paid.invoice_id)
        .await?;
    if let Some(stripe) = &facts.stripe {
        let known = tx
            .first(
                tx.select::<refund::Entity>()
                    .filter(refund::Column::StripeRefundId.eq(stripe.id.clone())),
            )
            .await?;
        if let Some(known) = known {
            // The webhook recorded this refund first; the credit note staff asked for is
            // still theirs to have.
            if facts.credit_note && known.credit_note_id.is_none() {
                let note = insert_credit_note(
                    tx,
                    &row,
                    &format!("Refund: {}", facts.reason),
                    &[CreditLine {
                        description: format!("Refund of receipt {}", paid.number),
                        amount: known.amount_minor,
                        tax_rate_bp: main_rate(tx, &row).await?,
                    }],
                    facts.by.clone(),
                )
                .await?;
                let mut active = known.into_active_model();
                active.credit_note_id = Set(Some(note.id));
                tx.update(active).await?;
                let invoice = resettle(tx, row).await?;
                return Ok(Refunded {
                    invoice,
                    new: false,
                });
            }
            return Ok(Refunded {
                invoice: row,
                new: false,
            });
        }
    }
    // Checked again inside the transaction: two refunds at once cannot exceed the payment.
    let claimed = tx
        .update_all(
            payment::Entity::update_many()
                .col_expr(
                    payment::Column::RefundedMinor,
                    Expr::col(payment::Column::RefundedMinor).add(facts.amount),
                )
                .filter(payment::Column::Id.eq(paid.id))
                .filter(
                    Expr::col(payment::Column::RefundedMinor)
                        .add(facts.amount)
                        .lte(Expr::col(payment::Column::AmountMinor)),
                ),
        )
        .await?;
    if claimed == 0 {
        return Err(ServiceError::Conflict(FieldErrors::single(
            "amount",
            "more than what is left of the payment (it was refunded meanwhile)",
        )));
    }
    let credit_note_id = if facts.credit_note {
        Some(
            insert_credit_note(
                tx,
                &row,
                &format!("Refund: {}", facts.reason),
                &[CreditLine {
                    description: format!("Refund of receipt {}", paid.number),
                    amount: facts.amount,
                    tax_rate_bp: main_rate(tx, &row).await?,
                }],
                facts.by.clone(),
            )
            .await?
            .id,
        )
    } else {
        None
    };
    let now = Utc::now();
    let made = tx
        .insert(refund::ActiveModel {
            id: Set(Uuid::now_v7()),
            invoice_id: Set(row.id),
            payment_id: Set(paid.id),
            amount_minor: Set(facts.amount),
            reason: Set(facts.reason),
            status: Set(match &facts.stripe {
                Some(s) if !s.succeeded => "pending".into(),
                _ => "succeeded".into(),
            }),
            stripe_refund_id: Set(facts.stripe.map(|s| s.id)),
            credit_note_id: Set(credit_note_id),
            created_by: Set(facts.by),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .await?;
    crate::figures::refund_changed(tx, None, &made).await?;
    let invoice = resettle(tx, row).await?;
    Ok(Refunded { invoice, new: true })
}

pub(crate) async fn refund_message(
    billing: &Billing,
    tx: &TenantTx,
    row: &invoice::Model,
    paid: &payment::Model,
    amount: i64,
    site: &str,
) -> Result<(), ServiceError> {
    let currency = currency_of(row);
    tell_customer(
        billing,
        tx,
        row,
        MessageKind::RefundIssued,
        [
            ("number", row.number.clone().unwrap_or_default()),
            ("amount", format_amount(amount, &currency)),
            ("receipt", paid.number.clone()),
            (
                "balance",
                format_amount(Ord::max(settlement(row).balance_due(), 0), &currency),
            ),
            ("link", customer_link(billing, site, InvoiceId(row.id))),
        ],
        Vec::new(),
        format!("refund:{}:{}:{amount}", paid.id, paid.refunded_minor),
    )
    .await
}

/// The rate most of the invoice is taxed at: what a credit for "part of it" is taxed at.
async fn main_rate(tx: &TenantTx, row: &invoice::Model) -> Result<i32, ServiceError> {
    let lines = tx
        .all(
            tx.select::<pitlane_store::entity::invoice_line::Entity>()
                .filter(pitlane_store::entity::invoice_line::Column::InvoiceId.eq(row.id)),
        )
        .await?;
    let mut by_rate: Vec<(i32, i64)> = Vec::new();
    for line in &lines {
        match by_rate.iter_mut().find(|(r, _)| *r == line.tax_rate_bp) {
            Some((_, sum)) => *sum += line.amount_minor,
            None => by_rate.push((line.tax_rate_bp, line.amount_minor)),
        }
    }
    Ok(by_rate
        .into_iter()
        .max_by_key(|(_, sum)| *sum)
        .map_or(0, |(rate, _)| rate))
}

/// One line of a credit note: an amount including tax.
#[derive(Debug, Clone)]
pub struct CreditLine {
    pub description: String,
    pub amount: i64,
    pub tax_rate_bp: i32,
}

async fn insert_credit_note(
    tx: &TenantTx,
    row: &invoice::Model,
    reason: &str,
    lines: &[CreditLine],
    by: Option<String>,
) -> Result<credit_note::Model, ServiceError> {
    let status = status_of(row)?;
    if !status.is_issued() {
        return Err(ServiceError::Conflict(FieldErrors::single(
            "reason",
            "only an issued invoice can be credited; change or void a draft instead",
        )));
    }
    // What a credit note gives back is money, so its amounts include tax whatever the
    // invoice's prices do: the tax is taken out of them, and a refund's credit note totals
    // exactly the refund.
    let mode = TaxMode::Inclusive;
    let priced: Vec<PricedLine> = lines
        .iter()
        .map(|l| PricedLine {
            quantity_milli: 1000,
            unit_price: l.amount,
            tax_rate_bp: l.tax_rate_bp,
        })
        .collect();
    let totals = invoicing::totals(&priced, mode)
        .map_err(|e| FieldErrors::single("amount", e.to_string()))?;
    let creditable = row.total_minor - row.credited_minor;
    if totals.total <= 0 || totals.total > creditable {
        return Err(FieldErrors::single(
            "amount",
            format!(
                "must be more than zero and, tax included, at most the {} not yet credited",
                format_amount(Ord::max(creditable, 0), &currency_of(row))
            ),
        )
        .into());
    }
    let number = next_document_number(tx, "CN", Utc::now()).await?;
    let note = tx
        .insert(credit_note::ActiveModel {
            id: Set(Uuid::now_v7()),
            invoice_id: Set(row.id),
            number: Set(number),
            reason: Set(reason.to_owned()),
            net_minor: Set(totals.net),
            tax_minor: Set(totals.tax),
            total_minor: Set(totals.total),
            created_by: Set(by),
            created_at: Set(Utc::now()),
            ..Default::default()
        })
        .await?;
    for (position, line) in lines.iter().enumerate() {
        tx.insert(credit_note_line::ActiveModel {
            id: Set(Uuid::now_v7()),
            credit_note_id: Set(note.id),
            position: Set(position as i32),
            description: Set(line.description.clone()),
            quantity_milli: Set(1000),
            unit_price_minor: Set(line.amount),
            tax_rate_bp: Set(line.tax_rate_bp),
            tax_name: Set(if line.tax_rate_bp == 0 {
                "No tax".into()
            } else {
                format!(
                    "Tax {}",
                    pitlane_domain::quantity::format_percent(line.tax_rate_bp)
                )
            }),
            amount_minor: Set(line.amount),
            ..Default::default()
        })
        .await?;
    }
    crate::figures::credit_note_written(tx, row, &note).await?;
    Ok(note)
}

/// A credit note staff issue: what it corrects, and how much at which rate.
#[derive(Debug, Clone, Default)]
pub struct CreditInput {
    pub reason: String,
    pub description: String,
    pub amount: String,
    /// One of the invoice's rates; its main rate when not given.
    pub tax_rate_bp: Option<i32>,
}

/// Issues a credit note against an issued invoice, numbered `CN-2026-000007`. It lowers what
/// the customer owes, so it needs the same right as giving money back.
pub async fn credit(
    billing: &Billing,
    actor: &Actor,
    invoice_id: InvoiceId,
    input: &CreditInput,
) -> Result<InvoiceView, ServiceError> {
    actor.require(Permission::InvoicesRefund)?;
    let tx = billing.store().tx(&TenantCtx::of(actor)).await?;
    let row = tx.get_for_update::<invoice::Entity>(invoice_id.0).await?;
    let currency = currency_of(&row);
    let mut errors = FieldErrors::new();
    let reason = input.reason.trim();
    if reason.is_empty() {
        errors.add("reason", "say what the credit note corrects");
    } else if reason.chars().count() > 500 {
        errors.add("reason", "must be at most 500 characters");
    }
    let amount = errors.check("amount", parse_amount(&input.amount, &currency));
    errors.into_result()?;
    let rate = match input.tax_rate_bp {
        Some(rate) => {
            let known = tx
                .first(
                    tx.select::<pitlane_store::entity::invoice_line::Entity>()
                        .filter(pitlane_store::entity::invoice_line::Column::InvoiceId.eq(row.id))
                        .filter(pitlane_store::entity::invoice_line::Column::TaxRateBp.eq(rate)),
                )
                .await?;
            if known.is_none() {
                return Err(FieldErrors::single(
                    "tax_rate_bp",
                    "choose one of the rates on the invoice",
                )
                .into());
            }
            rate
        }
        None => main_rate(&tx, &row).await?,
    };
    let description = if input.description.trim().is_empty() {
        reason.to_owned()
    } else {
        input.description.trim().chars().take(500).collect()
    };
    let by = tx.actor_name(actor).await?;
    let note = insert_credit_note(
        &tx,
        &row,
        reason,
        &[CreditLine {
            description,
            amount: amount.unwrap_or(0),
            tax_rate_bp: rate,
        }],
        by,
    )
    .await?;
    let row = resettle(&tx, row).await?;
    record(
        &tx,
        actor,
        "invoice.credit",
        &row,
        json!({ "credit_note": note.number, "total_minor": note.total_minor, "reason": reason }),
    )
    .await?;
    let result = view(&tx, row).await?;
    tx.commit().await?;
    publish(billing, &result.invoice, "invoice.credit").await;
    Ok(result)
}

/// Reads one payment (the receipt) for staff.
pub async fn receipt(
    billing: &Billing,
    actor: &Actor,
    payment_id: Uuid,
) -> Result<(payment::Model, InvoiceView), ServiceError> {
    actor.require(Permission::RepairOrdersRead)?;
    let tx = billing.store().tx(&TenantCtx::of(actor)).await?;
    let paid = tx.get::<payment::Entity>(payment_id).await?;
    let row = tx.get::<invoice::Entity>(paid.invoice_id).await?;
    let result = view(&tx, row).await?;
    tx.commit().await?;
    Ok((paid, result))
}
