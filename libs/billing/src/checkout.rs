//! Paying an invoice by card on the workshop's branded page: a Stripe Checkout session on the
//! workshop's own account (a direct charge), with the platform's application fee from the
//! workshop's plan. The invoice becomes paid only when a verified webhook says so
//! ([`crate::events`]), never from the customer's return to the page.

use chrono::{Duration, Utc};
use pitlane_domain::{
    FieldErrors, ServiceError,
    ids::InvoiceId,
    invoicing::{InvoiceStatus, PaymentMethod, card_step, chargeable},
    money::exponent,
};
use pitlane_store::{
    TenantCtx, TenantTx,
    entity::{checkout_session, invoice, payment, tenant},
    sea_orm::{ActiveValue::Set, ColumnTrait, IntoActiveModel, QueryFilter},
};
use stripe::StripeRequest;
use uuid::Uuid;

use crate::{
    Billing,
    gateway::{CallError, Gateway},
    invoice::{currency_of, invoice_of_link, resettle, settlement, status_of},
    payments::{NewPayment, insert_payment},
    plans,
};

/// Whether a workshop can take card payments, and if not, what its staff are told.
pub fn card_payments(workshop: &tenant::Model, billing: &Billing) -> Result<(), &'static str> {
    if billing.gateway.is_none() {
        return Err("this deployment has no Stripe key, so card payments are off");
    }
    if workshop.stripe_account_id.is_none() {
        return Err(
            "connect the workshop's Stripe account (Settings → Payments) to take card payments",
        );
    }
    if !workshop.stripe_charges_enabled {
        return Err(
            "Stripe has not yet enabled payments on the workshop's account; finish its onboarding in Settings → Payments",
        );
    }
    Ok(())
}

/// Sends the customer to Stripe to pay what the invoice still asks: the Checkout page's
/// address. An open session for the same amount is reused, so a second tap never opens a
/// second payment.
pub async fn start(
    billing: &Billing,
    tenant: TenantCtx,
    token: &str,
    site: &str,
) -> Result<String, ServiceError> {
    let id = invoice_of_link(billing, token)?;
    let tx = billing.store().tx(&tenant).await?;
    let row = tx.get::<invoice::Entity>(id.0).await?;
    let workshop = tx.get::<tenant::Entity>(tx.tenant_id().0).await?;
    let status = status_of(&row)?;
    if !matches!(status, InvoiceStatus::Issued | InvoiceStatus::PartlyPaid) {
        return Err(ServiceError::Conflict(FieldErrors::single(
            "invoice",
            match status {
                InvoiceStatus::Paid => "this invoice is already paid",
                InvoiceStatus::Void => "this invoice was withdrawn",
                _ => "this invoice cannot be paid yet",
            },
        )));
    }
    card_payments(&workshop, billing).map_err(|why| {
        tracing::warn!(tenant = %workshop.id, why, "card payment asked for but not possible");
        ServiceError::Conflict(FieldErrors::single(
            "invoice",
            "card payment is not available for this workshop; please pay at the counter",
        ))
    })?;
    let currency = currency_of(&row);
    let amount = chargeable(settlement(&row).balance_due(), exponent(&currency));
    if amount <= 0 {
        return Err(ServiceError::Conflict(FieldErrors::single(
            "invoice",
            "nothing is left to pay by card",
        )));
    }
    let reuse = tx
        .first(
            tx.select::<checkout_session::Entity>()
                .filter(checkout_session::Column::InvoiceId.eq(row.id))
                .filter(checkout_session::Column::Status.eq("open"))
                .filter(checkout_session::Column::AmountMinor.eq(amount))
                .filter(checkout_session::Column::CreatedAt.gt(Utc::now() - Duration::hours(23))),
        )
        .await?;
    tx.commit().await?;
    if let Some(open) = reuse {
        return Ok(open.url);
    }
    let gateway = billing.gateway()?;
    let account = workshop.stripe_account_id.clone().unwrap_or_default();
    let fee = plans::application_fee(&workshop, amount);
    let session_row = Uuid::now_v7();
    let number = row.number.clone().unwrap_or_default();
    let token = token.to_owned();
    let created = create_session(
        gateway,
        SessionFacts {
            account: &account,
            key: format!("checkout:{session_row}"),
            currency: currency.as_str().to_lowercase(),
            amount,
            fee,
            title: format!("Invoice {number} – {}", workshop.name),
            invoice_id: row.id,
            tenant_id: workshop.id,
            email: row.customer_email.clone(),
            success_url: format!("{site}/invoice/paid?token={token}"),
            cancel_url: format!("{site}/invoice?token={token}"),
        },
    )
    .await
    .map_err(|e| e.into_service_error("invoice"))?;
    let tx = billing.store().tx(&tenant).await?;
    let now = Utc::now();
    tx.insert(checkout_session::ActiveModel {
        id: Set(session_row),
        invoice_id: Set(row.id),
        stripe_session_id: Set(created.0.clone()),
        amount_minor: Set(amount),
        status: Set("open".into()),
        url: Set(created.1.clone()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .await?;
    tx.commit().await?;
    Ok(created.1)
}

struct SessionFacts<'a> {
    account: &'a str,
    key: String,
    currency: String,
    amount: i64,
    fee: i64,
    title: String,
    invoice_id: Uuid,
    tenant_id: Uuid,
    email: Option<String>,
    success_url: String,
    cancel_url: String,
}

/// Creates the session on the workshop's account; returns its id and address.
async fn create_session(
    gateway: &Gateway,
    facts: SessionFacts<'_>,
) -> Result<(String, String), CallError> {
    use stripe_checkout::checkout_session::{
        CreateCheckoutSession, CreateCheckoutSessionLineItems,
        CreateCheckoutSessionLineItemsPriceData, CreateCheckoutSessionPaymentIntentData,
        ProductData,
    };
    let account: stripe::AccountId = facts
        .account
        .parse()
        .map_err(|_| CallError::Unavailable("stored account id does not parse".into()))?;
    let currency: stripe_types::Currency = facts.currency.parse().map_err(|_| {
        CallError::Unavailable(format!("currency {} unknown to Stripe", facts.currency))
    })?;
    let metadata = std::collections::HashMap::from([
        ("invoice_id".to_owned(), facts.invoice_id.to_string()),
        ("tenant_id".to_owned(), facts.tenant_id.to_string()),
    ]);
    let session = gateway
        .call("checkout session", || {
            let mut price = CreateCheckoutSessionLineItemsPriceData::new(currency.clone());
            price.unit_amount = Some(facts.amount);
            price.product_data = Some(ProductData::new(facts.title.clone()));
            let mut item = CreateCheckoutSessionLineItems::new();
            item.price_data = Some(price);
            item.quantity = Some(1);
            let mut intent = CreateCheckoutSessionPaymentIntentData::new();
            intent.application_fee_amount = Some(facts.fee);
            intent.metadata = Some(metadata.clone());
            let mut request = CreateCheckoutSession::new()
                .mode(stripe_shared::CheckoutSessionMode::Payment)
                .line_items(vec![item])
                .payment_intent_data(intent)
                .client_reference_id(facts.invoice_id.to_string())
                .metadata(metadata.clone())
                .success_url(facts.success_url.clone())
                .cancel_url(facts.cancel_url.clone());
            if let Some(email) = &facts.email {
                request = request.customer_email(email.clone());
            }
            request
                .customize()
                .account_id(account.clone())
                .request_strategy(Gateway::idempotent(&facts.key))
                .send(&gateway.client)
        })
        .await?;
    let url = session
        .url
        .clone()
        .ok_or_else(|| CallError::Unavailable("Stripe returned a session without a URL".into()))?;
    Ok((session.id.to_string(), url))
}

/// What Stripe says a Checkout session is now.
#[derive(Debug, Clone)]
pub struct SessionState {
    pub id: String,
    pub paid: bool,
    pub expired: bool,
    pub payment_intent: Option<String>,
    pub amount: i64,
}

pub(crate) async fn fetch_session(
    gateway: &Gateway,
    account: &str,
    id: &str,
) -> Result<SessionState, CallError> {
    use stripe_checkout::checkout_session::RetrieveCheckoutSession;
    let account: stripe::AccountId = account
        .parse()
        .map_err(|_| CallError::Unavailable("account id does not parse".into()))?;
    let id_owned: stripe_shared::CheckoutSessionId =
        id.parse().map_err(|_| CallError::Refused {
            status: 400,
            message: format!("bad session id {id}"),
        })?;
    let session = gateway
        .call("retrieve checkout session", || {
            RetrieveCheckoutSession::new(id_owned.clone())
                .customize()
                .account_id(account.clone())
                .send(&gateway.client)
        })
        .await?;
    Ok(SessionState {
        id: session.id.to_string(),
        paid: matches!(
            session.payment_status,
            stripe_shared::CheckoutSessionPaymentStatus::Paid
        ),
        expired: matches!(
            session.status,
            Some(stripe_shared::CheckoutSessionStatus::Expired)
        ),
        payment_intent: session.payment_intent.as_ref().map(|p| p.id().to_string()),
        amount: session.amount_total.unwrap_or(0),
    })
}

/// What settling a session did to its invoice.
#[derive(Debug, Clone)]
pub struct Settled {
    pub invoice: invoice::Model,
    /// The session's payment, if it is paid.
    pub payment: Option<payment::Model>,
    /// Whether the payment was recorded now (not by an earlier delivery).
    pub new: bool,
    /// What was paid beyond the balance (paid twice): to be given back.
    pub overpaid: i64,
}

/// Applies a session's current state in the workshop's transaction: a paid session becomes
/// one payment (once, keyed by its payment intent), an expired one is closed. Anything
/// delivered twice or late finds the work done and changes nothing.
pub(crate) async fn settle_session(
    tx: &TenantTx,
    invoice_id: InvoiceId,
    state: &SessionState,
    failed: bool,
) -> Result<Settled, ServiceError> {
    let row = tx.get_for_update::<invoice::Entity>(invoice_id.0).await?;
    let local = tx
        .first(
            tx.select::<checkout_session::Entity>()
                .filter(checkout_session::Column::StripeSessionId.eq(state.id.clone())),
        )
        .await?;
    let next_status = if state.paid {
        "complete"
    } else if state.expired {
        "expired"
    } else if failed {
        "failed"
    } else {
        "open"
    };
    if let Some(local) = local
        && local.status != next_status
    {
        let mut active = local.into_active_model();
        active.status = Set(next_status.into());
        active.updated_at = Set(Utc::now());
        tx.update(active).await?;
    }
    let (Some(intent), true) = (state.payment_intent.clone(), state.paid) else {
        return Ok(Settled {
            invoice: row,
            payment: None,
            new: false,
            overpaid: 0,
        });
    };
    let known = tx
        .first(
            tx.select::<payment::Entity>()
                .filter(payment::Column::StripePaymentIntent.eq(intent.clone())),
        )
        .await?;
    if let Some(known) = known {
        let overpaid = (-settlement(&row).balance_due())
            .max(0)
            .min(known.amount_minor - known.refunded_minor);
        return Ok(Settled {
            invoice: row,
            payment: Some(known),
            new: false,
            overpaid,
        });
    }
    let paid = insert_payment(
        tx,
        &row,
        NewPayment {
            method: PaymentMethod::CardOnline,
            amount: state.amount,
            reference: Some(intent.clone()),
            received_at: Utc::now(),
            recorded_by: Some("Stripe".into()),
            payment_intent: Some(intent),
            checkout_session: Some(state.id.clone()),
        },
    )
    .await?;
    let mut row = resettle(tx, row).await?;
    // Three-decimal currencies are charged in tens: the last few fils are written off.
    let left = settlement(&row).balance_due();
    if left > 0 && left < card_step(exponent(&currency_of(&row))) {
        insert_payment(
            tx,
            &row,
            NewPayment {
                method: PaymentMethod::Rounding,
                amount: left,
                reference: None,
                received_at: Utc::now(),
                recorded_by: Some("Stripe".into()),
                payment_intent: None,
                checkout_session: None,
            },
        )
        .await?;
        row = resettle(tx, row).await?;
    }
    // Money for an invoice that is not out for payment (voided meanwhile) goes back whole.
    let overpaid = if status_of(&row)?.is_issued() {
        (-settlement(&row).balance_due())
            .max(0)
            .min(paid.amount_minor)
    } else {
        paid.amount_minor
    };
    Ok(Settled {
        invoice: row,
        payment: Some(paid),
        new: true,
        overpaid,
    })
}
