//! Appointments as the API sends and takes them.

use chrono::{DateTime, Utc};
use pitlane_domain::{FieldErrors, ServiceError, appointment::AppointmentStatus};
use pitlane_frontdesk::appointments::{self, AppointmentInput, Arrival};
use pitlane_store::entity::{appointment, appointment_event};
use poem_openapi::{Object, types::Example};
use uuid::Uuid;

/// A fixed time for examples, so the published document does not change from run to run.
pub(crate) fn example_time() -> DateTime<Utc> {
    DateTime::from_timestamp(1_796_115_600, 0).unwrap_or_default()
}

/// A booked visit.
#[derive(Object)]
pub struct Appointment {
    pub id: Uuid,
    pub branch_id: Uuid,
    pub customer_id: Uuid,
    #[oai(nullable)]
    pub vehicle_id: Option<Uuid>,
    pub service_id: Uuid,
    pub bay_id: Uuid,
    pub mechanic_id: Uuid,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// `requested`, `confirmed`, `checked_in`, `converted`, `no_show`, `cancelled`.
    pub status: String,
    /// `staff` or `online`.
    pub source: String,
    #[oai(nullable)]
    pub notes: Option<String>,
    /// The calendar entry's revision (iCalendar SEQUENCE).
    pub sequence: i32,
    #[oai(nullable)]
    pub arrival_mileage: Option<i64>,
    #[oai(nullable)]
    pub key_location: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<appointment::Model> for Appointment {
    fn from(a: appointment::Model) -> Self {
        Self {
            id: a.id,
            branch_id: a.branch_id,
            customer_id: a.customer_id,
            vehicle_id: a.vehicle_id,
            service_id: a.service_id,
            bay_id: a.bay_id,
            mechanic_id: a.mechanic_id,
            starts_at: a.starts_at,
            ends_at: a.ends_at,
            status: a.status,
            source: a.source,
            notes: a.notes,
            sequence: a.sequence,
            arrival_mileage: a.arrival_mileage,
            key_location: a.key_location,
            created_at: a.created_at,
        }
    }
}

#[derive(Object)]
pub struct AppointmentEvent {
    pub status: String,
    #[oai(nullable)]
    pub detail: Option<String>,
    #[oai(nullable)]
    pub by: Option<String>,
    pub at: DateTime<Utc>,
}

impl From<appointment_event::Model> for AppointmentEvent {
    fn from(e: appointment_event::Model) -> Self {
        Self {
            status: e.status,
            detail: e.detail,
            by: e.by_name,
            at: e.at,
        }
    }
}

/// An appointment with names and its history of changes.
#[derive(Object)]
pub struct AppointmentDetail {
    pub appointment: Appointment,
    pub customer_name: String,
    pub service_name: String,
    #[oai(nullable)]
    pub vehicle: Option<String>,
    pub bay_name: String,
    pub mechanic_name: String,
    pub history: Vec<AppointmentEvent>,
}

impl From<appointments::AppointmentDetail> for AppointmentDetail {
    fn from(d: appointments::AppointmentDetail) -> Self {
        Self {
            customer_name: d.view.customer_name,
            service_name: d.view.service_name,
            vehicle: d.view.vehicle,
            bay_name: d.view.bay_name,
            mechanic_name: d.view.mechanic_name,
            appointment: d.view.appointment.into(),
            history: d.events.into_iter().map(AppointmentEvent::from).collect(),
        }
    }
}

/// A booking made by staff: confirmed at once. Leave `bay_id` and `mechanic_id` out to take
/// any suitable free ones.
#[derive(Object)]
#[oai(example)]
pub struct AppointmentWrite {
    pub branch_id: Uuid,
    pub service_id: Uuid,
    pub customer_id: Uuid,
    pub vehicle_id: Option<Uuid>,
    pub starts_at: DateTime<Utc>,
    pub bay_id: Option<Uuid>,
    pub mechanic_id: Option<Uuid>,
    pub notes: Option<String>,
}

impl Example for AppointmentWrite {
    fn example() -> Self {
        Self {
            branch_id: Uuid::nil(),
            service_id: Uuid::nil(),
            customer_id: Uuid::nil(),
            vehicle_id: None,
            starts_at: example_time(),
            bay_id: None,
            mechanic_id: None,
            notes: Some("Rattle from the front left at speed.".into()),
        }
    }
}

impl From<AppointmentWrite> for AppointmentInput {
    fn from(w: AppointmentWrite) -> Self {
        Self {
            branch_id: w.branch_id,
            service_id: w.service_id,
            customer_id: w.customer_id.into(),
            vehicle_id: w.vehicle_id.map(Into::into),
            starts_at: Some(w.starts_at),
            bay_id: w.bay_id,
            mechanic_id: w.mechanic_id,
            notes: w.notes,
        }
    }
}

#[derive(Object)]
#[oai(example)]
pub struct MoveWrite {
    pub starts_at: DateTime<Utc>,
    pub bay_id: Option<Uuid>,
    pub mechanic_id: Option<Uuid>,
}

impl Example for MoveWrite {
    fn example() -> Self {
        Self {
            starts_at: example_time() + chrono::Duration::days(1),
            bay_id: None,
            mechanic_id: None,
        }
    }
}

/// The next state, with check-in details when checking in.
#[derive(Object)]
#[oai(example)]
pub struct StatusWrite {
    /// `confirmed`, `checked_in`, `converted`, `no_show` or `cancelled`.
    pub status: String,
    pub mileage: Option<i64>,
    pub correction_reason: Option<String>,
    pub key_location: Option<String>,
}

impl Example for StatusWrite {
    fn example() -> Self {
        Self {
            status: "checked_in".into(),
            mileage: Some(84_250),
            correction_reason: None,
            key_location: Some("key box 4".into()),
        }
    }
}

impl TryFrom<StatusWrite> for (AppointmentStatus, Arrival) {
    type Error = ServiceError;

    /// The next status (422 when it is none of them) and what came with the car.
    fn try_from(w: StatusWrite) -> Result<Self, ServiceError> {
        let next = AppointmentStatus::parse(&w.status).ok_or_else(|| {
            FieldErrors::single(
                "status",
                "use confirmed, checked_in, converted, no_show or cancelled",
            )
        })?;
        Ok((
            next,
            Arrival {
                mileage: w.mileage,
                correction_reason: w.correction_reason,
                key_location: w.key_location,
            },
        ))
    }
}
