//! The parts catalogue: SKU, name, brand, fitment notes, cost, price (its own, or the tenant's
//! markup or price matrix applied to the cost), tax class and barcode.

use chrono::Utc;
use pitlane_domain::{
    Actor, FieldErrors, ServiceError,
    ids::PartId,
    money::parse_amount,
    permissions::Permission,
    pricing::PriceMatrix,
    quantity::from_bp,
    text::{CurrencyCode, DisplayName},
};
use pitlane_store::{
    Page, TenantCtx, TenantTx,
    entity::{part, supplier, tenant},
    like_escape,
    sea_orm::{
        ActiveValue::Set,
        ColumnTrait, IntoActiveModel, QueryFilter,
        sea_query::{Expr, ExprTrait, LikeExpr},
    },
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Inventory, optional};

#[derive(Debug, Clone, Default)]
pub struct PartInput {
    pub sku: String,
    pub name: String,
    pub brand: Option<String>,
    pub fitment_notes: Option<String>,
    /// Amounts as typed, in the workshop's currency.
    pub cost: String,
    /// Empty: priced by the workshop's markup.
    pub price: Option<String>,
    pub tax_class: Option<String>,
    pub barcode: Option<String>,
    pub supplier_id: Option<Uuid>,
    pub active: bool,
}

struct Parsed {
    sku: String,
    name: String,
    brand: Option<String>,
    fitment_notes: Option<String>,
    cost: i64,
    price: Option<i64>,
    tax_class: String,
    barcode: Option<String>,
}

pub const TAX_CLASSES: [&str; 2] = ["standard", "exempt"];

fn parse(input: &PartInput, currency: &CurrencyCode) -> Result<Parsed, FieldErrors> {
    let mut errors = FieldErrors::new();
    let sku = input.sku.trim();
    if sku.is_empty() || sku.chars().count() > 60 || sku.chars().any(char::is_control) {
        errors.add("sku", "enter the part number, at most 60 characters");
    }
    let name = errors.check("name", DisplayName::parse(&input.name, 200));
    let brand = optional(&mut errors, "brand", input.brand.as_deref(), 80);
    let fitment_notes = optional(
        &mut errors,
        "fitment_notes",
        input.fitment_notes.as_deref(),
        2000,
    );
    let cost = errors.check("cost", parse_amount(&input.cost, currency));
    let price = match input
        .price
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        None => Some(None),
        Some(raw) => errors.check("price", parse_amount(raw, currency)).map(Some),
    };
    let tax_class = input
        .tax_class
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .unwrap_or("standard");
    if !TAX_CLASSES.contains(&tax_class) {
        errors.add("tax_class", "must be standard or exempt");
    }
    let barcode = optional(&mut errors, "barcode", input.barcode.as_deref(), 64);
    if barcode
        .as_deref()
        .is_some_and(|b| !b.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
    {
        errors.add("barcode", "may contain only letters, digits and dashes");
    }
    errors.into_result()?;
    Ok(Parsed {
        sku: sku.to_uppercase(),
        name: name.map(|n| n.into_inner()).unwrap_or_default(),
        brand,
        fitment_notes,
        cost: cost.unwrap_or_default(),
        price: price.flatten(),
        tax_class: tax_class.to_owned(),
        barcode,
    })
}

fn search_text(p: &Parsed) -> String {
    [
        Some(p.sku.as_str()),
        Some(p.name.as_str()),
        p.brand.as_deref(),
        p.barcode.as_deref(),
    ]
    .into_iter()
    .flatten()
    .map(str::to_lowercase)
    .collect::<Vec<_>>()
    .join(" ")
}

/// One tier of a tenant's price matrix, as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MatrixTier {
    pub up_to_minor: Option<i64>,
    pub markup_bp: i32,
}

/// How the workshop prices a part without a price of its own: its matrix when it has one,
/// else its flat markup.
pub fn price_matrix(workshop: &tenant::Model) -> PriceMatrix {
    let tiers: Option<Vec<MatrixTier>> = workshop
        .price_matrix
        .clone()
        .and_then(|json| serde_json::from_value(json).ok())
        .filter(|tiers: &Vec<MatrixTier>| !tiers.is_empty());
    match tiers {
        Some(tiers) => PriceMatrix {
            tiers: tiers
                .into_iter()
                .map(|t| (t.up_to_minor, from_bp(t.markup_bp)))
                .collect(),
        },
        None => PriceMatrix::flat(from_bp(workshop.parts_markup_bp)),
    }
}

/// What the part sells for at this workshop.
pub fn selling_price(workshop: &tenant::Model, row: &part::Model) -> i64 {
    row.price_minor
        .unwrap_or_else(|| price_matrix(workshop).price_for(row.cost_minor))
}

async fn known_supplier(tx: &TenantTx, id: Option<Uuid>) -> Result<Option<Uuid>, ServiceError> {
    let Some(id) = id else { return Ok(None) };
    match tx.get::<supplier::Entity>(id).await {
        Ok(s) => Ok(Some(s.id)),
        Err(pitlane_store::StoreError::NotFound) => {
            Err(FieldErrors::single("supplier_id", "no such supplier").into())
        }
        Err(e) => Err(e.into()),
    }
}

fn taken(err: pitlane_store::StoreError) -> ServiceError {
    if err.is_conflict_on("sku") {
        ServiceError::Conflict(FieldErrors::single("sku", "a part with this number exists"))
    } else {
        err.into()
    }
}

/// A page of the catalogue, optionally matching a fragment of SKU, name, brand or barcode.
pub async fn list(
    inv: &Inventory,
    actor: &Actor,
    search: Option<&str>,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Page<part::Model>, ServiceError> {
    actor.require(Permission::InventoryRead)?;
    let tx = inv.store.tx(&TenantCtx::of(actor)).await?;
    let mut query = tx.select::<part::Entity>();
    if let Some(fragment) = search.map(str::trim).filter(|s| !s.is_empty()) {
        let pattern = format!("%{}%", like_escape(&fragment.to_lowercase()));
        query =
            query.filter(Expr::col(part::Column::Search).like(LikeExpr::new(pattern).escape('\\')));
    }
    let page = tx.page(query, after, limit).await?;
    tx.commit().await?;
    Ok(page)
}

pub async fn get(inv: &Inventory, actor: &Actor, id: PartId) -> Result<part::Model, ServiceError> {
    actor.require(Permission::InventoryRead)?;
    let tx = inv.store.tx(&TenantCtx::of(actor)).await?;
    let row = tx.get::<part::Entity>(id.0).await?;
    tx.commit().await?;
    Ok(row)
}

/// The part with this barcode, for a scanner at the counter.
pub async fn by_barcode(
    inv: &Inventory,
    actor: &Actor,
    barcode: &str,
) -> Result<part::Model, ServiceError> {
    actor.require(Permission::InventoryRead)?;
    let tx = inv.store.tx(&TenantCtx::of(actor)).await?;
    let row = tx
        .first(
            tx.select::<part::Entity>()
                .filter(part::Column::Barcode.eq(barcode.trim())),
        )
        .await?
        .ok_or(ServiceError::NotFound)?;
    tx.commit().await?;
    Ok(row)
}

pub async fn create(
    inv: &Inventory,
    actor: &Actor,
    input: &PartInput,
) -> Result<part::Model, ServiceError> {
    actor.require(Permission::InventoryAdjust)?;
    let tx = inv.store.tx(&TenantCtx::of(actor)).await?;
    let p = parse(input, &tx.currency().await?)?;
    let supplier_id = known_supplier(&tx, input.supplier_id).await?;
    let now = Utc::now();
    let row = tx
        .insert(part::ActiveModel {
            tenant_id: Set(tx.tenant_id().0),
            id: Set(Uuid::now_v7()),
            search: Set(search_text(&p)),
            sku: Set(p.sku),
            name: Set(p.name),
            brand: Set(p.brand),
            fitment_notes: Set(p.fitment_notes),
            cost_minor: Set(p.cost),
            price_minor: Set(p.price),
            tax_class: Set(p.tax_class),
            barcode: Set(p.barcode),
            supplier_id: Set(supplier_id),
            active: Set(true),
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
    id: PartId,
    input: &PartInput,
) -> Result<part::Model, ServiceError> {
    actor.require(Permission::InventoryAdjust)?;
    let tx = inv.store.tx(&TenantCtx::of(actor)).await?;
    let p = parse(input, &tx.currency().await?)?;
    let supplier_id = known_supplier(&tx, input.supplier_id).await?;
    let mut row = tx.get::<part::Entity>(id.0).await?.into_active_model();
    row.search = Set(search_text(&p));
    row.sku = Set(p.sku);
    row.name = Set(p.name);
    row.brand = Set(p.brand);
    row.fitment_notes = Set(p.fitment_notes);
    row.cost_minor = Set(p.cost);
    row.price_minor = Set(p.price);
    row.tax_class = Set(p.tax_class);
    row.barcode = Set(p.barcode);
    row.supplier_id = Set(supplier_id);
    row.active = Set(input.active);
    row.updated_at = Set(Utc::now());
    let row = tx.update(row).await.map_err(taken)?;
    tx.commit().await?;
    Ok(row)
}
