//! The customer's answer to an estimate. The advisor sends it (an "estimate ready" message
//! with a signed link to the order on the workshop's site); the customer approves or declines
//! each line there, or tells the advisor by phone or at the counter, who records it. How and
//! when the answer came is kept on the order and its timeline. Approved parts are reserved;
//! declined lines stay on the order as declined services to offer again later.

use chrono::Utc;
use pitlane_domain::{
    Actor, FieldErrors, ServiceError,
    ids::{PartId, RepairOrderId, VehicleId},
    messages::MessageKind,
    permissions::Permission,
    repair_order::{ApprovalOutcome, LineDecision, RepairOrderStatus, approval_outcome},
    text::optional_text,
};
use pitlane_identity::links::Purpose;
use pitlane_notify::staff::{NewNotification, Notified, notify_members_with};
use pitlane_store::{
    TenantCtx, TenantTx,
    entity::{customer, repair_order, repair_order_line, vehicle},
    sea_orm::{
        ActiveValue::Set, ColumnTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
    },
};
use uuid::Uuid;

use crate::{
    Workshop,
    lines::decision,
    order::{self, OrderView, status_of},
    orders,
};

/// How the customer answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Online,
    Phone,
    InPerson,
}

impl Method {
    pub fn key(self) -> &'static str {
        match self {
            Method::Online => "online",
            Method::Phone => "phone",
            Method::InPerson => "in_person",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Method::Online, Method::Phone, Method::InPerson]
            .into_iter()
            .find(|m| m.key() == raw)
    }

    pub fn label(self) -> &'static str {
        match self {
            Method::Online => "online",
            Method::Phone => "by phone",
            Method::InPerson => "in person",
        }
    }
}

/// Sends the estimate to the customer: its pending lines become questions on their page.
pub async fn send(
    ws: &Workshop,
    actor: &Actor,
    order_id: RepairOrderId,
    site: &str,
) -> Result<OrderView, ServiceError> {
    actor.require(Permission::RepairOrdersWrite)?;
    let tx = ws.store().tx(&TenantCtx::of(actor)).await?;
    let order = tx.get::<repair_order::Entity>(order_id.0).await?;
    let status = status_of(&order)?;
    if !status.can_become(RepairOrderStatus::SentForApproval) {
        return Err(FieldErrors::single(
            "status",
            status.refusal(RepairOrderStatus::SentForApproval),
        )
        .into());
    }
    let pending = order::lines_of(&tx, RepairOrderId(order.id))
        .await?
        .iter()
        .filter(|l| decision(l) == LineDecision::Pending)
        .count();
    if pending == 0 {
        return Err(FieldErrors::single(
            "lines",
            "add the work to approve before sending the estimate",
        )
        .into());
    }
    let customer = tx.get::<customer::Entity>(order.customer_id).await?;
    if customer.email.is_none() && customer.phone.is_none() {
        return Err(FieldErrors::single(
            "customer",
            "the customer has no e-mail or phone; record their answer by phone or in person",
        )
        .into());
    }
    let mut row = order.clone().into_active_model();
    row.status = Set(RepairOrderStatus::SentForApproval.key().to_owned());
    row.approval_version = Set(order.approval_version + 1);
    row.updated_at = Set(Utc::now());
    let order = tx.update(row).await?;
    let by = tx.actor_name(actor).await?;
    order::record(
        &tx,
        &order,
        "status",
        Some(format!("Estimate sent for approval ({pending} lines)")),
        by,
        true,
    )
    .await?;
    orders::customer_message(ws, &tx, &order, MessageKind::EstimateReady, site).await?;
    let result = order::view(&tx, order).await?;
    tx.commit().await?;
    order::publish(ws, &result.order, "repair_order.status").await;
    Ok(result)
}

/// The order a customer's link names, in the workshop whose site it was opened on.
pub async fn for_customer(
    ws: &Workshop,
    tenant: TenantCtx,
    token: &str,
) -> Result<OrderView, ServiceError> {
    let id = ws
        .desk
        .signer
        .verify(Purpose::RepairOrder, token)
        .map_err(|_| ServiceError::NotFound)?;
    let tx = ws.store().tx(&tenant).await?;
    let order = tx.get::<repair_order::Entity>(id).await?;
    let result = order::view(&tx, order).await?;
    tx.commit().await?;
    Ok(result)
}

/// The customer chooses, from their page, whether to hear of every step or only when the
/// vehicle is ready.
pub async fn follow_by_link(
    ws: &Workshop,
    tenant: TenantCtx,
    token: &str,
    follow: bool,
) -> Result<(), ServiceError> {
    let id = order_of_link(ws, token)?;
    let tx = ws.store().tx(&tenant).await?;
    let order = tx.get::<repair_order::Entity>(id.0).await?;
    let mut row = order.clone().into_active_model();
    row.follow_updates = Set(follow);
    let order = tx.update(row).await?;
    let detail = if follow {
        "The customer asked to hear of every step"
    } else {
        "The customer asked to hear only when it is ready"
    };
    order::record(&tx, &order, "follow", Some(detail.to_owned()), None, false).await?;
    tx.commit().await?;
    Ok(())
}

/// The order id a customer's link names, for following it live.
pub fn order_of_link(ws: &Workshop, token: &str) -> Result<RepairOrderId, ServiceError> {
    ws.desk
        .signer
        .verify(Purpose::RepairOrder, token)
        .map(RepairOrderId)
        .map_err(|_| ServiceError::NotFound)
}

/// Applies the answers in an open transaction and moves the order on: approved when every
/// line is answered and one is approved, back to an estimate when all were declined.
/// Approved parts are reserved; when stock is short `strict` refuses (staff can act on it),
/// otherwise the shortage goes on the timeline and to the parts staff.
#[allow(clippy::too_many_arguments)]
async fn answer(
    ws: &Workshop,
    tx: &TenantTx,
    order: repair_order::Model,
    answers: &[(Uuid, LineDecision)],
    method: Method,
    who: String,
    by: Option<String>,
    strict: bool,
    site: &str,
) -> Result<(repair_order::Model, Notified), ServiceError> {
    // Read again under a lock: two answers at once (a double submit, the customer online
    // while the advisor records a call) are taken one after the other, and the second sees
    // the lines the first answered.
    let order = tx.get_for_update::<repair_order::Entity>(order.id).await?;
    let status = status_of(&order)?;
    if !matches!(
        status,
        RepairOrderStatus::Estimate | RepairOrderStatus::SentForApproval
    ) {
        return Err(FieldErrors::single(
            "status",
            format!(
                "this estimate was already answered; the order is {}",
                status.label().to_lowercase()
            ),
        )
        .into());
    }
    let order_lines = order::lines_of(tx, RepairOrderId(order.id)).await?;
    let mut errors = FieldErrors::new();
    for (i, (line_id, d)) in answers.iter().enumerate() {
        match order_lines.iter().find(|l| l.id == *line_id) {
            None => errors.add(
                &format!("decisions[{i}].line_id"),
                "not a line of this estimate",
            ),
            Some(line) if decision(line) != LineDecision::Pending => errors.add(
                &format!("decisions[{i}].line_id"),
                format!("\"{}\" was already answered", line.description),
            ),
            Some(_) if *d == LineDecision::Pending => errors.add(
                &format!("decisions[{i}].decision"),
                "approve or decline the line",
            ),
            Some(_) => {}
        }
    }
    let after: Vec<LineDecision> = order_lines
        .iter()
        .map(|l| {
            answers
                .iter()
                .find(|(id, _)| *id == l.id)
                .map(|(_, d)| *d)
                .unwrap_or_else(|| decision(l))
        })
        .collect();
    if errors.is_empty() && approval_outcome(&after) == ApprovalOutcome::Waiting {
        errors.add(
            "decisions",
            "answer every line: approve or decline each one",
        );
    }
    errors.into_result()?;
    let now = Utc::now();
    let mut notified = Notified::default();
    let mut approved_names = Vec::new();
    let mut declined_names = Vec::new();
    let mut answered_lines = Vec::new();
    for line in &order_lines {
        let Some((_, d)) = answers.iter().find(|(id, _)| *id == line.id) else {
            continue;
        };
        let mut row = line.clone().into_active_model();
        row.decision = Set(d.key().to_owned());
        row.decided_at = Set(Some(now));
        row.updated_at = Set(now);
        answered_lines.push(tx.update(row).await?);
        match d {
            LineDecision::Approved => {
                approved_names.push(line.description.clone());
                if let (Some(part_id), "part") = (line.part_id, line.kind.as_str()) {
                    match pitlane_inventory::stock::reserve(
                        tx,
                        line.id,
                        PartId(part_id),
                        order.branch_id,
                        line.quantity_milli,
                    )
                    .await
                    {
                        Ok(heard) => notified.merge(heard),
                        Err(ServiceError::Conflict(e)) if !strict => {
                            let shortage = e
                                .message_for("quantity")
                                .unwrap_or("not enough in stock")
                                .to_owned();
                            order::record(
                                tx,
                                &order,
                                "parts",
                                Some(format!("Not reserved: {shortage}")),
                                None,
                                false,
                            )
                            .await?;
                            notified.merge(
                                notify_members_with(
                                    tx,
                                    Permission::InventoryAdjust,
                                    &NewNotification {
                                        title: format!(
                                            "Parts needed for {}",
                                            pitlane_domain::repair_order::display_number(
                                                order.number
                                            )
                                        ),
                                        body: shortage,
                                        link: Some(format!("/portal/repair-orders/{}", order.id)),
                                    },
                                )
                                .await?,
                            );
                        }
                        Err(ServiceError::Conflict(e)) => {
                            return Err(ServiceError::Conflict(FieldErrors::single(
                                "decisions",
                                e.message_for("quantity")
                                    .unwrap_or("not enough in stock")
                                    .to_owned(),
                            )));
                        }
                        Err(e) => return Err(e),
                    }
                }
            }
            _ => {
                declined_names.push(line.description.clone());
                pitlane_inventory::stock::release(tx, line.id).await?;
            }
        }
    }
    crate::figures::answers_changed(tx, &order, &answered_lines, &[]).await?;
    order::refresh_total(tx, RepairOrderId(order.id)).await?;
    let order = tx.get::<repair_order::Entity>(order.id).await?;
    let mut row = order.clone().into_active_model();
    row.approval_method = Set(Some(method.key().to_owned()));
    row.approved_at = Set(Some(now));
    row.approved_by = Set(Some(who.clone()));
    row.updated_at = Set(now);
    let order = tx.update(row).await?;
    let mut detail = format!("Answered {} by {who}", method.label());
    if !approved_names.is_empty() {
        detail.push_str(&format!("; approved: {}", approved_names.join(", ")));
    }
    if !declined_names.is_empty() {
        detail.push_str(&format!("; declined: {}", declined_names.join(", ")));
    }
    order::record(tx, &order, "approval", Some(detail), by.clone(), true).await?;
    let next = match approval_outcome(&after) {
        ApprovalOutcome::Approved => RepairOrderStatus::Approved,
        _ => RepairOrderStatus::Estimate,
    };
    // All declined while still an estimate: nothing to move.
    let order = if status == next {
        order
    } else {
        let (changed, heard) =
            orders::transition(ws, tx, order, next, None, None, by, site).await?;
        notified.merge(heard);
        changed
    };
    Ok((order, notified))
}

/// The customer's answers from their page.
pub async fn answer_online(
    ws: &Workshop,
    tenant: TenantCtx,
    token: &str,
    version: i32,
    answers: &[(Uuid, LineDecision)],
    site: &str,
) -> Result<OrderView, ServiceError> {
    let id = order_of_link(ws, token)?;
    let tx = ws.store().tx(&tenant).await?;
    let order = tx.get::<repair_order::Entity>(id.0).await?;
    // The estimate the customer read must be the one waiting: a page left open while the
    // workshop changed and re-sent it answers nothing.
    if order.approval_version != version {
        return Err(FieldErrors::single(
            "decisions",
            "the workshop has changed this estimate since you opened it; here is the new one",
        )
        .into());
    }
    if status_of(&order)? != RepairOrderStatus::SentForApproval {
        return Err(FieldErrors::single(
            "decisions",
            "this estimate is not waiting for your answer any more; call the workshop to change it",
        )
        .into());
    }
    let customer = tx.get::<customer::Entity>(order.customer_id).await?;
    let (order, notified) = answer(
        ws,
        &tx,
        order,
        answers,
        Method::Online,
        customer.name.clone(),
        Some(customer.name),
        false,
        site,
    )
    .await?;
    let result = order::view(&tx, order).await?;
    tx.commit().await?;
    notified.publish(&ws.desk.live).await;
    order::publish(ws, &result.order, "repair_order.approval").await;
    Ok(result)
}

/// The customer's answers as the advisor took them by phone or at the counter.
pub async fn record_answer(
    ws: &Workshop,
    actor: &Actor,
    order_id: RepairOrderId,
    answers: &[(Uuid, LineDecision)],
    method: Method,
    note: Option<&str>,
    site: &str,
) -> Result<OrderView, ServiceError> {
    actor.require(Permission::RepairOrdersWrite)?;
    if method == Method::Online {
        return Err(FieldErrors::single(
            "method",
            "online answers come from the customer's page; choose phone or in person",
        )
        .into());
    }
    let note = optional_text(note, 300).map_err(|e| FieldErrors::single("note", e.to_string()))?;
    let tx = ws.store().tx(&TenantCtx::of(actor)).await?;
    let order = tx.get::<repair_order::Entity>(order_id.0).await?;
    let customer = tx.get::<customer::Entity>(order.customer_id).await?;
    let by = tx.actor_name(actor).await?;
    let who = match note {
        Some(note) => format!("{} ({note})", customer.name),
        None => customer.name.clone(),
    };
    let (order, notified) = answer(ws, &tx, order, answers, method, who, by, true, site).await?;
    let result = order::view(&tx, order).await?;
    tx.commit().await?;
    notified.publish(&ws.desk.live).await;
    order::publish(ws, &result.order, "repair_order.approval").await;
    Ok(result)
}

/// Declined work not yet followed up, newest first (one vehicle's when named).
pub async fn declined_services(
    ws: &Workshop,
    actor: &Actor,
    vehicle_id: Option<VehicleId>,
) -> Result<Vec<(repair_order::Model, repair_order_line::Model)>, ServiceError> {
    actor.require(Permission::RepairOrdersRead)?;
    let tx = ws.store().tx(&TenantCtx::of(actor)).await?;
    let mut orders_query = tx.select::<repair_order::Entity>();
    if let Some(vehicle_id) = vehicle_id {
        tx.get::<vehicle::Entity>(vehicle_id.0).await?;
        orders_query = orders_query.filter(repair_order::Column::VehicleId.eq(vehicle_id.0));
    }
    let declined = tx
        .all(
            tx.select::<repair_order_line::Entity>()
                .filter(repair_order_line::Column::Decision.eq("declined"))
                .filter(repair_order_line::Column::FollowedUpAt.is_null())
                .order_by_desc(repair_order_line::Column::DecidedAt)
                .order_by_desc(repair_order_line::Column::Id)
                .limit(500),
        )
        .await?;
    let ids: Vec<Uuid> = declined.iter().map(|l| l.repair_order_id).collect();
    let orders = tx
        .all(orders_query.filter(repair_order::Column::Id.is_in(ids)))
        .await?;
    tx.commit().await?;
    Ok(declined
        .into_iter()
        .filter_map(|line| {
            let order = orders
                .iter()
                .find(|o| o.id == line.repair_order_id)?
                .clone();
            Some((order, line))
        })
        .collect())
}

/// The advisor offered a declined service again; it leaves the follow-up list.
pub async fn mark_followed_up(
    ws: &Workshop,
    actor: &Actor,
    line_id: Uuid,
) -> Result<(), ServiceError> {
    actor.require(Permission::RepairOrdersWrite)?;
    let tx = ws.store().tx(&TenantCtx::of(actor)).await?;
    let line = tx.get::<repair_order_line::Entity>(line_id).await?;
    // Its order decides whether the reader may see it (branch-limited staff).
    tx.get::<repair_order::Entity>(line.repair_order_id).await?;
    if line.decision != "declined" {
        return Err(FieldErrors::single("line_id", "only declined work is followed up").into());
    }
    let mut row = line.into_active_model();
    row.followed_up_at = Set(Some(Utc::now()));
    tx.update(row).await?;
    tx.commit().await?;
    Ok(())
}
