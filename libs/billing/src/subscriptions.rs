//! The platform billing workshops for their plan (Stripe Billing): a plan chosen through
//! Checkout in subscription mode (priced per branch), Stripe's customer portal for cards and
//! invoices, and the dunning that follows a failed payment: past due → read-only after a
//! grace period → suspended.

use chrono::{DateTime, Duration, Utc};
use pitlane_domain::{
    Actor, FieldErrors, ServiceError, ids::TenantId, permissions::Permission, plans,
};
use pitlane_identity::audit::{self, By, Event};
use pitlane_store::{
    TenantCtx,
    entity::{branch, invitation, membership, tenant},
    sea_orm::{ActiveValue::Set, ColumnTrait, IntoActiveModel, QueryFilter},
};
use serde_json::{Value, json};

use stripe::StripeRequest;

use crate::{
    Billing,
    gateway::{CallError, Gateway},
};

/// How long a workshop past due keeps full use, then how long it stays read-only before it
/// is suspended.
pub const GRACE: Duration = Duration::days(7);
pub const READ_ONLY_FOR: Duration = Duration::days(14);

/// Where a workshop stands with the platform, for banners and for what it may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    Trial {
        ends_at: Option<DateTime<Utc>>,
    },
    /// The trial is over and no plan was chosen: read-only until one is.
    TrialOver,
    Active,
    /// A payment failed; full use until `read_only_at`.
    PastDue {
        read_only_at: DateTime<Utc>,
    },
    /// Past the grace period: staff can read but not change anything, until paid.
    ReadOnly {
        suspended_at: DateTime<Utc>,
    },
    Suspended,
    Canceled,
}

impl Standing {
    pub fn of(workshop: &tenant::Model, now: DateTime<Utc>) -> Self {
        match workshop.billing_status.as_str() {
            "active" => Self::Active,
            "canceled" => Self::Canceled,
            "past_due" => {
                let since = workshop.past_due_since.unwrap_or(now);
                if now < since + GRACE {
                    Self::PastDue {
                        read_only_at: since + GRACE,
                    }
                } else if now < since + GRACE + READ_ONLY_FOR {
                    Self::ReadOnly {
                        suspended_at: since + GRACE + READ_ONLY_FOR,
                    }
                } else {
                    Self::Suspended
                }
            }
            _ => match workshop.trial_ends_at {
                Some(end) if end < now => Self::TrialOver,
                ends_at => Self::Trial { ends_at },
            },
        }
    }

    /// Whether staff may change data (reading, paying and choosing a plan always work).
    pub fn allows_changes(self) -> bool {
        !matches!(
            self,
            Self::TrialOver | Self::ReadOnly { .. } | Self::Suspended | Self::Canceled
        )
    }

    /// What the owners' banner says, if anything.
    pub fn banner(self) -> Option<String> {
        match self {
            Self::Trial {
                ends_at: Some(end),
            } if end - Utc::now() < Duration::days(4) => Some(format!(
                "Your trial ends on {}. Choose a plan in Settings → Plan to keep everything running.",
                end.format("%-d %B")
            )),
            Self::TrialOver => Some("Your trial has ended: the workshop is read-only until you choose a plan in Settings → Plan.".into()),
            Self::PastDue { read_only_at } => Some(format!(
                "Your last payment to Pitlane failed. Update your card in Settings → Plan before {} or the workshop becomes read-only.",
                read_only_at.format("%-d %B")
            )),
            Self::ReadOnly { suspended_at } => Some(format!(
                "Payment is overdue: the workshop is read-only. Update your card in Settings → Plan before {} to avoid suspension.",
                suspended_at.format("%-d %B")
            )),
            Self::Suspended => Some("The workshop is suspended for non-payment. Update your card in Settings → Plan to restore it.".into()),
            Self::Canceled => Some("Your plan was cancelled: the workshop is read-only. Choose a plan in Settings → Plan to continue.".into()),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    Branches,
    Staff,
}

/// Refuses one more branch or member of staff beyond the plan's limit, saying what to do, and
/// tells the owners the limit is reached. A deployment without Stripe bills no plans, so it
/// has no limits.
pub async fn allow_one_more(
    billing: &Billing,
    actor: &Actor,
    what: Limit,
    site: &str,
) -> Result<(), ServiceError> {
    if billing.gateway.is_none() {
        return Ok(());
    }
    let tx = billing.store().tx(&TenantCtx::of(actor)).await?;
    let workshop = tx.get::<tenant::Entity>(tx.tenant_id().0).await?;
    let plan = plans::plan(&workshop.plan);
    let (max, field, noun) = match what {
        Limit::Branches => (plan.max_branches, "name", "branches"),
        Limit::Staff => (plan.max_staff, "email", "staff members"),
    };
    let Some(max) = max else {
        tx.commit().await?;
        return Ok(());
    };
    let have = match what {
        Limit::Branches => tx.count(tx.select::<branch::Entity>()).await?,
        Limit::Staff => {
            let members = tx
                .count(
                    tx.select::<membership::Entity>()
                        .filter(membership::Column::Status.eq("active"))
                        .filter(membership::Column::Role.ne("customer")),
                )
                .await?;
            let invited = tx
                .count(
                    tx.select::<invitation::Entity>()
                        .filter(invitation::Column::AcceptedAt.is_null())
                        .filter(invitation::Column::RevokedAt.is_null())
                        .filter(invitation::Column::ExpiresAt.gt(Utc::now())),
                )
                .await?;
            members + invited
        }
    };
    if have < u64::from(max) {
        tx.commit().await?;
        return Ok(());
    }
    let notified = crate::owners::note(
        billing,
        &tx,
        crate::owners::Notice::LimitReached { what: noun },
        site,
    )
    .await?;
    tx.commit().await?;
    notified.publish(&billing.workshop.desk.live).await;
    Err(ServiceError::Conflict(FieldErrors::single(
        field,
        format!(
            "the {} plan allows {max} {noun}; choose a larger plan in Settings → Payments and plan to add more",
            plan.name
        ),
    )))
}

/// Starts Checkout in subscription mode for a plan, priced per branch; returns Stripe's page.
pub async fn choose_plan(
    billing: &Billing,
    actor: &Actor,
    plan_key: &str,
    site: &str,
) -> Result<String, ServiceError> {
    actor.require(Permission::BillingManage)?;
    let gateway = billing.gateway()?;
    let plan = plans::PLANS
        .into_iter()
        .find(|p| p.key == plan_key)
        .ok_or_else(|| FieldErrors::single("plan", "choose Starter, Growth or Chain"))?;
    let price = gateway
        .settings
        .price_of(plan.key)
        .ok_or_else(|| FieldErrors::single("plan", "this plan is not on sale on this deployment"))?
        .to_owned();
    let ctx = TenantCtx::of(actor);
    let tx = billing.store().tx(&ctx).await?;
    let workshop = tx.get::<tenant::Entity>(tx.tenant_id().0).await?;
    let branches = tx.count(tx.select::<branch::Entity>()).await?;
    tx.commit().await?;
    if let Some(max) = plan.max_branches
        && branches > u64::from(max)
    {
        return Err(FieldErrors::single(
            "plan",
            format!(
                "the {} plan allows {max} branches and the workshop has {branches}",
                plan.name
            ),
        )
        .into());
    }
    if workshop.stripe_subscription_id.is_some()
        && matches!(workshop.billing_status.as_str(), "active" | "past_due")
    {
        return Err(FieldErrors::single(
            "plan",
            "the workshop already has a plan: change it in Stripe's portal (Card and invoices), so it is not billed twice",
        )
        .into());
    }
    let customer = match &workshop.stripe_customer_id {
        Some(id) => id.clone(),
        None => {
            let id = create_customer(gateway, &workshop)
                .await
                .map_err(|e| e.into_service_error("plan"))?;
            let tx = billing.store().tx(&ctx).await?;
            let row = tx.get::<tenant::Entity>(tx.tenant_id().0).await?;
            let mut active = row.into_active_model();
            active.stripe_customer_id = Set(Some(id.clone()));
            tx.update(active).await?;
            tx.commit().await?;
            id
        }
    };
    let url = subscription_checkout(
        gateway,
        &workshop,
        &customer,
        &price,
        branches.max(1),
        plan.key,
        site,
    )
    .await
    .map_err(|e| e.into_service_error("plan"))?;
    let tx = billing.store().tx(&ctx).await?;
    audit::record(
        &tx,
        By::Member(actor),
        Event::new("plan.checkout").detail(json!({ "plan": plan.key, "branches": branches })),
    )
    .await?;
    tx.commit().await?;
    Ok(url)
}

async fn create_customer(gateway: &Gateway, workshop: &tenant::Model) -> Result<String, CallError> {
    use stripe_core::customer::CreateCustomer;
    let metadata =
        std::collections::HashMap::from([("tenant_id".to_owned(), workshop.id.to_string())]);
    let key = format!("customer:{}", workshop.id);
    let customer = gateway
        .call("create customer", || {
            CreateCustomer::new()
                .name(workshop.name.clone())
                .metadata(metadata.clone())
                .customize()
                .request_strategy(Gateway::idempotent(&key))
                .send(&gateway.client)
        })
        .await?;
    Ok(customer.id.to_string())
}

async fn subscription_checkout(
    gateway: &Gateway,
    workshop: &tenant::Model,
    customer: &str,
    price: &str,
    branches: u64,
    plan: &str,
    site: &str,
) -> Result<String, CallError> {
    use stripe_checkout::checkout_session::{
        CreateCheckoutSession, CreateCheckoutSessionLineItems,
        CreateCheckoutSessionSubscriptionData,
    };
    let metadata = std::collections::HashMap::from([
        ("tenant_id".to_owned(), workshop.id.to_string()),
        ("plan".to_owned(), plan.to_owned()),
    ]);
    // One key per workshop, plan, branch count and day: a double click opens one session.
    let key = format!(
        "plan:{}:{plan}:{branches}:{}",
        workshop.id,
        Utc::now().format("%Y%m%d")
    );
    let session = gateway
        .call("plan checkout", || {
            let mut item = CreateCheckoutSessionLineItems::new();
            item.price = Some(price.to_owned());
            item.quantity = Some(branches);
            let mut data = CreateCheckoutSessionSubscriptionData::new();
            data.metadata = Some(metadata.clone());
            CreateCheckoutSession::new()
                .mode(stripe_shared::CheckoutSessionMode::Subscription)
                .customer(customer.to_owned())
                .line_items(vec![item])
                .subscription_data(data)
                .client_reference_id(workshop.id.to_string())
                .metadata(metadata.clone())
                .success_url(format!("{site}/portal/settings/plan?chosen=1"))
                .cancel_url(format!("{site}/portal/settings/plan"))
                .customize()
                .request_strategy(Gateway::idempotent(&key))
                .send(&gateway.client)
        })
        .await?;
    session
        .url
        .ok_or_else(|| CallError::Unavailable("Stripe returned a session without a URL".into()))
}

/// Stripe's customer portal, where owners change card, see Pitlane's invoices or cancel.
pub async fn portal_link(
    billing: &Billing,
    actor: &Actor,
    site: &str,
) -> Result<String, ServiceError> {
    use stripe_billing::billing_portal_session::CreateBillingPortalSession;
    actor.require(Permission::BillingManage)?;
    let gateway = billing.gateway()?;
    let tx = billing.store().tx(&TenantCtx::of(actor)).await?;
    let workshop = tx.get::<tenant::Entity>(tx.tenant_id().0).await?;
    tx.commit().await?;
    let customer = workshop
        .stripe_customer_id
        .ok_or_else(|| FieldErrors::single("plan", "choose a plan first"))?;
    let session = gateway
        .call("portal session", || {
            CreateBillingPortalSession::new()
                .customer(customer.clone())
                .return_url(format!("{site}/portal/settings/plan"))
                .customize()
                .send(&gateway.client)
        })
        .await
        .map_err(|e| e.into_service_error("plan"))?;
    Ok(session.url)
}

/// What Stripe says a subscription is now.
struct SubscriptionState {
    id: String,
    customer: String,
    status: String,
    price: Option<String>,
}

async fn fetch_subscription(gateway: &Gateway, id: &str) -> Result<SubscriptionState, CallError> {
    use stripe_billing::subscription::RetrieveSubscription;
    let id_parsed: stripe_shared::SubscriptionId = id.parse().map_err(|_| CallError::Refused {
        status: 400,
        message: format!("bad subscription id {id}"),
    })?;
    let sub = gateway
        .call("retrieve subscription", || {
            RetrieveSubscription::new(id_parsed.clone())
                .customize()
                .send(&gateway.client)
        })
        .await?;
    Ok(SubscriptionState {
        id: sub.id.to_string(),
        customer: sub.customer.id().to_string(),
        status: sub.status.as_str().to_owned(),
        price: sub.items.data.first().map(|i| i.price.id.to_string()),
    })
}

/// Works a plan event (platform account): the workshop's standing follows the subscription
/// as Stripe has it now, whatever order the events came in.
pub(crate) async fn handle_event(
    billing: &Billing,
    gateway: &Gateway,
    kind: &str,
    payload: &Value,
    site_of: &crate::site::SiteOf,
) -> Result<String, ServiceError> {
    let object = &payload["data"]["object"];
    let subscription_id = if kind.starts_with("customer.subscription.") {
        object["id"].as_str().map(str::to_owned)
    } else {
        object["subscription"]
            .as_str()
            .map(str::to_owned)
            .or_else(|| {
                object["parent"]["subscription_details"]["subscription"]
                    .as_str()
                    .map(str::to_owned)
            })
    };
    let customer = object["customer"].as_str().unwrap_or_default().to_owned();
    let Some(workshop) = billing.store().tenant_by_stripe_customer(&customer).await? else {
        return Ok("ignored: no workshop is this customer".into());
    };
    let ctx = TenantCtx::new(TenantId(workshop.id));
    if kind == "customer.subscription.trial_will_end" {
        let tx = billing.store().tx(&ctx).await?;
        let notified = crate::owners::note(
            billing,
            &tx,
            crate::owners::Notice::TrialEnding,
            &site_of(&workshop),
        )
        .await?;
        tx.commit().await?;
        notified.publish(&billing.workshop.desk.live).await;
        return Ok("owners told the trial ends".into());
    }
    let Some(subscription_id) = subscription_id else {
        return Ok("ignored: no subscription".into());
    };
    let state = fetch_subscription(gateway, &subscription_id)
        .await
        .map_err(ServiceError::internal)?;
    if state.customer != customer {
        return Ok("ignored: subscription of another customer".into());
    }
    // Only the workshop's current subscription decides its standing: an event about an older
    // one (replaced, then deleted) changes nothing, unless the current one is no longer live.
    if let Some(current) = &workshop.stripe_subscription_id
        && current != &state.id
        && workshop.billing_status != "canceled"
        && !matches!(state.status.as_str(), "active" | "trialing")
    {
        return Ok(format!(
            "ignored: {} is not the current subscription",
            state.id
        ));
    }
    let plan = state.price.as_deref().and_then(|price| {
        gateway
            .settings
            .plan_prices
            .iter()
            .find(|(_, p)| p == price)
            .map(|(plan, _)| plan.clone())
    });
    let status = match state.status.as_str() {
        "active" => "active",
        "trialing" => "trialing",
        "past_due" | "unpaid" | "incomplete" => "past_due",
        _ => "canceled",
    };
    let tx = billing.store().tx(&ctx).await?;
    let row = tx.get::<tenant::Entity>(workshop.id).await?;
    let was = row.billing_status.clone();
    let mut active = row.into_active_model();
    active.billing_status = Set(status.into());
    active.stripe_subscription_id = Set(Some(state.id.clone()));
    if let Some(plan) = &plan {
        active.plan = Set(plan.clone());
    }
    if status == "past_due" && was != "past_due" {
        active.past_due_since = Set(Some(Utc::now()));
    } else if status != "past_due" {
        active.past_due_since = Set(None);
    }
    active.updated_at = Set(Utc::now());
    tx.update(active).await?;
    let notified = if status == "past_due" && was != "past_due" {
        crate::owners::note(
            billing,
            &tx,
            crate::owners::Notice::PaymentFailed,
            &site_of(&workshop),
        )
        .await?
    } else {
        Default::default()
    };
    tx.commit().await?;
    notified.publish(&billing.workshop.desk.live).await;
    Ok(format!(
        "standing {was} → {status}, plan {}",
        plan.unwrap_or_else(|| "unchanged".into())
    ))
}
