//! Digital vehicle inspections: a checklist (the workshop's templates, or a built-in
//! multi-point check) rated green / yellow / red per point, with a note and photos taken on a
//! phone. Yellow and red findings become recommended estimate lines in one step, and the
//! customer sees the report with its photos beside the estimate.

use chrono::Utc;
use pitlane_domain::{
    Actor, FieldErrors, ServiceError,
    ids::RepairOrderId,
    permissions::Permission,
    text::{DisplayName, optional_text},
    upload::sniff_image,
};
use pitlane_store::{
    Page, TenantCtx, TenantTx,
    entity::{
        inspection, inspection_item, inspection_photo, inspection_template,
        inspection_template_item, repair_order,
    },
    sea_orm::{
        ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
        QuerySelect, QueryTrait,
    },
};
use uuid::Uuid;

use crate::{
    StoredPhoto, Workshop,
    lines::{self, LineInput},
    order::{self, OrderView, status_of},
};

/// The check every workshop starts with, until it writes its own.
pub const BUILT_IN: [(&str, &str); 16] = [
    ("Brakes", "Front pads and discs"),
    ("Brakes", "Rear pads, discs or shoes"),
    ("Brakes", "Brake fluid"),
    ("Tyres", "Front tyres: tread and condition"),
    ("Tyres", "Rear tyres: tread and condition"),
    ("Tyres", "Spare or repair kit"),
    ("Under the bonnet", "Engine oil level and condition"),
    ("Under the bonnet", "Coolant"),
    ("Under the bonnet", "Battery and terminals"),
    ("Under the bonnet", "Drive belts and hoses"),
    ("Underneath", "Suspension and steering joints"),
    ("Underneath", "Exhaust system"),
    ("Underneath", "Leaks"),
    ("Outside", "Lights and indicators"),
    ("Outside", "Wipers and washers"),
    ("Outside", "Windscreen"),
];

pub const RATINGS: [&str; 3] = ["green", "yellow", "red"];

/// An inspection with its points and their photos.
#[derive(Debug, Clone)]
pub struct InspectionView {
    pub inspection: inspection::Model,
    pub items: Vec<(inspection_item::Model, Vec<inspection_photo::Model>)>,
}

impl InspectionView {
    /// Yellow and red points.
    pub fn findings(&self) -> impl Iterator<Item = &inspection_item::Model> {
        self.items
            .iter()
            .map(|(item, _)| item)
            .filter(|i| matches!(i.rating.as_deref(), Some("yellow" | "red")))
    }
}

pub(crate) async fn view(
    tx: &TenantTx,
    inspection: inspection::Model,
) -> Result<InspectionView, ServiceError> {
    let items = tx
        .all(
            tx.select::<inspection_item::Entity>()
                .filter(inspection_item::Column::InspectionId.eq(inspection.id))
                .order_by_asc(inspection_item::Column::Position),
        )
        .await?;
    let ids: Vec<Uuid> = items.iter().map(|i| i.id).collect();
    let photos = tx
        .all(
            tx.select::<inspection_photo::Entity>()
                .filter(inspection_photo::Column::ItemId.is_in(ids))
                .order_by_asc(inspection_photo::Column::Id),
        )
        .await?;
    Ok(InspectionView {
        items: items
            .into_iter()
            .map(|item| {
                let mine = photos
                    .iter()
                    .filter(|p| p.item_id == item.id)
                    .cloned()
                    .collect();
                (item, mine)
            })
            .collect(),
        inspection,
    })
}

/// A template with its points.
#[derive(Debug, Clone)]
pub struct TemplateView {
    pub template: inspection_template::Model,
    pub items: Vec<inspection_template_item::Model>,
}

pub async fn templates(ws: &Workshop, actor: &Actor) -> Result<Vec<TemplateView>, ServiceError> {
    actor.require(Permission::RepairOrdersRead)?;
    let tx = ws.store().tx(&TenantCtx::of(actor)).await?;
    let templates = tx
        .all(
            tx.select::<inspection_template::Entity>()
                .order_by_asc(inspection_template::Column::Name)
                .order_by_asc(inspection_template::Column::Id),
        )
        .await?;
    let items = tx
        .all(
            tx.select::<inspection_template_item::Entity>()
                .order_by_asc(inspection_template_item::Column::Position),
        )
        .await?;
    tx.commit().await?;
    Ok(templates
        .into_iter()
        .map(|template| TemplateView {
            items: items
                .iter()
                .filter(|i| i.template_id == template.id)
                .cloned()
                .collect(),
            template,
        })
        .collect())
}

/// Creates a template, or replaces one's points when `id` is given. Points are
/// `(section, label)`.
pub async fn save_template(
    ws: &Workshop,
    actor: &Actor,
    id: Option<Uuid>,
    name: &str,
    points: &[(String, String)],
) -> Result<TemplateView, ServiceError> {
    actor.require(Permission::SettingsManage)?;
    let mut errors = FieldErrors::new();
    let name = errors.check("name", DisplayName::parse(name, 120));
    if points.is_empty() {
        errors.add("items", "add at least one point to check");
    }
    for (i, (section, label)) in points.iter().enumerate() {
        errors.check(
            &format!("items[{i}].section"),
            DisplayName::parse(section, 80),
        );
        errors.check(&format!("items[{i}].label"), DisplayName::parse(label, 200));
    }
    errors.into_result()?;
    let name = name.map(|n| n.into_inner()).unwrap_or_default();
    let tx = ws.store().tx(&TenantCtx::of(actor)).await?;
    let now = Utc::now();
    let taken = |e: pitlane_store::StoreError| {
        if e.is_conflict_on("name") {
            ServiceError::Conflict(FieldErrors::single(
                "name",
                "a template with this name exists",
            ))
        } else {
            e.into()
        }
    };
    let template = match id {
        Some(id) => {
            let mut row = tx
                .get::<inspection_template::Entity>(id)
                .await?
                .into_active_model();
            row.name = Set(name);
            row.updated_at = Set(now);
            let template = tx.update(row).await.map_err(taken)?;
            tx.delete_all(
                inspection_template_item::Entity::delete_many()
                    .filter(inspection_template_item::Column::TemplateId.eq(template.id)),
            )
            .await?;
            template
        }
        None => tx
            .insert(inspection_template::ActiveModel {
                tenant_id: Set(tx.tenant_id().0),
                id: Set(Uuid::now_v7()),
                name: Set(name),
                active: Set(true),
                created_at: Set(now),
                updated_at: Set(now),
            })
            .await
            .map_err(taken)?,
    };
    let mut items = Vec::new();
    for (position, (section, label)) in points.iter().enumerate() {
        items.push(
            tx.insert(inspection_template_item::ActiveModel {
                tenant_id: Set(tx.tenant_id().0),
                id: Set(Uuid::now_v7()),
                template_id: Set(template.id),
                position: Set(position as i32 + 1),
                section: Set(section.trim().to_owned()),
                label: Set(label.trim().to_owned()),
            })
            .await?,
        );
    }
    tx.commit().await?;
    Ok(TemplateView { template, items })
}

/// Starts an inspection on an order from a template (the built-in check when none is named).
pub async fn start(
    ws: &Workshop,
    actor: &Actor,
    order_id: RepairOrderId,
    template_id: Option<Uuid>,
) -> Result<InspectionView, ServiceError> {
    actor.require(Permission::RepairOrdersRead)?;
    if !actor.can(Permission::JobsWork) {
        actor.require(Permission::RepairOrdersWrite)?;
    }
    let tx = ws.store().tx(&TenantCtx::of(actor)).await?;
    let order = tx.get::<repair_order::Entity>(order_id.0).await?;
    if !status_of(&order)?.is_open() {
        return Err(FieldErrors::single("status", "this order is closed").into());
    }
    let (name, points): (String, Vec<(String, String)>) = match template_id {
        Some(id) => {
            let template = match tx.get::<inspection_template::Entity>(id).await {
                Ok(t) => t,
                Err(pitlane_store::StoreError::NotFound) => {
                    return Err(FieldErrors::single("template_id", "no such template").into());
                }
                Err(e) => return Err(e.into()),
            };
            let items = tx
                .all(
                    tx.select::<inspection_template_item::Entity>()
                        .filter(inspection_template_item::Column::TemplateId.eq(id))
                        .order_by_asc(inspection_template_item::Column::Position),
                )
                .await?;
            (
                template.name,
                items.into_iter().map(|i| (i.section, i.label)).collect(),
            )
        }
        None => (
            "Multi-point inspection".to_owned(),
            BUILT_IN
                .iter()
                .map(|(s, l)| ((*s).to_owned(), (*l).to_owned()))
                .collect(),
        ),
    };
    let by = tx.actor_name(actor).await?;
    let now = Utc::now();
    let row = tx
        .insert(inspection::ActiveModel {
            tenant_id: Set(tx.tenant_id().0),
            id: Set(Uuid::now_v7()),
            repair_order_id: Set(order.id),
            name: Set(name.clone()),
            status: Set("open".into()),
            inspector_name: Set(by.clone()),
            created_at: Set(now),
            completed_at: Set(None),
        })
        .await?;
    for (position, (section, label)) in points.into_iter().enumerate() {
        tx.insert(inspection_item::ActiveModel {
            tenant_id: Set(tx.tenant_id().0),
            id: Set(Uuid::now_v7()),
            inspection_id: Set(row.id),
            position: Set(position as i32 + 1),
            section: Set(section),
            label: Set(label),
            rating: Set(None),
            note: Set(None),
            line_id: Set(None),
            updated_at: Set(now),
        })
        .await?;
    }
    crate::figures::inspection_changed(&tx, row.id, None).await?;
    order::record(
        &tx,
        &order,
        "inspection",
        Some(format!("{name} started")),
        by,
        true,
    )
    .await?;
    let result = view(&tx, row).await?;
    tx.commit().await?;
    order::publish(ws, &order, "inspection.started").await;
    Ok(result)
}

/// A page of the inspections of the orders the actor sees, newest first (by id): `after` is
/// the last id of the page before.
pub async fn recent(
    ws: &Workshop,
    actor: &Actor,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Page<inspection::Model>, ServiceError> {
    actor.require(Permission::RepairOrdersRead)?;
    let tx = ws.store().tx(&TenantCtx::of(actor)).await?;
    // A branch-limited reader sees the inspections of their branches' orders only.
    let orders = tx
        .select::<repair_order::Entity>()
        .select_only()
        .column(repair_order::Column::Id)
        .into_query();
    let page = tx
        .page_newest(
            tx.select::<inspection::Entity>()
                .filter(inspection::Column::RepairOrderId.in_subquery(orders)),
            after,
            limit.clamp(1, 200),
        )
        .await?;
    tx.commit().await?;
    Ok(page)
}

pub async fn get(ws: &Workshop, actor: &Actor, id: Uuid) -> Result<InspectionView, ServiceError> {
    actor.require(Permission::RepairOrdersRead)?;
    let tx = ws.store().tx(&TenantCtx::of(actor)).await?;
    let row = visible(&tx, tx.get::<inspection::Entity>(id).await?).await?;
    let result = view(&tx, row).await?;
    tx.commit().await?;
    Ok(result)
}

fn may_inspect(actor: &Actor) -> Result<(), ServiceError> {
    if actor.can(Permission::JobsWork) {
        Ok(())
    } else {
        actor.require(Permission::RepairOrdersWrite)
    }
}

/// The point `item_id` of inspection `inspection_id`; a point of another inspection is not found.
async fn item_of(
    tx: &TenantTx,
    inspection_id: Uuid,
    item_id: Uuid,
) -> Result<(inspection_item::Model, inspection::Model), ServiceError> {
    let item = tx.get::<inspection_item::Entity>(item_id).await?;
    if item.inspection_id != inspection_id {
        return Err(ServiceError::NotFound);
    }
    let inspection = visible(tx, tx.get::<inspection::Entity>(item.inspection_id).await?).await?;
    Ok((item, inspection))
}

/// The inspection, if its order is one the reader may see (staff limited to some branches
/// see only their branches' orders, and so only their inspections).
async fn visible(
    tx: &TenantTx,
    inspection: inspection::Model,
) -> Result<inspection::Model, ServiceError> {
    tx.get::<repair_order::Entity>(inspection.repair_order_id)
        .await?;
    Ok(inspection)
}

async fn open_item(
    tx: &TenantTx,
    inspection_id: Uuid,
    item_id: Uuid,
) -> Result<(inspection_item::Model, inspection::Model), ServiceError> {
    let (item, inspection) = item_of(tx, inspection_id, item_id).await?;
    if inspection.status != "open" {
        return Err(FieldErrors::single("status", "this inspection is completed").into());
    }
    Ok((item, inspection))
}

/// Rates one point, with a note (a yellow or red point needs one: it is what the customer reads).
pub async fn rate(
    ws: &Workshop,
    actor: &Actor,
    inspection_id: Uuid,
    item_id: Uuid,
    rating: &str,
    note: Option<&str>,
) -> Result<inspection_item::Model, ServiceError> {
    may_inspect(actor)?;
    let mut errors = FieldErrors::new();
    let rating = rating.trim();
    if !RATINGS.contains(&rating) {
        errors.add("rating", "must be green, yellow or red");
    }
    let note = errors.check("note", optional_text(note, 1000)).flatten();
    if rating != "green" && RATINGS.contains(&rating) && note.is_none() {
        errors.add("note", "say what was found, for the customer");
    }
    errors.into_result()?;
    let tx = ws.store().tx(&TenantCtx::of(actor)).await?;
    // Ratings of one inspection (and its completion) at once are taken one after the other,
    // so each reads the tally, and the status, the last one left.
    tx.get_for_update::<inspection::Entity>(inspection_id)
        .await?;
    let (item, inspection) = open_item(&tx, inspection_id, item_id).await?;
    let before = crate::figures::inspection_tally(&tx, inspection.id).await?;
    let mut row = item.into_active_model();
    row.rating = Set(Some(rating.to_owned()));
    row.note = Set(note);
    row.updated_at = Set(Utc::now());
    let item = tx.update(row).await?;
    crate::figures::inspection_changed(&tx, inspection.id, before).await?;
    let order = tx
        .get::<repair_order::Entity>(inspection.repair_order_id)
        .await?;
    tx.commit().await?;
    order::publish(ws, &order, "inspection.rated").await;
    Ok(item)
}

/// Keeps a photo of a point: the type is read from the bytes, the size limited, and a file
/// that also carries a page or script is refused (see `pitlane_domain::upload`).
pub async fn add_photo(
    ws: &Workshop,
    actor: &Actor,
    inspection_id: Uuid,
    item_id: Uuid,
    bytes: Vec<u8>,
) -> Result<inspection_photo::Model, ServiceError> {
    may_inspect(actor)?;
    let tx = ws.store().tx(&TenantCtx::of(actor)).await?;
    let (item, inspection) = open_item(&tx, inspection_id, item_id).await?;
    let content_type =
        sniff_image(&bytes).map_err(|e| FieldErrors::single("photo", e.to_string()))?;
    let id = Uuid::now_v7();
    let key = format!("{}/{}/{}/{}", tx.tenant_id().0, inspection.id, item.id, id);
    let size = bytes.len() as i64;
    ws.photos
        .put(
            &key,
            StoredPhoto {
                bytes,
                content_type: content_type.to_owned(),
            },
        )
        .await
        .map_err(ServiceError::internal)?;
    let row = tx
        .insert(inspection_photo::ActiveModel {
            tenant_id: Set(tx.tenant_id().0),
            id: Set(id),
            item_id: Set(item.id),
            storage_key: Set(key),
            content_type: Set(content_type.to_owned()),
            bytes: Set(size),
            created_at: Set(Utc::now()),
        })
        .await?;
    let order = tx
        .get::<repair_order::Entity>(inspection.repair_order_id)
        .await?;
    tx.commit().await?;
    order::publish(ws, &order, "inspection.photo").await;
    Ok(row)
}

async fn load_photo(
    ws: &Workshop,
    row: &inspection_photo::Model,
) -> Result<StoredPhoto, ServiceError> {
    ws.photos
        .get(&row.storage_key)
        .await
        .map_err(ServiceError::internal)?
        .ok_or(ServiceError::NotFound)
}

/// A photo of a point, for staff.
pub async fn photo(
    ws: &Workshop,
    actor: &Actor,
    inspection_id: Uuid,
    item_id: Uuid,
    photo_id: Uuid,
) -> Result<StoredPhoto, ServiceError> {
    actor.require(Permission::RepairOrdersRead)?;
    let tx = ws.store().tx(&TenantCtx::of(actor)).await?;
    item_of(&tx, inspection_id, item_id).await?;
    let row = tx.get::<inspection_photo::Entity>(photo_id).await?;
    if row.item_id != item_id {
        return Err(ServiceError::NotFound);
    }
    tx.commit().await?;
    load_photo(ws, &row).await
}

/// A photo for the customer whose order link names the photo's order.
pub async fn photo_for_customer(
    ws: &Workshop,
    tenant: TenantCtx,
    token: &str,
    photo_id: Uuid,
) -> Result<StoredPhoto, ServiceError> {
    let order_id = crate::approval::order_of_link(ws, token)?;
    let tx = ws.store().tx(&tenant).await?;
    let row = tx.get::<inspection_photo::Entity>(photo_id).await?;
    let item = tx.get::<inspection_item::Entity>(row.item_id).await?;
    let inspection = tx.get::<inspection::Entity>(item.inspection_id).await?;
    if inspection.repair_order_id != order_id.0 {
        return Err(ServiceError::NotFound);
    }
    tx.commit().await?;
    load_photo(ws, &row).await
}

/// Finishes an inspection: every point must be rated.
pub async fn complete(
    ws: &Workshop,
    actor: &Actor,
    id: Uuid,
) -> Result<InspectionView, ServiceError> {
    may_inspect(actor)?;
    let tx = ws.store().tx(&TenantCtx::of(actor)).await?;
    let row = visible(&tx, tx.get_for_update::<inspection::Entity>(id).await?).await?;
    if row.status != "open" {
        return Err(FieldErrors::single("status", "this inspection is already completed").into());
    }
    let current = view(&tx, row.clone()).await?;
    let unrated = current
        .items
        .iter()
        .filter(|(i, _)| i.rating.is_none())
        .count();
    if unrated > 0 {
        return Err(
            FieldErrors::single("items", format!("{unrated} points are not rated yet")).into(),
        );
    }
    let before = crate::figures::inspection_tally(&tx, row.id).await?;
    let mut active = row.into_active_model();
    active.status = Set("completed".into());
    active.completed_at = Set(Some(Utc::now()));
    let row = tx.update(active).await?;
    crate::figures::inspection_changed(&tx, row.id, before).await?;
    let order = tx.get::<repair_order::Entity>(row.repair_order_id).await?;
    let (yellow, red) =
        current
            .items
            .iter()
            .fold((0, 0), |(y, r), (i, _)| match i.rating.as_deref() {
                Some("yellow") => (y + 1, r),
                Some("red") => (y, r + 1),
                _ => (y, r),
            });
    let by = tx.actor_name(actor).await?;
    order::record(
        &tx,
        &order,
        "inspection",
        Some(format!(
            "{} completed: {red} red, {yellow} yellow",
            row.name
        )),
        by,
        true,
    )
    .await?;
    let result = view(&tx, row).await?;
    tx.commit().await?;
    order::publish(ws, &order, "inspection.completed").await;
    Ok(result)
}

/// Turns the inspection's yellow and red points (those not yet on the estimate) into
/// recommended lines: an hour of labour each at the branch's rate, for the advisor to price.
pub async fn recommend(ws: &Workshop, actor: &Actor, id: Uuid) -> Result<OrderView, ServiceError> {
    actor.require(Permission::RepairOrdersWrite)?;
    let tx = ws.store().tx(&TenantCtx::of(actor)).await?;
    let row = tx.get::<inspection::Entity>(id).await?;
    let order = tx.get::<repair_order::Entity>(row.repair_order_id).await?;
    let status = status_of(&order)?;
    if !status.allows_line_changes() {
        return Err(FieldErrors::single(
            "status",
            format!(
                "findings become lines while the order is an estimate; this one is {}",
                status.label().to_lowercase()
            ),
        )
        .into());
    }
    let current = view(&tx, row).await?;
    let findings: Vec<inspection_item::Model> = current
        .findings()
        .filter(|i| i.line_id.is_none())
        .cloned()
        .collect();
    if findings.is_empty() {
        return Err(FieldErrors::single(
            "items",
            "there are no yellow or red findings left to recommend",
        )
        .into());
    }
    for item in &findings {
        let description = match &item.note {
            Some(note) => format!("{}: {note}", item.label),
            None => item.label.clone(),
        };
        let line = lines::add_in(
            &tx,
            &order,
            &LineInput {
                kind: "labour".into(),
                description: Some(description.chars().take(500).collect()),
                quantity: Some("1".into()),
                ..LineInput::default()
            },
            "inspection",
            None,
        )
        .await?;
        let mut active = item.clone().into_active_model();
        active.line_id = Set(Some(line.id));
        tx.update(active).await?;
    }
    let by = tx.actor_name(actor).await?;
    order::record(
        &tx,
        &order,
        "line",
        Some(format!(
            "{} inspection findings added to the estimate",
            findings.len()
        )),
        by,
        false,
    )
    .await?;
    order::refresh_total(&tx, RepairOrderId(order.id)).await?;
    let order = tx.get::<repair_order::Entity>(order.id).await?;
    let result = order::view(&tx, order).await?;
    tx.commit().await?;
    order::publish(ws, &result.order, "repair_order.lines").await;
    Ok(result)
}

/// The order's inspections with their points, for the customer's report.
pub async fn of_order(
    ws: &Workshop,
    tenant: TenantCtx,
    order_id: RepairOrderId,
) -> Result<Vec<InspectionView>, ServiceError> {
    let tx = ws.store().tx(&tenant).await?;
    let rows = tx
        .all(
            tx.select::<inspection::Entity>()
                .filter(inspection::Column::RepairOrderId.eq(order_id.0))
                .order_by_asc(inspection::Column::Id),
        )
        .await?;
    let mut out = Vec::new();
    for row in rows {
        out.push(view(&tx, row).await?);
    }
    tx.commit().await?;
    Ok(out)
}

/// Removes a photo taken by mistake.
pub async fn remove_photo(
    ws: &Workshop,
    actor: &Actor,
    inspection_id: Uuid,
    item_id: Uuid,
    photo_id: Uuid,
) -> Result<(), ServiceError> {
    may_inspect(actor)?;
    let tx = ws.store().tx(&TenantCtx::of(actor)).await?;
    open_item(&tx, inspection_id, item_id).await?;
    let row = tx.get::<inspection_photo::Entity>(photo_id).await?;
    if row.item_id != item_id {
        return Err(ServiceError::NotFound);
    }
    tx.delete::<inspection_photo::Entity>(row.id).await?;
    tx.commit().await?;
    if let Err(err) = ws.photos.delete(&row.storage_key).await {
        tracing::warn!(error = %err, "removing a photo's file");
    }
    Ok(())
}
