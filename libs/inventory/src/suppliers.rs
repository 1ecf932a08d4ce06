//! Suppliers: who parts are bought from.

use chrono::Utc;
use pitlane_domain::{
    Actor, FieldErrors, ServiceError,
    permissions::Permission,
    text::{DisplayName, Email},
};
use pitlane_store::{
    TenantCtx,
    entity::supplier,
    sea_orm::{ActiveValue::Set, IntoActiveModel, QueryOrder},
};
use uuid::Uuid;

use crate::{Inventory, optional};

#[derive(Debug, Clone, Default)]
pub struct SupplierInput {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub account_number: Option<String>,
    pub notes: Option<String>,
}

struct Parsed {
    name: String,
    email: Option<String>,
    phone: Option<String>,
    account_number: Option<String>,
    notes: Option<String>,
}

fn parse(input: &SupplierInput) -> Result<Parsed, FieldErrors> {
    let mut errors = FieldErrors::new();
    let name = errors.check("name", DisplayName::parse(&input.name, 120));
    let email = match input
        .email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        None => None,
        Some(raw) => errors
            .check("email", Email::parse(raw))
            .map(|e| e.as_str().to_owned()),
    };
    let phone = optional(&mut errors, "phone", input.phone.as_deref(), 40);
    let account_number = optional(
        &mut errors,
        "account_number",
        input.account_number.as_deref(),
        80,
    );
    let notes = optional(&mut errors, "notes", input.notes.as_deref(), 2000);
    errors.into_result()?;
    Ok(Parsed {
        name: name.map(|n| n.into_inner()).unwrap_or_default(),
        email,
        phone,
        account_number,
        notes,
    })
}

fn taken(err: pitlane_store::StoreError) -> ServiceError {
    if err.is_conflict_on("name") {
        ServiceError::Conflict(FieldErrors::single(
            "name",
            "a supplier with this name exists",
        ))
    } else {
        err.into()
    }
}

pub async fn list(inv: &Inventory, actor: &Actor) -> Result<Vec<supplier::Model>, ServiceError> {
    actor.require(Permission::InventoryRead)?;
    let tx = inv.store.tx(&TenantCtx::of(actor)).await?;
    let rows = tx
        .all(
            tx.select::<supplier::Entity>()
                .order_by_asc(supplier::Column::Name)
                .order_by_asc(supplier::Column::Id),
        )
        .await?;
    tx.commit().await?;
    Ok(rows)
}

pub async fn get(
    inv: &Inventory,
    actor: &Actor,
    id: Uuid,
) -> Result<supplier::Model, ServiceError> {
    actor.require(Permission::InventoryRead)?;
    let tx = inv.store.tx(&TenantCtx::of(actor)).await?;
    let row = tx.get::<supplier::Entity>(id).await?;
    tx.commit().await?;
    Ok(row)
}

pub async fn create(
    inv: &Inventory,
    actor: &Actor,
    input: &SupplierInput,
) -> Result<supplier::Model, ServiceError> {
    actor.require(Permission::InventoryAdjust)?;
    let p = parse(input)?;
    let tx = inv.store.tx(&TenantCtx::of(actor)).await?;
    let now = Utc::now();
    let row = tx
        .insert(supplier::ActiveModel {
            tenant_id: Set(tx.tenant_id().0),
            id: Set(Uuid::now_v7()),
            name: Set(p.name),
            email: Set(p.email),
            phone: Set(p.phone),
            account_number: Set(p.account_number),
            notes: Set(p.notes),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .await
        .map_err(taken)?;
    tx.commit().await?;
    Ok(row)
}

pub async fn update(
    inv: &Inventory,
    actor: &Actor,
    id: Uuid,
    input: &SupplierInput,
) -> Result<supplier::Model, ServiceError> {
    actor.require(Permission::InventoryAdjust)?;
    let p = parse(input)?;
    let tx = inv.store.tx(&TenantCtx::of(actor)).await?;
    let mut row = tx.get::<supplier::Entity>(id).await?.into_active_model();
    row.name = Set(p.name);
    row.email = Set(p.email);
    row.phone = Set(p.phone);
    row.account_number = Set(p.account_number);
    row.notes = Set(p.notes);
    row.updated_at = Set(Utc::now());
    let row = tx.update(row).await.map_err(taken)?;
    tx.commit().await?;
    Ok(row)
}
