//! Vehicles as the API sends and takes them: VIN, mileage, owners and history.

use chrono::{DateTime, NaiveDate, Utc};
use pitlane_frontdesk::vehicles::{self, VehicleInput};
use pitlane_store::entity::{mileage_reading, vehicle, vehicle_owner};
use poem_openapi::{Object, types::Example};
use uuid::Uuid;

use crate::api::appointments::json::Appointment;

/// A vehicle the workshop knows.
#[derive(Object)]
pub struct Vehicle {
    pub id: Uuid,
    /// The current owner.
    #[oai(nullable)]
    pub customer_id: Option<Uuid>,
    #[oai(nullable)]
    pub vin: Option<String>,
    #[oai(nullable)]
    pub plate: Option<String>,
    #[oai(nullable)]
    pub plate_region: Option<String>,
    #[oai(nullable)]
    pub make: Option<String>,
    #[oai(nullable)]
    pub model: Option<String>,
    #[oai(nullable)]
    pub year: Option<i32>,
    #[oai(nullable)]
    pub engine: Option<String>,
    #[oai(nullable)]
    pub colour: Option<String>,
    /// `km` or `mi`.
    pub mileage_unit: String,
    #[oai(nullable)]
    pub mileage: Option<i64>,
    #[oai(nullable)]
    pub next_service_on: Option<NaiveDate>,
    #[oai(nullable)]
    pub next_service_mileage: Option<i64>,
    /// Set when the service is due (by date within 30 days, or by mileage).
    #[oai(nullable)]
    pub maintenance_due: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<vehicle::Model> for Vehicle {
    fn from(v: vehicle::Model) -> Self {
        Self {
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

impl From<VehicleWrite> for VehicleInput {
    fn from(w: VehicleWrite) -> Self {
        Self {
            customer_id: w.customer_id.map(Into::into),
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
    #[oai(nullable)]
    pub correction_reason: Option<String>,
    pub recorded_at: DateTime<Utc>,
}

impl From<mileage_reading::Model> for MileageReading {
    fn from(r: mileage_reading::Model) -> Self {
        Self {
            reading: r.reading,
            source: r.source,
            correction_reason: r.correction_reason,
            recorded_at: r.recorded_at,
        }
    }
}

#[derive(Object)]
pub struct Ownership {
    #[oai(nullable)]
    pub customer_id: Option<Uuid>,
    pub owner_name: String,
    pub from: DateTime<Utc>,
    #[oai(nullable)]
    pub until: Option<DateTime<Utc>>,
}

impl From<vehicle_owner::Model> for Ownership {
    fn from(o: vehicle_owner::Model) -> Self {
        Self {
            customer_id: o.customer_id,
            owner_name: o.owner_name,
            from: o.from_at,
            until: o.until_at,
        }
    }
}

/// A vehicle with its history: owners, mileage, visits.
#[derive(Object)]
pub struct VehicleHistory {
    pub vehicle: Vehicle,
    pub owners: Vec<Ownership>,
    pub mileage_readings: Vec<MileageReading>,
    pub appointments: Vec<Appointment>,
}

impl From<vehicles::VehicleHistory> for VehicleHistory {
    fn from(h: vehicles::VehicleHistory) -> Self {
        Self {
            vehicle: h.vehicle.into(),
            owners: h.owners.into_iter().map(Ownership::from).collect(),
            mileage_readings: h.readings.into_iter().map(MileageReading::from).collect(),
            appointments: h.appointments.into_iter().map(Appointment::from).collect(),
        }
    }
}
