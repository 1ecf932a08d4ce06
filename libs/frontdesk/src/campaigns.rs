//! Marketing to customers who agreed to it: campaigns to a segment, and the maintenance-due
//! reminders. Both go only to customers with marketing consent who have not unsubscribed;
//! every message carries a one-click unsubscribe link that takes effect at once, withdrawing
//! the consent and any campaign message still waiting to go out.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate, Utc};
use pitlane_domain::{
    Actor, FieldErrors, ServiceError, ids::CustomerId, messages::MessageKind,
    permissions::Permission, text::Email,
};
use pitlane_identity::links::Purpose;
use pitlane_notify::{OutgoingMessage, Recipient};
use pitlane_store::{
    TenantCtx, TenantTx,
    entity::{appointment, customer, repair_order, repair_order_line, vehicle},
    sea_orm::{
        ActiveValue::Set,
        ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
        sea_query::{Expr, ExprTrait, Query},
    },
};
use uuid::Uuid;

use crate::{FrontDesk, customers, vehicles};

/// Who a campaign goes to, beyond consent: a tag, no visit for some days, declined work.
#[derive(Debug, Clone, Default)]
pub struct Segment {
    pub tag: Option<String>,
    /// Only customers with no appointment starting in the last this-many days.
    pub inactive_days: Option<u32>,
    /// Only customers with declined work nobody has followed up yet. Each one's message
    /// lists that work, and sending marks it followed up.
    pub declined_work: bool,
}

#[derive(Debug, Clone, Default)]
pub struct CampaignInput {
    pub headline: String,
    pub body: String,
    pub segment: Segment,
}

/// A campaign handed to the outbox.
#[derive(Debug, Clone)]
pub struct Sent {
    pub id: Uuid,
    pub recipients: u64,
}

/// The idempotency prefix of every marketing message to one customer, so an unsubscribe can
/// withdraw those still waiting.
fn marketing_prefix(customer: Uuid) -> String {
    format!("marketing:{customer}:")
}

/// A customer's one-click unsubscribe link.
pub fn unsubscribe_link(fd: &FrontDesk, site: &str, customer: CustomerId) -> String {
    let token = fd.signer.sign(
        Purpose::Unsubscribe,
        customer.0,
        Utc::now() + Purpose::Unsubscribe.lifetime(),
    );
    format!("{site}/unsubscribe?token={token}")
}

fn reachable(c: &customer::Model) -> Option<Email> {
    if c.marketing_consent_at.is_none()
        || c.marketing_unsubscribed_at.is_some()
        || c.erased_at.is_some()
        || c.merged_into.is_some()
    {
        return None;
    }
    c.email.as_deref().and_then(|e| Email::parse(e).ok())
}

fn check_segment(segment: &Segment) -> Result<Option<String>, FieldErrors> {
    if let Some(days) = segment.inactive_days
        && !(1..=3650).contains(&days)
    {
        return Err(FieldErrors::single(
            "inactive_days",
            "between 1 and 3650 days",
        ));
    }
    match segment
        .tag
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        Some(tag) => customers::parse_tags(&[tag.to_owned()])
            .map(Some)
            .map_err(|m| FieldErrors::single("tag", m)),
        None => Ok(None),
    }
}

/// The orders holding declined work not yet followed up.
fn declined_lines(tx: &TenantTx) -> pitlane_store::sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(repair_order_line::Column::RepairOrderId)
        .from(repair_order_line::Entity)
        .and_where(repair_order_line::Column::TenantId.eq(tx.tenant_id().0))
        .and_where(repair_order_line::Column::Decision.eq("declined"))
        .and_where(repair_order_line::Column::FollowedUpAt.is_null())
        .to_owned()
}

/// Declined work not yet followed up, by customer: each line with its vehicle.
async fn declined_work(
    tx: &TenantTx,
    customers: &[Uuid],
) -> Result<BTreeMap<Uuid, Vec<(repair_order_line::Model, String)>>, ServiceError> {
    let orders = tx
        .all(
            tx.select::<repair_order::Entity>()
                .filter(repair_order::Column::CustomerId.is_in(customers.iter().copied()))
                .filter(repair_order::Column::Id.in_subquery(declined_lines(tx))),
        )
        .await?;
    let lines = tx
        .all(
            tx.select::<repair_order_line::Entity>()
                .filter(repair_order_line::Column::RepairOrderId.is_in(orders.iter().map(|o| o.id)))
                .filter(repair_order_line::Column::Decision.eq("declined"))
                .filter(repair_order_line::Column::FollowedUpAt.is_null())
                .order_by_asc(repair_order_line::Column::DecidedAt)
                .order_by_asc(repair_order_line::Column::Id),
        )
        .await?;
    let orders: BTreeMap<Uuid, repair_order::Model> =
        orders.into_iter().map(|o| (o.id, o)).collect();
    let mut by_customer: BTreeMap<Uuid, Vec<(repair_order_line::Model, String)>> = BTreeMap::new();
    for line in lines {
        if let Some(order) = orders.get(&line.repair_order_id) {
            by_customer
                .entry(order.customer_id)
                .or_default()
                .push((line, order.vehicle_label.clone()));
        }
    }
    Ok(by_customer)
}

/// The message body with the customer's own declined work under it.
fn with_declined_work(body: &str, work: &[(repair_order_line::Model, String)]) -> String {
    if work.is_empty() {
        return body.to_owned();
    }
    let mut out = format!("{body}\n\nThe work we recommended:");
    for (line, vehicle) in work {
        out.push_str(&format!("\n- {} ({vehicle})", line.description));
    }
    out
}

/// The customers a segment reaches by e-mail today.
async fn audience(
    tx: &TenantTx,
    segment: &Segment,
) -> Result<Vec<(customer::Model, Email)>, ServiceError> {
    let tag = check_segment(segment)?;
    let mut query = tx
        .select::<customer::Entity>()
        .filter(customer::Column::MarketingConsentAt.is_not_null())
        .filter(customer::Column::MarketingUnsubscribedAt.is_null())
        .filter(customer::Column::ErasedAt.is_null())
        .filter(customer::Column::MergedInto.is_null())
        .filter(customer::Column::Email.is_not_null());
    if let Some(tag) = &tag {
        query = query.filter(customer::Column::Tags.contains(tag.as_str()));
    }
    if segment.declined_work {
        query = query.filter(
            customer::Column::Id.in_subquery(
                Query::select()
                    .column(repair_order::Column::CustomerId)
                    .from(repair_order::Entity)
                    .and_where(repair_order::Column::TenantId.eq(tx.tenant_id().0))
                    .and_where(repair_order::Column::Id.in_subquery(declined_lines(tx)))
                    .to_owned(),
            ),
        );
    }
    if let Some(days) = segment.inactive_days {
        // Not seen: no appointment (other than a cancelled one) started in the window.
        query = query.filter(
            customer::Column::Id.not_in_subquery(
                Query::select()
                    .column(appointment::Column::CustomerId)
                    .from(appointment::Entity)
                    .and_where(appointment::Column::TenantId.eq(tx.tenant_id().0))
                    .and_where(
                        appointment::Column::StartsAt.gt(Utc::now() - Duration::days(days.into())),
                    )
                    .and_where(appointment::Column::Status.ne("cancelled"))
                    .to_owned(),
            ),
        );
    }
    let rows = tx.all(query).await?;
    Ok(rows
        .into_iter()
        // The stored tags are comma-separated; `contains` above may match a longer tag.
        .filter(|c| {
            tag.as_ref()
                .is_none_or(|t| customers::tags_of(c).iter().any(|x| x == t))
        })
        .filter_map(|c| reachable(&c).map(|e| (c, e)))
        .collect())
}

/// How many customers a segment would reach now.
pub async fn preview(
    fd: &FrontDesk,
    actor: &Actor,
    segment: &Segment,
) -> Result<u64, ServiceError> {
    actor.require(Permission::SettingsManage)?;
    let tx = fd.store.tx(&TenantCtx::of(actor)).await?;
    let n = audience(&tx, segment).await?.len() as u64;
    tx.commit().await?;
    Ok(n)
}

/// Sends a campaign: one e-mail per reachable customer, paced by the workers as bulk mail.
pub async fn send(
    fd: &FrontDesk,
    actor: &Actor,
    input: CampaignInput,
    site: &str,
) -> Result<Sent, ServiceError> {
    actor.require(Permission::SettingsManage)?;
    let mut errors = FieldErrors::new();
    let headline = input.headline.trim();
    let body = input.body.trim();
    if headline.is_empty() || headline.chars().count() > 150 {
        errors.add("headline", "write a headline of at most 150 characters");
    }
    if body.is_empty() || body.chars().count() > 5000 {
        errors.add("body", "write the message, at most 5,000 characters");
    }
    if let Err(e) = check_segment(&input.segment) {
        errors.0.extend(e.0);
    }
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let id = Uuid::now_v7();
    let tx = fd.store.tx(&TenantCtx::of(actor)).await?;
    let people = audience(&tx, &input.segment).await?;
    if people.is_empty() {
        return Err(FieldErrors::single(
            "tag",
            "nobody in this segment has agreed to offers by e-mail",
        )
        .into());
    }
    let declined = if input.segment.declined_work {
        let ids: Vec<Uuid> = people.iter().map(|(c, _)| c.id).collect();
        declined_work(&tx, &ids).await?
    } else {
        BTreeMap::new()
    };
    for (c, email) in &people {
        let own_work = declined.get(&c.id).map_or(&[][..], Vec::as_slice);
        let vars: BTreeMap<String, String> = [
            ("customer_name", c.name.clone()),
            ("headline", headline.to_owned()),
            ("body", with_declined_work(body, own_work)),
            (
                "unsubscribe_link",
                unsubscribe_link(fd, site, CustomerId(c.id)),
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        fd.outbox
            .enqueue(
                &tx,
                OutgoingMessage {
                    kind: MessageKind::Newsletter,
                    to: Recipient::Email {
                        address: email.clone(),
                        name: Some(c.name.clone()),
                    },
                    vars,
                    attachments: Vec::new(),
                    send_at: None,
                    idempotency_key: format!("{}campaign:{id}", marketing_prefix(c.id)),
                },
            )
            .await?;
    }
    // The campaign was the follow-up of the work it offered again.
    let offered: Vec<Uuid> = declined.values().flatten().map(|(l, _)| l.id).collect();
    for chunk in offered.chunks(1000) {
        tx.update_all(
            repair_order_line::Entity::update_many()
                .col_expr(
                    repair_order_line::Column::FollowedUpAt,
                    Expr::value(Utc::now()),
                )
                .filter(repair_order_line::Column::Id.is_in(chunk.iter().copied())),
        )
        .await?;
    }
    pitlane_store::audit::record(
        &tx,
        pitlane_store::audit::By::Member(actor),
        pitlane_store::audit::Event::new("campaign.sent")
            .subject(id.to_string())
            .detail(serde_json::json!({
                "headline": headline,
                "recipients": people.len(),
                "tag": input.segment.tag,
                "inactive_days": input.segment.inactive_days,
                "declined_work": input.segment.declined_work,
                "declined_lines_followed_up": offered.len(),
            })),
    )
    .await?;
    tx.commit().await?;
    Ok(Sent {
        id,
        recipients: people.len() as u64,
    })
}

/// The customer clicked the unsubscribe link: consent is withdrawn and waiting marketing
/// messages are cancelled, now. Returns the workshop-facing name for the confirmation page.
pub async fn unsubscribe(
    fd: &FrontDesk,
    tenant: &TenantCtx,
    token: &str,
) -> Result<String, ServiceError> {
    let id = fd
        .signer
        .verify(Purpose::Unsubscribe, token)
        .map_err(|_| ServiceError::NotFound)?;
    let tx = fd.store.tx(tenant).await?;
    let mut c = tx.get::<customer::Entity>(id).await?;
    // A link mailed before a merge speaks for the customer the record was merged into.
    let mut seen = vec![c.id];
    while let Some(survivor) = c.merged_into.filter(|s| !seen.contains(s)) {
        seen.push(survivor);
        c = tx.get::<customer::Entity>(survivor).await?;
    }
    let name = c.name.clone();
    if c.marketing_unsubscribed_at.is_none() {
        let mut active = c.into_active_model();
        active.marketing_consent_at = Set(None);
        active.marketing_consent_source = Set(None);
        active.marketing_unsubscribed_at = Set(Some(Utc::now()));
        active.updated_at = Set(Utc::now());
        tx.update(active).await?;
    }
    for customer in &seen {
        tx.cancel_pending(&marketing_prefix(*customer)).await?;
    }
    pitlane_store::audit::record(
        &tx,
        pitlane_store::audit::By::Visitor("the unsubscribe link in a message".into()),
        pitlane_store::audit::Event::new("customer.unsubscribed").subject(id.to_string()),
    )
    .await?;
    tx.commit().await?;
    Ok(name)
}

/// How far ahead a service counts as due.
pub const MAINTENANCE_DAYS_AHEAD: i64 = 14;

/// Tells customers (with marketing consent) that their vehicle's service is due, once per due
/// date or mileage: a vehicle is marked when told, and editing its next service clears the mark.
pub async fn maintenance_sweep(
    fd: &FrontDesk,
    tenant: &TenantCtx,
    today: NaiveDate,
    site: &str,
) -> Result<u64, ServiceError> {
    let tx = fd.store.tx(tenant).await?;
    let due_by = today + Duration::days(MAINTENANCE_DAYS_AHEAD);
    let candidates = tx
        .all(
            tx.select::<vehicle::Entity>()
                .filter(vehicle::Column::MaintenanceNotifiedAt.is_null())
                .filter(vehicle::Column::CustomerId.is_not_null())
                .filter(
                    pitlane_store::sea_orm::Condition::any()
                        .add(vehicle::Column::NextServiceOn.lte(due_by))
                        .add(
                            Expr::col(vehicle::Column::LastMileage)
                                .gte(Expr::col(vehicle::Column::NextServiceMileage)),
                        ),
                )
                .order_by_asc(vehicle::Column::Id)
                .limit(5000),
        )
        .await?;
    let mut sent = 0;
    for v in candidates {
        let Some(due) = vehicles::maintenance_due(&v, today, MAINTENANCE_DAYS_AHEAD) else {
            continue;
        };
        let Some(owner) = v.customer_id else { continue };
        let c = tx.get::<customer::Entity>(owner).await?;
        let Some(email) = reachable(&c) else { continue };
        let vars: BTreeMap<String, String> = [
            ("customer_name", c.name.clone()),
            ("vehicle", vehicles::describe(&v)),
            ("due", due),
            ("link", format!("{site}/book")),
            (
                "unsubscribe_link",
                unsubscribe_link(fd, site, CustomerId(c.id)),
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        fd.outbox
            .enqueue(
                &tx,
                OutgoingMessage {
                    kind: MessageKind::MaintenanceDue,
                    to: Recipient::Email {
                        address: email,
                        name: Some(c.name.clone()),
                    },
                    vars,
                    attachments: Vec::new(),
                    send_at: None,
                    idempotency_key: format!(
                        "{}maintenance:{}:{}",
                        marketing_prefix(c.id),
                        v.id,
                        // Each due date or due mileage is told once.
                        match (v.next_service_on, v.next_service_mileage) {
                            (Some(d), _) => d.to_string(),
                            (None, Some(m)) => format!("{m}{}", v.mileage_unit),
                            (None, None) => "due".to_owned(),
                        }
                    ),
                },
            )
            .await?;
        let mut active = v.into_active_model();
        active.maintenance_notified_at = Set(Some(Utc::now()));
        tx.update(active).await?;
        sent += 1;
    }
    tx.commit().await?;
    Ok(sent)
}
