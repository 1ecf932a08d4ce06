//! Online booking on the workshop's own site: branch → service → vehicle → a free slot →
//! contact details. Guests confirm with a one-time code by e-mail or SMS; signed-in customers
//! book at once. A signed link lets the customer see, move, cancel or check in until the
//! workshop's cut-off.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use pitlane_domain::{
    Actor, FieldErrors, ServiceError,
    appointment::AppointmentStatus,
    ids::{AppointmentId, CustomerId, VehicleId},
    permissions::{Permission, Role},
    schedule::Slot,
    text::optional_text,
};
use pitlane_identity::links::{LinkError, Purpose};
use pitlane_store::{
    TenantCtx, TenantTx,
    entity::{appointment, branch, customer, service, tenant, vehicle},
    sea_orm::{ActiveValue::Set, ColumnTrait, IntoActiveModel, QueryFilter, QueryOrder},
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    FrontDesk,
    appointments::{self, Arrival, NewBooking, known_service, own_vehicle},
    availability::{self, zone},
    codes::{self, CodeDestination, CodePurpose},
    customers::{self, ConsentChange, CustomerInput, new_customer, parse_contact, tenant_country},
    resources::known_branch,
    vehicles::{self, VehicleInput},
};

/// Online bookings start at least this long from now, so someone can get the bay ready.
pub const LEAD_MINUTES: i64 = 60;

/// How the workshop takes online bookings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingSettings {
    /// Confirm online bookings at once; otherwise they wait for staff as requests.
    pub auto_confirm: bool,
    /// Customers may move or cancel until this many hours before the start.
    pub cutoff_hours: i32,
    /// Reminders, in minutes before the start.
    pub reminder_minutes: Vec<i64>,
}

impl BookingSettings {
    fn of(t: &tenant::Model) -> Self {
        Self {
            auto_confirm: t.booking_auto_confirm,
            cutoff_hours: t.booking_cutoff_hours,
            reminder_minutes: appointments::reminder_offsets(t),
        }
    }
}

pub async fn settings(fd: &FrontDesk, tenant: &TenantCtx) -> Result<BookingSettings, ServiceError> {
    let tx = fd.store.tx(tenant).await?;
    let t = tx.get::<tenant::Entity>(tx.tenant_id().0).await?;
    tx.commit().await?;
    Ok(BookingSettings::of(&t))
}

/// The settings as staff read them.
pub async fn settings_for(fd: &FrontDesk, actor: &Actor) -> Result<BookingSettings, ServiceError> {
    actor.require(Permission::TenantRead)?;
    settings(fd, &TenantCtx::of(actor)).await
}

pub async fn update_settings(
    fd: &FrontDesk,
    actor: &Actor,
    new: BookingSettings,
) -> Result<BookingSettings, ServiceError> {
    actor.require(Permission::SettingsManage)?;
    let mut errors = FieldErrors::new();
    if !(0..=24 * 14).contains(&new.cutoff_hours) {
        errors.add(
            "cutoff_hours",
            "must be between 0 and 336 hours (two weeks)",
        );
    }
    if new.reminder_minutes.len() > 4
        || new
            .reminder_minutes
            .iter()
            .any(|m| !(5..=60 * 24 * 14).contains(m))
    {
        errors.add(
            "reminder_minutes",
            "up to four reminders, each between 5 minutes and 14 days before",
        );
    }
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let mut minutes = new.reminder_minutes.clone();
    minutes.sort_unstable_by(|a, b| b.cmp(a));
    minutes.dedup();
    let tx = fd.store.tx(&TenantCtx::of(actor)).await?;
    let mut t = tx
        .get::<tenant::Entity>(tx.tenant_id().0)
        .await?
        .into_active_model();
    t.booking_auto_confirm = Set(new.auto_confirm);
    t.booking_cutoff_hours = Set(new.cutoff_hours);
    t.reminder_offsets = Set(minutes
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(" "));
    t.updated_at = Set(Utc::now());
    let updated = tx.update(t).await?;
    pitlane_store::audit::record(
        &tx,
        pitlane_store::audit::By::Member(actor),
        pitlane_store::audit::Event::new("booking.settings_changed").detail(serde_json::json!({
            "auto_confirm": new.auto_confirm,
            "cutoff_hours": new.cutoff_hours,
            "reminder_minutes": minutes,
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(BookingSettings::of(&updated))
}

async fn online_service(tx: &TenantTx, id: Uuid) -> Result<service::Model, ServiceError> {
    let s = known_service(tx, id).await?;
    if !s.bookable_online {
        return Err(FieldErrors::single(
            "service_id",
            "this service cannot be booked online; call the workshop",
        )
        .into());
    }
    Ok(s)
}

/// Free times for an online booking over `days` local dates from `from`.
pub async fn public_slots(
    fd: &FrontDesk,
    tenant: &TenantCtx,
    branch_id: Uuid,
    service_id: Uuid,
    from: NaiveDate,
    days: u32,
) -> Result<Vec<Slot>, ServiceError> {
    let tx = fd.store.tx(tenant).await?;
    let branch = known_branch(&tx, branch_id, "branch_id").await?;
    let service = online_service(&tx, service_id).await?;
    let board = availability::board(&tx, &branch, &service, from, days, None).await?;
    tx.commit().await?;
    Ok(board.free_slots(Utc::now() + Duration::minutes(LEAD_MINUTES)))
}

/// The online booking form, as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BookingRequest {
    pub branch_id: Uuid,
    pub service_id: Uuid,
    pub starts_at: Option<DateTime<Utc>>,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// A vehicle the signed-in customer already has.
    pub vehicle_id: Option<VehicleId>,
    pub make: Option<String>,
    pub model: Option<String>,
    pub plate: Option<String>,
    pub notes: Option<String>,
    /// `email` or `sms`: where a guest's code goes.
    pub code_by: String,
    pub marketing: bool,
}

/// What a guest is told after asking: where the code went.
#[derive(Debug, Clone)]
pub struct PendingBooking {
    pub id: Uuid,
    pub sent_to: String,
}

struct CheckedRequest {
    branch: branch::Model,
    service: service::Model,
    starts_at: DateTime<Utc>,
    customer: CustomerInput,
    vehicle: Option<VehicleInput>,
    notes: Option<String>,
}

/// Checks everything a booking request says, so a guest hears of every mistake before a code
/// is sent, and the slot is still free now.
async fn check(
    tx: &TenantTx,
    req: &BookingRequest,
    vehicle_known: bool,
) -> Result<CheckedRequest, ServiceError> {
    let mut errors = FieldErrors::new();
    let branch = match known_branch(tx, req.branch_id, "branch_id").await {
        Ok(b) => Some(b),
        Err(ServiceError::Invalid(f)) => {
            errors.0.extend(f.0);
            None
        }
        Err(e) => return Err(e),
    };
    let service = match online_service(tx, req.service_id).await {
        Ok(s) => Some(s),
        Err(ServiceError::Invalid(f)) => {
            errors.0.extend(f.0);
            None
        }
        Err(e) => return Err(e),
    };
    let customer = CustomerInput {
        name: req.name.clone(),
        email: req.email.clone(),
        phone: req.phone.clone(),
        ..Default::default()
    };
    if let Err(f) = parse_contact(&customer, tenant_country(tx).await?.as_deref()) {
        errors.0.extend(f.0);
    }
    let vehicle = if vehicle_known {
        None
    } else {
        let v = VehicleInput {
            make: req.make.clone(),
            model: req.model.clone(),
            plate: req.plate.clone(),
            ..Default::default()
        };
        let described = [&v.make, &v.model, &v.plate]
            .iter()
            .any(|f| f.as_deref().is_some_and(|s| !s.trim().is_empty()));
        if described {
            if let Err(f) = vehicles::parse(&v) {
                errors.0.extend(f.0);
            }
            Some(v)
        } else {
            errors.add("plate", "tell us the number plate of the vehicle");
            None
        }
    };
    let notes = errors.check("notes", optional_text(req.notes.as_deref(), 1000));
    if req.starts_at.is_none() {
        errors.add("starts_at", "choose a time");
    }
    let (Some(branch), Some(service), Some(starts_at), Some(notes)) =
        (branch, service, req.starts_at, notes)
    else {
        return Err(errors.into());
    };
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let day = starts_at.with_timezone(&zone(&branch)).date_naive();
    let board = availability::board(tx, &branch, &service, day, 2, None).await?;
    let earliest = Utc::now() + Duration::minutes(LEAD_MINUTES);
    if starts_at < earliest && starts_at >= Utc::now() {
        return Err(FieldErrors::single(
            "starts_at",
            "online bookings start at least an hour from now; choose a later time",
        )
        .into());
    }
    board
        .place(starts_at, Utc::now(), None, None)
        .map_err(availability::Unplaceable::into_error)?;
    Ok(CheckedRequest {
        branch,
        service,
        starts_at,
        customer,
        vehicle,
        notes,
    })
}

/// Checks a guest's booking and sends them a one-time code; nothing is booked yet.
pub async fn start_guest(
    fd: &FrontDesk,
    tenant: &TenantCtx,
    req: BookingRequest,
    ip: Option<&str>,
) -> Result<PendingBooking, ServiceError> {
    let tx = fd.store.tx(tenant).await?;
    let checked = check(&tx, &req, false).await?;
    let mut stored = req.clone();
    stored.starts_at = Some(checked.starts_at);
    let sent = codes::send(
        fd,
        &tx,
        CodePurpose::Booking,
        CodeDestination {
            by: &req.code_by,
            name: &checked.customer.name,
            email: req.email.as_deref(),
            phone: req.phone.as_deref(),
            consent_source: "online booking",
        },
        serde_json::to_value(&stored).map_err(ServiceError::internal)?,
        ip,
    )
    .await?;
    tx.commit().await?;
    Ok(PendingBooking {
        id: sent.id,
        sent_to: sent.sent_to,
    })
}

/// The request a code was sent for, to show again beside the code form, and where the code
/// went.
pub async fn pending(
    fd: &FrontDesk,
    tenant: &TenantCtx,
    id: Uuid,
) -> Result<(BookingRequest, String), ServiceError> {
    let tx = fd.store.tx(tenant).await?;
    let row = codes::pending(&tx, CodePurpose::Booking, id).await?;
    tx.commit().await?;
    let request = serde_json::from_value(row.request).map_err(ServiceError::internal)?;
    Ok((request, codes::sent_to(&row.destination)))
}

/// A booking made, with the customer's link to it.
pub struct Booked {
    pub appointment: appointment::Model,
    pub manage_link: String,
}

/// Turns a guest's request into a booking once the code is right. If the time was taken
/// meanwhile, the answer is the conflict (and the request stays, for another time).
pub async fn confirm_guest(
    fd: &FrontDesk,
    tenant: &TenantCtx,
    id: Uuid,
    code: &str,
    site: &str,
) -> Result<Booked, ServiceError> {
    let row = codes::guess(
        fd,
        tenant,
        CodePurpose::Booking,
        id,
        code,
        "start the booking again",
    )
    .await?;
    let tx = fd.store.tx(tenant).await?;
    let req: BookingRequest = serde_json::from_value(row.request.clone())
        .map_err(pitlane_domain::ServiceError::internal)?;
    let checked = check(&tx, &req, false).await?;
    let by_sms = row.destination.starts_with('+');
    let customer = guest_customer(
        &tx,
        &checked.customer,
        &row.destination,
        by_sms,
        req.marketing,
    )
    .await?;
    let vehicle = match &checked.vehicle {
        Some(v) => Some(vehicle_for(&tx, &customer, v.clone()).await?),
        None => None,
    };
    let appointment = place_online(fd, &tx, checked, &customer, vehicle.as_ref(), site).await?;
    codes::mark_used(&tx, row.id).await?;
    tx.commit().await?;
    appointments::publish(fd, &appointment, "appointment.booked").await;
    Ok(Booked {
        manage_link: appointments::manage_link(fd, site, &appointment),
        appointment,
    })
}

/// Books an online request in an open transaction: confirmed at once or waiting for staff,
/// as the workshop chose.
async fn place_online(
    fd: &FrontDesk,
    tx: &TenantTx,
    checked: CheckedRequest,
    customer: &customer::Model,
    vehicle: Option<&vehicle::Model>,
    site: &str,
) -> Result<appointment::Model, ServiceError> {
    let settings = BookingSettings::of(&tx.get::<tenant::Entity>(tx.tenant_id().0).await?);
    appointments::insert(
        fd,
        tx,
        NewBooking {
            branch: &checked.branch,
            service: &checked.service,
            customer,
            vehicle,
            starts_at: checked.starts_at,
            bay: None,
            mechanic: None,
            status: if settings.auto_confirm {
                AppointmentStatus::Confirmed
            } else {
                AppointmentStatus::Requested
            },
            source: "online",
            notes: checked.notes,
            by: Some(customer.name.clone()),
        },
        site,
    )
    .await
}

/// The customer a guest's confirmed booking belongs to: the one with the address (or number)
/// the code proved, or a new one.
pub async fn guest_customer(
    tx: &TenantTx,
    input: &CustomerInput,
    proven: &str,
    by_sms: bool,
    marketing: bool,
) -> Result<customer::Model, ServiceError> {
    let column = if by_sms {
        customer::Column::Phone
    } else {
        customer::Column::Email
    };
    let existing = tx
        .first(
            tx.select::<customer::Entity>()
                .filter(column.eq(proven))
                .filter(customer::Column::MergedInto.is_null())
                .filter(customer::Column::ErasedAt.is_null())
                .order_by_asc(customer::Column::Id),
        )
        .await?;
    let row = match existing {
        Some(c) => c,
        None => {
            let contact = parse_contact(input, tenant_country(tx).await?.as_deref())?;
            tx.insert(new_customer(tx.tenant_id().0, contact, Utc::now()))
                .await?
        }
    };
    let consent = ConsentChange {
        email: (!by_sms).then_some(true),
        sms: by_sms.then_some(true),
        marketing: marketing.then_some(true),
        source: "online booking".into(),
    };
    let row = customers::apply_consent(tx, row, &consent).await?;
    customers::refresh_search(tx, CustomerId(row.id)).await?;
    Ok(row)
}

/// The customer's vehicle with this plate, or a new one.
pub async fn vehicle_for(
    tx: &TenantTx,
    customer: &customer::Model,
    input: VehicleInput,
) -> Result<vehicle::Model, ServiceError> {
    let parsed = vehicles::parse(&input)?;
    if let Some(plate) = &parsed.plate
        && let Some(v) = tx
            .first(
                tx.select::<vehicle::Entity>()
                    .filter(vehicle::Column::CustomerId.eq(customer.id))
                    .filter(vehicle::Column::Plate.eq(plate.clone())),
            )
            .await?
    {
        return Ok(v);
    }
    vehicles::insert(tx, Some(customer), parsed, None, "online booking").await
}

pub fn require_customer(actor: &Actor) -> Result<(), ServiceError> {
    if actor.role.is(Role::Customer) {
        Ok(())
    } else {
        Err(ServiceError::Forbidden("a customer account"))
    }
}

/// The signed-in customer's own record in this workshop (claimed or made on first use).
pub async fn me(
    fd: &FrontDesk,
    actor: &Actor,
) -> Result<
    (
        customer::Model,
        Vec<vehicle::Model>,
        Vec<appointment::Model>,
    ),
    ServiceError,
> {
    require_customer(actor)?;
    let tx = fd.store.tx(&TenantCtx::new(actor.tenant_id)).await?;
    let me = signed_in_customer(&tx, actor).await?;
    let vehicles = tx
        .all(
            tx.select::<vehicle::Entity>()
                .filter(vehicle::Column::CustomerId.eq(me.id)),
        )
        .await?;
    let appointments = tx
        .all(
            tx.select::<appointment::Entity>()
                .filter(appointment::Column::CustomerId.eq(me.id))
                .order_by_desc(appointment::Column::StartsAt),
        )
        .await?;
    tx.commit().await?;
    Ok((me, vehicles, appointments))
}

pub async fn signed_in_customer(
    tx: &TenantTx,
    actor: &Actor,
) -> Result<customer::Model, ServiceError> {
    let person = tx
        .people()
        .first(
            <pitlane_store::entity::user::Entity as pitlane_store::sea_orm::EntityTrait>::find()
                .filter(pitlane_store::entity::user::Column::Id.eq(actor.user_id.0)),
        )
        .await?
        .ok_or(ServiceError::Unauthenticated)?;
    customers::of_user(tx, person.id, &person.email, &person.name).await
}

/// A signed-in customer books: their address is already proven, so no code.
pub async fn book_as_customer(
    fd: &FrontDesk,
    actor: &Actor,
    req: BookingRequest,
    site: &str,
) -> Result<Booked, ServiceError> {
    require_customer(actor)?;
    let tx = fd.store.tx(&TenantCtx::new(actor.tenant_id)).await?;
    let me = signed_in_customer(&tx, actor).await?;
    let mut req = req;
    if req.name.trim().is_empty() {
        req.name = me.name.clone();
    }
    if req.email.as_deref().is_none_or(|e| e.trim().is_empty()) {
        req.email = me.email.clone();
    }
    let checked = check(&tx, &req, req.vehicle_id.is_some()).await?;
    let vehicle = match (req.vehicle_id, checked.vehicle.clone()) {
        (Some(id), _) => Some(own_vehicle(&tx, id, &me).await?),
        (None, Some(v)) => Some(vehicle_for(&tx, &me, v).await?),
        (None, None) => None,
    };
    if req.marketing {
        customers::apply_consent(
            &tx,
            me.clone(),
            &ConsentChange {
                marketing: Some(true),
                source: "online booking".into(),
                ..Default::default()
            },
        )
        .await?;
    }
    let appointment = place_online(fd, &tx, checked, &me, vehicle.as_ref(), site).await?;
    tx.commit().await?;
    appointments::publish(fd, &appointment, "appointment.booked").await;
    Ok(Booked {
        manage_link: appointments::manage_link(fd, site, &appointment),
        appointment,
    })
}

/// What the customer's booking link shows and allows.
pub struct Managed {
    pub detail: appointments::AppointmentDetail,
    /// Moving and cancelling are open until the cut-off.
    pub changeable: bool,
    pub cutoff: DateTime<Utc>,
    /// Self check-in: on the day, for a confirmed appointment.
    pub can_check_in: bool,
}

fn appointment_of(fd: &FrontDesk, token: &str) -> Result<AppointmentId, ServiceError> {
    fd.signer
        .verify(Purpose::ManageBooking, token)
        .map(AppointmentId)
        .map_err(|e| match e {
            LinkError::Expired => {
                FieldErrors::single("token", "this link has expired: the appointment is over")
                    .into()
            }
            _ => ServiceError::NotFound,
        })
}

async fn managed_in(tx: &TenantTx, id: AppointmentId) -> Result<Managed, ServiceError> {
    let detail = appointments::detail_in(tx, id).await?;
    let t = tx.get::<tenant::Entity>(tx.tenant_id().0).await?;
    let a = &detail.view.appointment;
    let status = AppointmentStatus::parse(&a.status).unwrap_or(AppointmentStatus::Cancelled);
    let cutoff = a.starts_at - Duration::hours(t.booking_cutoff_hours.into());
    let now = Utc::now();
    let tz = zone(&detail.branch);
    let same_day =
        a.starts_at.with_timezone(&tz).date_naive() == now.with_timezone(&tz).date_naive();
    Ok(Managed {
        changeable: status.is_open() && now < cutoff,
        can_check_in: status == AppointmentStatus::Confirmed && same_day,
        cutoff,
        detail,
    })
}

pub async fn by_token(
    fd: &FrontDesk,
    tenant: &TenantCtx,
    token: &str,
) -> Result<Managed, ServiceError> {
    let id = appointment_of(fd, token)?;
    let tx = fd.store.tx(tenant).await?;
    let m = managed_in(&tx, id).await?;
    tx.commit().await?;
    Ok(m)
}

fn past_cutoff(m: &Managed) -> ServiceError {
    FieldErrors::single(
        "starts_at",
        format!(
            "changes online close {} before the appointment; please call the workshop",
            humanize_hours((m.detail.view.appointment.starts_at - m.cutoff).num_hours())
        ),
    )
    .into()
}

fn humanize_hours(h: i64) -> String {
    match h {
        1 => "1 hour".into(),
        h if h % 24 == 0 && h >= 48 => format!("{} days", h / 24),
        h => format!("{h} hours"),
    }
}

/// Moves the appointment from the customer's link, before the cut-off.
pub async fn reschedule_by_token(
    fd: &FrontDesk,
    tenant: &TenantCtx,
    token: &str,
    starts_at: DateTime<Utc>,
    site: &str,
) -> Result<appointment::Model, ServiceError> {
    let id = appointment_of(fd, token)?;
    let tx = fd.store.tx(tenant).await?;
    let m = managed_in(&tx, id).await?;
    if !m.changeable {
        return Err(past_cutoff(&m));
    }
    if starts_at < Utc::now() + Duration::minutes(LEAD_MINUTES) {
        return Err(FieldErrors::single(
            "starts_at",
            "online bookings start at least an hour from now; choose a later time",
        )
        .into());
    }
    let by = Some(m.detail.view.customer_name.clone());
    let moved = appointments::move_in(
        fd,
        &tx,
        m.detail.view.appointment,
        starts_at,
        None,
        None,
        by,
        site,
    )
    .await?;
    tx.commit().await?;
    appointments::publish(fd, &moved, "appointment.moved").await;
    Ok(moved)
}

/// A status change from the customer's link: the booking read under its token, `allowed`
/// says whether the link may do it now, and it is recorded as done by the customer.
#[allow(clippy::too_many_arguments)]
async fn transition_by_token(
    fd: &FrontDesk,
    tenant: &TenantCtx,
    token: &str,
    next: AppointmentStatus,
    arrival: Arrival,
    site: &str,
    allowed: impl FnOnce(&Managed) -> Result<(), ServiceError>,
    event: &str,
) -> Result<appointment::Model, ServiceError> {
    let id = appointment_of(fd, token)?;
    let tx = fd.store.tx(tenant).await?;
    let m = managed_in(&tx, id).await?;
    allowed(&m)?;
    let by = Some(m.detail.view.customer_name.clone());
    let changed =
        appointments::transition(fd, &tx, m.detail.view.appointment, next, arrival, by, site)
            .await?;
    tx.commit().await?;
    appointments::publish(fd, &changed, event).await;
    Ok(changed)
}

pub async fn cancel_by_token(
    fd: &FrontDesk,
    tenant: &TenantCtx,
    token: &str,
    site: &str,
) -> Result<appointment::Model, ServiceError> {
    let before_cutoff = |m: &Managed| {
        if m.changeable {
            Ok(())
        } else {
            Err(past_cutoff(m))
        }
    };
    transition_by_token(
        fd,
        tenant,
        token,
        AppointmentStatus::Cancelled,
        Arrival::default(),
        site,
        before_cutoff,
        "appointment.cancelled",
    )
    .await
}

/// The customer says they have arrived: mileage and where they left the keys.
pub async fn check_in_by_token(
    fd: &FrontDesk,
    tenant: &TenantCtx,
    token: &str,
    arrival: Arrival,
    site: &str,
) -> Result<appointment::Model, ServiceError> {
    let keys_given = arrival
        .key_location
        .as_deref()
        .is_some_and(|k| !k.trim().is_empty());
    let on_the_day = |m: &Managed| {
        if !m.can_check_in {
            return Err(FieldErrors::single(
                "status",
                "check-in opens on the day of a confirmed appointment",
            )
            .into());
        }
        if !keys_given {
            return Err(
                FieldErrors::single("key_location", "tell us where you left the keys").into(),
            );
        }
        Ok(())
    };
    transition_by_token(
        fd,
        tenant,
        token,
        AppointmentStatus::CheckedIn,
        arrival,
        site,
        on_the_day,
        "appointment.checked_in",
    )
    .await
}

/// Free slots for moving an appointment from the customer's link (its own time counts as free).
pub async fn slots_for_token(
    fd: &FrontDesk,
    tenant: &TenantCtx,
    token: &str,
    from: NaiveDate,
    days: u32,
) -> Result<Vec<Slot>, ServiceError> {
    let id = appointment_of(fd, token)?;
    let tx = fd.store.tx(tenant).await?;
    let a = tx.get::<appointment::Entity>(id.0).await?;
    let branch = tx.get::<branch::Entity>(a.branch_id).await?;
    let service = tx.get::<service::Entity>(a.service_id).await?;
    let board = availability::board(&tx, &branch, &service, from, days, Some(id)).await?;
    tx.commit().await?;
    Ok(board.free_slots(Utc::now() + Duration::minutes(LEAD_MINUTES)))
}

/// The appointment's calendar file for the customer's "add to calendar" link: a cancelled
/// appointment's file cancels the event it once added.
pub async fn calendar_for_token(
    fd: &FrontDesk,
    tenant: &TenantCtx,
    token: &str,
    site: &str,
) -> Result<String, ServiceError> {
    let id = appointment_of(fd, token)?;
    let tx = fd.store.tx(tenant).await?;
    let row = tx.get::<appointment::Entity>(id.0).await?;
    let service = tx.get::<service::Entity>(row.service_id).await?;
    let branch = tx.get::<branch::Entity>(row.branch_id).await?;
    let workshop = tx.get::<tenant::Entity>(tx.tenant_id().0).await?;
    let customer = tx.get::<customer::Entity>(row.customer_id).await?;
    tx.commit().await?;
    let link = appointments::manage_link(fd, site, &row);
    let method = if row.status == AppointmentStatus::Cancelled.key() {
        pitlane_domain::ics::IcsMethod::Cancel
    } else {
        pitlane_domain::ics::IcsMethod::Request
    };
    Ok(appointments::calendar_file(
        fd,
        &appointments::CalendarParts {
            row: &row,
            service: &service,
            branch: &branch,
            workshop: &workshop,
            customer: &customer,
            link: &link,
        },
        method,
    ))
}
