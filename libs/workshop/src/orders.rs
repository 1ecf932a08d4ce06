//! Repair orders: opened from an appointment or for a walk-in, numbered without gaps per
//! workshop (`RO-1042`), moved through their life cycle with every change on the timeline,
//! and listed on the branch's board.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use pitlane_domain::{
    Actor, FieldErrors, ServiceError,
    ids::{AppointmentId, CustomerId, PartId, RepairOrderId, VehicleId},
    messages::MessageKind,
    money::Money,
    permissions::Permission,
    repair_order::{LineDecision, RepairOrderStatus, display_number},
    text::optional_text,
};
use pitlane_frontdesk::{
    appointments, customers::known_customer, resources::known_branch, vehicles,
};
use pitlane_identity::links::Purpose;
use pitlane_notify::OutgoingMessage;
use pitlane_store::{
    Page, TenantCtx, TenantTx, TimeCursor,
    entity::{
        appointment, branch, customer, job, membership, repair_order, repair_order_event, vehicle,
    },
    sea_orm::{
        ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, Order, QueryFilter,
        QueryOrder, QuerySelect, Select, sea_query::Expr,
    },
};
use uuid::Uuid;

pub use crate::order::{OrderView, status_of};
use crate::{
    Workshop,
    order::{lines_of, money, publish, record, rules, totals_of, view},
};

/// The first number a workshop's repair orders get.
pub const FIRST_NUMBER: i64 = 1001;

/// A walk-in, or the facts staff confirm when an appointment becomes an order.
#[derive(Debug, Clone, Default)]
pub struct OrderInput {
    pub branch_id: Uuid,
    pub customer_id: CustomerId,
    pub vehicle_id: VehicleId,
    pub mileage_in: Option<i64>,
    /// A lower reading than the last one needs a reason.
    pub correction_reason: Option<String>,
    /// What the customer says is wrong, in their words.
    pub concern: Option<String>,
    pub promised_at: Option<DateTime<Utc>>,
    pub follow_updates: bool,
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
    appointment_id: Option<AppointmentId>,
) -> Result<repair_order::Model, ServiceError> {
    let number = tx.next_number("repair_order", FIRST_NUMBER).await?;
    let customer = tx.get::<customer::Entity>(input.customer_id.0).await?;
    let vehicle = tx.get::<vehicle::Entity>(input.vehicle_id.0).await?;
    let now = Utc::now();
    let advisor = advisor_of(tx, actor).await?;
    let row = tx
        .insert(repair_order::ActiveModel {
            tenant_id: Set(tx.tenant_id().0),
            id: Set(Uuid::now_v7()),
            number: Set(number),
            branch_id: Set(input.branch_id),
            customer_id: Set(input.customer_id.0),
            vehicle_id: Set(input.vehicle_id.0),
            appointment_id: Set(appointment_id.map(Uuid::from)),
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
            customer_name: Set(customer.name),
            vehicle_label: Set(vehicles::describe(&vehicle)),
            total_minor: Set(0),
            created_at: Set(now),
            updated_at: Set(now),
            closed_at: Set(None),
            comeback_of: Set(None),
        })
        .await
        .map_err(|e| {
            // Two advisors opening the same appointment's order at once: one wins.
            if e.is_conflict_on("repair_orders_appointment") {
                ServiceError::Conflict(FieldErrors::single(
                    "appointment_id",
                    "a repair order was just opened for this appointment",
                ))
            } else {
                e.into()
            }
        })?;
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
/// Opens an order in the caller's transaction, for another capability's step (a roadside
/// job towed in): the caller checked who may, and publishes `repair_order.opened` with
/// [`crate::order::publish`] after commit.
pub async fn open_order_in(
    tx: &TenantTx,
    actor: &Actor,
    input: &OrderInput,
) -> Result<repair_order::Model, ServiceError> {
    let concern = check_input(input)?;
    insert(tx, actor, input, concern, None).await
}

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
        .map_err(|e| e.renamed("mileage", "mileage_in"))?;
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
    appointment_id: AppointmentId,
    mileage_in: Option<i64>,
    concern: Option<String>,
    site: &str,
) -> Result<OrderView, ServiceError> {
    actor.require(Permission::RepairOrdersWrite)?;
    let tx = ws.store().tx(&TenantCtx::of(actor)).await?;
    let booked = tx.get::<appointment::Entity>(appointment_id.0).await?;
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
                .filter(repair_order::Column::AppointmentId.eq(appointment_id.0)),
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
        customer_id: CustomerId(booked.customer_id),
        vehicle_id: VehicleId(vehicle_id),
        mileage_in: mileage_in.or(booked.arrival_mileage),
        concern: concern.or(booked.notes.clone()),
        ..OrderInput::default()
    };
    let concern = check_input(&input)?;
    let by = tx.actor_name(actor).await?;
    let converted = appointments::convert(&ws.desk, &tx, appointment_id, mileage_in, by, site)
        .await
        .map_err(|e| e.renamed("mileage", "mileage_in"))?;
    let row = insert(&tx, actor, &input, concern, Some(appointment_id)).await?;
    let result = view(&tx, row).await?;
    tx.commit().await?;
    appointments::announce(&ws.desk, &converted).await;
    publish(ws, &result.order, "repair_order.opened").await;
    Ok(result)
}

async fn known_vehicle(
    tx: &TenantTx,
    id: VehicleId,
    customer_id: CustomerId,
) -> Result<vehicle::Model, ServiceError> {
    match tx.get::<vehicle::Entity>(id.0).await {
        Ok(v) if v.customer_id == Some(customer_id.0) => Ok(v),
        Ok(_) => {
            Err(FieldErrors::single("vehicle_id", "this vehicle is not the customer's").into())
        }
        Err(pitlane_store::StoreError::NotFound) => {
            Err(FieldErrors::single("vehicle_id", "no such vehicle").into())
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn get(
    ws: &Workshop,
    actor: &Actor,
    id: RepairOrderId,
) -> Result<OrderView, ServiceError> {
    actor.require(Permission::RepairOrdersRead)?;
    let tx = ws.store().tx(&TenantCtx::of(actor)).await?;
    let row = tx.get::<repair_order::Entity>(id.0).await?;
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
    vehicle_id: VehicleId,
) -> Result<Vec<repair_order::Model>, ServiceError> {
    actor.require(Permission::RepairOrdersRead)?;
    let tx = ws.store().tx(&TenantCtx::of(actor)).await?;
    let rows = tx
        .all(
            tx.select::<repair_order::Entity>()
                .filter(repair_order::Column::VehicleId.eq(vehicle_id.0))
                .order_by_desc(repair_order::Column::Number)
                .limit(100),
        )
        .await?;
    tx.commit().await?;
    Ok(rows)
}

/// Which cards the board shows.
#[derive(Debug, Clone, Copy, Default)]
pub struct BoardFilter {
    pub branch_id: Option<Uuid>,
    pub status: Option<RepairOrderStatus>,
    /// 1–200; 50 when unset.
    pub limit: Option<u64>,
}

/// One card of the board, with its jobs' progress.
#[derive(Debug, Clone)]
pub struct BoardCard {
    pub card: repair_order::BoardCard,
    /// The estimate's total (the card's `total_minor`) in the workshop's currency.
    pub total: Money,
    pub jobs: usize,
    pub jobs_done: usize,
}

/// The board: the most recently changed open orders, and how many are in each state.
#[derive(Debug, Clone)]
pub struct Board {
    /// The branches the reader sees, for the board's branch filter.
    pub branches: Vec<(Uuid, String)>,
    pub cards: Vec<BoardCard>,
    pub counts: Vec<(RepairOrderStatus, u64)>,
}

impl Board {
    pub fn open(&self) -> u64 {
        self.counts.iter().map(|(_, n)| n).sum()
    }
}

#[derive(Debug, sea_orm::FromQueryResult)]
struct StatusCount {
    status: String,
    n: i64,
}

/// The open orders of a branch (every branch the actor sees when none is named), most
/// recently changed first, read from the order rows alone (customer, vehicle and total are
/// kept on them), with their jobs' progress and the count of open orders in each state.
pub async fn board(
    ws: &Workshop,
    actor: &Actor,
    filter: BoardFilter,
) -> Result<Board, ServiceError> {
    actor.require(Permission::RepairOrdersRead)?;
    let tx = ws.store().read_tx(&TenantCtx::of(actor)).await?;
    let scope = open_orders(&tx, filter.branch_id);
    let mut cards_query = scope.clone();
    if let Some(status) = filter.status {
        cards_query = cards_query.filter(repair_order::Column::Status.eq(status.key()));
    }
    let limit = filter.limit.unwrap_or(50).clamp(1, 200);
    let cards: Vec<repair_order::BoardCard> = tx
        .all_as(
            repair_order::BoardCard::select(cards_query)
                .order_by_desc(repair_order::Column::UpdatedAt)
                .order_by_desc(repair_order::Column::Id)
                .limit(limit),
        )
        .await?;
    let counts = counts_in(&tx, scope).await?;
    let cards = with_totals(&tx, cards).await?;
    let mut branches: Vec<(Uuid, String)> = tx
        .all_as::<_, branch::Overview>(
            branch::Overview::select(tx.select::<branch::Entity>()).limit(500),
        )
        .await?
        .into_iter()
        .map(|b| (b.id, b.name))
        .collect();
    branches.sort_by(|a, b| a.1.cmp(&b.1));
    tx.commit().await?;
    Ok(Board {
        branches,
        cards,
        counts,
    })
}

/// A page of the open orders (of one branch, or of every branch the actor sees; of one state
/// when named), most recently changed first: by `updated_at`, then id, both descending.
/// Each card's total comes with the workshop's currency.
pub async fn open_page(
    ws: &Workshop,
    actor: &Actor,
    branch_id: Option<Uuid>,
    status: Option<RepairOrderStatus>,
    after: Option<TimeCursor>,
    limit: u64,
) -> Result<Page<BoardCard, TimeCursor>, ServiceError> {
    actor.require(Permission::RepairOrdersRead)?;
    let tx = ws.store().tx(&TenantCtx::of(actor)).await?;
    let mut query = open_orders(&tx, branch_id);
    if let Some(status) = status {
        query = query.filter(repair_order::Column::Status.eq(status.key()));
    }
    let (at, id) = (repair_order::Column::UpdatedAt, repair_order::Column::Id);
    if let Some(after) = after {
        query = query.filter(after.after(at, id, &Order::Desc));
    }
    let limit = limit.clamp(1, 200);
    let rows: Vec<repair_order::BoardCard> = tx
        .all_as(
            repair_order::BoardCard::select(query)
                .order_by_desc(at)
                .order_by_desc(id)
                .limit(limit + 1),
        )
        .await?;
    let page = Page::cut(rows, limit, |c| TimeCursor {
        at: c.updated_at,
        id: c.id,
    });
    let cards = with_totals(&tx, page.items).await?;
    tx.commit().await?;
    Ok(Page {
        items: cards,
        next: page.next,
    })
}

/// How many open orders there are in each state (of one branch, or of every branch the actor
/// sees), in the life cycle's order; states with none are left out.
pub async fn open_counts(
    ws: &Workshop,
    actor: &Actor,
    branch_id: Option<Uuid>,
) -> Result<Vec<(RepairOrderStatus, u64)>, ServiceError> {
    actor.require(Permission::RepairOrdersRead)?;
    let tx = ws.store().tx(&TenantCtx::of(actor)).await?;
    let counts = counts_in(&tx, open_orders(&tx, branch_id)).await?;
    tx.commit().await?;
    Ok(counts)
}

/// [`open_counts`] in a transaction the caller holds (the dashboard reads it with the rest).
pub async fn open_counts_in(
    tx: &TenantTx,
    branch_id: Option<Uuid>,
) -> Result<Vec<(RepairOrderStatus, u64)>, ServiceError> {
    counts_in(tx, open_orders(tx, branch_id)).await
}

/// Open orders promised for a time already past (to count with [`TenantTx::counted`]).
pub fn overdue(
    tx: &TenantTx,
    branch_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> Select<repair_order::Entity> {
    open_orders(tx, branch_id).filter(repair_order::Column::PromisedAt.lt(now))
}

/// The open orders (not invoiced, closed or cancelled) of a branch, or of every branch.
fn open_orders(tx: &TenantTx, branch_id: Option<Uuid>) -> Select<repair_order::Entity> {
    let open: Vec<&str> = RepairOrderStatus::ALL
        .into_iter()
        .filter(|s| s.is_open())
        .map(|s| s.key())
        .collect();
    let mut scope = tx
        .select::<repair_order::Entity>()
        .filter(repair_order::Column::Status.is_in(open));
    if let Some(branch_id) = branch_id {
        scope = scope.filter(repair_order::Column::BranchId.eq(branch_id));
    }
    scope
}

async fn counts_in(
    tx: &TenantTx,
    scope: Select<repair_order::Entity>,
) -> Result<Vec<(RepairOrderStatus, u64)>, ServiceError> {
    use pitlane_store::sea_orm::sea_query::Func;
    let counts: Vec<StatusCount> = tx
        .all_as(
            scope
                .select_only()
                .column(repair_order::Column::Status)
                .column_as(
                    Expr::from(Func::count(Expr::col(repair_order::Column::Id))),
                    "n",
                )
                .group_by(repair_order::Column::Status),
        )
        .await?;
    Ok(RepairOrderStatus::ALL
        .into_iter()
        .filter_map(|status| {
            counts
                .iter()
                .find(|c| c.status == status.key())
                .map(|c| (status, c.n.max(0) as u64))
        })
        .collect())
}

/// The cards with their totals in the workshop's currency.
async fn with_totals(
    tx: &TenantTx,
    cards: Vec<repair_order::BoardCard>,
) -> Result<Vec<BoardCard>, ServiceError> {
    let currency = tx.currency().await?;
    Ok(cards
        .into_iter()
        .map(|card| BoardCard {
            total: Money::new(card.total_minor, currency.clone()),
            jobs: card.jobs.max(0) as usize,
            jobs_done: card.jobs_done.max(0) as usize,
            card,
        })
        .collect())
}

/// How many orders are open at the branches the reader sees, in an open transaction (the
/// caller has checked `repair_orders.read`).
pub async fn open_in(tx: &TenantTx) -> Result<u64, ServiceError> {
    let open: Vec<&str> = RepairOrderStatus::ALL
        .into_iter()
        .filter(|s| s.is_open())
        .map(|s| s.key())
        .collect();
    Ok(tx
        .count(
            tx.select::<repair_order::Entity>()
                .filter(repair_order::Column::Status.is_in(open)),
        )
        .await?)
}

/// Details staff may give with a status change.
#[derive(Debug, Clone, Default)]
pub struct StatusChange {
    pub mileage_out: Option<i64>,
    pub note: Option<String>,
}

/// Moves an order along its life cycle. Approval goes through the approval module (it needs
/// the customer's answers); a change the cycle does not allow is refused with the states it
/// may go to.
pub async fn change_status(
    ws: &Workshop,
    actor: &Actor,
    id: RepairOrderId,
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
    let row = tx.get::<repair_order::Entity>(id.0).await?;
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
    // The move is claimed first, on the row as it is now: of two requests making the same
    // change at once (two taps on "ready"), the second finds the status changed and stops
    // before any stock moves. On PostgreSQL the update also holds the row until commit.
    let claimed = tx
        .update_all(
            repair_order::Entity::update_many()
                .col_expr(repair_order::Column::Status, Expr::value(next.key()))
                .filter(repair_order::Column::Id.eq(row.id))
                .filter(repair_order::Column::Status.eq(now.key())),
        )
        .await?;
    if claimed == 0 {
        return Err(ServiceError::Conflict(FieldErrors::single(
            "status",
            "the order changed meanwhile; reload it and try again",
        )));
    }
    let mut notified = pitlane_notify::staff::Notified::default();
    let order_lines = lines_of(tx, RepairOrderId(row.id)).await?;
    match next {
        RepairOrderStatus::ReadyForPickup => {
            // Every approved part leaves stock now: what was reserved, and what could not be
            // (short when approved), which must be there by now unless stock may go negative.
            for line in order_lines
                .iter()
                .filter(|l| l.kind == "part" && l.decision == "approved")
            {
                if let Some(part_id) = line.part_id {
                    notified.merge(
                        pitlane_inventory::stock::consume_line(
                            tx,
                            pitlane_inventory::stock::LineUse {
                                line_id: line.id,
                                part_id: PartId(part_id),
                                branch_id: row.branch_id,
                                quantity_milli: line.quantity_milli,
                                repair_order_id: RepairOrderId(row.id),
                            },
                            by.clone(),
                        )
                        .await
                        .map_err(|e| e.renamed("quantity", "status"))?,
                    );
                }
            }
            if let Some(mileage) = mileage_out {
                let vehicle = tx.get::<vehicle::Entity>(row.vehicle_id).await?;
                if vehicle.last_mileage != Some(mileage) {
                    vehicles::set_mileage(tx, vehicle, mileage, None, "repair order")
                        .await
                        .map_err(|e| e.renamed("mileage", "mileage_out"))?;
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
        // The visit is over: the customer is asked how it went (and always told it closed
        // only when they follow every step).
        RepairOrderStatus::Closed => {
            if changed.follow_updates {
                customer_message(ws, tx, &changed, MessageKind::RepairStatus, site).await?
            }
            ask_for_feedback(ws, tx, &changed, site).await?
        }
        _ if changed.follow_updates => {
            customer_message(ws, tx, &changed, MessageKind::RepairStatus, site).await?
        }
        _ => {}
    }
    Ok((changed, notified))
}

/// Asks the customer to rate a closed order and the mechanic who did most of its jobs.
async fn ask_for_feedback(
    ws: &Workshop,
    tx: &TenantTx,
    order: &repair_order::Model,
    site: &str,
) -> Result<(), ServiceError> {
    let jobs = tx
        .all(
            tx.select::<job::Entity>()
                .filter(job::Column::RepairOrderId.eq(order.id))
                .filter(job::Column::MechanicId.is_not_null()),
        )
        .await?;
    let mut counts: BTreeMap<Uuid, usize> = BTreeMap::new();
    for mechanic in jobs.iter().filter_map(|j| j.mechanic_id) {
        *counts.entry(mechanic).or_default() += 1;
    }
    let mechanic_id = counts
        .into_iter()
        .max_by_key(|(_, n)| *n)
        .map(|(mechanic, _)| mechanic);
    let vehicle = vehicles::describe(&tx.get::<vehicle::Entity>(order.vehicle_id).await?);
    let ask = pitlane_frontdesk::feedback::Ask {
        subject: pitlane_frontdesk::feedback::Subject::RepairOrder(order.id),
        branch_id: order.branch_id,
        customer_id: order.customer_id,
        mechanic_id,
        label: format!("{} · {vehicle}", display_number(order.number)),
        phrase: format!("your {vehicle}"),
    };
    pitlane_frontdesk::feedback::ask_in(&ws.desk, tx, ask, site).await
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
        let lines = lines_of(tx, RepairOrderId(order.id)).await?;
        let rules = rules(tx, &branch).await?;
        let totals = totals_of(&lines, &rules, |d| d != LineDecision::Declined);
        vars.insert("total".into(), money(tx, totals.total).await?.to_string());
    }
    let key = format!(
        "ro:{}:{}:{}:{}",
        order.id,
        kind.as_str(),
        order.status,
        order.approval_version
    );
    let Some(recipient) = pitlane_frontdesk::customers::reach(&customer) else {
        return Ok(());
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
    id: RepairOrderId,
    follow: bool,
) -> Result<(), ServiceError> {
    actor.require(Permission::RepairOrdersWrite)?;
    let tx = ws.store().tx(&TenantCtx::of(actor)).await?;
    let mut row = tx
        .get::<repair_order::Entity>(id.0)
        .await?
        .into_active_model();
    row.follow_updates = Set(follow);
    tx.update(row).await?;
    tx.commit().await?;
    Ok(())
}

/// Records the order as a comeback of an earlier order of the same vehicle (the fault came
/// back after that work), or clears it with `None`. The technician report counts comebacks
/// against the mechanics who worked the earlier order.
pub async fn record_comeback(
    ws: &Workshop,
    actor: &Actor,
    id: RepairOrderId,
    earlier: Option<RepairOrderId>,
) -> Result<OrderView, ServiceError> {
    actor.require(Permission::RepairOrdersWrite)?;
    let tx = ws.store().tx(&TenantCtx::of(actor)).await?;
    let row = tx.get_for_update::<repair_order::Entity>(id.0).await?;
    let detail = match earlier {
        None => "No longer counted as a comeback".to_owned(),
        Some(earlier) => {
            let unknown = || FieldErrors::single("comeback_of", "no such repair order");
            let first = match tx.get::<repair_order::Entity>(earlier.0).await {
                Ok(o) => o,
                Err(pitlane_store::StoreError::NotFound) => return Err(unknown().into()),
                Err(e) => return Err(e.into()),
            };
            if first.vehicle_id != row.vehicle_id {
                return Err(FieldErrors::single(
                    "comeback_of",
                    "a comeback is of an earlier order of the same vehicle",
                )
                .into());
            }
            if (first.created_at, first.id) >= (row.created_at, row.id) {
                return Err(FieldErrors::single(
                    "comeback_of",
                    "a comeback is of an order opened before this one",
                )
                .into());
            }
            format!("A comeback of {}", display_number(first.number))
        }
    };
    let mut active = row.into_active_model();
    active.comeback_of = Set(earlier.map(|e| e.0));
    active.updated_at = Set(Utc::now());
    let row = tx.update(active).await?;
    let by = tx.actor_name(actor).await?;
    record(&tx, &row, "comeback", Some(detail), by, false).await?;
    let result = view(&tx, row).await?;
    tx.commit().await?;
    publish(ws, &result.order, "repair_order.updated").await;
    Ok(result)
}

/// Notes an issued invoice on its order, in the invoice's transaction, and moves an order
/// whose work is done (ready for pickup) to invoiced.
pub async fn mark_invoiced(
    ws: &Workshop,
    tx: &TenantTx,
    order_id: RepairOrderId,
    number: &str,
    by: Option<String>,
    site: &str,
) -> Result<(), ServiceError> {
    let row = tx.get::<repair_order::Entity>(order_id.0).await?;
    if status_of(&row)? == RepairOrderStatus::ReadyForPickup {
        transition(
            ws,
            tx,
            row,
            RepairOrderStatus::Invoiced,
            None,
            Some(format!("invoice {number}")),
            by,
            site,
        )
        .await?;
    } else {
        record(
            tx,
            &row,
            "invoice",
            Some(format!("Invoice {number} issued")),
            by,
            true,
        )
        .await?;
    }
    Ok(())
}
