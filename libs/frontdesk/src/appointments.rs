//! Appointments: booking into a free bay and mechanic, moving, the status life cycle with
//! every change recorded, the staff calendar, and the customer's messages (confirmation with
//! a calendar file, changes, cancellation, reminders).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use pitlane_domain::{
    Actor, FieldErrors, ServiceError,
    appointment::AppointmentStatus,
    ics::{IcsEvent, IcsMethod},
    ids::{AppointmentId, CustomerId, VehicleId},
    messages::MessageKind,
    permissions::Permission,
    phone::PhoneE164,
    text::{Email, optional_text},
};
use pitlane_identity::links::Purpose;
use pitlane_notify::{Attachment, OutgoingMessage, Recipient};
use pitlane_store::{
    TenantCtx, TenantTx,
    entity::{appointment, appointment_event, bay, branch, customer, service, tenant, vehicle},
    sea_orm::{
        ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
        QuerySelect,
    },
};
use uuid::Uuid;

use crate::{
    FrontDesk, author_name,
    availability::{self, Board, taken, zone},
    customers::known_customer,
    resources::{known_branch, mechanics_in},
    vehicles,
};

/// A booking as staff make it.
#[derive(Debug, Clone, Default)]
pub struct AppointmentInput {
    pub branch_id: Uuid,
    pub service_id: Uuid,
    pub customer_id: CustomerId,
    pub vehicle_id: Option<VehicleId>,
    pub starts_at: Option<DateTime<Utc>>,
    /// A wish for a bay or mechanic; any suitable one when absent.
    pub bay_id: Option<Uuid>,
    pub mechanic_id: Option<Uuid>,
    pub notes: Option<String>,
}

/// What every booking path hands to [`insert`].
pub(crate) struct NewBooking<'a> {
    pub branch: &'a branch::Model,
    pub service: &'a service::Model,
    pub customer: &'a customer::Model,
    pub vehicle: Option<&'a vehicle::Model>,
    pub starts_at: DateTime<Utc>,
    pub bay: Option<Uuid>,
    pub mechanic: Option<Uuid>,
    pub status: AppointmentStatus,
    pub source: &'static str,
    pub notes: Option<String>,
    pub by: Option<String>,
}

pub(crate) async fn known_service(tx: &TenantTx, id: Uuid) -> Result<service::Model, ServiceError> {
    match tx.get::<service::Entity>(id).await {
        Ok(s) if s.active => Ok(s),
        Ok(_) => Err(FieldErrors::single("service_id", "this service is no longer offered").into()),
        Err(pitlane_store::StoreError::NotFound) => {
            Err(FieldErrors::single("service_id", "no such service").into())
        }
        Err(e) => Err(e.into()),
    }
}

/// Places and writes a booking in an open transaction. The application check runs on the
/// committed bookings; on PostgreSQL the exclusion constraints hold even if two requests pass
/// it at once, and the loser gets the same conflict.
pub(crate) async fn insert(
    fd: &FrontDesk,
    tx: &TenantTx,
    new: NewBooking<'_>,
    site: &str,
) -> Result<appointment::Model, ServiceError> {
    let now = Utc::now();
    let tz = zone(new.branch);
    let local_day = new.starts_at.with_timezone(&tz).date_naive();
    let board = availability::board(tx, new.branch, new.service, local_day, 2, None).await?;
    let slot = board
        .place(new.starts_at, now, new.bay, new.mechanic)
        .map_err(availability::Unplaceable::into_error)?;
    let row = tx
        .insert(appointment::ActiveModel {
            tenant_id: Set(tx.tenant_id().0),
            id: Set(Uuid::now_v7()),
            branch_id: Set(new.branch.id),
            customer_id: Set(new.customer.id),
            vehicle_id: Set(new.vehicle.map(|v| v.id)),
            service_id: Set(new.service.id),
            bay_id: Set(slot.bay_id),
            mechanic_id: Set(slot.mechanic_id),
            starts_at: Set(slot.span.start),
            ends_at: Set(slot.span.end),
            status: Set(new.status.key().to_owned()),
            source: Set(new.source.to_owned()),
            notes: Set(new.notes),
            sequence: Set(0),
            arrival_mileage: Set(None),
            key_location: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .await
        .map_err(|e| {
            if e.is_conflict_on("appointments_no_double") {
                taken()
            } else {
                e.into()
            }
        })?;
    record_event(tx, &row, new.status.key(), Some("booked"), new.by.clone()).await?;
    messages(fd, tx, &row, MessageKind::BookingConfirmation, site).await?;
    Ok(row)
}

async fn record_event(
    tx: &TenantTx,
    row: &appointment::Model,
    status: &str,
    detail: Option<&str>,
    by: Option<String>,
) -> Result<(), ServiceError> {
    tx.insert(appointment_event::ActiveModel {
        tenant_id: Set(tx.tenant_id().0),
        id: Set(Uuid::now_v7()),
        appointment_id: Set(row.id),
        status: Set(status.to_owned()),
        detail: Set(detail.map(str::to_owned)),
        by_name: Set(by),
        at: Set(Utc::now()),
    })
    .await?;
    Ok(())
}

/// Books for a customer at the front desk: confirmed at once.
pub async fn book(
    fd: &FrontDesk,
    actor: &Actor,
    input: AppointmentInput,
    site: &str,
) -> Result<appointment::Model, ServiceError> {
    actor.require(Permission::AppointmentsWrite)?;
    let mut errors = FieldErrors::new();
    let notes = errors.check("notes", optional_text(input.notes.as_deref(), 2000));
    let Some(starts_at) = input.starts_at else {
        errors.add("starts_at", "choose a time");
        return Err(errors.into());
    };
    let Some(notes) = notes.filter(|_| errors.is_empty()) else {
        return Err(errors.into());
    };
    check_branch(fd, actor, input.branch_id).await?;
    let tx = fd.store.tx(&whole_tenant(actor)).await?;
    let branch = known_branch(&tx, input.branch_id, "branch_id").await?;
    let service = known_service(&tx, input.service_id).await?;
    let customer = known_customer(&tx, input.customer_id, "customer_id").await?;
    let vehicle = match input.vehicle_id {
        Some(id) => Some(own_vehicle(&tx, id, &customer).await?),
        None => None,
    };
    let by = author_name(&tx, actor).await?;
    let row = insert(
        fd,
        &tx,
        NewBooking {
            branch: &branch,
            service: &service,
            customer: &customer,
            vehicle: vehicle.as_ref(),
            starts_at,
            bay: input.bay_id,
            mechanic: input.mechanic_id,
            status: AppointmentStatus::Confirmed,
            source: "staff",
            notes,
            by,
        },
        site,
    )
    .await?;
    tx.commit().await?;
    publish(fd, &row, "appointment.booked").await;
    Ok(row)
}

/// A branch-limited member may only book in their branches; the unknown and the forbidden
/// branch look alike.
async fn check_branch(fd: &FrontDesk, actor: &Actor, branch_id: Uuid) -> Result<(), ServiceError> {
    let tx = fd.store.tx(&TenantCtx::of(actor)).await?;
    known_branch(&tx, branch_id, "branch_id").await?;
    tx.commit().await?;
    Ok(())
}

/// Placing a booking must see every branch's bookings (a mechanic may work in two), whatever
/// the member's own branch limits: callers check those first.
fn whole_tenant(actor: &Actor) -> TenantCtx {
    TenantCtx::new(actor.tenant_id)
}

pub async fn own_vehicle(
    tx: &TenantTx,
    id: VehicleId,
    customer: &customer::Model,
) -> Result<vehicle::Model, ServiceError> {
    match tx.get::<vehicle::Entity>(id.0).await {
        Ok(v) if v.customer_id == Some(customer.id) => Ok(v),
        Ok(_) | Err(pitlane_store::StoreError::NotFound) => {
            Err(FieldErrors::single("vehicle_id", "not a vehicle of this customer").into())
        }
        Err(e) => Err(e.into()),
    }
}

/// A free-slot query: the branch (default: the member's first), the first local day (default:
/// today there) and how many days (default 7).
#[derive(Debug, Clone, Copy)]
pub struct SlotRequest {
    pub service_id: Uuid,
    pub branch_id: Option<Uuid>,
    pub from: Option<NaiveDate>,
    pub days: Option<u32>,
}

pub struct FreeSlots {
    pub branch_id: Uuid,
    pub slots: Vec<pitlane_domain::schedule::Slot>,
}

/// Free slots for staff.
pub async fn free_slots(
    fd: &FrontDesk,
    actor: &Actor,
    q: SlotRequest,
) -> Result<FreeSlots, ServiceError> {
    actor.require(Permission::CustomersRead)?;
    let scoped = fd.store.tx(&TenantCtx::of(actor)).await?;
    // The service is the resource asked about: another tenant's is a 404.
    scoped.get::<service::Entity>(q.service_id).await?;
    let branch_id = match q.branch_id {
        Some(id) => known_branch(&scoped, id, "branch_id").await?.id,
        None => {
            scoped
                .first(
                    scoped
                        .select::<branch::Entity>()
                        .order_by_asc(branch::Column::Id),
                )
                .await?
                .ok_or(ServiceError::NotFound)?
                .id
        }
    };
    scoped.commit().await?;
    let tx = fd.store.tx(&whole_tenant(actor)).await?;
    let branch = tx.get::<branch::Entity>(branch_id).await?;
    let service = known_service(&tx, q.service_id).await?;
    let from = q
        .from
        .unwrap_or_else(|| Utc::now().with_timezone(&zone(&branch)).date_naive());
    let board =
        availability::board(&tx, &branch, &service, from, q.days.unwrap_or(7), None).await?;
    tx.commit().await?;
    Ok(FreeSlots {
        branch_id,
        slots: board.free_slots(Utc::now()),
    })
}

/// Moves an appointment (and, if asked, to another bay or mechanic). The customer's calendar
/// entry is replaced (same UID, next SEQUENCE) and reminders are scheduled again.
pub async fn reschedule(
    fd: &FrontDesk,
    actor: &Actor,
    id: AppointmentId,
    starts_at: DateTime<Utc>,
    bay: Option<Uuid>,
    mechanic: Option<Uuid>,
    site: &str,
) -> Result<appointment::Model, ServiceError> {
    actor.require(Permission::AppointmentsWrite)?;
    visible(fd, actor, id).await?;
    let tx = fd.store.tx(&whole_tenant(actor)).await?;
    let row = tx.get::<appointment::Entity>(id.0).await?;
    let by = author_name(&tx, actor).await?;
    let moved = move_in(fd, &tx, row, starts_at, bay, mechanic, by, site).await?;
    tx.commit().await?;
    publish(fd, &moved, "appointment.moved").await;
    Ok(moved)
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn move_in(
    fd: &FrontDesk,
    tx: &TenantTx,
    row: appointment::Model,
    starts_at: DateTime<Utc>,
    bay: Option<Uuid>,
    mechanic: Option<Uuid>,
    by: Option<String>,
    site: &str,
) -> Result<appointment::Model, ServiceError> {
    let status = status_of(&row)?;
    if !status.is_open() {
        return Err(FieldErrors::single(
            "starts_at",
            format!(
                "a {} appointment cannot be moved",
                status.label().to_lowercase()
            ),
        )
        .into());
    }
    let branch = tx.get::<branch::Entity>(row.branch_id).await?;
    let service = tx.get::<service::Entity>(row.service_id).await?;
    let tz = zone(&branch);
    let day = starts_at.with_timezone(&tz).date_naive();
    let board: Board =
        availability::board(tx, &branch, &service, day, 2, Some(AppointmentId(row.id))).await?;
    let slot = board
        .place(starts_at, Utc::now(), bay, mechanic)
        .map_err(availability::Unplaceable::into_error)?;
    let from = describe_time(&branch, row.starts_at);
    let mut active = row.into_active_model();
    active.starts_at = Set(slot.span.start);
    active.ends_at = Set(slot.span.end);
    active.bay_id = Set(slot.bay_id);
    active.mechanic_id = Set(slot.mechanic_id);
    active.sequence = Set(active.sequence.as_ref() + 1);
    active.updated_at = Set(Utc::now());
    let moved = tx.update(active).await.map_err(|e| {
        if e.is_conflict_on("appointments_no_double") {
            taken()
        } else {
            e.into()
        }
    })?;
    record_event(
        tx,
        &moved,
        moved.status.as_str(),
        Some(&format!("moved from {from}")),
        by,
    )
    .await?;
    messages(fd, tx, &moved, MessageKind::AppointmentChanged, site).await?;
    Ok(moved)
}

fn status_of(row: &appointment::Model) -> Result<AppointmentStatus, ServiceError> {
    AppointmentStatus::parse(&row.status)
        .ok_or_else(|| ServiceError::internal(format!("unknown appointment status {}", row.status)))
}

/// Refuses an appointment outside the member's branches (as a 404).
async fn visible(fd: &FrontDesk, actor: &Actor, id: AppointmentId) -> Result<(), ServiceError> {
    let tx = fd.store.tx(&TenantCtx::of(actor)).await?;
    tx.get::<appointment::Entity>(id.0).await?;
    tx.commit().await?;
    Ok(())
}

/// Check-in details: the odometer and where the keys are.
#[derive(Debug, Clone, Default)]
pub struct Arrival {
    pub mileage: Option<i64>,
    pub correction_reason: Option<String>,
    pub key_location: Option<String>,
}

/// Moves an appointment along its life cycle; a change the cycle does not allow is refused
/// with the states it may go to.
pub async fn change_status(
    fd: &FrontDesk,
    actor: &Actor,
    id: AppointmentId,
    next: AppointmentStatus,
    arrival: Arrival,
    site: &str,
) -> Result<appointment::Model, ServiceError> {
    actor.require(Permission::AppointmentsWrite)?;
    let tx = fd.store.tx(&TenantCtx::of(actor)).await?;
    let row = tx.get::<appointment::Entity>(id.0).await?;
    let by = author_name(&tx, actor).await?;
    let changed = transition(fd, &tx, row, next, arrival, by, site).await?;
    tx.commit().await?;
    publish(fd, &changed, "appointment.changed").await;
    Ok(changed)
}

/// Turns an appointment into a repair order's visit, in the caller's transaction: checked in
/// first (recording the mileage) when it was not yet, then "in the workshop". Publish
/// `appointment.changed` after commit.
pub async fn convert(
    fd: &FrontDesk,
    tx: &TenantTx,
    id: AppointmentId,
    mileage: Option<i64>,
    by: Option<String>,
    site: &str,
) -> Result<appointment::Model, ServiceError> {
    let mut row = tx.get::<appointment::Entity>(id.0).await?;
    if status_of(&row)? != AppointmentStatus::CheckedIn {
        let arrival = Arrival {
            mileage,
            ..Arrival::default()
        };
        row = transition(
            fd,
            tx,
            row,
            AppointmentStatus::CheckedIn,
            arrival,
            by.clone(),
            site,
        )
        .await
        .map_err(|e| e.renamed("status", "appointment_id"))?;
    }
    transition(
        fd,
        tx,
        row,
        AppointmentStatus::Converted,
        Arrival::default(),
        by,
        site,
    )
    .await
}

/// Tells the open calendars an appointment changed; after commit.
pub async fn announce(fd: &FrontDesk, row: &appointment::Model) {
    publish(fd, row, "appointment.changed").await;
}

pub(crate) async fn transition(
    fd: &FrontDesk,
    tx: &TenantTx,
    row: appointment::Model,
    next: AppointmentStatus,
    arrival: Arrival,
    by: Option<String>,
    site: &str,
) -> Result<appointment::Model, ServiceError> {
    let now_status = status_of(&row)?;
    if !now_status.can_become(next) {
        let allowed: Vec<&str> = AppointmentStatus::ALL
            .into_iter()
            .filter(|s| now_status.can_become(*s))
            .map(|s| s.key())
            .collect();
        return Err(FieldErrors::single(
            "status",
            if allowed.is_empty() {
                format!("a {} appointment cannot change any more", now_status.key())
            } else {
                format!(
                    "a {} appointment can become: {}",
                    now_status.key(),
                    allowed.join(", ")
                )
            },
        )
        .into());
    }
    let mut errors = FieldErrors::new();
    let keys = errors.check(
        "key_location",
        optional_text(arrival.key_location.as_deref(), 200),
    );
    if !errors.is_empty() {
        return Err(errors.into());
    }
    if next == AppointmentStatus::CheckedIn
        && let (Some(mileage), Some(vehicle_id)) = (arrival.mileage, row.vehicle_id)
    {
        let v = tx.get::<vehicle::Entity>(vehicle_id).await?;
        vehicles::set_mileage(
            tx,
            v,
            mileage,
            arrival.correction_reason.as_deref(),
            "check-in",
        )
        .await?;
    }
    let mut active = row.clone().into_active_model();
    active.status = Set(next.key().to_owned());
    if next == AppointmentStatus::CheckedIn {
        active.arrival_mileage = Set(arrival.mileage);
        active.key_location = Set(keys.flatten());
    }
    if next == AppointmentStatus::Cancelled {
        active.sequence = Set(row.sequence + 1);
    }
    active.updated_at = Set(Utc::now());
    let changed = tx.update(active).await?;
    record_event(tx, &changed, next.key(), None, by).await?;
    match next {
        AppointmentStatus::Cancelled => {
            messages(fd, tx, &changed, MessageKind::AppointmentCancelled, site).await?
        }
        AppointmentStatus::Confirmed if row.source == "online" => {
            messages(fd, tx, &changed, MessageKind::BookingConfirmation, site).await?
        }
        AppointmentStatus::CheckedIn | AppointmentStatus::NoShow | AppointmentStatus::Converted => {
            tx.cancel_pending(&reminder_prefix(changed.id)).await?;
        }
        _ => {}
    }
    Ok(changed)
}

/// An appointment with what the calendar and its page show beside it.
#[derive(Debug, Clone)]
pub struct AppointmentView {
    pub appointment: appointment::Model,
    pub customer_name: String,
    pub service_name: String,
    pub vehicle: Option<String>,
    pub bay_name: String,
    pub mechanic_name: String,
}

/// A branch's calendar over some local days: its bays, its mechanics, the appointments.
pub struct Calendar {
    pub branch: branch::Model,
    pub bays: Vec<bay::Model>,
    pub mechanics: Vec<(Uuid, String)>,
    pub appointments: Vec<AppointmentView>,
    /// Online requests at the branch waiting for the front desk to confirm them, soonest
    /// first (up to 50), read in the same transaction.
    pub waiting: Vec<AppointmentView>,
    pub from: NaiveDate,
    pub days: u32,
}

pub async fn calendar(
    fd: &FrontDesk,
    actor: &Actor,
    branch_id: Uuid,
    from: NaiveDate,
    days: u32,
) -> Result<Calendar, ServiceError> {
    actor.require(Permission::CustomersRead)?;
    let days = days.clamp(1, 31);
    let tx = fd.store.read_tx(&TenantCtx::of(actor)).await?;
    let branch = tx.get::<branch::Entity>(branch_id).await?;
    let tz = zone(&branch);
    let start = pitlane_domain::schedule::start_of_day(tz, from);
    let end = pitlane_domain::schedule::start_of_day(tz, from + Duration::days(days.into()));
    let rows = tx
        .all(
            tx.select::<appointment::Entity>()
                .filter(appointment::Column::BranchId.eq(branch_id))
                .filter(appointment::Column::StartsAt.lt(end))
                .filter(appointment::Column::EndsAt.gt(start))
                .order_by_asc(appointment::Column::StartsAt)
                .limit(2000),
        )
        .await?;
    let waiting = tx
        .all(
            tx.select::<appointment::Entity>()
                .filter(appointment::Column::BranchId.eq(branch_id))
                .filter(appointment::Column::Status.eq(AppointmentStatus::Requested.key()))
                .filter(appointment::Column::StartsAt.gt(Utc::now()))
                .order_by_asc(appointment::Column::StartsAt)
                .limit(50),
        )
        .await?;
    let bays = crate::resources::bays_in(&tx, Some(branch_id), false).await?;
    let mechanics: Vec<(Uuid, String)> = mechanics_in(&tx)
        .await?
        .into_iter()
        .filter(|m| m.works_at(branch_id))
        .map(|m| (m.membership_id, m.name))
        .collect();
    // Both lists' names in one read of each kind.
    let shown = rows.len();
    let mut appointments = views(
        &tx,
        rows.into_iter().chain(waiting).collect(),
        &bays,
        &mechanics,
    )
    .await?;
    let waiting = appointments.split_off(shown);
    tx.commit().await?;
    Ok(Calendar {
        branch,
        bays,
        mechanics,
        appointments,
        waiting,
        from,
        days,
    })
}

pub(crate) async fn views(
    tx: &TenantTx,
    rows: Vec<appointment::Model>,
    bays: &[bay::Model],
    mechanics: &[(Uuid, String)],
) -> Result<Vec<AppointmentView>, ServiceError> {
    let ids = |f: fn(&appointment::Model) -> Option<Uuid>| -> Vec<Uuid> {
        let mut v: Vec<Uuid> = rows.iter().filter_map(f).collect();
        v.sort();
        v.dedup();
        v
    };
    let customers: HashMap<Uuid, String> = tx
        .all(
            tx.select::<customer::Entity>()
                .filter(customer::Column::Id.is_in(ids(|a| Some(a.customer_id)))),
        )
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let services: HashMap<Uuid, String> = tx
        .all(
            tx.select::<service::Entity>()
                .filter(service::Column::Id.is_in(ids(|a| Some(a.service_id)))),
        )
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    let vehicles: HashMap<Uuid, String> = tx
        .all(
            tx.select::<vehicle::Entity>()
                .filter(vehicle::Column::Id.is_in(ids(|a| a.vehicle_id))),
        )
        .await?
        .into_iter()
        .map(|v| (v.id, vehicles::describe(&v)))
        .collect();
    let missing_bays: Vec<Uuid> = ids(|a| Some(a.bay_id))
        .into_iter()
        .filter(|id| !bays.iter().any(|b| b.id == *id))
        .collect();
    let mut bay_names: HashMap<Uuid, String> =
        bays.iter().map(|b| (b.id, b.name.clone())).collect();
    if !missing_bays.is_empty() {
        for b in tx
            .all(
                tx.select::<bay::Entity>()
                    .filter(bay::Column::Id.is_in(missing_bays)),
            )
            .await?
        {
            bay_names.insert(b.id, b.name);
        }
    }
    let mut mechanic_names: HashMap<Uuid, String> = mechanics.iter().cloned().collect();
    if rows
        .iter()
        .any(|a| !mechanic_names.contains_key(&a.mechanic_id))
    {
        for m in mechanics_in(tx).await? {
            mechanic_names.entry(m.membership_id).or_insert(m.name);
        }
    }
    Ok(rows
        .into_iter()
        .map(|a| AppointmentView {
            customer_name: customers.get(&a.customer_id).cloned().unwrap_or_default(),
            service_name: services.get(&a.service_id).cloned().unwrap_or_default(),
            vehicle: a.vehicle_id.and_then(|v| vehicles.get(&v).cloned()),
            bay_name: bay_names.get(&a.bay_id).cloned().unwrap_or_default(),
            mechanic_name: mechanic_names
                .get(&a.mechanic_id)
                .cloned()
                .unwrap_or_else(|| "former mechanic".into()),
            appointment: a,
        })
        .collect())
}

/// One appointment with its history.
pub struct AppointmentDetail {
    pub view: AppointmentView,
    pub events: Vec<appointment_event::Model>,
    pub branch: branch::Model,
}

pub async fn get(
    fd: &FrontDesk,
    actor: &Actor,
    id: AppointmentId,
) -> Result<AppointmentDetail, ServiceError> {
    actor.require(Permission::CustomersRead)?;
    let tx = fd.store.tx(&TenantCtx::of(actor)).await?;
    let detail = detail_in(&tx, id).await?;
    tx.commit().await?;
    Ok(detail)
}

pub(crate) async fn detail_in(
    tx: &TenantTx,
    id: AppointmentId,
) -> Result<AppointmentDetail, ServiceError> {
    let row = tx.get::<appointment::Entity>(id.0).await?;
    let branch = tx.get::<branch::Entity>(row.branch_id).await?;
    let events = tx
        .all(
            tx.select::<appointment_event::Entity>()
                .filter(appointment_event::Column::AppointmentId.eq(id.0))
                .order_by_asc(appointment_event::Column::At),
        )
        .await?;
    let bays = crate::resources::bays_in(tx, Some(row.branch_id), false).await?;
    let view = views(tx, vec![row], &bays, &[])
        .await?
        .pop()
        .ok_or(ServiceError::NotFound)?;
    Ok(AppointmentDetail {
        view,
        events,
        branch,
    })
}

#[derive(Debug, Clone, Default)]
pub struct AppointmentQuery {
    pub branch_id: Option<Uuid>,
    pub customer_id: Option<CustomerId>,
    pub status: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub cursor: Option<Uuid>,
    pub limit: u64,
}

pub async fn list(
    fd: &FrontDesk,
    actor: &Actor,
    query: AppointmentQuery,
) -> Result<pitlane_store::Page<appointment::Model>, ServiceError> {
    actor.require(Permission::CustomersRead)?;
    let mut select = appointment::Entity::find();
    if let Some(b) = query.branch_id {
        select = select.filter(appointment::Column::BranchId.eq(b));
    }
    if let Some(c) = query.customer_id {
        select = select.filter(appointment::Column::CustomerId.eq(c.0));
    }
    if let Some(s) = query.status.as_deref().filter(|s| !s.is_empty()) {
        let status = AppointmentStatus::parse(s).ok_or_else(|| {
            FieldErrors::single(
                "status",
                "use requested, confirmed, checked_in, converted, no_show or cancelled",
            )
        })?;
        select = select.filter(appointment::Column::Status.eq(status.key()));
    }
    if let Some(from) = query.from {
        select = select.filter(appointment::Column::EndsAt.gt(from));
    }
    if let Some(to) = query.to {
        select = select.filter(appointment::Column::StartsAt.lt(to));
    }
    let tx = fd.store.tx(&TenantCtx::of(actor)).await?;
    let page = tx
        .page(select, query.cursor, query.limit.clamp(1, 200))
        .await?;
    tx.commit().await?;
    Ok(page)
}

/// "Tuesday 3 March 2026, 09:30 (Europe/Berlin)": times as the branch's clock shows them.
pub fn describe_time(branch: &branch::Model, at: DateTime<Utc>) -> String {
    let tz = zone(branch);
    format!(
        "{} ({})",
        at.with_timezone(&tz).format("%A %-d %B %Y, %H:%M"),
        branch.time_zone
    )
}

/// Where an appointment is, as calendars show it: the branch and its address.
pub(crate) fn branch_place(b: &branch::Model) -> String {
    format!("{}, {}", b.name, branch_address(b))
}

fn branch_address(b: &branch::Model) -> String {
    [
        b.address_line1.as_deref(),
        b.address_line2.as_deref(),
        b.postal_code.as_deref(),
        b.city.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(", ")
}

/// The customer's own link to this appointment: see, move, cancel, check in.
pub fn manage_link(fd: &FrontDesk, site: &str, row: &appointment::Model) -> String {
    let token = fd.signer.sign(
        Purpose::ManageBooking,
        row.id,
        row.ends_at + Duration::days(1),
    );
    format!("{site}/book/manage?token={token}")
}

fn reminder_prefix(id: Uuid) -> String {
    format!("appt:{id}:reminder:")
}

/// Writes the customer's message about a booking (with its calendar file by e-mail) and
/// schedules its reminders again: the old ones are withdrawn first, so a moved appointment is
/// reminded at its new time and a cancelled one never.
pub(crate) async fn messages(
    fd: &FrontDesk,
    tx: &TenantTx,
    row: &appointment::Model,
    kind: MessageKind,
    site: &str,
) -> Result<(), ServiceError> {
    tx.cancel_pending(&reminder_prefix(row.id)).await?;
    let status = status_of(row)?;
    // An online request waiting for staff hears nothing until it is confirmed.
    if status == AppointmentStatus::Requested && kind != MessageKind::AppointmentCancelled {
        return Ok(());
    }
    let customer = tx.get::<customer::Entity>(row.customer_id).await?;
    let branch = tx.get::<branch::Entity>(row.branch_id).await?;
    let service = tx.get::<service::Entity>(row.service_id).await?;
    let workshop = tx.get::<tenant::Entity>(tx.tenant_id().0).await?;
    let link = manage_link(fd, site, row);
    let vars: BTreeMap<String, String> = [
        ("customer_name", customer.name.clone()),
        ("service", service.name.clone()),
        ("when", describe_time(&branch, row.starts_at)),
        ("branch", branch.name.clone()),
        ("branch_address", branch_address(&branch)),
        (
            "manage_link",
            if kind == MessageKind::AppointmentCancelled {
                format!("{site}/book")
            } else {
                link.clone()
            },
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let email = customer.email.as_deref().and_then(|e| Email::parse(e).ok());
    let phone = customer
        .phone
        .as_deref()
        .filter(|_| customer.sms_consent_at.is_some())
        .and_then(|p| PhoneE164::parse(p, None).ok());
    let key = format!("appt:{}:{}:{}", row.id, kind.as_str(), row.sequence);
    if let Some(address) = &email {
        let method = if kind == MessageKind::AppointmentCancelled {
            IcsMethod::Cancel
        } else {
            IcsMethod::Request
        };
        let ics = calendar_file(
            fd,
            &CalendarParts {
                row,
                service: &service,
                branch: &branch,
                workshop: &workshop,
                customer: &customer,
                link: &link,
            },
            method,
        );
        fd.outbox
            .enqueue(
                tx,
                OutgoingMessage {
                    kind,
                    to: Recipient::Email {
                        address: address.clone(),
                        name: Some(customer.name.clone()),
                    },
                    vars: vars.clone(),
                    attachments: vec![Attachment {
                        filename: "appointment.ics".into(),
                        content_type: pitlane_domain::ics::content_type(method).into(),
                        content: ics.into_bytes(),
                    }],
                    send_at: None,
                    idempotency_key: format!("{key}:email"),
                },
            )
            .await?;
    }
    if let Some(phone) = &phone {
        fd.outbox
            .enqueue(
                tx,
                OutgoingMessage {
                    kind,
                    to: Recipient::Sms {
                        phone: phone.as_str().to_owned(),
                    },
                    vars: vars.clone(),
                    attachments: Vec::new(),
                    send_at: None,
                    idempotency_key: format!("{key}:sms"),
                },
            )
            .await?;
    }
    if !status.holds_time() || status == AppointmentStatus::Converted {
        return Ok(());
    }
    let now = Utc::now();
    for offset in reminder_offsets(&workshop) {
        let send_at = pitlane_domain::schedule::reminder_time(row.starts_at, offset, zone(&branch));
        if send_at <= now {
            continue;
        }
        let recipients = email
            .iter()
            .map(|address| Recipient::Email {
                address: address.clone(),
                name: Some(customer.name.clone()),
            })
            .chain(phone.iter().map(|p| Recipient::Sms {
                phone: p.as_str().to_owned(),
            }));
        for to in recipients {
            let channel = to.channel().as_str();
            fd.outbox
                .enqueue(
                    tx,
                    OutgoingMessage {
                        kind: MessageKind::AppointmentReminder,
                        to,
                        vars: vars.clone(),
                        attachments: Vec::new(),
                        send_at: Some(send_at),
                        idempotency_key: format!(
                            "{}{}:{offset}:{channel}",
                            reminder_prefix(row.id),
                            row.sequence
                        ),
                    },
                )
                .await?;
        }
    }
    Ok(())
}

/// What an appointment's calendar file is made of.
pub(crate) struct CalendarParts<'a> {
    pub row: &'a appointment::Model,
    pub service: &'a service::Model,
    pub branch: &'a branch::Model,
    pub workshop: &'a tenant::Model,
    pub customer: &'a customer::Model,
    pub link: &'a str,
}

/// The appointment as an iCalendar file: the same UID and SEQUENCE in the e-mail attachment
/// and the booking page's download, so calendars update one event instead of adding another.
/// Both the UID and the organizer come from configuration, never from the request's host.
pub(crate) fn calendar_file(fd: &FrontDesk, p: &CalendarParts<'_>, method: IcsMethod) -> String {
    let organizer = p
        .workshop
        .email_reply_to
        .clone()
        .unwrap_or_else(|| fd.mail_from.clone());
    let uid = format!("{}@{}", p.row.id, fd.calendar_domain);
    let summary = format!("{} at {}", p.service.name, p.workshop.name);
    let location = branch_place(p.branch);
    pitlane_domain::ics::calendar(&IcsEvent {
        uid: &uid,
        sequence: p.row.sequence.max(0) as u32,
        method,
        start: p.row.starts_at,
        end: p.row.ends_at,
        stamp: Utc::now(),
        summary: &summary,
        description: Some(&format!("Change or cancel: {}", p.link)),
        location: Some(&location),
        organizer_name: &p.workshop.name,
        organizer_email: &organizer,
        attendee_name: Some(&p.customer.name),
        attendee_email: p.customer.email.as_deref(),
        url: Some(p.link),
    })
}

/// The tenant's reminder times, in minutes before the appointment.
pub fn reminder_offsets(t: &tenant::Model) -> Vec<i64> {
    t.reminder_offsets
        .split_whitespace()
        .filter_map(|m| m.parse().ok())
        .filter(|m| (5..=60 * 24 * 14).contains(m))
        .collect()
}

/// Tells the calendar (and anyone watching) that an appointment changed.
pub(crate) async fn publish(fd: &FrontDesk, row: &appointment::Model, kind: &str) {
    fd.live
        .publish(
            row.tenant_id,
            pitlane_domain::live::Topic::Calendar,
            None,
            kind,
            serde_json::json!({
                "id": row.id,
                "branch_id": row.branch_id,
                "status": row.status,
                "starts_at": row.starts_at,
            }),
        )
        .await;
}
