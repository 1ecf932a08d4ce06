//! Customers and their vehicles: contact details and consent, notes, search, merge, privacy
//! export and erasure; vehicles with VIN, mileage and owners.

use chrono::{DateTime, NaiveDate, Utc};
use pitlane_frontdesk::{
    customers::{self, ConsentChange, CustomerInput, CustomerQuery, CustomerSort},
    privacy,
    vehicles::{self, VehicleInput, VehicleQuery},
};
use pitlane_store::entity::{customer, customer_note, mileage_reading, vehicle, vehicle_owner};
use poem::web::Data;
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Path, Query},
    payload::Json,
    types::Example,
};
use uuid::Uuid;

use super::{ApiTags, Caller, page_limit};
use crate::{problem::Problem, state::AppState};

/// One kind of consent: when and how it was given (both empty: not given).
#[derive(Object)]
pub struct ConsentRecord {
    pub given: bool,
    pub given_at: Option<DateTime<Utc>>,
    /// How it was given, e.g. "signed at the front desk".
    pub how: Option<String>,
}

#[derive(Object)]
pub struct CustomerConsent {
    pub email: ConsentRecord,
    pub sms: ConsentRecord,
    pub marketing: ConsentRecord,
    pub marketing_unsubscribed_at: Option<DateTime<Utc>>,
}

/// A customer of the workshop.
#[derive(Object)]
pub struct Customer {
    pub id: Uuid,
    pub name: String,
    pub email: Option<String>,
    /// E.164, e.g. `+4915112345678`.
    pub phone: Option<String>,
    pub company: Option<String>,
    pub address: Option<String>,
    pub tags: Vec<String>,
    pub consent: CustomerConsent,
    /// Whether the customer has a login on the workshop's site.
    pub has_account: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn record(at: Option<DateTime<Utc>>, how: Option<String>) -> ConsentRecord {
    ConsentRecord {
        given: at.is_some(),
        given_at: at,
        how,
    }
}

pub(super) fn customer_api(c: customer::Model) -> Customer {
    Customer {
        tags: customers::tags_of(&c),
        consent: CustomerConsent {
            email: record(c.email_consent_at, c.email_consent_source),
            sms: record(c.sms_consent_at, c.sms_consent_source),
            marketing: record(c.marketing_consent_at, c.marketing_consent_source),
            marketing_unsubscribed_at: c.marketing_unsubscribed_at,
        },
        has_account: c.user_id.is_some(),
        id: c.id,
        name: c.name,
        email: c.email,
        phone: c.phone,
        company: c.company,
        address: c.address,
        created_at: c.created_at,
        updated_at: c.updated_at,
    }
}

/// A new or changed customer. Phone numbers without `+` are read in the workshop's country.
#[derive(Object)]
#[oai(example)]
pub struct CustomerWrite {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub company: Option<String>,
    pub address: Option<String>,
    #[oai(default)]
    pub tags: Vec<String>,
}

impl Example for CustomerWrite {
    fn example() -> Self {
        Self {
            name: "Anna Müller".into(),
            email: Some("anna.mueller@example.com".into()),
            phone: Some("+49 151 12345678".into()),
            company: None,
            address: Some("Hafenstraße 1, 20457 Hamburg".into()),
            tags: vec!["fleet".into(), "vip".into()],
        }
    }
}

fn customer_input(w: CustomerWrite) -> CustomerInput {
    CustomerInput {
        name: w.name,
        email: w.email,
        phone: w.phone,
        company: w.company,
        address: w.address,
        tags: w.tags,
    }
}

/// A change of consent: `true` gives it now, `false` withdraws it, absent leaves it.
#[derive(Object)]
#[oai(example)]
pub struct ConsentWrite {
    pub email: Option<bool>,
    pub sms: Option<bool>,
    pub marketing: Option<bool>,
    /// How the customer gave it; required when giving consent.
    #[oai(default)]
    pub source: String,
}

impl Example for ConsentWrite {
    fn example() -> Self {
        Self {
            email: Some(true),
            sms: Some(true),
            marketing: Some(false),
            source: "signed at the front desk".into(),
        }
    }
}

#[derive(Object)]
pub struct CustomerPage {
    pub items: Vec<Customer>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Object)]
pub struct Note {
    pub id: Uuid,
    pub body: String,
    pub author: Option<String>,
    pub created_at: DateTime<Utc>,
}

fn note_api(n: customer_note::Model) -> Note {
    Note {
        id: n.id,
        body: n.body,
        author: n.author_name,
        created_at: n.created_at,
    }
}

#[derive(Object)]
pub struct NoteList {
    pub items: Vec<Note>,
}

#[derive(Object)]
#[oai(example)]
pub struct NoteWrite {
    pub body: String,
}

impl Example for NoteWrite {
    fn example() -> Self {
        Self {
            body: "Prefers a call before any extra work.".into(),
        }
    }
}

#[derive(Object)]
#[oai(example)]
pub struct MergeRequest {
    /// The duplicate to fold into this customer; it is gone afterwards.
    pub duplicate_id: Uuid,
}

impl Example for MergeRequest {
    fn example() -> Self {
        Self {
            duplicate_id: Uuid::nil(),
        }
    }
}

/// What an erasure did.
#[derive(Object)]
pub struct ErasureReport {
    pub pending_appointments_removed: u64,
    pub notes_removed: u64,
    pub vehicles_unlinked: u64,
}

/// A vehicle the workshop knows.
#[derive(Object)]
pub struct Vehicle {
    pub id: Uuid,
    /// The current owner.
    pub customer_id: Option<Uuid>,
    pub vin: Option<String>,
    pub plate: Option<String>,
    pub plate_region: Option<String>,
    pub make: Option<String>,
    pub model: Option<String>,
    pub year: Option<i32>,
    pub engine: Option<String>,
    pub colour: Option<String>,
    /// `km` or `mi`.
    pub mileage_unit: String,
    pub mileage: Option<i64>,
    pub next_service_on: Option<NaiveDate>,
    pub next_service_mileage: Option<i64>,
    /// Set when the service is due (by date within 30 days, or by mileage).
    pub maintenance_due: Option<String>,
    pub created_at: DateTime<Utc>,
}

pub(super) fn vehicle_api(v: vehicle::Model) -> Vehicle {
    Vehicle {
        maintenance_due: vehicles::maintenance_due(&v, Utc::now().date_naive(), 30),
        id: v.id,
        customer_id: v.customer_id,
        vin: v.vin,
        plate: v.plate,
        plate_region: v.plate_region,
        make: v.make,
        model: v.model,
        year: v.year,
        engine: v.engine,
        colour: v.colour,
        mileage_unit: v.mileage_unit,
        mileage: v.last_mileage,
        next_service_on: v.next_service_on,
        next_service_mileage: v.next_service_mileage,
        created_at: v.created_at,
    }
}

/// A new or changed vehicle. A VIN is checked (17 characters, no I/O/Q, check digit where the
/// region uses one); make and year left out are decoded from it.
#[derive(Object)]
#[oai(example)]
pub struct VehicleWrite {
    /// The owner, when creating; ownership changes go through `/vehicles/{id}/owner`.
    pub customer_id: Option<Uuid>,
    pub vin: Option<String>,
    pub plate: Option<String>,
    pub plate_region: Option<String>,
    pub make: Option<String>,
    pub model: Option<String>,
    pub year: Option<i32>,
    pub engine: Option<String>,
    pub colour: Option<String>,
    pub mileage_unit: Option<String>,
    /// The odometer now (creating only).
    pub mileage: Option<i64>,
    pub next_service_on: Option<NaiveDate>,
    pub next_service_mileage: Option<i64>,
}

impl Example for VehicleWrite {
    fn example() -> Self {
        Self {
            customer_id: None,
            vin: Some("1HGCM82633A004352".into()),
            plate: Some("HH AB 1234".into()),
            plate_region: Some("DE".into()),
            make: None,
            model: Some("Accord".into()),
            year: None,
            engine: Some("2.4 i-VTEC".into()),
            colour: Some("silver".into()),
            mileage_unit: Some("km".into()),
            mileage: Some(84_000),
            next_service_on: None,
            next_service_mileage: Some(90_000),
        }
    }
}

fn vehicle_input(w: VehicleWrite) -> VehicleInput {
    VehicleInput {
        customer_id: w.customer_id,
        vin: w.vin,
        plate: w.plate,
        plate_region: w.plate_region,
        make: w.make,
        model: w.model,
        year: w.year,
        engine: w.engine,
        colour: w.colour,
        mileage_unit: w.mileage_unit,
        mileage: w.mileage,
        next_service_on: w.next_service_on,
        next_service_mileage: w.next_service_mileage,
    }
}

#[derive(Object)]
pub struct VehiclePage {
    pub items: Vec<Vehicle>,
    pub next_cursor: Option<Uuid>,
}

/// An odometer reading. Lower than the last one only with a `correction_reason`.
#[derive(Object)]
#[oai(example)]
pub struct MileageWrite {
    pub mileage: i64,
    pub correction_reason: Option<String>,
}

impl Example for MileageWrite {
    fn example() -> Self {
        Self {
            mileage: 86_500,
            correction_reason: None,
        }
    }
}

#[derive(Object)]
#[oai(example)]
pub struct OwnerWrite {
    /// The new owner; `null` when the vehicle leaves the workshop's customers.
    pub customer_id: Option<Uuid>,
}

impl Example for OwnerWrite {
    fn example() -> Self {
        Self { customer_id: None }
    }
}

#[derive(Object)]
pub struct MileageReading {
    pub reading: i64,
    pub source: String,
    pub correction_reason: Option<String>,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Object)]
pub struct Ownership {
    pub customer_id: Option<Uuid>,
    pub owner_name: String,
    pub from: DateTime<Utc>,
    pub until: Option<DateTime<Utc>>,
}

/// A vehicle with its history: owners, mileage, visits.
#[derive(Object)]
pub struct VehicleHistory {
    pub vehicle: Vehicle,
    pub owners: Vec<Ownership>,
    pub mileage_readings: Vec<MileageReading>,
    pub appointments: Vec<super::scheduling::Appointment>,
}

fn reading_api(r: mileage_reading::Model) -> MileageReading {
    MileageReading {
        reading: r.reading,
        source: r.source,
        correction_reason: r.correction_reason,
        recorded_at: r.recorded_at,
    }
}

fn owner_api(o: vehicle_owner::Model) -> Ownership {
    Ownership {
        customer_id: o.customer_id,
        owner_name: o.owner_name,
        from: o.from_at,
        until: o.until_at,
    }
}

#[derive(ApiResponse)]
pub enum CustomerCreated {
    /// The customer was created.
    #[oai(status = 201)]
    Created(Json<Customer>),
}

#[derive(ApiResponse)]
pub enum VehicleCreated {
    /// The vehicle was added.
    #[oai(status = 201)]
    Created(Json<Vehicle>),
}

#[derive(ApiResponse)]
pub enum NoteCreated {
    /// The note was added.
    #[oai(status = 201)]
    Created(Json<Note>),
}

pub struct CustomersApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Customers")]
impl CustomersApi {
    /// List and search customers
    ///
    /// Needs `customers.read`. `q` finds any fragment of a name, e-mail, phone number, number
    /// plate or VIN (`q=0151 1234`, `q=HH AB`, `q=1HGCM8`). `sort` is `name` (default),
    /// `-name`, `created` or `-created`. Example: `GET /api/v1/customers?q=müller&tag=fleet&limit=20`.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/customers", method = "get", operation_id = "list_customers")]
    async fn list(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        /// A fragment of name, e-mail, phone, plate or VIN.
        q: Query<Option<String>>,
        /// Only customers with this tag.
        tag: Query<Option<String>>,
        /// `name`, `-name`, `created`, `-created`.
        sort: Query<Option<String>>,
        /// The `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1–200 (default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<CustomerPage>, Problem> {
        let page = customers::list(
            &state.frontdesk,
            &auth.actor,
            CustomerQuery {
                q: q.0,
                tag: tag.0,
                sort: CustomerSort::parse(sort.0.as_deref())?,
                cursor: cursor.0,
                limit: page_limit(limit.0),
            },
        )
        .await?;
        Ok(Json(CustomerPage {
            items: page.items.into_iter().map(customer_api).collect(),
            next_cursor: page.next_cursor,
        }))
    }

    /// Create a customer
    ///
    /// Needs `customers.write`. E-mail is checked; the phone is stored in E.164.
    #[oai(path = "/customers", method = "post", operation_id = "create_customer")]
    async fn create(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        body: Json<CustomerWrite>,
    ) -> Result<CustomerCreated, Problem> {
        let row =
            customers::create(&state.frontdesk, &auth.actor, customer_input(body.0), None).await?;
        Ok(CustomerCreated::Created(Json(customer_api(row))))
    }

    /// Get a customer
    ///
    /// Needs `customers.read`.
    #[oai(
        path = "/customers/:customer_id",
        method = "get",
        operation_id = "get_customer"
    )]
    async fn get(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        customer_id: Path<Uuid>,
    ) -> Result<Json<Customer>, Problem> {
        Ok(Json(customer_api(
            customers::get(&state.frontdesk, &auth.actor, customer_id.0).await?,
        )))
    }

    /// Change a customer
    ///
    /// Needs `customers.write`. All contact fields are replaced.
    #[oai(
        path = "/customers/:customer_id",
        method = "put",
        operation_id = "update_customer"
    )]
    async fn update(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        customer_id: Path<Uuid>,
        body: Json<CustomerWrite>,
    ) -> Result<Json<Customer>, Problem> {
        let row = customers::update(
            &state.frontdesk,
            &auth.actor,
            customer_id.0,
            customer_input(body.0),
        )
        .await?;
        Ok(Json(customer_api(row)))
    }

    /// Erase a customer (right to erasure)
    ///
    /// Needs `customers.write`. Personal data is erased; pending appointments are cancelled and
    /// removed; past visits stay as anonymous records. Audited.
    #[oai(
        path = "/customers/:customer_id",
        method = "delete",
        operation_id = "erase_customer"
    )]
    async fn erase(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        customer_id: Path<Uuid>,
    ) -> Result<Json<ErasureReport>, Problem> {
        let done = privacy::erase(&state.frontdesk, &auth.actor, customer_id.0).await?;
        Ok(Json(ErasureReport {
            pending_appointments_removed: done.appointments_removed,
            notes_removed: done.notes_removed,
            vehicles_unlinked: done.vehicles_unlinked,
        }))
    }

    /// Export everything held about a customer
    ///
    /// Needs `customers.write`. One JSON document: details, consent, notes, vehicles with
    /// mileage, appointments with their history, messages. Audited.
    #[oai(
        path = "/customers/:customer_id/export",
        method = "get",
        operation_id = "export_customer"
    )]
    async fn export(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        customer_id: Path<Uuid>,
    ) -> Result<Json<serde_json::Value>, Problem> {
        Ok(Json(
            privacy::export(&state.frontdesk, &auth.actor, customer_id.0).await?,
        ))
    }

    /// Record consent given or withdrawn
    ///
    /// Needs `customers.write`. Each kind keeps when and how it was given; SMS consent also
    /// governs every SMS the workshop sends to the number.
    #[oai(
        path = "/customers/:customer_id/consent",
        method = "put",
        operation_id = "set_customer_consent"
    )]
    async fn consent(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        customer_id: Path<Uuid>,
        body: Json<ConsentWrite>,
    ) -> Result<Json<Customer>, Problem> {
        let row = customers::set_consent(
            &state.frontdesk,
            &auth.actor,
            customer_id.0,
            ConsentChange {
                email: body.0.email,
                sms: body.0.sms,
                marketing: body.0.marketing,
                source: body.0.source,
            },
        )
        .await?;
        Ok(Json(customer_api(row)))
    }

    /// Merge a duplicate into this customer
    ///
    /// Needs `customers.write`. The duplicate's vehicles, appointments, notes and conversation
    /// move here; details this customer lacks are taken over. Audited.
    #[oai(
        path = "/customers/:customer_id/merge",
        method = "post",
        operation_id = "merge_customers"
    )]
    async fn merge(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        customer_id: Path<Uuid>,
        body: Json<MergeRequest>,
    ) -> Result<Json<Customer>, Problem> {
        let row = customers::merge(
            &state.frontdesk,
            &auth.actor,
            customer_id.0,
            body.0.duplicate_id,
        )
        .await?;
        Ok(Json(customer_api(row)))
    }

    /// List a customer's notes
    ///
    /// Needs `customers.read`. Newest first.
    #[oai(
        path = "/customers/:customer_id/notes",
        method = "get",
        operation_id = "list_customer_notes"
    )]
    async fn notes(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        customer_id: Path<Uuid>,
    ) -> Result<Json<NoteList>, Problem> {
        let notes = customers::notes(&state.frontdesk, &auth.actor, customer_id.0).await?;
        Ok(Json(NoteList {
            items: notes.into_iter().map(note_api).collect(),
        }))
    }

    /// Add a note to a customer
    ///
    /// Needs `customers.write`.
    #[oai(
        path = "/customers/:customer_id/notes",
        method = "post",
        operation_id = "add_customer_note"
    )]
    async fn add_note(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        customer_id: Path<Uuid>,
        body: Json<NoteWrite>,
    ) -> Result<NoteCreated, Problem> {
        let note =
            customers::add_note(&state.frontdesk, &auth.actor, customer_id.0, &body.0.body).await?;
        Ok(NoteCreated::Created(Json(note_api(note))))
    }

    /// List vehicles
    ///
    /// Needs `customers.read`. In creation order; `customer_id` limits to one owner.
    #[oai(path = "/vehicles", method = "get", operation_id = "list_vehicles")]
    async fn vehicles(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        /// Only this customer's vehicles.
        customer_id: Query<Option<Uuid>>,
        cursor: Query<Option<Uuid>>,
        /// Page size, 1–200 (default 50).
        limit: Query<Option<u64>>,
    ) -> Result<Json<VehiclePage>, Problem> {
        let page = vehicles::list(
            &state.frontdesk,
            &auth.actor,
            VehicleQuery {
                customer_id: customer_id.0,
                cursor: cursor.0,
                limit: page_limit(limit.0),
            },
        )
        .await?;
        Ok(Json(VehiclePage {
            items: page.items.into_iter().map(vehicle_api).collect(),
            next_cursor: page.next,
        }))
    }

    /// Add a vehicle
    ///
    /// Needs `customers.write`.
    #[oai(path = "/vehicles", method = "post", operation_id = "create_vehicle")]
    async fn create_vehicle(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        body: Json<VehicleWrite>,
    ) -> Result<VehicleCreated, Problem> {
        let row = vehicles::create(&state.frontdesk, &auth.actor, vehicle_input(body.0)).await?;
        Ok(VehicleCreated::Created(Json(vehicle_api(row))))
    }

    /// Get a vehicle with its history
    ///
    /// Needs `customers.read`. Owners over time, mileage readings, appointments.
    #[oai(
        path = "/vehicles/:vehicle_id",
        method = "get",
        operation_id = "get_vehicle"
    )]
    async fn vehicle(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        vehicle_id: Path<Uuid>,
    ) -> Result<Json<VehicleHistory>, Problem> {
        let h = vehicles::history(&state.frontdesk, &auth.actor, vehicle_id.0).await?;
        Ok(Json(VehicleHistory {
            vehicle: vehicle_api(h.vehicle),
            owners: h.owners.into_iter().map(owner_api).collect(),
            mileage_readings: h.readings.into_iter().map(reading_api).collect(),
            appointments: h
                .appointments
                .into_iter()
                .map(super::scheduling::appointment_api)
                .collect(),
        }))
    }

    /// Change a vehicle
    ///
    /// Needs `customers.write`. Mileage and owner change through their own operations.
    #[oai(
        path = "/vehicles/:vehicle_id",
        method = "put",
        operation_id = "update_vehicle"
    )]
    async fn update_vehicle(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        vehicle_id: Path<Uuid>,
        body: Json<VehicleWrite>,
    ) -> Result<Json<Vehicle>, Problem> {
        let row = vehicles::update(
            &state.frontdesk,
            &auth.actor,
            vehicle_id.0,
            vehicle_input(body.0),
        )
        .await?;
        Ok(Json(vehicle_api(row)))
    }

    /// Record a mileage reading
    ///
    /// Needs `customers.write`. A reading below the last needs `correction_reason` (422 otherwise).
    #[oai(
        path = "/vehicles/:vehicle_id/mileage",
        method = "post",
        operation_id = "record_mileage"
    )]
    async fn mileage(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        vehicle_id: Path<Uuid>,
        body: Json<MileageWrite>,
    ) -> Result<Json<Vehicle>, Problem> {
        let row = vehicles::record_mileage(
            &state.frontdesk,
            &auth.actor,
            vehicle_id.0,
            body.0.mileage,
            body.0.correction_reason.as_deref(),
        )
        .await?;
        Ok(Json(vehicle_api(row)))
    }

    /// Change a vehicle's owner
    ///
    /// Needs `customers.write`. The previous ownership is closed and kept in the history.
    #[oai(
        path = "/vehicles/:vehicle_id/owner",
        method = "put",
        operation_id = "transfer_vehicle"
    )]
    async fn transfer(
        &self,
        Caller(auth): Caller,
        state: Data<&AppState>,
        vehicle_id: Path<Uuid>,
        body: Json<OwnerWrite>,
    ) -> Result<Json<Vehicle>, Problem> {
        let row = vehicles::transfer(
            &state.frontdesk,
            &auth.actor,
            vehicle_id.0,
            body.0.customer_id,
        )
        .await?;
        Ok(Json(vehicle_api(row)))
    }
}
