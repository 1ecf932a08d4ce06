//! Repair orders: opened from an appointment or for a walk-in, numbered without gaps per
//! workshop (`RO-1042`), moved through their life cycle with every change on the timeline,
//! and listed on the branch's board.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use pitlane_domain::{
    Actor, FieldErrors, ServiceError,
    live::Topic,
    messages::MessageKind,
    permissions::Permission,
    phone::PhoneE164,
    pricing::Totals,
    repair_order::{LineDecision, RepairOrderStatus, display_number},
    text::{Email, optional_text},
};
use pitlane_frontdesk::{
    appointments, customers::known_customer, resources::known_branch, vehicles,
};
use pitlane_identity::links::Purpose;
use pitlane_notify::{OutgoingMessage, Recipient};
use pitlane_store::{
    TenantCtx, TenantTx,
    entity::{
        appointment, branch, customer, inspection, job, membership, repair_order,
        repair_order_event, repair_order_line, vehicle,
    },
    sea_orm::{
        ActiveValue::Set, ColumnTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
    },
};
use serde_json::json;
use uuid::Uuid;

use crate::{Workshop, internal, lines};

/// The first number a workshop's repair orders get.
pub const FIRST_NUMBER: i64 = 1001;

/// A walk-in, or the facts staff confirm when an appointment becomes an order.
#[derive(Debug, Clone, Default)]
pub struct OrderInput {
    pub branch_id: Uuid,
    pub customer_id: Uuid,
    pub vehicle_id: Uuid,
    pub mileage_in: Option<i64>,
    /// A lower reading than the last one needs a reason.
    pub correction_reason: Option<String>,
    /// What the customer says is wrong, in their words.
    pub concern: Option<String>,
    pub promised_at: Option<DateTime<Utc>>,
    pub follow_updates: bool,
}

/// An order with everything its page shows.
#[derive(Debug, Clone)]
pub struct OrderView {
    pub order: repair_order::Model,
    pub customer: customer::Model,
    pub vehicle: vehicle::Model,
    pub branch: branch::Model,
    /// The workshop's currency: what the `_minor` amounts are in.
    pub currency: String,
    pub lines: Vec<repair_order_line::Model>,
    /// Everything not declined: what the estimate comes to.
    pub totals: Totals,
    /// What the customer has agreed to.
    pub approved: Totals,
    pub events: Vec<repair_order_event::Model>,
    pub jobs: Vec<job::Model>,
    pub inspections: Vec<inspection::Model>,
}

impl OrderView {
    pub fn status(&self) -> RepairOrderStatus {
        RepairOrderStatus::parse(&self.order.status).unwrap_or(RepairOrderStatus::Estimate)
    }

    pub fn number(&self) -> String {
        display_number(self.order.number)
    }
}

pub fn status_of(row: &repair_order::Model) -> Result<RepairOrderStatus, ServiceError> {
    RepairOrderStatus::parse(&row.status)
        .ok_or_else(|| internal(format!("stored status {}", row.status)))
}

pub(crate) async fn view(
    tx: &TenantTx,
    order: repair_order::Model,
) -> Result<OrderView, ServiceError> {
    let customer = tx.get::<customer::Entity>(order.customer_id).await?;
    let vehicle = tx.get::<vehicle::Entity>(order.vehicle_id).await?;
    let branch = tx.get::<branch::Entity>(order.branch_id).await?;
    let lines = lines::of_order(tx, order.id).await?;
    let rules = lines::rules(tx, &branch).await?;
    let totals = lines::totals_of(&lines, &rules, |d| d != LineDecision::Declined);
    let approved = lines::totals_of(&lines, &rules, |d| d == LineDecision::Approved);
    let events = tx
        .all(
            tx.select::<repair_order_event::Entity>()
                .filter(repair_order_event::Column::RepairOrderId.eq(order.id))
                .order_by_asc(repair_order_event::Column::CreatedAt)
                .order_by_asc(repair_order_event::Column::Id),
        )
        .await?;
    let jobs = tx
        .all(
            tx.select::<job::Entity>()
                .filter(job::Column::RepairOrderId.eq(order.id))
                .order_by_asc(job::Column::Id),
        )
        .await?;
    let inspections = tx
        .all(
            tx.select::<inspection::Entity>()
                .filter(inspection::Column::RepairOrderId.eq(order.id))
                .order_by_asc(inspection::Column::Id),
        )
        .await?;
    Ok(OrderView {
        order,
        customer,
        vehicle,
        branch,
        currency: lines::currency(tx).await?.as_str().to_owned(),
        lines,
        totals,
        approved,
        events,
        jobs,
        inspections,
    })
}

/// Adds an entry to the order's timeline.
pub(crate) async fn record(
    tx: &TenantTx,
    order: &repair_order::Model,
    kind: &str,
    detail: Option<String>,
    by: Option<String>,
    visible_to_customer: bool,
) -> Result<(), ServiceError> {
    tx.insert(repair_order_event::ActiveModel {
        tenant_id: Set(tx.tenant_id().0),
        id: Set(Uuid::now_v7()),
        repair_order_id: Set(order.id),
        kind: Set(kind.to_owned()),
        status: Set(Some(order.status.clone())),
        detail: Set(detail),
        by_name: Set(by),
        visible_to_customer: Set(visible_to_customer),
        created_at: Set(Utc::now()),
    })
    .await?;
    Ok(())
}

/// Tells the workshop's open boards and the customer's open page; after commit.
pub async fn publish(ws: &Workshop, order: &repair_order::Model, kind: &str) {
    let data = json!({
        "id": order.id,
        "number": display_number(order.number),
        "status": order.status,
        "label": RepairOrderStatus::parse(&order.status).map(|s| s.label()),
    });
    let live = &ws.desk.live;
    live.publish(order.tenant_id, Topic::Workshop, None, kind, data.clone())
        .await;
    live.publish(order.tenant_id, Topic::Repair, Some(order.id), kind, data)
        .await;
}

/// The customer's link to the order on the workshop's site.
pub fn customer_link(ws: &Workshop, site: &str, order: &repair_order::Model) -> String {
    let expires = Utc::now() + Purpose::RepairOrder.lifetime();
    let token = ws.desk.signer.sign(Purpose::RepairOrder, order.id, expires);
    format!("{site}/repair?token={token}")
}

fn check_input(input: &OrderInput) -> Result<Option<String>, FieldErrors> {
    let mut errors = FieldErrors::new();
    let concern = errors
        .check("concern", optional_text(input.concern.as_deref(), 2000))
        .flatten();
    if input
        .mileage_in
        .is_some_and(|m| !(0..=5_000_000).contains(&m))
    {
        errors.add("mileage_in", "must be between 0 and 5,000,000");
    }
    errors.into_result()?;
    Ok(concern)
}

async fn advisor_of(tx: &TenantTx, actor: &Actor) -> Result<Option<Uuid>, ServiceError> {
    if actor.api_key.is_some() {
        return Ok(None);
    }
    Ok(tx
        .first(
            tx.select::<membership::Entity>()
                .filter(membership::Column::UserId.eq(actor.user_id.0)),
        )
        .await?
        .map(|m| m.id))
}

async fn insert(
    tx: &TenantTx,
    actor: &Actor,
    input: &OrderInput,
    concern: Option<String>,
    appointment_id: Option<Uuid>,
) -> Result<repair_order::Model, ServiceError> {
    let number = tx.next_number("repair_order", FIRST_NUMBER).await?;
    let now = Utc::now();
    let advisor = advisor_of(tx, actor).await?;
    let row = tx
        .insert(repair_order::ActiveModel {
            tenant_id: Set(tx.tenant_id().0),
            id: Set(Uuid::now_v7()),
            number: Set(number),
            branch_id: Set(input.branch_id),
            customer_id: Set(input.customer_id),
            vehicle_id: Set(input.vehicle_id),
            appointment_id: Set(appointment_id),
            status: Set(RepairOrderStatus::Estimate.key().to_owned()),
            mileage_in: Set(input.mileage_in),
            mileage_out: Set(None),
            concern: Set(concern),
            advisor_id: Set(advisor),
            promised_at: Set(input.promised_at),
            approval_method: Set(None),
            approved_at: Set(None),
            approved_by: Set(None),
            approval_version: Set(0),
            follow_updates: Set(input.follow_updates),
            created_at: Set(now),
            updated_at: Set(now),
            closed_at: Set(None),
        })
        .await?;
    let by = tx.actor_name(actor).await?;
    record(
        tx,
        &row,
        "opened",
        Some(format!("{} opened", display_number(number))),
        by,
        true,
    )
    .await?;
    Ok(row)
}

/// Opens an order for a vehicle that came in without an appointment.
pub async fn open_walk_in(
    ws: &Workshop,
    actor: &Actor,
    input: &OrderInput,
) -> Result<OrderView, ServiceError> {
    actor.require(Permission::RepairOrdersWrite)?;
    let concern = check_input(input)?;
    let tx = ws.store().tx(&TenantCtx::of(actor)).await?;
    known_branch(&tx, input.branch_id, "branch_id").await?;
    known_customer(&tx, input.customer_id, "customer_id").await?;
    let vehicle = known_vehicle(&tx, input.vehicle_id, input.customer_id).await?;
    if let Some(mileage) = input.mileage_in {
        vehicles::set_mileage(
            &tx,
            vehicle,
            mileage,
            input.correction_reason.as_deref(),
            "repair order",
        )
        .await
        .map_err(|e| rename(e, "mileage", "mileage_in"))?;
    }
    let row = insert(&tx, actor, input, concern, None).await?;
    let result = view(&tx, row).await?;
    tx.commit().await?;
    publish(ws, &result.order, "repair_order.opened").await;
    Ok(result)
}

/// Opens the order for a booked visit: the appointment's branch, customer and vehicle; the
/// appointment is checked in (with the mileage) if it was not, and shows as in the workshop.
pub async fn open_from_appointment(
    ws: &Workshop,
    actor: &Actor,
    appointment_id: Uuid,
    mileage_in: Option<i64>,
    concern: Option<String>,
    site: &str,
) -> Result<OrderView, ServiceError> {
    actor.require(Permission::RepairOrdersWrite)?;
    let tx = ws.store().tx(&TenantCtx::of(actor)).await?;
    let booked = tx.get::<appointment::Entity>(appointment_id).await?;
    let Some(vehicle_id) = booked.vehicle_id else {
        return Err(FieldErrors::single(
            "appointment_id",
            "the appointment has no vehicle; add the customer's vehicle to it first",
        )
        .into());
    };
    let existing = tx
        .first(
            tx.select::<repair_order::Entity>()
                .filter(repair_order::Column::AppointmentId.eq(appointment_id)),
        )
        .await?;
    if let Some(existing) = existing {
        return Err(ServiceError::Conflict(FieldErrors::single(
            "appointment_id",
            format!(
                "this appointment is already {}",
                display_number(existing.number)
            ),
        )));
    }
    let input = OrderInput {
        branch_id: booked.branch_id,
        customer_id: booked.customer_id,
        vehicle_id,
        mileage_in: mileage_in.or(booked.arrival_mileage),
        concern: concern.or(booked.notes.clone()),
        ..OrderInput::default()
    };
    let concern = check_input(&input)?;
    let by = tx.actor_name(actor).await?;
    let converted = appointments::convert(&ws.desk, &tx, appointment_id, mileage_in, by, site)
        .await
        .map_err(|e| rename(e, "mileage", "mileage_in"))?;
    let row = insert(&tx, actor, &input, concern, Some(appointment_id)).await?;
    let result = view(&tx, row).await?;
    tx.commit().await?;
    appointments::announce(&ws.desk, &converted).await;
    publish(ws, &result.order, "repair_order.opened").await;
    Ok(result)
}

fn rename(err: ServiceError, from: &str, to: &str) -> ServiceError {
    match err {
        ServiceError::Invalid(e) => ServiceError::Invalid(e.renamed(from, to)),
        other => other,
    }
}

async fn known_vehicle(
    tx: &TenantTx,
    id: Uuid,
    customer_id: Uuid,
) -> Result<vehicle::Model, ServiceError> {
    match tx.get::<vehicle::Entity>(id).await {
        Ok(v) if v.customer_id == Some(customer_id) => Ok(v),
        Ok(_) => {
            Err(FieldErrors::single("vehicle_id", "this vehicle is not the customer's").into())
        }
        Err(pitlane_store::StoreError::NotFound) => {
            Err(FieldErrors::single("vehicle_id", "no such vehicle").into())
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn get(ws: &Workshop, actor: &Actor, id: Uuid) -> Result<OrderView, ServiceError> {
    actor.require(Permission::RepairOrdersRead)?;
    let tx = ws.store().tx(&TenantCtx::of(actor)).await?;
    let row = tx.get::<repair_order::Entity>(id).await?;
    let result = view(&tx, row).await?;
    tx.commit().await?;
    Ok(result)
}

/// The order by its human number (`1042` or `RO-1042`), for search boxes.
pub async fn by_number(
    ws: &Workshop,
    actor: &Actor,
    raw: &str,
) -> Result<repair_order::Model, ServiceError> {
    actor.require(Permission::RepairOrdersRead)?;
    let digits = raw
        .trim()
        .trim_start_matches("RO-")
        .trim_start_matches("ro-");
    let number: i64 = digits.parse().map_err(|_| ServiceError::NotFound)?;
    let tx = ws.store().tx(&TenantCtx::of(actor)).await?;
    let row = tx
        .first(
            tx.select::<repair_order::Entity>()
                .filter(repair_order::Column::Number.eq(number)),
        )
        .await?
        .ok_or(ServiceError::NotFound)?;
    tx.commit().await?;
    Ok(row)
}

/// A vehicle's repair orders, newest first (its service history in the workshop).
pub async fn of_vehicle(
    ws: &Workshop,
    actor: &Actor,
    vehicle_id: Uuid,
) -> Result<Vec<repair_order::Model>, ServiceError> {
    actor.require(Permission::RepairOrdersRead)?;
    let tx = ws.store().tx(&TenantCtx::of(actor)).await?;
    let rows = tx
        .all(
            tx.select::<repair_order::Entity>()
                .filter(repair_order::Column::VehicleId.eq(vehicle_id))
                .order_by_desc(repair_order::Column::Number)
                .limit(100),
        )
        .await?;
    tx.commit().await?;
    Ok(rows)
}

/// One card of the board.
#[derive(Debug, Clone)]
pub struct BoardCard {
    pub order: repair_order::Model,
    pub customer_name: String,
    pub vehicle: String,
    pub total: i64,
    /// Jobs done of all jobs.
    pub jobs_done: usize,
    pub jobs: usize,
}

/// The branch's open orders (every branch the actor sees when none is named), oldest first,
/// with the customer, the vehicle, the estimate's total and the jobs' progress.
pub async fn board(
    ws: &Workshop,
    actor: &Actor,
    branch_id: Option<Uuid>,
) -> Result<(String, Vec<BoardCard>), ServiceError> {
    actor.require(Permission::RepairOrdersRead)?;
    let tx = ws.store().tx(&TenantCtx::of(actor)).await?;
    let open: Vec<&str> = RepairOrderStatus::ALL
        .into_iter()
        .filter(|s| s.is_open())
        .map(|s| s.key())
        .collect();
    let mut query = tx
        .select::<repair_order::Entity>()
        .filter(repair_order::Column::Status.is_in(open));
    if let Some(branch_id) = branch_id {
        query = query.filter(repair_order::Column::BranchId.eq(branch_id));
    }
    let orders = tx
        .all(query.order_by_asc(repair_order::Column::Number).limit(1000))
        .await?;
    let ids: Vec<Uuid> = orders.iter().map(|o| o.id).collect();
    let customer_ids: Vec<Uuid> = orders.iter().map(|o| o.customer_id).collect();
    let vehicle_ids: Vec<Uuid> = orders.iter().map(|o| o.vehicle_id).collect();
    let customers: HashMap<Uuid, String> = tx
        .all(
            tx.select::<customer::Entity>()
                .filter(customer::Column::Id.is_in(customer_ids)),
        )
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let vehicles: HashMap<Uuid, String> = tx
        .all(
            tx.select::<vehicle::Entity>()
                .filter(vehicle::Column::Id.is_in(vehicle_ids)),
        )
        .await?
        .into_iter()
        .map(|v| (v.id, vehicles::describe(&v)))
        .collect();
    let mut lines_by_order: BTreeMap<Uuid, Vec<repair_order_line::Model>> = BTreeMap::new();
    for line in tx
        .all(
            tx.select::<repair_order_line::Entity>()
                .filter(repair_order_line::Column::RepairOrderId.is_in(ids.clone())),
        )
        .await?
    {
        lines_by_order
            .entry(line.repair_order_id)
            .or_default()
            .push(line);
    }
    let mut jobs_by_order: HashMap<Uuid, (usize, usize)> = HashMap::new();
    for j in tx
        .all(
            tx.select::<job::Entity>()
                .filter(job::Column::RepairOrderId.is_in(ids)),
        )
        .await?
    {
        let entry = jobs_by_order.entry(j.repair_order_id).or_default();
        entry.1 += 1;
        if j.status == "finished" {
            entry.0 += 1;
        }
    }
    let mut branch_rules = HashMap::new();
    let mut cards = Vec::with_capacity(orders.len());
    for order in orders {
        if let std::collections::hash_map::Entry::Vacant(slot) = branch_rules.entry(order.branch_id)
        {
            let branch = tx.get::<branch::Entity>(order.branch_id).await?;
            slot.insert(lines::rules(&tx, &branch).await?);
        }
        let lines = lines_by_order.remove(&order.id).unwrap_or_default();
        let totals = lines::totals_of(&lines, &branch_rules[&order.branch_id], |d| {
            d != LineDecision::Declined
        });
        let (jobs_done, jobs) = jobs_by_order.get(&order.id).copied().unwrap_or_default();
        cards.push(BoardCard {
            customer_name: customers
                .get(&order.customer_id)
                .cloned()
                .unwrap_or_default(),
            vehicle: vehicles.get(&order.vehicle_id).cloned().unwrap_or_default(),
            total: totals.total,
            jobs_done,
            jobs,
            order,
        });
    }
    let currency = lines::currency(&tx).await?.as_str().to_owned();
    tx.commit().await?;
    Ok((currency, cards))
}

/// Details staff may give with a status change.
#[derive(Debug, Clone, Default)]
pub struct StatusChange {
    pub mileage_out: Option<i64>,
    pub note: Option<String>,
}

/// Moves an order along its life cycle. Approval goes through [`crate::approval`] (it needs
/// the customer's answers); a change the cycle does not allow is refused with the states it
/// may go to.
pub async fn change_status(
    ws: &Workshop,
    actor: &Actor,
    id: Uuid,
    next: RepairOrderStatus,
    change: &StatusChange,
    site: &str,
) -> Result<OrderView, ServiceError> {
    actor.require(Permission::RepairOrdersWrite)?;
    let mut errors = FieldErrors::new();
    let note = errors
        .check("note", optional_text(change.note.as_deref(), 1000))
        .flatten();
    errors.into_result()?;
    let tx = ws.store().tx(&TenantCtx::of(actor)).await?;
    let row = tx.get::<repair_order::Entity>(id).await?;
    let now = status_of(&row)?;
    if next == RepairOrderStatus::Approved && now.can_become(next) {
        return Err(FieldErrors::single(
            "status",
            "record the customer's answer to each line to approve the estimate",
        )
        .into());
    }
    if next == RepairOrderStatus::SentForApproval && now.can_become(next) {
        return Err(FieldErrors::single(
            "status",
            "send the estimate to the customer to ask for approval",
        )
        .into());
    }
    let by = tx.actor_name(actor).await?;
    let (changed, notified) =
        transition(ws, &tx, row, next, change.mileage_out, note, by, site).await?;
    let result = view(&tx, changed).await?;
    tx.commit().await?;
    notified.publish(&ws.desk.live).await;
    publish(ws, &result.order, "repair_order.status").await;
    Ok(result)
}

/// Changes the status in an open transaction, with what each state brings: parts consumed
/// when the work is done, reservations released when cancelled, the customer told.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn transition(
    ws: &Workshop,
    tx: &TenantTx,
    row: repair_order::Model,
    next: RepairOrderStatus,
    mileage_out: Option<i64>,
    note: Option<String>,
    by: Option<String>,
    site: &str,
) -> Result<(repair_order::Model, pitlane_notify::staff::Notified), ServiceError> {
    let now = status_of(&row)?;
    if !now.can_become(next) {
        return Err(FieldErrors::single("status", now.refusal(next)).into());
    }
    let mut notified = pitlane_notify::staff::Notified::default();
    let order_lines = lines::of_order(tx, row.id).await?;
    match next {
        RepairOrderStatus::ReadyForPickup => {
            for line in order_lines
                .iter()
                .filter(|l| l.kind == "part" && l.decision == "approved")
            {
                notified.merge(
                    pitlane_inventory::stock::consume(tx, line.id, row.id, by.clone()).await?,
                );
            }
            if let Some(mileage) = mileage_out {
                let vehicle = tx.get::<vehicle::Entity>(row.vehicle_id).await?;
                if vehicle.last_mileage != Some(mileage) {
                    vehicles::set_mileage(tx, vehicle, mileage, None, "repair order")
                        .await
                        .map_err(|e| rename(e, "mileage", "mileage_out"))?;
                }
            }
        }
        RepairOrderStatus::Cancelled => {
            for line in &order_lines {
                pitlane_inventory::stock::release(tx, line.id).await?;
            }
        }
        _ => {}
    }
    let mut active = row.clone().into_active_model();
    active.status = Set(next.key().to_owned());
    if next == RepairOrderStatus::ReadyForPickup && mileage_out.is_some() {
        active.mileage_out = Set(mileage_out);
    }
    if matches!(
        next,
        RepairOrderStatus::Closed | RepairOrderStatus::Cancelled
    ) {
        active.closed_at = Set(Some(Utc::now()));
    }
    active.updated_at = Set(Utc::now());
    let changed = tx.update(active).await?;
    let detail = match &note {
        Some(note) => format!("{} → {}: {note}", now.label(), next.label()),
        None => format!("{} → {}", now.label(), next.label()),
    };
    record(tx, &changed, "status", Some(detail), by, true).await?;
    match next {
        RepairOrderStatus::ReadyForPickup => {
            customer_message(ws, tx, &changed, MessageKind::VehicleReady, site).await?
        }
        RepairOrderStatus::Estimate | RepairOrderStatus::SentForApproval => {}
        _ if changed.follow_updates => {
            customer_message(ws, tx, &changed, MessageKind::RepairStatus, site).await?
        }
        _ => {}
    }
    Ok((changed, notified))
}

/// Writes a message about the order to the customer: SMS with consent, else e-mail.
pub(crate) async fn customer_message(
    ws: &Workshop,
    tx: &TenantTx,
    order: &repair_order::Model,
    kind: MessageKind,
    site: &str,
) -> Result<(), ServiceError> {
    let customer = tx.get::<customer::Entity>(order.customer_id).await?;
    let vehicle = tx.get::<vehicle::Entity>(order.vehicle_id).await?;
    let branch = tx.get::<branch::Entity>(order.branch_id).await?;
    let status = status_of(order)?;
    let mut vars: BTreeMap<String, String> = [
        ("customer_name", customer.name.clone()),
        ("vehicle", vehicles::describe(&vehicle)),
        ("number", display_number(order.number)),
        ("status", status.label().to_lowercase()),
        ("branch", branch.name.clone()),
        ("link", customer_link(ws, site, order)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    if kind == MessageKind::EstimateReady {
        let lines = lines::of_order(tx, order.id).await?;
        let rules = lines::rules(tx, &branch).await?;
        let totals = lines::totals_of(&lines, &rules, |d| d != LineDecision::Declined);
        vars.insert("total".into(), lines::money(tx, totals.total).await?);
    }
    let key = format!(
        "ro:{}:{}:{}:{}",
        order.id,
        kind.as_str(),
        order.status,
        order.approval_version
    );
    let email = customer.email.as_deref().and_then(|e| Email::parse(e).ok());
    let phone = customer
        .phone
        .as_deref()
        .filter(|_| customer.sms_consent_at.is_some())
        .and_then(|p| PhoneE164::parse(p, None).ok());
    let recipient = match (phone, email) {
        (Some(phone), _) => Recipient::Sms {
            phone: phone.as_str().to_owned(),
        },
        (None, Some(address)) => Recipient::Email {
            address,
            name: Some(customer.name.clone()),
        },
        (None, None) => return Ok(()),
    };
    ws.desk
        .outbox
        .enqueue(
            tx,
            OutgoingMessage {
                kind,
                to: recipient,
                vars,
                attachments: Vec::new(),
                send_at: None,
                idempotency_key: key,
            },
        )
        .await?;
    Ok(())
}

/// Which states the order may go to from here, for the buttons on its page.
pub fn next_states(view: &OrderView) -> Vec<RepairOrderStatus> {
    view.status()
        .next_states()
        .into_iter()
        .filter(|s| {
            !matches!(
                s,
                RepairOrderStatus::Approved | RepairOrderStatus::SentForApproval
            )
        })
        .collect()
}

/// What the customer sees of an order: the visible timeline only.
pub fn customer_timeline(view: &OrderView) -> Vec<&repair_order_event::Model> {
    view.events
        .iter()
        .filter(|e| e.visible_to_customer)
        .collect()
}

/// Whether the customer wants a message at every change.
pub async fn set_follow_updates(
    ws: &Workshop,
    actor: &Actor,
    id: Uuid,
    follow: bool,
) -> Result<(), ServiceError> {
    actor.require(Permission::RepairOrdersWrite)?;
    let tx = ws.store().tx(&TenantCtx::of(actor)).await?;
    let mut row = tx
        .get::<repair_order::Entity>(id)
        .await?
        .into_active_model();
    row.follow_updates = Set(follow);
    tx.update(row).await?;
    tx.commit().await?;
    Ok(())
}
