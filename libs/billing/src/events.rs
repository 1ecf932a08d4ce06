//! Stripe's webhooks: verified and stored at the door ([`receive`]), worked in the background
//! ([`run`]). Working an event is idempotent and does not trust the order events arrive in:
//! each decides from the object's state as Stripe gives it *now* (a session is fetched, a
//! charge's refunds are listed), and every write is keyed by Stripe's own ids.

use std::time::Duration;

use chrono::Utc;
use pitlane_domain::{
    ServiceError,
    ids::{InvoiceId, TenantId},
};
use pitlane_store::{
    ReceivedEvent, STRIPE_EVENT_MAX_ATTEMPTS, TenantCtx,
    entity::{invoice, payment, refund, stripe_event, tenant},
    sea_orm::{
        ActiveValue::Set,
        ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter,
        sea_query::{Expr, ExprTrait},
    },
};
use serde_json::Value;
use stripe::StripeRequest;

use crate::{
    Billing,
    checkout::{fetch_session, settle_session},
    connect::{apply_account, fetch_account},
    gateway::{CallError, Gateway},
    invoice::publish,
    payments::{
        RefundFacts, StripeRefund, apply_refund, receipt_message, refund_message, stripe_refund,
    },
    site::SiteOf,
};

/// Why a webhook request was refused (nothing was stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// No `Stripe-Signature`, or none of its `v1` signatures is ours.
    BadSignature,
    /// Signed more than five minutes ago (or ahead): a replay.
    Stale,
    /// A test event at a live deployment, or the reverse.
    WrongMode,
    /// Signed, but not an event we can read.
    Unreadable,
    /// This deployment has no webhook secret.
    NotConfigured,
}

impl Refused {
    pub fn detail(&self) -> &'static str {
        match self {
            Refused::BadSignature => "the Stripe-Signature header does not match this body",
            Refused::Stale => "the signature's timestamp is more than five minutes away",
            Refused::WrongMode => "the event's mode (test or live) is not this deployment's",
            Refused::Unreadable => "the body is not a Stripe event",
            Refused::NotConfigured => "this deployment takes no Stripe webhooks",
        }
    }
}

/// Checks an event's signature on the raw body against every current secret, then stores it
/// once by id. Returns whether it was new; the work is done later by [`run`].
pub async fn receive(
    billing: &Billing,
    body: &str,
    signature: Option<&str>,
) -> Result<bool, Refused> {
    let gateway = billing.gateway.as_deref().ok_or(Refused::NotConfigured)?;
    let signature = signature.ok_or(Refused::BadSignature)?;
    let mut outcome = Err(Refused::BadSignature);
    for secret in &gateway.settings.webhook_secrets {
        match stripe_webhook::Webhook::construct_event(body, signature, secret) {
            Ok(event) => {
                outcome = Ok(event);
                break;
            }
            Err(stripe_webhook::WebhookError::BadTimestamp(_)) => outcome = Err(Refused::Stale),
            Err(stripe_webhook::WebhookError::BadParse(_)) => outcome = Err(Refused::Unreadable),
            Err(_) => {}
        }
    }
    let event = outcome?;
    if event.livemode != gateway.settings.livemode() {
        tracing::warn!(event = %event.id, livemode = event.livemode, "Stripe event in the wrong mode refused");
        return Err(Refused::WrongMode);
    }
    let new = billing
        .store()
        .record_stripe_event(ReceivedEvent {
            id: event.id.to_string(),
            kind: event.type_.as_str().to_owned(),
            account: event.account.clone(),
            livemode: event.livemode,
            payload: body.to_owned(),
        })
        .await
        .map_err(|err| {
            tracing::error!(error = %err, "could not store a Stripe event");
            Refused::Unreadable
        })?;
    if new {
        billing.inbox.notify_one();
    }
    Ok(new)
}

/// How long a claimed event is held before another instance may take it over: longer than the
/// longest event can take (three Stripe calls, each up to four tries of 20 s with backoff).
const LEASE: Duration = Duration::from_secs(600);

/// Works the inbox until the process ends: at once when an event arrives here, and every
/// few seconds for events stored by other instances or due for a retry.
pub async fn run(billing: Billing, site_of: SiteOf) {
    loop {
        drain(&billing, &site_of).await;
        let _ = tokio::time::timeout(Duration::from_secs(3), billing.inbox.notified()).await;
    }
}

/// Works every due event once; returns how many were worked.
pub async fn drain(billing: &Billing, site_of: &SiteOf) -> usize {
    let mut worked = 0;
    loop {
        let batch = match billing.store().claim_stripe_events(20, LEASE).await {
            Ok(batch) => batch,
            Err(err) => {
                tracing::warn!(error = %err, "could not claim Stripe events");
                return worked;
            }
        };
        if batch.is_empty() {
            return worked;
        }
        for event in batch {
            worked += 1;
            let result = handle(billing, site_of, &event).await;
            let (outcome, retry_at) = match result {
                Ok(outcome) => (outcome, None),
                Err(why) if event.attempts >= STRIPE_EVENT_MAX_ATTEMPTS => {
                    tracing::error!(event = %event.id, error = %why, "Stripe event set aside after too many tries");
                    (format!("gave up: {why}"), None)
                }
                Err(why) => {
                    let wait = 2i64.pow(event.attempts.clamp(1, 10) as u32);
                    tracing::warn!(event = %event.id, error = %why, retry_in_s = wait, "Stripe event failed; will retry");
                    (
                        format!("failed: {why}"),
                        Some(Utc::now() + chrono::Duration::seconds(wait)),
                    )
                }
            };
            if let Err(err) = billing
                .store()
                .finish_stripe_event(&event.id, &outcome, retry_at)
                .await
            {
                tracing::warn!(event = %event.id, error = %err, "could not record a Stripe event's outcome");
            }
        }
    }
}

#[derive(Debug)]
enum Failure {
    Stripe(CallError),
    Service(ServiceError),
    Payload(&'static str),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Stripe(e) => write!(f, "{e}"),
            Failure::Service(e) => write!(f, "{e}"),
            Failure::Payload(e) => write!(f, "payload: {e}"),
        }
    }
}

impl From<ServiceError> for Failure {
    fn from(e: ServiceError) -> Self {
        Failure::Service(e)
    }
}

impl From<pitlane_store::StoreError> for Failure {
    fn from(e: pitlane_store::StoreError) -> Self {
        Failure::Service(e.into())
    }
}

impl From<CallError> for Failure {
    fn from(e: CallError) -> Self {
        Failure::Stripe(e)
    }
}

fn object(payload: &Value) -> &Value {
    &payload["data"]["object"]
}

fn text<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}

/// Works one event; `Ok` carries what was done, for the inbox's record.
async fn handle(
    billing: &Billing,
    site_of: &SiteOf,
    event: &stripe_event::Model,
) -> Result<String, Failure> {
    let payload: Value =
        serde_json::from_str(&event.payload).map_err(|_| Failure::Payload("not JSON"))?;
    let gateway = billing
        .gateway
        .as_deref()
        .ok_or(Failure::Payload("Stripe is not configured"))?;
    let workshop = match &event.account {
        Some(account) => billing.store().tenant_by_stripe_account(account).await?,
        None => None,
    };
    match event.kind.as_str() {
        "checkout.session.completed"
        | "checkout.session.async_payment_succeeded"
        | "checkout.session.async_payment_failed"
        | "checkout.session.expired" => {
            let Some(workshop) = workshop else {
                return Ok("ignored: no workshop has this account".into());
            };
            let session = object(&payload);
            let Some(invoice_id) = session["metadata"]["invoice_id"]
                .as_str()
                .or_else(|| text(session, "client_reference_id"))
                .and_then(|id| id.parse::<InvoiceId>().ok())
            else {
                return Ok("ignored: not a Pitlane invoice".into());
            };
            let id = text(session, "id").ok_or(Failure::Payload("session without id"))?;
            let account = workshop.stripe_account_id.clone().unwrap_or_default();
            let state = fetch_session(gateway, &account, id).await?;
            let failed = event.kind == "checkout.session.async_payment_failed";
            card_payment(
                billing,
                gateway,
                &workshop,
                invoice_id,
                &state,
                failed,
                &site_of(&workshop),
            )
            .await
        }
        "charge.refunded" | "charge.refund.updated" | "refund.updated" => {
            let Some(workshop) = workshop else {
                return Ok("ignored: no workshop has this account".into());
            };
            let charge = object(&payload);
            let intent = text(charge, "payment_intent")
                .ok_or(Failure::Payload("charge without payment intent"))?;
            refunds_of(billing, gateway, &workshop, intent, &site_of(&workshop)).await
        }
        "account.updated" => {
            let account = event
                .account
                .clone()
                .or_else(|| text(object(&payload), "id").map(str::to_owned))
                .ok_or(Failure::Payload("account event without account"))?;
            let Some(workshop) = billing.store().tenant_by_stripe_account(&account).await? else {
                return Ok("ignored: no workshop has this account".into());
            };
            let state = fetch_account(gateway, &account).await?;
            let tx = billing
                .store()
                .tx(&TenantCtx::new(TenantId(workshop.id)))
                .await?;
            let row = apply_account(&tx, state).await?;
            tx.commit().await?;
            Ok(format!(
                "account: charges enabled {}",
                row.stripe_charges_enabled
            ))
        }
        "customer.subscription.created"
        | "customer.subscription.updated"
        | "customer.subscription.deleted"
        | "customer.subscription.trial_will_end"
        | "invoice.payment_failed"
        | "invoice.paid" => {
            crate::subscriptions::handle_event(billing, gateway, &event.kind, &payload, site_of)
                .await
                .map_err(Failure::from)
        }
        other => Ok(format!("ignored: {other}")),
    }
}

/// A session's money, applied in one transaction with its receipt; a second payment of an
/// invoice already paid is given back at once.
async fn card_payment(
    billing: &Billing,
    gateway: &Gateway,
    workshop: &tenant::Model,
    invoice_id: InvoiceId,
    state: &crate::checkout::SessionState,
    failed: bool,
    site: &str,
) -> Result<String, Failure> {
    let ctx = TenantCtx::new(TenantId(workshop.id));
    let tx = billing.store().tx(&ctx).await?;
    let settled = settle_session(&tx, invoice_id, state, failed).await?;
    if let (Some(paid), true) = (&settled.payment, settled.new) {
        receipt_message(billing, &tx, &settled.invoice, paid, site).await?;
    }
    tx.commit().await?;
    if settled.new {
        publish(billing, &settled.invoice, "invoice.payment").await;
    }
    let mut outcome = match (&settled.payment, settled.new) {
        (Some(paid), true) => format!("payment {} recorded", paid.number),
        (Some(paid), false) => format!("payment {} was already recorded", paid.number),
        (None, _) if state.expired => "session expired".into(),
        (None, _) if failed => "payment failed".into(),
        (None, _) => "not paid yet".into(),
    };
    if let (Some(paid), true) = (&settled.payment, settled.overpaid > 0) {
        give_back_overpayment(billing, gateway, workshop, paid, settled.overpaid, site).await?;
        outcome.push_str("; overpayment refunded");
    }
    Ok(outcome)
}

/// The invoice was paid twice (two tabs, or cash then card): the card payment's excess goes
/// back through Stripe. The key is the payment's, so a retry never refunds twice.
async fn give_back_overpayment(
    billing: &Billing,
    gateway: &Gateway,
    workshop: &tenant::Model,
    paid: &payment::Model,
    amount: i64,
    site: &str,
) -> Result<(), Failure> {
    let account = workshop.stripe_account_id.clone().unwrap_or_default();
    let intent = paid
        .stripe_payment_intent
        .clone()
        .ok_or(Failure::Payload("card payment without intent"))?;
    let amount = Ord::min(amount, paid.amount_minor - paid.refunded_minor);
    if amount <= 0 {
        return Ok(());
    }
    let created = stripe_refund(
        gateway,
        &account,
        &intent,
        amount,
        &format!("overpaid:{}", paid.id),
    )
    .await?;
    let ctx = TenantCtx::new(TenantId(workshop.id));
    let tx = billing.store().tx(&ctx).await?;
    let result = apply_refund(
        &tx,
        paid.id,
        RefundFacts {
            amount,
            reason: "Paid twice: given back automatically".into(),
            stripe: Some(created),
            credit_note: false,
            by: Some("Pitlane".into()),
        },
    )
    .await?;
    if result.new {
        refund_message(billing, &tx, &result.invoice, paid, amount, site).await?;
    }
    tx.commit().await?;
    publish(billing, &result.invoice, "invoice.refund").await;
    Ok(())
}

/// Brings a card payment's refunds in line with Stripe's list of them: refunds made in
/// Stripe's dashboard are recorded, and pending ones get their final state.
async fn refunds_of(
    billing: &Billing,
    gateway: &Gateway,
    workshop: &tenant::Model,
    intent: &str,
    site: &str,
) -> Result<String, Failure> {
    let account = workshop.stripe_account_id.clone().unwrap_or_default();
    let listed = list_refunds(gateway, &account, intent).await?;
    let ctx = TenantCtx::new(TenantId(workshop.id));
    let tx = billing.store().tx(&ctx).await?;
    let Some(paid) = tx
        .first(
            tx.select::<payment::Entity>()
                .filter(payment::Column::StripePaymentIntent.eq(intent)),
        )
        .await?
    else {
        // The refund can come before the payment it refunds is recorded: try again later.
        return Err(Failure::Payload("no payment with this intent yet"));
    };
    let mut recorded = 0;
    for (id, amount, status) in listed {
        let known = tx
            .first(
                tx.select::<refund::Entity>()
                    .filter(refund::Column::StripeRefundId.eq(id.clone())),
            )
            .await?;
        match known {
            Some(row) => {
                let status = match status.as_str() {
                    "succeeded" => "succeeded",
                    "failed" | "canceled" => "failed",
                    _ => "pending",
                };
                if row.status != status {
                    let undone = status == "failed" && row.status != "failed";
                    let amount = row.amount_minor;
                    let invoice_id = row.invoice_id;
                    let before = row.clone();
                    let mut active = row.into_active_model();
                    active.status = Set(status.into());
                    active.updated_at = Set(Utc::now());
                    let after = tx.update(active).await?;
                    crate::figures::refund_changed(&tx, Some(&before), &after).await?;
                    if undone {
                        // The money never went back: the payment keeps it, and the invoice's
                        // balance says so again.
                        tx.update_all(
                            payment::Entity::update_many()
                                .col_expr(
                                    payment::Column::RefundedMinor,
                                    Expr::col(payment::Column::RefundedMinor).sub(amount),
                                )
                                .filter(payment::Column::Id.eq(paid.id))
                                .filter(payment::Column::RefundedMinor.gte(amount)),
                        )
                        .await?;
                        let invoice = tx.get_for_update::<invoice::Entity>(invoice_id).await?;
                        crate::invoice::resettle(&tx, invoice).await?;
                    }
                }
            }
            None if status != "failed" && status != "canceled" => {
                let result = apply_refund(
                    &tx,
                    paid.id,
                    RefundFacts {
                        amount,
                        reason: "Refunded in Stripe's dashboard".into(),
                        stripe: Some(StripeRefund {
                            id,
                            succeeded: status == "succeeded",
                        }),
                        credit_note: false,
                        by: Some("Stripe".into()),
                    },
                )
                .await?;
                if result.new {
                    recorded += 1;
                    refund_message(billing, &tx, &result.invoice, &paid, amount, site).await?;
                }
            }
            None => {}
        }
    }
    tx.commit().await?;
    Ok(format!("{recorded} refund(s) recorded from Stripe"))
}

async fn list_refunds(
    gateway: &Gateway,
    account: &str,
    intent: &str,
) -> Result<Vec<(String, i64, String)>, CallError> {
    use stripe_core::refund::ListRefund;
    let account: stripe::AccountId = account
        .parse()
        .map_err(|_| CallError::Unavailable("account id does not parse".into()))?;
    let list = gateway
        .call("list refunds", || {
            ListRefund::new()
                .payment_intent(intent.to_owned())
                .limit(100)
                .customize()
                .account_id(account.clone())
                .send(&gateway.client)
        })
        .await?;
    Ok(list
        .data
        .into_iter()
        .map(|r| (r.id.to_string(), r.amount, r.status.unwrap_or_default()))
        .collect())
}
