//! How the workshop prices and pays: parts markup or price matrix, shop supplies, negative
//! stock, the mechanics' pay period, and each branch's labour rate, labour cost and tax rate.

use chrono::Utc;
use pitlane_domain::{
    Actor, FieldErrors, ServiceError, labour::PayPeriod, money::parse_amount,
    permissions::Permission, quantity::parse_percent,
};
use pitlane_inventory::parts::MatrixTier;
use pitlane_store::{
    TenantCtx,
    entity::{branch, tenant},
    sea_orm::{ActiveValue::Set, IntoActiveModel, QueryOrder},
};
use uuid::Uuid;

use crate::Workshop;

/// The settings as stored.
#[derive(Debug, Clone)]
pub struct WorkshopSettings {
    pub currency: String,
    pub parts_markup_bp: i32,
    pub price_matrix: Vec<MatrixTier>,
    pub shop_supplies_bp: i32,
    pub shop_supplies_cap_minor: i64,
    pub allow_negative_stock: bool,
    pub pay_period: String,
    pub branches: Vec<branch::Model>,
}

pub async fn get(ws: &Workshop, actor: &Actor) -> Result<WorkshopSettings, ServiceError> {
    actor.require(Permission::TenantRead)?;
    let tx = ws.store().tx(&TenantCtx::of(actor)).await?;
    let t = tx.get::<tenant::Entity>(tx.tenant_id().0).await?;
    let branches = tx
        .all(
            tx.select::<branch::Entity>()
                .order_by_asc(branch::Column::Name),
        )
        .await?;
    tx.commit().await?;
    Ok(WorkshopSettings {
        currency: t.currency.clone(),
        parts_markup_bp: t.parts_markup_bp,
        price_matrix: t
            .price_matrix
            .clone()
            .and_then(|j| serde_json::from_value(j).ok())
            .unwrap_or_default(),
        shop_supplies_bp: t.shop_supplies_bp,
        shop_supplies_cap_minor: t.shop_supplies_cap_minor,
        allow_negative_stock: t.allow_negative_stock,
        pay_period: t.pay_period,
        branches,
    })
}

/// The workshop-wide settings, as typed.
#[derive(Debug, Clone, Default)]
pub struct SettingsInput {
    /// Percent over cost (`40`).
    pub parts_markup_percent: String,
    /// `(cost up to, as typed; empty for the last tier, markup percent)`, ascending.
    pub price_matrix: Vec<(Option<String>, String)>,
    pub shop_supplies_percent: String,
    /// Empty: no cap.
    pub shop_supplies_cap: Option<String>,
    pub allow_negative_stock: bool,
    pub pay_period: String,
}

pub async fn update(
    ws: &Workshop,
    actor: &Actor,
    input: &SettingsInput,
) -> Result<WorkshopSettings, ServiceError> {
    actor.require(Permission::SettingsManage)?;
    let tx = ws.store().tx(&TenantCtx::of(actor)).await?;
    let currency = tx.currency().await?;
    let mut errors = FieldErrors::new();
    let markup = errors.check(
        "parts_markup_percent",
        parse_percent(&input.parts_markup_percent, 1000),
    );
    let mut tiers = Vec::new();
    let mut last_ceiling: Option<i64> = None;
    for (i, (up_to, markup)) in input.price_matrix.iter().enumerate() {
        let up_to = match up_to.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
            None => None,
            Some(raw) => errors.check(
                &format!("price_matrix[{i}].up_to"),
                parse_amount(raw, &currency),
            ),
        };
        let is_last = i + 1 == input.price_matrix.len();
        if up_to.is_none() && !is_last {
            errors.add(
                &format!("price_matrix[{i}].up_to"),
                "only the last tier has no upper cost",
            );
        }
        if let (Some(up), Some(last)) = (up_to, last_ceiling)
            && up <= last
        {
            errors.add(
                &format!("price_matrix[{i}].up_to"),
                "tiers must go up in cost",
            );
        }
        if is_last && up_to.is_some() {
            errors.add(
                &format!("price_matrix[{i}].up_to"),
                "leave the last tier open (no upper cost)",
            );
        }
        last_ceiling = up_to.or(last_ceiling);
        if let Some(bp) = errors.check(
            &format!("price_matrix[{i}].markup_percent"),
            parse_percent(markup, 1000),
        ) {
            tiers.push(MatrixTier {
                up_to_minor: up_to,
                markup_bp: bp,
            });
        }
    }
    let supplies = errors.check(
        "shop_supplies_percent",
        parse_percent(&input.shop_supplies_percent, 100),
    );
    let cap = match input
        .shop_supplies_cap
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        None => Some(0),
        Some(raw) => errors.check("shop_supplies_cap", parse_amount(raw, &currency)),
    };
    if PayPeriod::parse(input.pay_period.trim()).is_none() {
        errors.add("pay_period", "must be weekly, fortnightly or monthly");
    }
    errors.into_result()?;
    let mut row = tx
        .get::<tenant::Entity>(tx.tenant_id().0)
        .await?
        .into_active_model();
    row.parts_markup_bp = Set(markup.unwrap_or_default());
    row.price_matrix = Set(if tiers.is_empty() {
        None
    } else {
        Some(serde_json::to_value(&tiers).map_err(pitlane_domain::ServiceError::internal)?)
    });
    row.shop_supplies_bp = Set(supplies.unwrap_or_default());
    row.shop_supplies_cap_minor = Set(cap.unwrap_or_default());
    row.allow_negative_stock = Set(input.allow_negative_stock);
    row.pay_period = Set(input.pay_period.trim().to_owned());
    row.updated_at = Set(Utc::now());
    tx.update(row).await?;
    tx.commit().await?;
    get(ws, actor).await
}

/// A branch's labour rate and cost per hour and its tax rate, as typed.
#[derive(Debug, Clone, Default)]
pub struct BranchRatesInput {
    pub labour_rate: String,
    pub labour_cost: String,
    pub tax_percent: String,
}

pub async fn set_branch_rates(
    ws: &Workshop,
    actor: &Actor,
    branch_id: Uuid,
    input: &BranchRatesInput,
) -> Result<branch::Model, ServiceError> {
    actor.require(Permission::SettingsManage)?;
    let tx = ws.store().tx(&TenantCtx::of(actor)).await?;
    let row = tx.get::<branch::Entity>(branch_id).await?;
    let currency = tx.currency().await?;
    let mut errors = FieldErrors::new();
    let rate = errors.check("labour_rate", parse_amount(&input.labour_rate, &currency));
    let cost = errors.check("labour_cost", parse_amount(&input.labour_cost, &currency));
    let tax = errors.check("tax_percent", parse_percent(&input.tax_percent, 100));
    errors.into_result()?;
    let mut active = row.into_active_model();
    active.labour_rate_minor = Set(rate.unwrap_or_default());
    active.labour_cost_minor = Set(cost.unwrap_or_default());
    active.tax_rate_bp = Set(tax.unwrap_or_default());
    active.updated_at = Set(Utc::now());
    let row = tx.update(active).await?;
    tx.commit().await?;
    Ok(row)
}
