//! The tax rates a branch charges beside its standard rate (a reduced rate, a zero rate for
//! exports or exempt work), and the tenant's invoice settings: whether prices include tax,
//! how long invoices run, the footer.

use chrono::Utc;
use pitlane_domain::{
    Actor, FieldErrors, ServiceError, permissions::Permission, quantity::parse_percent,
    text::optional_text,
};
use pitlane_frontdesk::resources::known_branch;
use pitlane_identity::audit::{self, By, Event};
use pitlane_store::{
    TenantCtx,
    entity::{tax_rate, tenant},
    sea_orm::{ActiveValue::Set, IntoActiveModel, QueryOrder},
};
use serde_json::json;
use uuid::Uuid;

use crate::Billing;

/// Every extra rate of every branch the member works at.
pub async fn list(billing: &Billing, actor: &Actor) -> Result<Vec<tax_rate::Model>, ServiceError> {
    actor.require(Permission::TenantRead)?;
    let tx = billing.store().tx(&TenantCtx::of(actor)).await?;
    let rows = tx
        .all(
            tx.select::<tax_rate::Entity>()
                .order_by_asc(tax_rate::Column::BranchId)
                .order_by_asc(tax_rate::Column::RateBp)
                .order_by_asc(tax_rate::Column::Id),
        )
        .await?;
    tx.commit().await?;
    Ok(rows)
}

/// Adds a rate to a branch: a name people recognise ("Reduced") and a percentage.
pub async fn add(
    billing: &Billing,
    actor: &Actor,
    branch_id: Uuid,
    name: &str,
    percent: &str,
) -> Result<tax_rate::Model, ServiceError> {
    actor.require(Permission::SettingsManage)?;
    let mut errors = FieldErrors::new();
    let name = name.trim();
    if name.is_empty() {
        errors.add("name", "name the rate, such as Reduced");
    } else if name.chars().count() > 40 {
        errors.add("name", "must be at most 40 characters");
    }
    let rate = errors.check("rate", parse_percent(percent, 100));
    errors.into_result()?;
    let tx = billing.store().tx(&TenantCtx::of(actor)).await?;
    known_branch(&tx, branch_id, "branch_id").await?;
    let row = tx
        .insert(tax_rate::ActiveModel {
            id: Set(Uuid::now_v7()),
            branch_id: Set(branch_id),
            name: Set(name.to_owned()),
            rate_bp: Set(rate.unwrap_or(0)),
            created_at: Set(Utc::now()),
            ..Default::default()
        })
        .await
        .map_err(|err| {
            if err.is_conflict_on("name") {
                ServiceError::Conflict(FieldErrors::single(
                    "name",
                    "the branch already has a rate of this name",
                ))
            } else {
                err.into()
            }
        })?;
    audit::record(
        &tx,
        By::Member(actor),
        Event::new("tax_rate.add").detail(json!({ "name": name, "rate_bp": row.rate_bp })),
    )
    .await?;
    tx.commit().await?;
    Ok(row)
}

/// The tenant's invoice settings, as typed.
#[derive(Debug, Clone, Default)]
pub struct InvoiceSettings {
    pub prices_include_tax: bool,
    pub due_days: String,
    pub footer: Option<String>,
}

/// Saves the invoice settings; they apply to invoices drafted from now on.
pub async fn save_settings(
    billing: &Billing,
    actor: &Actor,
    input: &InvoiceSettings,
) -> Result<tenant::Model, ServiceError> {
    actor.require(Permission::SettingsManage)?;
    let mut errors = FieldErrors::new();
    let due_days = match input.due_days.trim().parse::<i32>() {
        Ok(d) if (0..=365).contains(&d) => Some(d),
        _ => {
            errors.add("due_days", "must be a number of days from 0 to 365");
            None
        }
    };
    let footer = errors
        .check("footer", optional_text(input.footer.as_deref(), 1000))
        .flatten();
    errors.into_result()?;
    let tx = billing.store().tx(&TenantCtx::of(actor)).await?;
    let row = tx.get::<tenant::Entity>(tx.tenant_id().0).await?;
    let mut active = row.into_active_model();
    active.prices_include_tax = Set(input.prices_include_tax);
    active.invoice_due_days = Set(due_days.unwrap_or(14));
    active.invoice_footer = Set(footer);
    active.updated_at = Set(Utc::now());
    let row = tx.update(active).await?;
    audit::record(
        &tx,
        By::Member(actor),
        Event::new("invoice_settings.save").detail(json!({
            "prices_include_tax": row.prices_include_tax,
            "due_days": row.invoice_due_days,
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(row)
}
