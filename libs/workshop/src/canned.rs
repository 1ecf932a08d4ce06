//! Canned jobs: a workshop's saved sets of labour and parts ("front brake pads", "oil
//! service"), added to an estimate in one step at the day's prices.

use chrono::Utc;
use pitlane_domain::{
    Actor, FieldErrors, ServiceError,
    ids::PartId,
    money::parse_amount,
    permissions::Permission,
    quantity::{MILLI, parse_quantity},
    text::{DisplayName, optional_text},
};
use pitlane_store::{
    TenantCtx,
    entity::{canned_job, canned_job_line, part},
    sea_orm::{
        ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    },
};
use uuid::Uuid;

use crate::{Workshop, lines::KINDS};

#[derive(Debug, Clone, Default)]
pub struct CannedLineInput {
    pub kind: String,
    pub description: String,
    pub quantity: Option<String>,
    /// Empty: the branch's labour rate or the part's price when added.
    pub unit_price: Option<String>,
    pub part_id: Option<PartId>,
    pub taxable: Option<bool>,
}

#[derive(Debug, Clone, Default)]
pub struct CannedJobInput {
    pub name: String,
    pub description: Option<String>,
    pub skill: Option<String>,
    pub lines: Vec<CannedLineInput>,
}

#[derive(Debug, Clone)]
pub struct CannedJobView {
    pub job: canned_job::Model,
    pub lines: Vec<canned_job_line::Model>,
}

pub async fn list(ws: &Workshop, actor: &Actor) -> Result<Vec<CannedJobView>, ServiceError> {
    actor.require(Permission::RepairOrdersRead)?;
    let tx = ws.store().tx(&TenantCtx::of(actor)).await?;
    let jobs = tx
        .all(
            tx.select::<canned_job::Entity>()
                .order_by_asc(canned_job::Column::Name)
                .order_by_asc(canned_job::Column::Id),
        )
        .await?;
    let all_lines = tx
        .all(
            tx.select::<canned_job_line::Entity>()
                .order_by_asc(canned_job_line::Column::Position),
        )
        .await?;
    tx.commit().await?;
    Ok(jobs
        .into_iter()
        .map(|job| CannedJobView {
            lines: all_lines
                .iter()
                .filter(|l| l.canned_job_id == job.id)
                .cloned()
                .collect(),
            job,
        })
        .collect())
}

pub async fn get(ws: &Workshop, actor: &Actor, id: Uuid) -> Result<CannedJobView, ServiceError> {
    actor.require(Permission::RepairOrdersRead)?;
    let tx = ws.store().tx(&TenantCtx::of(actor)).await?;
    let job = tx.get::<canned_job::Entity>(id).await?;
    let lines = tx
        .all(
            tx.select::<canned_job_line::Entity>()
                .filter(canned_job_line::Column::CannedJobId.eq(id))
                .order_by_asc(canned_job_line::Column::Position),
        )
        .await?;
    tx.commit().await?;
    Ok(CannedJobView { job, lines })
}

/// Creates a canned job, or replaces one's lines when `id` is given.
pub async fn save(
    ws: &Workshop,
    actor: &Actor,
    id: Option<Uuid>,
    input: &CannedJobInput,
) -> Result<CannedJobView, ServiceError> {
    actor.require(Permission::SettingsManage)?;
    let tx = ws.store().tx(&TenantCtx::of(actor)).await?;
    let currency = tx.currency().await?;
    let mut errors = FieldErrors::new();
    let name = errors.check("name", DisplayName::parse(&input.name, 120));
    let description = errors
        .check(
            "description",
            optional_text(input.description.as_deref(), 1000),
        )
        .flatten();
    let skill = errors
        .check(
            "skill",
            pitlane_frontdesk::catalogue::label(input.skill.as_deref()),
        )
        .flatten();
    if input.lines.is_empty() {
        errors.add("lines", "add at least one line of labour or parts");
    }
    let mut parsed = Vec::new();
    for (i, line) in input.lines.iter().enumerate() {
        let field = |f: &str| format!("lines[{i}].{f}");
        let kind = line.kind.trim();
        if !KINDS.contains(&kind) {
            errors.add(
                &field("kind"),
                "must be labour, labour_flat, part, fee or discount",
            );
            continue;
        }
        let description = errors.check(
            &field("description"),
            DisplayName::parse(&line.description, 500),
        );
        let quantity = match line
            .quantity
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty())
        {
            Some(raw) => errors.check(&field("quantity"), parse_quantity(raw)),
            None => Some(MILLI),
        };
        let price = match line
            .unit_price
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            None => Some(None),
            Some(raw) => errors
                .check(&field("unit_price"), parse_amount(raw, &currency))
                .map(Some),
        };
        if matches!(kind, "labour_flat" | "fee" | "discount") && price == Some(None) {
            errors.add(&field("unit_price"), "enter the amount");
        }
        if let Some(part_id) = line.part_id {
            match tx.get::<part::Entity>(part_id.0).await {
                Ok(_) => {}
                Err(pitlane_store::StoreError::NotFound) => {
                    errors.add(&field("part_id"), "no such part")
                }
                Err(e) => return Err(e.into()),
            }
        } else if kind == "part" && price == Some(None) {
            errors.add(
                &field("part_id"),
                "choose a part from the catalogue, or give a price",
            );
        }
        if let (Some(d), Some(q), Some(p)) = (description, quantity, price) {
            parsed.push((
                kind.to_owned(),
                d.into_inner(),
                q,
                p,
                line.part_id.map(Uuid::from),
                line.taxable.unwrap_or(true),
            ));
        }
    }
    errors.into_result()?;
    let now = Utc::now();
    let name = name.map(|n| n.into_inner()).unwrap_or_default();
    let taken = |e: pitlane_store::StoreError| {
        if e.is_conflict_on("name") {
            ServiceError::Conflict(FieldErrors::single(
                "name",
                "a canned job with this name exists",
            ))
        } else {
            e.into()
        }
    };
    let job = match id {
        Some(id) => {
            let mut row = tx.get::<canned_job::Entity>(id).await?.into_active_model();
            row.name = Set(name);
            row.description = Set(description);
            row.skill = Set(skill);
            row.updated_at = Set(now);
            let job = tx.update(row).await.map_err(taken)?;
            tx.delete_all(
                canned_job_line::Entity::delete_many()
                    .filter(canned_job_line::Column::CannedJobId.eq(job.id)),
            )
            .await?;
            job
        }
        None => tx
            .insert(canned_job::ActiveModel {
                tenant_id: Set(tx.tenant_id().0),
                id: Set(Uuid::now_v7()),
                name: Set(name),
                description: Set(description),
                skill: Set(skill),
                created_at: Set(now),
                updated_at: Set(now),
            })
            .await
            .map_err(taken)?,
    };
    let mut lines = Vec::new();
    for (position, (kind, description, quantity, price, part_id, taxable)) in
        parsed.into_iter().enumerate()
    {
        lines.push(
            tx.insert(canned_job_line::ActiveModel {
                tenant_id: Set(tx.tenant_id().0),
                id: Set(Uuid::now_v7()),
                canned_job_id: Set(job.id),
                position: Set(position as i32 + 1),
                kind: Set(kind),
                description: Set(description),
                quantity_milli: Set(quantity),
                unit_price_minor: Set(price),
                part_id: Set(part_id),
                taxable: Set(taxable),
            })
            .await?,
        );
    }
    tx.commit().await?;
    Ok(CannedJobView { job, lines })
}

pub async fn delete(ws: &Workshop, actor: &Actor, id: Uuid) -> Result<(), ServiceError> {
    actor.require(Permission::SettingsManage)?;
    let tx = ws.store().tx(&TenantCtx::of(actor)).await?;
    tx.delete::<canned_job::Entity>(id).await?;
    tx.commit().await?;
    Ok(())
}
