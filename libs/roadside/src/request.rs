//! One roadside request as every service shares it: its view, its timeline and how its
//! changes are announced.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use pitlane_domain::{
    Actor, ServiceError,
    live::Topic,
    money::Money,
    permissions::Permission,
    roadside::{GeoPoint, RoadsideStatus, Trouble},
    text::CurrencyCode,
};
use pitlane_frontdesk::vehicles;
use pitlane_store::{
    TenantTx,
    entity::{branch, customer, roadside_event, roadside_request, vehicle},
    sea_orm::{ActiveValue::Set, ColumnTrait, QueryFilter, QueryOrder},
};
use serde_json::json;
use uuid::Uuid;

use pitlane_notify::Live;

use crate::Roadside;

/// How a request is numbered for people: `RS-0042`.
pub fn display_number(number: i64) -> String {
    format!("RS-{number:04}")
}

/// A request as staff, its mechanic and its driver read it.
#[derive(Debug, Clone)]
pub struct RequestView {
    pub id: Uuid,
    pub number: i64,
    pub branch_id: Uuid,
    pub branch_name: String,
    pub customer_id: Uuid,
    pub customer_name: String,
    pub customer_phone: Option<String>,
    pub vehicle_id: Option<Uuid>,
    /// "Ford Focus (AB12 CDE)", or the plate the driver typed.
    pub vehicle: Option<String>,
    pub trouble: Trouble,
    pub note: Option<String>,
    pub address: Option<String>,
    pub position: Option<GeoPoint>,
    pub status: RoadsideStatus,
    /// `near`, `wide` or `dispatcher`: who it is offered to while it waits.
    pub ring: String,
    pub mechanic_id: Option<Uuid>,
    pub mechanic_name: Option<String>,
    pub distance_m: Option<i32>,
    pub quote: Money,
    pub eta_minutes: Option<i32>,
    pub arrival: Option<GeoPoint>,
    pub cancel_reason: Option<String>,
    pub outcome_note: Option<String>,
    pub invoice_id: Option<Uuid>,
    pub repair_order_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub en_route_at: Option<DateTime<Utc>>,
    pub arrived_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl RequestView {
    pub fn number_text(&self) -> String {
        display_number(self.number)
    }
}

/// One step on the timeline.
#[derive(Debug, Clone)]
pub struct TimelineEntry {
    pub kind: String,
    pub detail: Option<String>,
    pub actor_name: Option<String>,
    pub position: Option<GeoPoint>,
    pub at: DateTime<Utc>,
}

pub fn status_of(row: &roadside_request::Model) -> RoadsideStatus {
    RoadsideStatus::parse(&row.status).unwrap_or(RoadsideStatus::Cancelled)
}

pub(crate) fn position_of(row: &roadside_request::Model) -> Option<GeoPoint> {
    GeoPoint::from_micro(row.lat_micro, row.lon_micro)
}

/// The names of members (their users'), by membership id.
pub(crate) async fn member_names(
    tx: &TenantTx,
    memberships: &[Uuid],
) -> Result<HashMap<Uuid, String>, ServiceError> {
    pitlane_frontdesk::member_names(tx, memberships).await
}

/// The views of several requests, with the names they show read in one query each.
pub(crate) async fn views(
    tx: &TenantTx,
    rows: Vec<roadside_request::Model>,
) -> Result<Vec<RequestView>, ServiceError> {
    let ids = |f: fn(&roadside_request::Model) -> Option<Uuid>| -> Vec<Uuid> {
        let mut ids: Vec<Uuid> = rows.iter().filter_map(f).collect();
        ids.sort();
        ids.dedup();
        ids
    };
    let branches: HashMap<Uuid, String> = tx
        .all(
            tx.select::<branch::Entity>()
                .filter(branch::Column::Id.is_in(ids(|r| Some(r.branch_id)))),
        )
        .await?
        .into_iter()
        .map(|b| (b.id, b.name))
        .collect();
    let customers: HashMap<Uuid, customer::Model> = tx
        .all(
            tx.select::<customer::Entity>()
                .filter(customer::Column::Id.is_in(ids(|r| Some(r.customer_id)))),
        )
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let vehicles: HashMap<Uuid, String> = tx
        .all(
            tx.select::<vehicle::Entity>()
                .filter(vehicle::Column::Id.is_in(ids(|r| r.vehicle_id))),
        )
        .await?
        .into_iter()
        .map(|v| (v.id, vehicles::describe(&v)))
        .collect();
    let mechanics = member_names(tx, &ids(|r| r.mechanic_id)).await?;
    rows.into_iter()
        .map(|row| {
            let customer = customers.get(&row.customer_id);
            let currency = CurrencyCode::parse(&row.currency)
                .map_err(|e| ServiceError::internal(format!("a request's currency: {e}")))?;
            Ok(RequestView {
                id: row.id,
                number: row.number,
                branch_id: row.branch_id,
                branch_name: branches.get(&row.branch_id).cloned().unwrap_or_default(),
                customer_id: row.customer_id,
                customer_name: customer.map(|c| c.name.clone()).unwrap_or_default(),
                customer_phone: customer.and_then(|c| c.phone.clone()),
                vehicle_id: row.vehicle_id,
                vehicle: row
                    .vehicle_id
                    .and_then(|v| vehicles.get(&v).cloned())
                    .or(row.plate.clone()),
                trouble: Trouble::parse(&row.trouble).unwrap_or(Trouble::Other),
                note: row.note.clone(),
                address: row.address.clone(),
                position: position_of(&row),
                status: status_of(&row),
                ring: row.ring.clone(),
                mechanic_id: row.mechanic_id,
                mechanic_name: row.mechanic_id.and_then(|m| mechanics.get(&m).cloned()),
                distance_m: row.distance_m,
                quote: Money::new(row.quote_minor, currency),
                eta_minutes: row.eta_minutes,
                arrival: GeoPoint::from_micro(row.arrival_lat_micro, row.arrival_lon_micro),
                cancel_reason: row.cancel_reason.clone(),
                outcome_note: row.outcome_note.clone(),
                invoice_id: row.invoice_id,
                repair_order_id: row.repair_order_id,
                created_at: row.created_at,
                accepted_at: row.accepted_at,
                en_route_at: row.en_route_at,
                arrived_at: row.arrived_at,
                finished_at: row.finished_at,
            })
        })
        .collect()
}

pub(crate) async fn view(
    tx: &TenantTx,
    row: roadside_request::Model,
) -> Result<RequestView, ServiceError> {
    Ok(views(tx, vec![row]).await?.remove(0))
}

/// A request's timeline, oldest first.
pub(crate) async fn timeline(
    tx: &TenantTx,
    request: Uuid,
) -> Result<Vec<TimelineEntry>, ServiceError> {
    Ok(tx
        .all(
            tx.select::<roadside_event::Entity>()
                .filter(roadside_event::Column::RequestId.eq(request))
                .order_by_asc(roadside_event::Column::Id),
        )
        .await?
        .into_iter()
        .map(|e| TimelineEntry {
            position: GeoPoint::from_micro(e.lat_micro, e.lon_micro),
            kind: e.kind,
            detail: e.detail,
            actor_name: e.actor_name,
            at: e.at,
        })
        .collect())
}

/// Writes a step on the request's timeline, in the caller's transaction.
pub(crate) async fn record(
    tx: &TenantTx,
    request: Uuid,
    kind: &str,
    detail: Option<String>,
    actor_name: Option<String>,
    at: Option<GeoPoint>,
) -> Result<(), ServiceError> {
    let (lat, lon) = at.map(|p| p.to_micro()).unzip();
    tx.insert(roadside_event::ActiveModel {
        tenant_id: Set(tx.tenant_id().0),
        id: Set(Uuid::now_v7()),
        request_id: Set(request),
        kind: Set(kind.to_owned()),
        detail: Set(detail),
        actor_name: Set(actor_name),
        lat_micro: Set(lat),
        lon_micro: Set(lon),
        at: Set(Utc::now()),
    })
    .await?;
    Ok(())
}

/// The driver's link to their request (not single use; good for 90 days): where the
/// mechanic is, the steps, and (later) the chat and the bill.
pub fn driver_link(rs: &Roadside, site: &str, row: &roadside_request::Model) -> String {
    let token = rs.desk().signer.sign(
        pitlane_identity::links::Purpose::Roadside,
        row.id,
        row.created_at + chrono::Duration::days(90),
    );
    format!("{site}/roadside/track?token={token}")
}

/// Sends the driver a message about their request (by SMS when they agreed to texts, else by
/// e-mail), with the customer's name, the request's number and the driver's link besides
/// `vars`; in the caller's transaction. Nothing when the customer can be reached no way.
pub(crate) async fn message_driver<const N: usize>(
    rs: &Roadside,
    tx: &TenantTx,
    row: &roadside_request::Model,
    site: &str,
    kind: pitlane_domain::messages::MessageKind,
    vars: [(&str, String); N],
    idempotency_key: String,
) -> Result<(), ServiceError> {
    let customer = tx.get::<customer::Entity>(row.customer_id).await?;
    let Some(to) = pitlane_frontdesk::customers::reach(&customer) else {
        return Ok(());
    };
    let vars = [
        ("customer_name", customer.name.clone()),
        ("number", display_number(row.number)),
        ("link", driver_link(rs, site, row)),
    ]
    .into_iter()
    .chain(vars)
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    rs.desk()
        .outbox
        .enqueue(
            tx,
            pitlane_notify::OutgoingMessage {
                kind,
                to,
                vars,
                attachments: Vec::new(),
                send_at: None,
                idempotency_key,
            },
        )
        .await?;
    Ok(())
}

/// Tells the driver how their request moved on, with their link; once per step.
pub(crate) async fn tell_driver(
    rs: &Roadside,
    tx: &TenantTx,
    row: &roadside_request::Model,
    site: &str,
) -> Result<(), ServiceError> {
    let mechanic = match row.mechanic_id {
        Some(m) => member_names(tx, &[m]).await?.remove(&m),
        None => None,
    };
    message_driver(
        rs,
        tx,
        row,
        site,
        pitlane_domain::messages::MessageKind::RoadsideUpdate,
        [
            ("status", status_of(row).label().to_lowercase()),
            (
                "mechanic",
                mechanic.unwrap_or_else(|| "not assigned yet".to_owned()),
            ),
        ],
        format!(
            "rs:{}:{}:{}",
            row.id,
            row.status,
            row.updated_at.timestamp_micros()
        ),
    )
    .await
}

/// Tells the request's followers (its driver, its mechanic, the dispatchers) and the
/// dispatch board what changed; call after the transaction committed.
pub(crate) async fn announce(rs: &Roadside, row: &roadside_request::Model, kind: &str) {
    announce_on(rs.live(), row, kind).await;
}

pub(crate) async fn announce_on(live: &Live, row: &roadside_request::Model, kind: &str) {
    let data = json!({
        "id": row.id,
        "number": display_number(row.number),
        "status": row.status,
        "status_label": status_of(row).label(),
        "ring": row.ring,
        "mechanic_id": row.mechanic_id,
        "branch_id": row.branch_id,
        "eta_minutes": row.eta_minutes,
    });
    live.publish(
        row.tenant_id,
        Topic::Roadside,
        Some(row.id),
        kind,
        data.clone(),
    )
    .await;
    live.publish(row.tenant_id, Topic::Dispatch, None, kind, data)
        .await;
}

/// The request, if the actor is its mechanic or a dispatcher.
pub(crate) async fn as_worker(
    tx: &TenantTx,
    actor: &Actor,
    id: Uuid,
) -> Result<roadside_request::Model, ServiceError> {
    let row = tx.get::<roadside_request::Entity>(id).await?;
    let mine = actor.can(Permission::JobsWork) && row.mechanic_id == Some(actor.membership_id.0);
    if mine || actor.can(Permission::RoadsideDispatch) {
        Ok(row)
    } else if actor.can(Permission::JobsWork) {
        Err(ServiceError::Forbidden("the request's own mechanic"))
    } else {
        Err(ServiceError::Forbidden(Permission::RoadsideDispatch.key()))
    }
}

/// A timeline step as people read it.
pub fn step_label(kind: &str) -> &'static str {
    match kind {
        "requested" => "Asked for help",
        "accepted" => "A mechanic took it",
        "assigned" => "Given to a mechanic",
        "widened" => "Offered to more mechanics",
        "escalated" => "Passed to the dispatcher",
        "released" => "The mechanic could not go",
        "en_route" => "On the way",
        "on_site" => "Arrived",
        "working" => "Working on the vehicle",
        "done" => "Fixed on the spot",
        "towed_in" => "Towed to the workshop",
        "cancelled" => "Cancelled",
        _ => "Update",
    }
}

/// The kind of the last event of a request's stream: after it, the stream ends.
pub const CLOSED: &str = "roadside.closed";
