//! Vehicles: VIN checked and decoded offline, plate and region, mileage over time (a lower
//! reading needs an explicit correction), owners over time, service history, maintenance due.

use chrono::{Datelike, NaiveDate, Utc};
use pitlane_domain::{
    Actor, FieldErrors, ServiceError,
    appointment::check_mileage,
    ids::{CustomerId, VehicleId},
    permissions::Permission,
    text::optional_text,
    vin::Vin,
};
use pitlane_store::{
    TenantCtx, TenantTx,
    entity::{appointment, customer, mileage_reading, vehicle, vehicle_owner},
    sea_orm::{
        ActiveValue::Set, ColumnTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
    },
};
use uuid::Uuid;

use crate::{FrontDesk, customers};

#[derive(Debug, Clone, Default)]
pub struct VehicleInput {
    pub customer_id: Option<CustomerId>,
    pub vin: Option<String>,
    pub plate: Option<String>,
    pub plate_region: Option<String>,
    pub make: Option<String>,
    pub model: Option<String>,
    pub year: Option<i32>,
    pub engine: Option<String>,
    pub colour: Option<String>,
    /// `km` (default) or `mi`.
    pub mileage_unit: Option<String>,
    /// The odometer now, if read.
    pub mileage: Option<i64>,
    pub next_service_on: Option<NaiveDate>,
    pub next_service_mileage: Option<i64>,
}

pub(crate) struct ParsedVehicle {
    pub vin: Option<String>,
    pub plate: Option<String>,
    pub plate_region: Option<String>,
    pub make: Option<String>,
    pub model: Option<String>,
    pub year: Option<i32>,
    pub engine: Option<String>,
    pub colour: Option<String>,
    pub mileage_unit: String,
    pub next_service_on: Option<NaiveDate>,
    pub next_service_mileage: Option<i64>,
}

/// Plates as stored: uppercase, single spaces.
fn plate(raw: Option<&str>) -> Result<Option<String>, &'static str> {
    let Some(raw) = raw.map(str::trim).filter(|p| !p.is_empty()) else {
        return Ok(None);
    };
    let plate = raw
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_uppercase();
    if plate.chars().count() > 16
        || !plate
            .chars()
            .all(|c| c.is_alphanumeric() || c == ' ' || c == '-' || c == '·')
    {
        return Err("must be a number plate of up to 16 letters, digits, spaces or hyphens");
    }
    Ok(Some(plate))
}

/// Checks a vehicle as typed, for a form that saves it later (the guest's request).
pub fn check(input: &VehicleInput) -> Result<(), FieldErrors> {
    parse(input).map(|_| ())
}

pub(crate) fn parse(input: &VehicleInput) -> Result<ParsedVehicle, FieldErrors> {
    let mut errors = FieldErrors::new();
    let this_year = Utc::now().year();
    let vin = match input
        .vin
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
    {
        None => Some(None),
        Some(raw) => errors.check("vin", Vin::parse(raw)).map(Some),
    };
    let decoded = vin
        .as_ref()
        .and_then(|v| v.as_ref())
        .map(|v| v.decode(this_year));
    let plate = errors.check("plate", plate(input.plate.as_deref()));
    let plate_region = errors.check(
        "plate_region",
        optional_text(input.plate_region.as_deref(), 40),
    );
    let make = errors.check("make", optional_text(input.make.as_deref(), 60));
    let model = errors.check("model", optional_text(input.model.as_deref(), 80));
    let engine = errors.check("engine", optional_text(input.engine.as_deref(), 80));
    let colour = errors.check("colour", optional_text(input.colour.as_deref(), 40));
    if let Some(year) = input.year
        && !(1886..=this_year + 1).contains(&year)
    {
        errors.add(
            "year",
            format!("must be between 1886 and {}", this_year + 1),
        );
    }
    let unit = match input.mileage_unit.as_deref().map(str::trim).unwrap_or("") {
        "" | "km" => "km",
        "mi" => "mi",
        _ => {
            errors.add("mileage_unit", "must be km or mi");
            "km"
        }
    };
    if let Some(m) = input.next_service_mileage
        && !(0..=5_000_000).contains(&m)
    {
        errors.add("next_service_mileage", "must be between 0 and 5,000,000");
    }
    if plate.as_ref().is_some_and(Option::is_none) && vin.as_ref().is_some_and(Option::is_none) {
        errors.add("plate", "give the number plate or the VIN");
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let (
        Some(vin),
        Some(plate),
        Some(plate_region),
        Some(make),
        Some(model),
        Some(engine),
        Some(colour),
    ) = (vin, plate, plate_region, make, model, engine, colour)
    else {
        return Err(errors);
    };
    // What the VIN says fills what was left blank; what was typed wins.
    let make = make.or_else(|| {
        decoded
            .as_ref()
            .and_then(|d| d.manufacturer)
            .map(str::to_owned)
    });
    let year = input
        .year
        .or_else(|| decoded.as_ref().and_then(|d| d.model_year));
    Ok(ParsedVehicle {
        vin: vin.map(|v| v.as_str().to_owned()),
        plate,
        plate_region,
        make,
        model,
        year,
        engine,
        colour,
        mileage_unit: unit.to_owned(),
        next_service_on: input.next_service_on,
        next_service_mileage: input.next_service_mileage,
    })
}

fn taken_vin(err: pitlane_store::StoreError) -> ServiceError {
    if err.is_conflict_on("vin") {
        ServiceError::Conflict(FieldErrors::single(
            "vin",
            "another vehicle of this workshop has this VIN; open that one instead",
        ))
    } else {
        err.into()
    }
}

/// Adds a vehicle in an open transaction (the booking page uses it for a guest's car too).
pub(crate) async fn insert(
    tx: &TenantTx,
    owner: Option<&customer::Model>,
    p: ParsedVehicle,
    mileage: Option<i64>,
    source: &str,
) -> Result<vehicle::Model, ServiceError> {
    let now = Utc::now();
    if let Some(m) = mileage {
        check_mileage(None, m, None).map_err(|e| FieldErrors::single("mileage", e))?;
    }
    let row = tx
        .insert(vehicle::ActiveModel {
            tenant_id: Set(tx.tenant_id().0),
            id: Set(Uuid::now_v7()),
            customer_id: Set(owner.map(|c| c.id)),
            vin: Set(p.vin),
            plate: Set(p.plate),
            plate_region: Set(p.plate_region),
            make: Set(p.make),
            model: Set(p.model),
            year: Set(p.year),
            engine: Set(p.engine),
            colour: Set(p.colour),
            mileage_unit: Set(p.mileage_unit),
            last_mileage: Set(mileage),
            next_service_on: Set(p.next_service_on),
            next_service_mileage: Set(p.next_service_mileage),
            maintenance_notified_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .await
        .map_err(taken_vin)?;
    if let Some(owner) = owner {
        start_ownership(tx, row.id, owner).await?;
        customers::refresh_search(tx, CustomerId(owner.id)).await?;
    }
    if let Some(m) = mileage {
        reading(tx, row.id, m, source, None).await?;
    }
    Ok(row)
}

async fn start_ownership(
    tx: &TenantTx,
    vehicle_id: Uuid,
    owner: &customer::Model,
) -> Result<(), ServiceError> {
    tx.insert(vehicle_owner::ActiveModel {
        tenant_id: Set(tx.tenant_id().0),
        id: Set(Uuid::now_v7()),
        vehicle_id: Set(vehicle_id),
        customer_id: Set(Some(owner.id)),
        owner_name: Set(owner.name.clone()),
        from_at: Set(Utc::now()),
        until_at: Set(None),
    })
    .await?;
    Ok(())
}

async fn reading(
    tx: &TenantTx,
    vehicle_id: Uuid,
    value: i64,
    source: &str,
    correction: Option<String>,
) -> Result<(), ServiceError> {
    tx.insert(mileage_reading::ActiveModel {
        tenant_id: Set(tx.tenant_id().0),
        id: Set(Uuid::now_v7()),
        vehicle_id: Set(vehicle_id),
        reading: Set(value),
        source: Set(source.to_owned()),
        correction_reason: Set(correction),
        recorded_at: Set(Utc::now()),
    })
    .await?;
    Ok(())
}

pub async fn create(
    fd: &FrontDesk,
    actor: &Actor,
    input: VehicleInput,
) -> Result<vehicle::Model, ServiceError> {
    actor.require(Permission::CustomersWrite)?;
    let parsed = parse(&input)?;
    let tx = fd.store.tx(&TenantCtx::of(actor)).await?;
    let owner = match input.customer_id {
        Some(id) => Some(customers::known_customer(&tx, id, "customer_id").await?),
        None => None,
    };
    let row = insert(&tx, owner.as_ref(), parsed, input.mileage, "front desk").await?;
    tx.commit().await?;
    Ok(row)
}

pub async fn get(
    fd: &FrontDesk,
    actor: &Actor,
    id: VehicleId,
) -> Result<vehicle::Model, ServiceError> {
    actor.require(Permission::CustomersRead)?;
    let tx = fd.store.tx(&TenantCtx::of(actor)).await?;
    let row = tx.get::<vehicle::Entity>(id.0).await?;
    tx.commit().await?;
    Ok(row)
}

/// Changes a vehicle's details. The owner changes through [`transfer`], mileage through
/// [`record_mileage`]: both keep their history.
pub async fn update(
    fd: &FrontDesk,
    actor: &Actor,
    id: VehicleId,
    input: VehicleInput,
) -> Result<vehicle::Model, ServiceError> {
    actor.require(Permission::CustomersWrite)?;
    let p = parse(&input)?;
    let tx = fd.store.tx(&TenantCtx::of(actor)).await?;
    let row = tx.get::<vehicle::Entity>(id.0).await?;
    let owner = row.customer_id;
    let mut active = row.into_active_model();
    active.vin = Set(p.vin);
    active.plate = Set(p.plate);
    active.plate_region = Set(p.plate_region);
    active.make = Set(p.make);
    active.model = Set(p.model);
    active.year = Set(p.year);
    active.engine = Set(p.engine);
    active.colour = Set(p.colour);
    active.mileage_unit = Set(p.mileage_unit);
    active.next_service_on = Set(p.next_service_on);
    active.next_service_mileage = Set(p.next_service_mileage);
    active.maintenance_notified_at = Set(None);
    active.updated_at = Set(Utc::now());
    let updated = tx.update(active).await.map_err(taken_vin)?;
    if let Some(owner) = owner {
        customers::refresh_search(&tx, CustomerId(owner)).await?;
    }
    tx.commit().await?;
    Ok(updated)
}

#[derive(Debug, Clone, Default)]
pub struct VehicleQuery {
    pub customer_id: Option<CustomerId>,
    pub cursor: Option<Uuid>,
    pub limit: u64,
}

pub async fn list(
    fd: &FrontDesk,
    actor: &Actor,
    query: VehicleQuery,
) -> Result<pitlane_store::Page<vehicle::Model>, ServiceError> {
    actor.require(Permission::CustomersRead)?;
    let tx = fd.store.tx(&TenantCtx::of(actor)).await?;
    let mut select = tx.select::<vehicle::Entity>();
    if let Some(customer) = query.customer_id {
        select = select.filter(vehicle::Column::CustomerId.eq(customer.0));
    }
    let page = tx
        .page(select, query.cursor, query.limit.clamp(1, 200))
        .await?;
    tx.commit().await?;
    Ok(page)
}

/// Records an odometer reading; lower than the last one only as a correction with a reason.
pub async fn record_mileage(
    fd: &FrontDesk,
    actor: &Actor,
    id: VehicleId,
    value: i64,
    correction_reason: Option<&str>,
) -> Result<vehicle::Model, ServiceError> {
    actor.require(Permission::CustomersWrite)?;
    let tx = fd.store.tx(&TenantCtx::of(actor)).await?;
    let row = tx.get::<vehicle::Entity>(id.0).await?;
    let updated = set_mileage(&tx, row, value, correction_reason, "front desk").await?;
    tx.commit().await?;
    Ok(updated)
}

/// Checks and stores a reading in an open transaction (check-in records one too).
pub async fn set_mileage(
    tx: &TenantTx,
    row: vehicle::Model,
    value: i64,
    correction_reason: Option<&str>,
    source: &str,
) -> Result<vehicle::Model, ServiceError> {
    check_mileage(row.last_mileage, value, correction_reason)
        .map_err(|e| FieldErrors::single("mileage", e))?;
    let correction = correction_reason
        .map(str::trim)
        .filter(|r| !r.is_empty() && row.last_mileage.is_some_and(|last| value < last))
        .map(str::to_owned);
    if correction.as_ref().is_some_and(|r| r.chars().count() > 300) {
        return Err(
            FieldErrors::single("correction_reason", "must be at most 300 characters").into(),
        );
    }
    reading(tx, row.id, value, source, correction).await?;
    let mut active = row.into_active_model();
    active.last_mileage = Set(Some(value));
    active.updated_at = Set(Utc::now());
    Ok(tx.update(active).await?)
}

/// Hands a vehicle to another customer (or to nobody); the previous ownership is closed, not lost.
pub async fn transfer(
    fd: &FrontDesk,
    actor: &Actor,
    id: VehicleId,
    new_owner: Option<CustomerId>,
) -> Result<vehicle::Model, ServiceError> {
    actor.require(Permission::CustomersWrite)?;
    let tx = fd.store.tx(&TenantCtx::of(actor)).await?;
    let row = tx.get::<vehicle::Entity>(id.0).await?;
    if row.customer_id == new_owner.map(Uuid::from) {
        tx.commit().await?;
        return Ok(row);
    }
    let owner = match new_owner {
        Some(c) => Some(customers::known_customer(&tx, c, "customer_id").await?),
        None => None,
    };
    let now = Utc::now();
    if let Some(open) = tx
        .first(
            tx.select::<vehicle_owner::Entity>()
                .filter(vehicle_owner::Column::VehicleId.eq(id.0))
                .filter(vehicle_owner::Column::UntilAt.is_null()),
        )
        .await?
    {
        let mut active = open.into_active_model();
        active.until_at = Set(Some(now));
        tx.update(active).await?;
    }
    if let Some(owner) = &owner {
        start_ownership(&tx, id.0, owner).await?;
    }
    let previous = row.customer_id;
    let mut active = row.into_active_model();
    active.customer_id = Set(new_owner.map(Uuid::from));
    active.updated_at = Set(now);
    let updated = tx.update(active).await?;
    for customer in previous.map(CustomerId).into_iter().chain(new_owner) {
        customers::refresh_search(&tx, customer).await?;
    }
    tx.commit().await?;
    Ok(updated)
}

/// Everything the vehicle's page shows.
pub struct VehicleHistory {
    pub vehicle: vehicle::Model,
    pub owners: Vec<vehicle_owner::Model>,
    pub readings: Vec<mileage_reading::Model>,
    pub appointments: Vec<appointment::Model>,
}

pub async fn history(
    fd: &FrontDesk,
    actor: &Actor,
    id: VehicleId,
) -> Result<VehicleHistory, ServiceError> {
    actor.require(Permission::CustomersRead)?;
    let tx = fd.store.tx(&TenantCtx::of(actor)).await?;
    let vehicle = tx.get::<vehicle::Entity>(id.0).await?;
    let owners = tx
        .all(
            tx.select::<vehicle_owner::Entity>()
                .filter(vehicle_owner::Column::VehicleId.eq(id.0))
                .order_by_asc(vehicle_owner::Column::FromAt),
        )
        .await?;
    let readings = tx
        .all(
            tx.select::<mileage_reading::Entity>()
                .filter(mileage_reading::Column::VehicleId.eq(id.0))
                .order_by_desc(mileage_reading::Column::RecordedAt)
                .limit(100),
        )
        .await?;
    let appointments = tx
        .all(
            tx.select::<appointment::Entity>()
                .filter(appointment::Column::VehicleId.eq(id.0))
                .order_by_desc(appointment::Column::StartsAt)
                .limit(200),
        )
        .await?;
    tx.commit().await?;
    Ok(VehicleHistory {
        vehicle,
        owners,
        readings,
        appointments,
    })
}

/// Whether a vehicle's service is due: by date (within `days_ahead`) or by mileage.
pub fn maintenance_due(v: &vehicle::Model, today: NaiveDate, days_ahead: i64) -> Option<String> {
    let by_date = v
        .next_service_on
        .filter(|d| *d <= today + chrono::Duration::days(days_ahead));
    let by_mileage = match (v.next_service_mileage, v.last_mileage) {
        (Some(due), Some(now)) if now >= due => Some(due),
        _ => None,
    };
    match (by_date, by_mileage) {
        (None, None) => None,
        (Some(d), None) => Some(format!("by {}", d.format("%-d %B %Y"))),
        (None, Some(m)) => Some(format!("at {m} {}", v.mileage_unit)),
        (Some(d), Some(m)) => Some(format!(
            "by {} or at {m} {}",
            d.format("%-d %B %Y"),
            v.mileage_unit
        )),
    }
}

/// "2019 Volkswagen Golf (HH AB 123)": how messages name a vehicle.
pub fn describe(v: &vehicle::Model) -> String {
    let mut words: Vec<String> = Vec::new();
    if let Some(y) = v.year {
        words.push(y.to_string());
    }
    words.extend(v.make.clone());
    words.extend(v.model.clone());
    let mut out = if words.is_empty() {
        "vehicle".to_owned()
    } else {
        words.join(" ")
    };
    if let Some(plate) = v.plate.as_ref().or(v.vin.as_ref()) {
        out.push_str(&format!(" ({plate})"));
    }
    out
}
