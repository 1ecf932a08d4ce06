//! Branches: a tenant's locations, each with its address, time zone and business hours.

use std::collections::BTreeMap;

use chrono::Utc;
use pitlane_domain::{
    Actor, FieldErrors, ServiceError,
    branch::BusinessHours,
    ids::BranchId,
    permissions::Permission,
    text::{DisplayName, TimeZone, optional_text},
};
use pitlane_store::{
    Page, Store, TenantCtx, TenantTx,
    entity::branch,
    sea_orm::{ActiveValue::Set, IntoActiveModel, QuerySelect},
};
use uuid::Uuid;

/// A branch as typed into a form or sent to the API.
#[derive(Debug, Clone, Default)]
pub struct BranchInput {
    pub name: String,
    pub address_line1: Option<String>,
    pub address_line2: Option<String>,
    pub city: Option<String>,
    pub postal_code: Option<String>,
    pub region: Option<String>,
    pub country: Option<String>,
    pub phone: Option<String>,
    pub time_zone: String,
    /// `None` keeps the hours a branch has (or Monday–Friday 08:00–17:00 for a new one).
    pub business_hours: Option<BTreeMap<String, Vec<[String; 2]>>>,
}

struct ParsedBranch {
    name: String,
    address_line1: Option<String>,
    address_line2: Option<String>,
    city: Option<String>,
    postal_code: Option<String>,
    region: Option<String>,
    country: Option<String>,
    phone: Option<String>,
    time_zone: String,
    business_hours: Option<BusinessHours>,
}

fn country(raw: Option<&str>) -> Result<Option<String>, &'static str> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(code) if code.len() == 2 && code.bytes().all(|b| b.is_ascii_alphabetic()) => {
            Ok(Some(code.to_ascii_uppercase()))
        }
        Some(_) => Err("must be a two-letter country code such as DE or US"),
    }
}

/// A branch's number, read in the branch's country and kept in international form for display.
fn phone(raw: Option<&str>, country: Option<&str>) -> Result<Option<String>, String> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(p) => pitlane_domain::phone::PhoneE164::parse(p, country)
            .map(|n| Some(n.international()))
            .map_err(|e| e.to_string()),
    }
}

fn parse(input: &BranchInput) -> Result<ParsedBranch, ServiceError> {
    let mut errors = FieldErrors::new();
    let name = errors.check("name", DisplayName::parse(&input.name, 120));
    let line1 = errors.check(
        "address_line1",
        optional_text(input.address_line1.as_deref(), 200),
    );
    let line2 = errors.check(
        "address_line2",
        optional_text(input.address_line2.as_deref(), 200),
    );
    let city = errors.check("city", optional_text(input.city.as_deref(), 120));
    let postal = errors.check(
        "postal_code",
        optional_text(input.postal_code.as_deref(), 20),
    );
    let region = errors.check("region", optional_text(input.region.as_deref(), 120));
    let country = errors.check("country", country(input.country.as_deref()));
    let phone = errors.check(
        "phone",
        phone(
            input.phone.as_deref(),
            country.as_ref().and_then(|c| c.as_deref()),
        ),
    );
    let tz = errors.check("time_zone", TimeZone::parse(&input.time_zone));
    let hours = match &input.business_hours {
        Some(raw) => errors
            .check("business_hours", BusinessHours::parse(raw.clone()))
            .map(Some),
        None => Some(None),
    };
    match (
        name, line1, line2, city, postal, region, country, phone, tz, hours,
    ) {
        (
            Some(name),
            Some(l1),
            Some(l2),
            Some(city),
            Some(postal),
            Some(region),
            Some(country),
            Some(phone),
            Some(tz),
            Some(hours),
        ) => Ok(ParsedBranch {
            name: name.into_inner(),
            address_line1: l1,
            address_line2: l2,
            city,
            postal_code: postal,
            region,
            country,
            phone,
            time_zone: tz.name().to_owned(),
            business_hours: hours,
        }),
        _ => Err(ServiceError::Invalid(errors)),
    }
}

fn taken_name(err: pitlane_store::StoreError) -> ServiceError {
    if err.is_conflict_on("name") {
        ServiceError::Conflict(FieldErrors::single(
            "name",
            "another branch already has this name",
        ))
    } else {
        err.into()
    }
}

fn hours_json(hours: &BusinessHours) -> Result<serde_json::Value, ServiceError> {
    serde_json::to_value(hours).map_err(ServiceError::internal)
}

pub async fn list(
    store: &Store,
    actor: &Actor,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Page<branch::Model>, ServiceError> {
    actor.require(Permission::TenantRead)?;
    let tx = store.tx(&TenantCtx::of(actor)).await?;
    let page = tx.page(tx.select::<branch::Entity>(), after, limit).await?;
    tx.commit().await?;
    Ok(page)
}

/// The branches as the tenant's public page shows them: anyone may see where a workshop is.
pub async fn public_list(
    store: &Store,
    tenant: &TenantCtx,
) -> Result<Vec<branch::Model>, ServiceError> {
    let tx = store.tx(tenant).await?;
    let rows = tx.all(tx.select::<branch::Entity>()).await?;
    tx.commit().await?;
    Ok(rows)
}

pub async fn get(store: &Store, actor: &Actor, id: Uuid) -> Result<branch::Model, ServiceError> {
    actor.require(Permission::TenantRead)?;
    let tx = store.tx(&TenantCtx::of(actor)).await?;
    let row = tx.get::<branch::Entity>(id).await?;
    tx.commit().await?;
    Ok(row)
}

pub async fn create(
    store: &Store,
    actor: &Actor,
    input: BranchInput,
) -> Result<branch::Model, ServiceError> {
    actor.require(Permission::SettingsManage)?;
    let parsed = parse(&input)?;
    let tx = store.tx(&TenantCtx::of(actor)).await?;
    let row = insert(&tx, parsed).await?;
    pitlane_store::audit::record(
        &tx,
        pitlane_store::audit::By::Member(actor),
        pitlane_store::audit::Event::new("branch.created").subject(row.name.clone()),
    )
    .await?;
    tx.commit().await?;
    Ok(row)
}

/// Inserts a branch in an open transaction (used by tenant creation too).
pub async fn insert_in(tx: &TenantTx, input: &BranchInput) -> Result<branch::Model, ServiceError> {
    insert(tx, parse(input)?).await
}

async fn insert(tx: &TenantTx, p: ParsedBranch) -> Result<branch::Model, ServiceError> {
    let now = Utc::now();
    let hours = p
        .business_hours
        .unwrap_or_else(BusinessHours::weekdays_8_to_5);
    tx.insert(branch::ActiveModel {
        tenant_id: Set(tx.tenant_id().0),
        id: Set(BranchId::new().0),
        name: Set(p.name),
        address_line1: Set(p.address_line1),
        address_line2: Set(p.address_line2),
        city: Set(p.city),
        postal_code: Set(p.postal_code),
        region: Set(p.region),
        country: Set(p.country),
        phone: Set(p.phone),
        time_zone: Set(p.time_zone),
        business_hours: Set(hours_json(&hours)?),
        created_at: Set(now),
        updated_at: Set(now),
        // Labour rate and tax keep their schema defaults until the workshop settings change them.
        ..Default::default()
    })
    .await
    .map_err(taken_name)
}

/// Changes a branch in a transaction the caller commits; says whether its time zone changed
/// (the reports' local days move with it, so their figures are rebuilt in the same
/// transaction: `pitlane_reports::figures::update_branch`).
pub async fn update_in(
    tx: &TenantTx,
    actor: &Actor,
    id: Uuid,
    input: BranchInput,
) -> Result<(branch::Model, bool), ServiceError> {
    actor.require(Permission::SettingsManage)?;
    let p = parse(&input)?;
    let before = tx.get::<branch::Entity>(id).await?;
    let zone_changed = before.time_zone != p.time_zone;
    let mut row = before.into_active_model();
    row.name = Set(p.name);
    row.address_line1 = Set(p.address_line1);
    row.address_line2 = Set(p.address_line2);
    row.city = Set(p.city);
    row.postal_code = Set(p.postal_code);
    row.region = Set(p.region);
    row.country = Set(p.country);
    row.phone = Set(p.phone);
    row.time_zone = Set(p.time_zone);
    if let Some(hours) = p.business_hours {
        row.business_hours = Set(hours_json(&hours)?);
    }
    row.updated_at = Set(Utc::now());
    let updated = tx.update(row).await.map_err(taken_name)?;
    pitlane_store::audit::record(
        tx,
        pitlane_store::audit::By::Member(actor),
        pitlane_store::audit::Event::new("branch.updated").subject(updated.name.clone()),
    )
    .await?;
    Ok((updated, zone_changed))
}

/// The stored hours of a branch, for display.
pub fn hours_of(row: &branch::Model) -> BusinessHours {
    serde::Deserialize::deserialize(&row.business_hours).unwrap_or_default()
}

/// The first `limit` branches as lists show them (name, city, time zone, phone).
pub async fn overview(
    store: &Store,
    actor: &Actor,
    limit: u64,
) -> Result<Vec<branch::Overview>, ServiceError> {
    actor.require(Permission::TenantRead)?;
    let tx = store.read_tx(&TenantCtx::of(actor)).await?;
    let query = branch::Overview::select(tx.select::<branch::Entity>()).limit(limit);
    let rows = tx.all_as(query).await?;
    tx.commit().await?;
    Ok(rows)
}
