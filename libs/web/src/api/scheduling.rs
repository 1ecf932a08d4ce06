//! Scheduling: the service catalogue, bays, mechanics' skills and hours, absences, closures,
//! free-slot queries, appointments and the online booking settings.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use pitlane_domain::{appointment::AppointmentStatus, schedule::Slot};
use pitlane_frontdesk::{
    appointments::{self, AppointmentInput, AppointmentQuery, Arrival, SlotRequest},
    availability,
    booking::{self, BookingSettings},
    catalogue::{self, ServiceInput},
    resources::{self, BayInput, Mechanic, ProfileInput},
};
use pitlane_store::entity::{appointment, bay, branch_closure, service, staff_absence};
use poem::{Request, web::Data};
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Path, Query},
    payload::Json,
    types::Example,
};
use uuid::Uuid;

use super::{ApiTags, Caller, page_limit, site};
use crate::{
    problem::{Problem, SlotSuggestion},
    state::AppState,
};

/// A service of the catalogue.
#[derive(Object)]
pub struct Service {
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub duration_minutes: i32,
    /// Price guide in minor units of the workshop's currency (cents).
    pub price_from_minor: Option<i64>,
    pub price_to_minor: Option<i64>,
    /// The kind of bay it needs (`lift`, `alignment`…); any bay when absent.
    pub bay_kind: Option<String>,
    /// The skill a mechanic needs; any mechanic when absent.
    pub skill: Option<String>,
    pub bookable_online: bool,
    pub active: bool,
}

fn service_api(s: service::Model) -> Service {
    Service {
        id: s.id,
        name: s.name,
        description: s.description,
        duration_minutes: s.duration_minutes,
        price_from_minor: s.price_from_minor,
        price_to_minor: s.price_to_minor,
        bay_kind: s.bay_kind,
        skill: s.skill,
        bookable_online: s.bookable_online,
        active: s.active,
    }
}

/// A new or changed service. Prices are typed amounts in the workshop's currency (`89.00`).
#[derive(Object)]
#[oai(example)]
pub struct ServiceWrite {
    pub name: String,
    pub description: Option<String>,
    pub duration_minutes: i32,
    pub price_from: Option<String>,
    pub price_to: Option<String>,
    pub bay_kind: Option<String>,
    pub skill: Option<String>,
    #[oai(default)]
    pub bookable_online: bool,
    #[oai(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

/// A fixed time for examples, so the published document does not change from run to run.
fn example_time() -> DateTime<Utc> {
    DateTime::from_timestamp(1_796_115_600, 0).unwrap_or_default()
}

impl Example for ServiceWrite {
    fn example() -> Self {
        Self {
            name: "Annual service".into(),
            description: Some("Oil and filter, brakes, lights, fluids, 40-point check.".into()),
            duration_minutes: 90,
            price_from: Some("149.00".into()),
            price_to: Some("219.00".into()),
            bay_kind: Some("lift".into()),
            skill: None,
            bookable_online: true,
            active: true,
        }
    }
}

fn service_input(w: ServiceWrite) -> ServiceInput {
    ServiceInput {
        name: w.name,
        description: w.description,
        duration_minutes: w.duration_minutes,
        price_from: w.price_from,
        price_to: w.price_to,
        bay_kind: w.bay_kind,
        skill: w.skill,
        bookable_online: w.bookable_online,
        active: w.active,
    }
}

#[derive(Object)]
pub struct ServiceList {
    pub items: Vec<Service>,
}

/// A working place in a branch.
#[derive(Object)]
pub struct Bay {
    pub id: Uuid,
    pub branch_id: Uuid,
    pub name: String,
    pub kind: String,
    pub active: bool,
}

fn bay_api(b: bay::Model) -> Bay {
    Bay {
        id: b.id,
        branch_id: b.branch_id,
        name: b.name,
        kind: b.kind,
        active: b.active,
    }
}

#[derive(Object)]
#[oai(example)]
pub struct BayWrite {
    pub branch_id: Uuid,
    pub name: String,
    pub kind: String,
    #[oai(default = "yes")]
    pub active: bool,
}

impl Example for BayWrite {
    fn example() -> Self {
        Self {
            branch_id: Uuid::nil(),
            name: "Lift 1".into(),
            kind: "lift".into(),
            active: true,
        }
    }
}

fn bay_input(w: BayWrite) -> BayInput {
    BayInput {
        branch_id: w.branch_id,
        name: w.name,
        kind: w.kind,
        active: w.active,
    }
}

#[derive(Object)]
pub struct BayList {
    pub items: Vec<Bay>,
}

type Hours = BTreeMap<String, Vec<Vec<String>>>;

fn hours_api(h: &pitlane_domain::branch::BusinessHours) -> Hours {
    h.0.iter()
        .map(|(day, spans)| {
            (
                day.clone(),
                spans
                    .iter()
                    .map(|[a, z]| vec![a.clone(), z.clone()])
                    .collect(),
            )
        })
        .collect()
}

fn hours_input(
    h: Hours,
) -> Result<BTreeMap<String, Vec<[String; 2]>>, pitlane_domain::ServiceError> {
    h.into_iter()
        .map(|(day, spans)| {
            let spans = spans
                .into_iter()
                .map(|s| {
                    <[String; 2]>::try_from(s).map_err(|_| {
                        pitlane_domain::FieldErrors::single(
                            "working_hours",
                            format!("{day}: each interval is [start, end]"),
                        )
                        .into()
                    })
                })
                .collect::<Result<Vec<_>, pitlane_domain::ServiceError>>()?;
            Ok((day, spans))
        })
        .collect()
}

/// A member who can be booked for jobs.
#[derive(Object)]
pub struct MechanicInfo {
    /// The membership's id.
    pub id: Uuid,
    pub name: String,
    pub skills: Vec<String>,
    /// Weekly hours; absent: the branch's business hours.
    pub working_hours: Option<Hours>,
    /// The branches they work at; absent: every branch.
    pub branch_ids: Option<Vec<Uuid>>,
}

fn mechanic_api(m: Mechanic) -> MechanicInfo {
    MechanicInfo {
        id: m.membership_id,
        name: m.name,
        skills: m.skills,
        working_hours: m.working_hours.as_ref().map(hours_api),
        branch_ids: m.branches,
    }
}

#[derive(Object)]
pub struct MechanicList {
    pub items: Vec<MechanicInfo>,
}

#[derive(Object)]
#[oai(example)]
pub struct MechanicProfileWrite {
    #[oai(default)]
    pub skills: Vec<String>,
    /// Weekly hours in local time, e.g. `{"mon": [["07:00", "15:30"]]}`; absent: the branch's.
    pub working_hours: Option<Hours>,
}

impl Example for MechanicProfileWrite {
    fn example() -> Self {
        Self {
            skills: vec!["diagnostics".into(), "ev".into()],
            working_hours: Some(BTreeMap::from([(
                "mon".to_owned(),
                vec![vec!["07:00".to_owned(), "15:30".to_owned()]],
            )])),
        }
    }
}

#[derive(Object)]
pub struct Absence {
    pub id: Uuid,
    pub mechanic_id: Uuid,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub reason: Option<String>,
}

fn absence_api(a: staff_absence::Model) -> Absence {
    Absence {
        id: a.id,
        mechanic_id: a.membership_id,
        starts_at: a.starts_at,
        ends_at: a.ends_at,
        reason: a.reason,
    }
}

#[derive(Object)]
#[oai(example)]
pub struct AbsenceWrite {
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub reason: Option<String>,
}

impl Example for AbsenceWrite {
    fn example() -> Self {
        let start = example_time();
        Self {
            starts_at: start,
            ends_at: start + chrono::Duration::days(2),
            reason: Some("training course".into()),
        }
    }
}

#[derive(Object)]
pub struct AbsenceList {
    pub items: Vec<Absence>,
}

/// Whole local days a branch is closed.
#[derive(Object)]
pub struct Closure {
    pub id: Uuid,
    pub branch_id: Uuid,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub reason: String,
}

fn closure_api(c: branch_closure::Model) -> Closure {
    Closure {
        id: c.id,
        branch_id: c.branch_id,
        starts_on: c.starts_on,
        ends_on: c.ends_on,
        reason: c.reason,
    }
}

#[derive(Object)]
#[oai(example)]
pub struct ClosureWrite {
    pub branch_id: Uuid,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub reason: String,
}

impl Example for ClosureWrite {
    fn example() -> Self {
        Self {
            branch_id: Uuid::nil(),
            starts_on: NaiveDate::from_ymd_opt(2026, 12, 24).unwrap_or_default(),
            ends_on: NaiveDate::from_ymd_opt(2026, 12, 26).unwrap_or_default(),
            reason: "Christmas".into(),
        }
    }
}

#[derive(Object)]
pub struct ClosureList {
    pub items: Vec<Closure>,
}

/// A time a service can be booked.
#[derive(Object)]
pub struct FreeSlot {
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub bay_id: Uuid,
    pub mechanic_id: Uuid,
}

fn slot_api(s: Slot) -> FreeSlot {
    FreeSlot {
        starts_at: s.span.start,
        ends_at: s.span.end,
        bay_id: s.bay_id,
        mechanic_id: s.mechanic_id,
    }
}

#[derive(Object)]
pub struct FreeSlotList {
    pub branch_id: Uuid,
    pub service_id: Uuid,
    pub items: Vec<FreeSlot>,
}

/// A booked visit.
#[derive(Object)]
pub struct Appointment {
    pub id: Uuid,
    pub branch_id: Uuid,
    pub customer_id: Uuid,
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
    pub notes: Option<String>,
    /// The calendar entry's revision (iCalendar SEQUENCE).
    pub sequence: i32,
    pub arrival_mileage: Option<i64>,
    pub key_location: Option<String>,
    pub created_at: DateTime<Utc>,
}

pub(super) fn appointment_api(a: appointment::Model) -> Appointment {
    Appointment {
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

#[derive(Object)]
pub struct AppointmentEvent {
    pub status: String,
    pub detail: Option<String>,
    pub by: Option<String>,
    pub at: DateTime<Utc>,
}

/// An appointment with names and its history of changes.
#[derive(Object)]
pub struct AppointmentDetail {
    pub appointment: Appointment,
    pub customer_name: String,
    pub service_name: String,
    pub vehicle: Option<String>,
    pub bay_name: String,
    pub mechanic_name: String,
    pub history: Vec<AppointmentEvent>,
}

#[derive(Object)]
pub struct AppointmentPage {
    pub items: Vec<Appointment>,
    pub next_cursor: Option<Uuid>,
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

/// How the workshop takes online bookings.
#[derive(Object)]
#[oai(example)]
pub struct BookingSettingsBody {
    /// Confirm online bookings at once (otherwise they wait for staff).
    pub auto_confirm: bool,
    /// Customers may move or cancel online until this many hours before.
    pub cutoff_hours: i32,
    /// Reminder times in minutes before the appointment (default 1440 and 120).
    pub reminder_minutes: Vec<i64>,
}

impl Example for BookingSettingsBody {
    fn example() -> Self {
        Self {
            auto_confirm: true,
            cutoff_hours: 24,
            reminder_minutes: vec![1440, 120],
        }
    }
}

fn settings_api(s: BookingSettings) -> BookingSettingsBody {
    BookingSettingsBody {
        auto_confirm: s.auto_confirm,
        cutoff_hours: s.cutoff_hours,
        reminder_minutes: s.reminder_minutes,
    }
}

macro_rules! created {
    ($name:ident, $ty:ty, $what:literal) => {
        #[derive(ApiResponse)]
        pub enum $name {
            #[doc = $what]
            #[oai(status = 201)]
            Created(Json<$ty>),
        }
    };
}

created!(ServiceCreated, Service, "The service was added.");
created!(BayCreated, Bay, "The bay was added.");
created!(AbsenceCreated, Absence, "The absence was recorded.");
created!(ClosureCreated, Closure, "The closure was recorded.");
created!(
    AppointmentCreated,
    Appointment,
    "The appointment was booked."
);

#[derive(ApiResponse)]
pub enum Removed {
    /// Removed.
    #[oai(status = 204)]
    Removed,
}

/// A lost race or a taken time: 409 with the times still free that day and the next.
async fn with_fresh_slots(
    state: &AppState,
    actor: &pitlane_domain::Actor,
    err: pitlane_domain::ServiceError,
    branch_id: Uuid,
    service_id: Uuid,
    day: NaiveDate,
) -> Problem {
    if !availability::is_taken(&err) {
        return err.into();
    }
    let request = SlotRequest {
        service_id,
        branch_id: Some(branch_id),
        from: Some(day),
        days: Some(2),
    };
    let slots = appointments::free_slots(&state.frontdesk, actor, request)
        .await
        .map(|found| found.slots)
        .unwrap_or_default();
    let mut problem = Problem::from(err);
    problem.0.free_slots = Some(
        slots
            .into_iter()
            .take(20)
            .map(|s| SlotSuggestion {
                starts_at: s.span.start,
                ends_at: s.span.end,
            })
            .collect(),
    );
    problem
}

pub struct SchedulingApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Scheduling")]
impl SchedulingApi {
    /// List the service catalogue
    ///
    /// Needs `tenant.read`. By name.
    #[oai(path = "/services", method = "get", operation_id = "list_services")]
    async fn services(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
    ) -> Result<Json<ServiceList>, Problem> {
        let rows = catalogue::list_for(&state.frontdesk, &auth.actor).await?;
        Ok(Json(ServiceList {
            items: rows.into_iter().map(service_api).collect(),
        }))
    }

    /// Add a service
    ///
    /// Needs `settings.manage`.
    #[oai(path = "/services", method = "post", operation_id = "create_service")]
    async fn create_service(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        body: Json<ServiceWrite>,
    ) -> Result<ServiceCreated, Problem> {
        let row = catalogue::create(&state.frontdesk, &auth.actor, service_input(body.0)).await?;
        Ok(ServiceCreated::Created(Json(service_api(row))))
    }

    /// Get a service
    ///
    /// Needs `tenant.read`.
    #[oai(
        path = "/services/:service_id",
        method = "get",
        operation_id = "get_service"
    )]
    async fn service(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        service_id: Path<Uuid>,
    ) -> Result<Json<Service>, Problem> {
        Ok(Json(service_api(
            catalogue::get(&state.frontdesk, &auth.actor, service_id.0).await?,
        )))
    }

    /// Change a service
    ///
    /// Needs `settings.manage`.
    #[oai(
        path = "/services/:service_id",
        method = "put",
        operation_id = "update_service"
    )]
    async fn update_service(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        service_id: Path<Uuid>,
        body: Json<ServiceWrite>,
    ) -> Result<Json<Service>, Problem> {
        let row = catalogue::update(
            &state.frontdesk,
            &auth.actor,
            service_id.0,
            service_input(body.0),
        )
        .await?;
        Ok(Json(service_api(row)))
    }

    /// Find free slots for a service
    ///
    /// Needs `customers.read`. Times on a 15-minute grid where a bay of the service's kind and
    /// a mechanic with its skill are both free for the whole duration, inside the branch's
    /// hours and outside its closures. `branch_id` defaults to the first branch, `from` (a
    /// local date) to today, `days` to 7 (at most 31). Example:
    /// `GET /api/v1/services/{id}/free-slots?branch_id=…&from=2026-11-23&days=5`.
    #[oai(
        path = "/services/:service_id/free-slots",
        method = "get",
        operation_id = "find_free_slots"
    )]
    async fn free_slots(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        service_id: Path<Uuid>,
        branch_id: Query<Option<Uuid>>,
        from: Query<Option<NaiveDate>>,
        days: Query<Option<u32>>,
    ) -> Result<Json<FreeSlotList>, Problem> {
        let found = appointments::free_slots(
            &state.frontdesk,
            &auth.actor,
            SlotRequest {
                service_id: service_id.0,
                branch_id: branch_id.0,
                from: from.0,
                days: days.0,
            },
        )
        .await?;
        Ok(Json(FreeSlotList {
            branch_id: found.branch_id,
            service_id: service_id.0,
            items: found.slots.into_iter().map(slot_api).collect(),
        }))
    }

    /// List bays
    ///
    /// Needs `tenant.read`. `branch_id` limits to one branch.
    #[oai(path = "/bays", method = "get", operation_id = "list_bays")]
    async fn bays(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        branch_id: Query<Option<Uuid>>,
    ) -> Result<Json<BayList>, Problem> {
        let rows = resources::bays(&state.frontdesk, &auth.actor, branch_id.0).await?;
        Ok(Json(BayList {
            items: rows.into_iter().map(bay_api).collect(),
        }))
    }

    /// Add a bay
    ///
    /// Needs `settings.manage`.
    #[oai(path = "/bays", method = "post", operation_id = "create_bay")]
    async fn create_bay(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        body: Json<BayWrite>,
    ) -> Result<BayCreated, Problem> {
        let row = resources::create_bay(&state.frontdesk, &auth.actor, bay_input(body.0)).await?;
        Ok(BayCreated::Created(Json(bay_api(row))))
    }

    /// Change a bay
    ///
    /// Needs `settings.manage`. The branch of a bay does not change.
    #[oai(path = "/bays/:bay_id", method = "put", operation_id = "update_bay")]
    async fn update_bay(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        bay_id: Path<Uuid>,
        body: Json<BayWrite>,
    ) -> Result<Json<Bay>, Problem> {
        let row = resources::update_bay(&state.frontdesk, &auth.actor, bay_id.0, bay_input(body.0))
            .await?;
        Ok(Json(bay_api(row)))
    }

    /// List mechanics
    ///
    /// Needs `tenant.read`. Approved members who work jobs, with skills and hours.
    #[oai(path = "/mechanics", method = "get", operation_id = "list_mechanics")]
    async fn mechanics(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
    ) -> Result<Json<MechanicList>, Problem> {
        let rows = resources::mechanics(&state.frontdesk, &auth.actor).await?;
        Ok(Json(MechanicList {
            items: rows.into_iter().map(mechanic_api).collect(),
        }))
    }

    /// Set a mechanic's skills and weekly hours
    ///
    /// Needs `staff.manage`.
    #[oai(
        path = "/mechanics/:mechanic_id",
        method = "put",
        operation_id = "update_mechanic"
    )]
    async fn update_mechanic(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        mechanic_id: Path<Uuid>,
        body: Json<MechanicProfileWrite>,
    ) -> Result<Json<MechanicInfo>, Problem> {
        let hours = body.0.working_hours.map(hours_input).transpose()?;
        let row = resources::set_profile(
            &state.frontdesk,
            &auth.actor,
            mechanic_id.0,
            ProfileInput {
                skills: body.0.skills,
                working_hours: hours,
            },
        )
        .await?;
        Ok(Json(mechanic_api(row)))
    }

    /// List absences
    ///
    /// Needs `tenant.read`. Current and future ones.
    #[oai(path = "/absences", method = "get", operation_id = "list_absences")]
    async fn absences(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
    ) -> Result<Json<AbsenceList>, Problem> {
        let rows = resources::absences(&state.frontdesk, &auth.actor, Utc::now()).await?;
        Ok(Json(AbsenceList {
            items: rows.into_iter().map(absence_api).collect(),
        }))
    }

    /// Record a mechanic's absence
    ///
    /// Needs `staff.manage`. They are offered for no slot during it.
    #[oai(
        path = "/mechanics/:mechanic_id/absences",
        method = "post",
        operation_id = "add_absence"
    )]
    async fn add_absence(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        mechanic_id: Path<Uuid>,
        body: Json<AbsenceWrite>,
    ) -> Result<AbsenceCreated, Problem> {
        let row = resources::add_absence(
            &state.frontdesk,
            &auth.actor,
            mechanic_id.0,
            body.0.starts_at,
            body.0.ends_at,
            body.0.reason.as_deref(),
        )
        .await?;
        Ok(AbsenceCreated::Created(Json(absence_api(row))))
    }

    /// Remove an absence
    ///
    /// Needs `staff.manage`.
    #[oai(
        path = "/absences/:absence_id",
        method = "delete",
        operation_id = "remove_absence"
    )]
    async fn remove_absence(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        absence_id: Path<Uuid>,
    ) -> Result<Removed, Problem> {
        resources::remove_absence(&state.frontdesk, &auth.actor, absence_id.0).await?;
        Ok(Removed::Removed)
    }

    /// List closures and holidays
    ///
    /// Needs `tenant.read`.
    #[oai(path = "/closures", method = "get", operation_id = "list_closures")]
    async fn closures(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        branch_id: Query<Option<Uuid>>,
    ) -> Result<Json<ClosureList>, Problem> {
        let rows = resources::closures(&state.frontdesk, &auth.actor, branch_id.0).await?;
        Ok(Json(ClosureList {
            items: rows.into_iter().map(closure_api).collect(),
        }))
    }

    /// Close a branch for whole days
    ///
    /// Needs `settings.manage`. Local dates in the branch's time zone, both inclusive.
    #[oai(path = "/closures", method = "post", operation_id = "add_closure")]
    async fn add_closure(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        body: Json<ClosureWrite>,
    ) -> Result<ClosureCreated, Problem> {
        let c = body.0;
        let row = resources::add_closure(
            &state.frontdesk,
            &auth.actor,
            c.branch_id,
            c.starts_on,
            c.ends_on,
            &c.reason,
        )
        .await?;
        Ok(ClosureCreated::Created(Json(closure_api(row))))
    }

    /// Remove a closure
    ///
    /// Needs `settings.manage`.
    #[oai(
        path = "/closures/:closure_id",
        method = "delete",
        operation_id = "remove_closure"
    )]
    async fn remove_closure(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        closure_id: Path<Uuid>,
    ) -> Result<Removed, Problem> {
        resources::remove_closure(&state.frontdesk, &auth.actor, closure_id.0).await?;
        Ok(Removed::Removed)
    }

    /// List appointments
    ///
    /// Needs `customers.read`. Filters: `branch_id`, `customer_id`, `status`, and a time range
    /// (`from`, `to`, overlapping). In creation order. Example:
    /// `GET /api/v1/appointments?branch_id=…&from=2026-11-23T00:00:00Z&to=2026-11-30T00:00:00Z`.
    #[allow(clippy::too_many_arguments)]
    #[oai(
        path = "/appointments",
        method = "get",
        operation_id = "list_appointments"
    )]
    async fn appointments(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        branch_id: Query<Option<Uuid>>,
        customer_id: Query<Option<Uuid>>,
        status: Query<Option<String>>,
        from: Query<Option<DateTime<Utc>>>,
        to: Query<Option<DateTime<Utc>>>,
        cursor: Query<Option<Uuid>>,
        /// Page size, 1–200 (default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<AppointmentPage>, Problem> {
        let page = appointments::list(
            &state.frontdesk,
            &auth.actor,
            AppointmentQuery {
                branch_id: branch_id.0,
                customer_id: customer_id.0,
                status: status.0,
                from: from.0,
                to: to.0,
                cursor: cursor.0,
                limit: page_limit(limit.0),
            },
        )
        .await?;
        Ok(Json(AppointmentPage {
            items: page.items.into_iter().map(appointment_api).collect(),
            next_cursor: page.next,
        }))
    }

    /// Book an appointment
    ///
    /// Needs `appointments.write`. Confirmed at once; the customer gets the confirmation with
    /// a calendar file. A time in the past, outside business hours or on a closure is 422; a
    /// time taken (even by a request racing this one) is 409 with `free_slots` to choose from.
    #[oai(
        path = "/appointments",
        method = "post",
        operation_id = "book_appointment"
    )]
    async fn book(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        req: &Request,
        body: Json<AppointmentWrite>,
    ) -> Result<AppointmentCreated, Problem> {
        let site = site(&state, req)?;
        let w = body.0;
        let (branch_id, service_id, day) = (w.branch_id, w.service_id, w.starts_at.date_naive());
        let input = AppointmentInput {
            branch_id: w.branch_id,
            service_id: w.service_id,
            customer_id: w.customer_id,
            vehicle_id: w.vehicle_id,
            starts_at: Some(w.starts_at),
            bay_id: w.bay_id,
            mechanic_id: w.mechanic_id,
            notes: w.notes,
        };
        match appointments::book(&state.frontdesk, &auth.actor, input, &site).await {
            Ok(row) => Ok(AppointmentCreated::Created(Json(appointment_api(row)))),
            Err(e) => {
                Err(with_fresh_slots(&state, &auth.actor, e, branch_id, service_id, day).await)
            }
        }
    }

    /// Get an appointment with its history
    ///
    /// Needs `customers.read`.
    #[oai(
        path = "/appointments/:appointment_id",
        method = "get",
        operation_id = "get_appointment"
    )]
    async fn appointment(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        appointment_id: Path<Uuid>,
    ) -> Result<Json<AppointmentDetail>, Problem> {
        let d = appointments::get(&state.frontdesk, &auth.actor, appointment_id.0).await?;
        Ok(Json(AppointmentDetail {
            customer_name: d.view.customer_name,
            service_name: d.view.service_name,
            vehicle: d.view.vehicle,
            bay_name: d.view.bay_name,
            mechanic_name: d.view.mechanic_name,
            appointment: appointment_api(d.view.appointment),
            history: d
                .events
                .into_iter()
                .map(|e| AppointmentEvent {
                    status: e.status,
                    detail: e.detail,
                    by: e.by_name,
                    at: e.at,
                })
                .collect(),
        }))
    }

    /// Move an appointment
    ///
    /// Needs `appointments.write`. The customer's calendar entry is updated (same UID, next
    /// SEQUENCE) and reminders follow the new time. 409 with `free_slots` when taken.
    #[oai(
        path = "/appointments/:appointment_id/move",
        method = "post",
        operation_id = "move_appointment"
    )]
    async fn move_appointment(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        req: &Request,
        appointment_id: Path<Uuid>,
        body: Json<MoveWrite>,
    ) -> Result<Json<Appointment>, Problem> {
        let site = site(&state, req)?;
        let w = body.0;
        match appointments::reschedule(
            &state.frontdesk,
            &auth.actor,
            appointment_id.0,
            w.starts_at,
            w.bay_id,
            w.mechanic_id,
            &site,
        )
        .await
        {
            Ok(row) => Ok(Json(appointment_api(row))),
            Err(e) if availability::is_taken(&e) => {
                let d = appointments::get(&state.frontdesk, &auth.actor, appointment_id.0).await?;
                let a = d.view.appointment;
                Err(with_fresh_slots(
                    &state,
                    &auth.actor,
                    e,
                    a.branch_id,
                    a.service_id,
                    w.starts_at.date_naive(),
                )
                .await)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Change an appointment's status
    ///
    /// Needs `appointments.write`. requested → confirmed → checked_in → converted, or
    /// no_show / cancelled; each change is recorded. Checking in may record the mileage and
    /// where the keys are.
    #[oai(
        path = "/appointments/:appointment_id/status",
        method = "post",
        operation_id = "change_appointment_status"
    )]
    async fn status(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        req: &Request,
        appointment_id: Path<Uuid>,
        body: Json<StatusWrite>,
    ) -> Result<Json<Appointment>, Problem> {
        let site = site(&state, req)?;
        let w = body.0;
        let next: Result<_, pitlane_domain::ServiceError> = AppointmentStatus::parse(&w.status)
            .ok_or_else(|| {
                pitlane_domain::FieldErrors::single(
                    "status",
                    "use confirmed, checked_in, converted, no_show or cancelled",
                )
                .into()
            });
        let row = appointments::change_status(
            &state.frontdesk,
            &auth.actor,
            appointment_id.0,
            next?,
            Arrival {
                mileage: w.mileage,
                correction_reason: w.correction_reason,
                key_location: w.key_location,
            },
            &site,
        )
        .await?;
        Ok(Json(appointment_api(row)))
    }

    /// Get the online booking settings
    ///
    /// Needs `tenant.read`.
    #[oai(
        path = "/booking-settings",
        method = "get",
        operation_id = "get_booking_settings"
    )]
    async fn booking_settings(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
    ) -> Result<Json<BookingSettingsBody>, Problem> {
        let s = booking::settings_for(&state.frontdesk, &auth.actor).await?;
        Ok(Json(settings_api(s)))
    }

    /// Change the online booking settings
    ///
    /// Needs `settings.manage`. Audited.
    #[oai(
        path = "/booking-settings",
        method = "put",
        operation_id = "update_booking_settings"
    )]
    async fn update_booking_settings(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        body: Json<BookingSettingsBody>,
    ) -> Result<Json<BookingSettingsBody>, Problem> {
        let s = booking::update_settings(
            &state.frontdesk,
            &auth.actor,
            BookingSettings {
                auto_confirm: body.0.auto_confirm,
                cutoff_hours: body.0.cutoff_hours,
                reminder_minutes: body.0.reminder_minutes,
            },
        )
        .await?;
        Ok(Json(settings_api(s)))
    }
}
