//! A taken request's steps: on the way, arrived (stamped with where the mechanic was), working
//! on the car, then fixed on the spot or towed to the branch (a repair order is opened there
//! with the request's notes); or cancelled, by the driver, a dispatcher, or the erasure of the
//! customer. The mechanic stops sharing their position at arrival or at the end.

use chrono::Utc;
use pitlane_domain::{
    Actor, FieldErrors, ServiceError,
    ids::{CustomerId, VehicleId},
    permissions::Permission,
    roadside::{GeoPoint, RoadsideStatus, Trouble},
    text::optional_text,
};
use pitlane_notify::staff::{NewNotification, Notified, notify_users};
use pitlane_store::{
    TenantCtx, TenantTx,
    entity::{membership, roadside_request},
    sea_orm::{ActiveValue::Set, IntoActiveModel},
};
use pitlane_workshop::orders::{OrderInput, open_order_in};
use uuid::Uuid;

use crate::{
    Roadside,
    request::{self, CLOSED, RequestView, as_worker, display_number, status_of},
    tracking, work,
};

/// A step the mechanic (or a dispatcher) takes.
#[derive(Debug, Clone)]
pub struct Step {
    pub to: RoadsideStatus,
    /// Where the mechanic is; the arrival is stamped with it (or their last known position).
    pub at: Option<GeoPoint>,
    pub note: Option<String>,
}

fn refuse_step(from: RoadsideStatus, to: RoadsideStatus) -> ServiceError {
    ServiceError::Conflict(FieldErrors::single(
        "status",
        format!(
            "the request is {}; it cannot go to \u{201c}{}\u{201d} from there",
            from.label().to_lowercase(),
            to.label().to_lowercase()
        ),
    ))
}

/// Moves a request on. Waiting and cancelled are not steps: a request goes back to waiting
/// by reassignment, and ends early by [`cancel`].
pub async fn advance(
    rs: &Roadside,
    actor: &Actor,
    id: Uuid,
    step: Step,
    site: &str,
) -> Result<RequestView, ServiceError> {
    let note = optional_text(step.note.as_deref(), 2000)
        .map_err(|e| FieldErrors::single("note", e.to_string()))?;
    if matches!(
        step.to,
        RoadsideStatus::Requested | RoadsideStatus::Cancelled
    ) {
        return Err(FieldErrors::single(
            "status",
            "choose en_route, on_site, working, done or towed_in (cancel has its own action)",
        )
        .into());
    }
    let tx = rs.store().tx(&TenantCtx::of(actor)).await?;
    let row = as_worker(&tx, actor, id).await?;
    let from = status_of(&row);
    if !from.can_move_to(step.to) {
        return Err(refuse_step(from, step.to));
    }
    let now = Utc::now();
    let name = tx.actor_name(actor).await?;
    let mut active = row.clone().into_active_model();
    active.status = Set(step.to.key().to_owned());
    active.updated_at = Set(now);
    let mut at = step.at;
    let mut opened = None;
    let mut billed = None;
    let mut stock_told = Notified::default();
    if !step.to.is_open() {
        active.commission_minor = Set(Some(work::settings_commission(&tx, &row).await?));
    }
    match step.to {
        RoadsideStatus::EnRoute => active.en_route_at = Set(Some(now)),
        RoadsideStatus::OnSite => {
            if at.is_none()
                && let Some(member) = row.mechanic_id
            {
                at = tracking::latest(rs, row.tenant_id, &[member])
                    .await
                    .pop()
                    .flatten()
                    .and_then(|f| f.point());
            }
            let (lat, lon) = at.map(|p| p.to_micro()).unzip();
            active.arrived_at = Set(Some(now));
            active.arrival_lat_micro = Set(lat);
            active.arrival_lon_micro = Set(lon);
            if let (Some(member), Some(point)) = (row.mechanic_id, at) {
                tracking::write_trail(&tx, row.id, member, point).await?;
            }
        }
        RoadsideStatus::Done => {
            active.finished_at = Set(Some(now));
            active.outcome_note = Set(note.clone());
            let (invoice, told) = work::bill_in(rs, &tx, actor, &row, site).await?;
            active.invoice_id = Set(invoice.as_ref().map(|i| i.id));
            billed = invoice;
            stock_told = told;
        }
        RoadsideStatus::TowedIn => {
            active.finished_at = Set(Some(now));
            active.outcome_note = Set(note.clone());
            let order = tow_in(&tx, actor, &row).await?;
            work::carry_to_order_in(&tx, &row, &order).await?;
            active.repair_order_id = Set(Some(order.id));
            opened = Some(order);
        }
        _ => {}
    }
    let row = tx.update(active).await?;
    request::record(&tx, id, step.to.key(), note, name, at).await?;
    if matches!(
        step.to,
        RoadsideStatus::OnSite | RoadsideStatus::Done | RoadsideStatus::TowedIn
    ) {
        request::tell_driver(rs, &tx, &row, site).await?;
    }
    // Fixed on the spot: the driver is asked how it went. (Towed in, they are asked when the
    // repair order closes.)
    if step.to == RoadsideStatus::Done {
        let trouble = Trouble::parse(&row.trouble).unwrap_or(Trouble::Other);
        let ask = pitlane_frontdesk::feedback::Ask {
            subject: pitlane_frontdesk::feedback::Subject::Roadside(row.id),
            branch_id: row.branch_id,
            customer_id: row.customer_id,
            mechanic_id: row.mechanic_id,
            label: format!("{} · {}", display_number(row.number), trouble.label()),
            phrase: "your roadside help".to_owned(),
        };
        pitlane_frontdesk::feedback::ask_in(rs.desk(), &tx, ask, site).await?;
    }
    let view = request::view(&tx, row.clone()).await?;
    tx.commit().await?;
    if !step.to.shares_location()
        && let Some(member) = row.mechanic_id
    {
        tracking::stop_sharing(rs, row.tenant_id, member).await;
    }
    if let Some(order) = opened {
        pitlane_workshop::order::publish(&rs.billing.workshop, &order, "repair_order.opened").await;
    }
    if let Some(invoice) = billed {
        pitlane_billing::invoice::publish(&rs.billing, &invoice, "invoice.issued").await;
    }
    stock_told.publish(rs.live()).await;
    request::announce(rs, &row, &format!("roadside.{}", step.to.key())).await;
    if !step.to.is_open() {
        request::announce(rs, &row, CLOSED).await;
    }
    Ok(view)
}

/// The car goes to the branch: a repair order waits for it there, with what the driver said.
async fn tow_in(
    tx: &TenantTx,
    actor: &Actor,
    row: &roadside_request::Model,
) -> Result<pitlane_store::entity::repair_order::Model, ServiceError> {
    let Some(vehicle) = row.vehicle_id else {
        return Err(FieldErrors::single("status", "the request has no vehicle to tow in").into());
    };
    let trouble = Trouble::parse(&row.trouble).unwrap_or(Trouble::Other);
    let mut concern = format!(
        "Towed in from roadside {}: {}.",
        display_number(row.number),
        trouble.label()
    );
    if let Some(note) = &row.note {
        concern.push_str(&format!(" Driver: {note}"));
    }
    if let Some(address) = &row.address {
        concern.push_str(&format!(" Where: {address}"));
    }
    let concern: String = concern.chars().take(2000).collect();
    open_order_in(
        tx,
        actor,
        &OrderInput {
            branch_id: row.branch_id,
            customer_id: CustomerId(row.customer_id),
            vehicle_id: VehicleId(vehicle),
            mileage_in: None,
            correction_reason: None,
            concern: Some(concern),
            promised_at: None,
            follow_updates: true,
        },
    )
    .await
}

/// Ends an open request early, saying why; its mechanic (if any) is told and stops sharing.
pub(crate) async fn cancel_in(
    tx: &TenantTx,
    row: roadside_request::Model,
    reason: &str,
    by: &str,
    by_name: Option<String>,
) -> Result<(roadside_request::Model, Notified), ServiceError> {
    let from = status_of(&row);
    if !from.can_move_to(RoadsideStatus::Cancelled) {
        return Err(refuse_step(from, RoadsideStatus::Cancelled));
    }
    let now = Utc::now();
    let mut active = row.clone().into_active_model();
    active.status = Set("cancelled".into());
    active.cancel_reason = Set(Some(reason.to_owned()));
    active.cancelled_by = Set(Some(by.to_owned()));
    active.finished_at = Set(Some(now));
    active.updated_at = Set(now);
    let saved = tx.update(active).await?;
    request::record(
        tx,
        row.id,
        "cancelled",
        Some(reason.to_owned()),
        by_name,
        None,
    )
    .await?;
    let told = match row.mechanic_id {
        Some(member) => {
            let member = tx.get::<membership::Entity>(member).await?;
            notify_users(
                tx,
                &[member.user_id],
                &NewNotification {
                    title: format!("Roadside {} was cancelled", display_number(row.number)),
                    body: format!("You need not drive there: {reason}"),
                    link: Some(format!("/portal/roadside/{}", row.id)),
                },
            )
            .await?
        }
        None => Notified::default(),
    };
    Ok((saved, told))
}

/// After a cancellation committed: the mechanic stops sharing, everyone hears of it.
pub(crate) async fn cancelled(rs: &Roadside, row: &roadside_request::Model, told: Notified) {
    if let Some(member) = row.mechanic_id {
        tracking::stop_sharing(rs, row.tenant_id, member).await;
    }
    told.publish(rs.live()).await;
    request::announce(rs, row, "roadside.cancelled").await;
    request::announce(rs, row, CLOSED).await;
}

pub(crate) fn reason(raw: &str) -> Result<String, ServiceError> {
    match optional_text(Some(raw), 500) {
        Ok(Some(reason)) => Ok(reason),
        Ok(None) => Err(FieldErrors::single("reason", "say why it is cancelled").into()),
        Err(e) => Err(FieldErrors::single("reason", e.to_string()).into()),
    }
}

/// A dispatcher cancels a request.
pub async fn cancel(
    rs: &Roadside,
    actor: &Actor,
    id: Uuid,
    why: &str,
    site: &str,
) -> Result<RequestView, ServiceError> {
    actor.require(Permission::RoadsideDispatch)?;
    let why = reason(why)?;
    let tx = rs.store().tx(&TenantCtx::of(actor)).await?;
    let row = tx.get::<roadside_request::Entity>(id).await?;
    let name = tx.actor_name(actor).await?;
    let (row, told) = cancel_in(&tx, row, &why, "staff", name).await?;
    request::tell_driver(rs, &tx, &row, site).await?;
    let view = request::view(&tx, row.clone()).await?;
    tx.commit().await?;
    cancelled(rs, &row, told).await;
    Ok(view)
}

/// The request's mechanic cannot go after all: it waits for another (offered to the wider
/// ring at once, and to the dispatchers).
pub async fn release(
    rs: &Roadside,
    actor: &Actor,
    id: Uuid,
    why: &str,
) -> Result<RequestView, ServiceError> {
    actor.require(Permission::JobsWork)?;
    let why = reason(why)?;
    let tx = rs.store().tx(&TenantCtx::of(actor)).await?;
    let row = tx.get::<roadside_request::Entity>(id).await?;
    if row.mechanic_id != Some(actor.membership_id.0) {
        return Err(ServiceError::Forbidden("the request's own mechanic"));
    }
    let from = status_of(&row);
    if !from.can_move_to(RoadsideStatus::Requested) {
        return Err(refuse_step(from, RoadsideStatus::Requested));
    }
    let mut active = row.clone().into_active_model();
    active.status = Set("requested".into());
    active.mechanic_id = Set(None);
    active.accepted_at = Set(None);
    active.en_route_at = Set(None);
    active.ring = Set("dispatcher".into());
    active.updated_at = Set(Utc::now());
    let saved = tx.update(active).await?;
    let name = tx.actor_name(actor).await?;
    request::record(&tx, id, "released", Some(why), name, None).await?;
    let told = pitlane_notify::staff::notify_members_with(
        &tx,
        Permission::RoadsideDispatch,
        &NewNotification {
            title: format!(
                "Roadside {} needs a mechanic again",
                display_number(row.number)
            ),
            body: "Its mechanic cannot go after all.".into(),
            link: Some(format!("/portal/roadside/{id}")),
        },
    )
    .await?;
    let view = request::view(&tx, saved.clone()).await?;
    tx.commit().await?;
    tracking::stop_sharing(rs, saved.tenant_id, actor.membership_id.0).await;
    told.publish(rs.live()).await;
    request::announce(rs, &saved, "roadside.released").await;
    Ok(view)
}
