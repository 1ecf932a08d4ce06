//! The service catalogue: what the workshop does, how long it takes, a price guide, the kind
//! of bay and mechanic skill it needs, and whether customers may book it online.

use chrono::Utc;
use pitlane_domain::{
    Actor, FieldErrors, ServiceError,
    money::parse_amount,
    permissions::Permission,
    text::{CurrencyCode, DisplayName, optional_text},
};
use pitlane_store::{
    Store, TenantCtx,
    entity::service,
    sea_orm::{ActiveValue::Set, ColumnTrait, IntoActiveModel, QueryFilter, QueryOrder},
};
use uuid::Uuid;

use crate::FrontDesk;

#[derive(Debug, Clone, Default)]
pub struct ServiceInput {
    pub name: String,
    pub description: Option<String>,
    pub duration_minutes: i32,
    /// Amounts as typed, in the workshop's currency (`89.00`).
    pub price_from: Option<String>,
    pub price_to: Option<String>,
    pub bay_kind: Option<String>,
    pub skill: Option<String>,
    pub bookable_online: bool,
    pub active: bool,
}

struct ParsedService {
    name: String,
    description: Option<String>,
    duration_minutes: i32,
    price_from: Option<i64>,
    price_to: Option<i64>,
    bay_kind: Option<String>,
    skill: Option<String>,
}

/// A kind of bay or a skill: one lowercase word or short phrase, matched exactly.
pub fn label(raw: Option<&str>) -> Result<Option<String>, &'static str> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) if s.chars().count() <= 40 => Ok(Some(s.to_lowercase())),
        Some(_) => Err("must be at most 40 characters"),
    }
}

fn parse(input: &ServiceInput, currency: &CurrencyCode) -> Result<ParsedService, FieldErrors> {
    let mut errors = FieldErrors::new();
    let name = errors.check("name", DisplayName::parse(&input.name, 120));
    let description = errors.check(
        "description",
        optional_text(input.description.as_deref(), 2000),
    );
    if !(5..=1440).contains(&input.duration_minutes) || input.duration_minutes % 5 != 0 {
        errors.add(
            "duration_minutes",
            "must be a multiple of 5 minutes, from 5 minutes to 24 hours",
        );
    }
    let amount = |field: &str, raw: Option<&str>, errors: &mut FieldErrors| match raw
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => Some(None),
        Some(raw) => errors.check(field, parse_amount(raw, currency)).map(Some),
    };
    let from = amount("price_from", input.price_from.as_deref(), &mut errors);
    let to = amount("price_to", input.price_to.as_deref(), &mut errors);
    if let (Some(Some(from)), Some(Some(to))) = (from, to)
        && to < from
    {
        errors.add("price_to", "must not be below the starting price");
    }
    let bay_kind = errors.check("bay_kind", label(input.bay_kind.as_deref()));
    let skill = errors.check("skill", label(input.skill.as_deref()));
    match (name, description, from, to, bay_kind, skill) {
        (Some(name), Some(description), Some(from), Some(to), Some(bay_kind), Some(skill))
            if errors.is_empty() =>
        {
            Ok(ParsedService {
                name: name.into_inner(),
                description,
                duration_minutes: input.duration_minutes,
                price_from: from,
                price_to: to,
                bay_kind,
                skill,
            })
        }
        _ => Err(errors),
    }
}

fn taken_name(err: pitlane_store::StoreError) -> ServiceError {
    if err.is_conflict_on("name") {
        ServiceError::Conflict(FieldErrors::single(
            "name",
            "another service already has this name",
        ))
    } else {
        err.into()
    }
}

pub async fn create(
    fd: &FrontDesk,
    actor: &Actor,
    input: ServiceInput,
) -> Result<service::Model, ServiceError> {
    actor.require(Permission::SettingsManage)?;
    let tx = fd.store.tx(&TenantCtx::of(actor)).await?;
    let p = parse(&input, &tx.currency().await?)?;
    let now = Utc::now();
    let row = tx
        .insert(service::ActiveModel {
            tenant_id: Set(tx.tenant_id().0),
            id: Set(Uuid::now_v7()),
            name: Set(p.name),
            description: Set(p.description),
            duration_minutes: Set(p.duration_minutes),
            price_from_minor: Set(p.price_from),
            price_to_minor: Set(p.price_to),
            bay_kind: Set(p.bay_kind),
            skill: Set(p.skill),
            bookable_online: Set(input.bookable_online),
            active: Set(input.active),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .await
        .map_err(taken_name)?;
    tx.commit().await?;
    Ok(row)
}

pub async fn update(
    fd: &FrontDesk,
    actor: &Actor,
    id: Uuid,
    input: ServiceInput,
) -> Result<service::Model, ServiceError> {
    actor.require(Permission::SettingsManage)?;
    let tx = fd.store.tx(&TenantCtx::of(actor)).await?;
    let p = parse(&input, &tx.currency().await?)?;
    let mut row = tx.get::<service::Entity>(id).await?.into_active_model();
    row.name = Set(p.name);
    row.description = Set(p.description);
    row.duration_minutes = Set(p.duration_minutes);
    row.price_from_minor = Set(p.price_from);
    row.price_to_minor = Set(p.price_to);
    row.bay_kind = Set(p.bay_kind);
    row.skill = Set(p.skill);
    row.bookable_online = Set(input.bookable_online);
    row.active = Set(input.active);
    row.updated_at = Set(Utc::now());
    let updated = tx.update(row).await.map_err(taken_name)?;
    tx.commit().await?;
    Ok(updated)
}

pub async fn get(fd: &FrontDesk, actor: &Actor, id: Uuid) -> Result<service::Model, ServiceError> {
    actor.require(Permission::TenantRead)?;
    let tx = fd.store.tx(&TenantCtx::of(actor)).await?;
    let row = tx.get::<service::Entity>(id).await?;
    tx.commit().await?;
    Ok(row)
}

/// The catalogue, by name; `online_only` for the booking page.
pub async fn list(
    store: &Store,
    tenant: &TenantCtx,
    online_only: bool,
) -> Result<Vec<service::Model>, ServiceError> {
    let tx = store.tx(tenant).await?;
    let mut query = tx
        .select::<service::Entity>()
        .order_by_asc(service::Column::Name)
        .order_by_asc(service::Column::Id);
    if online_only {
        query = query
            .filter(service::Column::Active.eq(true))
            .filter(service::Column::BookableOnline.eq(true));
    }
    let rows = tx.all(query).await?;
    tx.commit().await?;
    Ok(rows)
}

pub async fn list_for(fd: &FrontDesk, actor: &Actor) -> Result<Vec<service::Model>, ServiceError> {
    actor.require(Permission::TenantRead)?;
    list(&fd.store, &TenantCtx::of(actor), false).await
}
