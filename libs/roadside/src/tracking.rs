//! Where the mechanics are. A mechanic's phone sends its position every few seconds while on
//! duty; it is not written to the database one by one:
//!
//! - the **latest** position is kept in the bus (Redis, shared by every server; memory when
//!   embedded) for 15 minutes: what the nearest-first search and the driver's page read;
//! - while the mechanic drives to a request, each position is **announced** to that request's
//!   followers as a passing live update (no history), with distance and arrival estimate;
//! - a **trail** is sampled into the database, a point at most every 30 seconds unless the
//!   mechanic moved 250 m, for the record and the privacy export.
//!
//! Which request a mechanic drives to is cached in the bus too, so a position costs two bus
//! round trips and no query; the cache is filled from the database when it is missing (after
//! a Redis restart, say).

use std::time::Duration;

use chrono::{DateTime, Utc};
use pitlane_domain::{
    Actor, FieldErrors, ServiceError,
    ids::TenantId,
    live::Topic,
    permissions::Permission,
    roadside::{GeoPoint, compass_point, eta},
};
use pitlane_store::{
    TenantCtx, TenantTx,
    entity::{roadside_request, roadside_trail},
    sea_orm::{ActiveValue::Set, ColumnTrait, QueryFilter, QueryOrder},
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use crate::{Roadside, request::position_of, settings};

/// How long a position counts as the mechanic's latest.
const LATEST_FOR: Duration = Duration::from_secs(15 * 60);
/// How long the answer to "where does this mechanic drive?" is trusted before it is read
/// from the database again: a missed update (a cancellation announced by another server
/// that lost its bus connection) heals within this time.
const DRIVING_FOR: Duration = Duration::from_secs(30);
/// A trail point at most this often, unless the mechanic moved `TRAIL_EVERY_M`.
const TRAIL_EVERY_S: i64 = 30;
const TRAIL_EVERY_M: f64 = 250.0;

/// A position and when it was taken.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Fix {
    pub lat: f64,
    pub lon: f64,
    pub at: DateTime<Utc>,
}

impl Fix {
    pub fn point(&self) -> Option<GeoPoint> {
        GeoPoint::new(self.lat, self.lon).ok()
    }
}

/// The request a mechanic drives to, as the position path needs it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Driving {
    request: Option<Uuid>,
    lat_micro: Option<i64>,
    lon_micro: Option<i64>,
    speed_kmh: i32,
}

fn latest_key(tenant: Uuid, member: Uuid) -> String {
    format!("roadside:pos:{tenant}:{member}")
}

fn driving_key(tenant: Uuid, member: Uuid) -> String {
    format!("roadside:driving:{tenant}:{member}")
}

fn trail_key(tenant: Uuid, member: Uuid) -> String {
    format!("roadside:trail:{tenant}:{member}")
}

/// The latest positions of mechanics, in the order asked (`None`: unknown or too old).
pub async fn latest(rs: &Roadside, tenant: Uuid, members: &[Uuid]) -> Vec<Option<Fix>> {
    let keys: Vec<String> = members.iter().map(|m| latest_key(tenant, *m)).collect();
    match rs.bus.kv.get_many(&keys).await {
        Ok(values) => values
            .into_iter()
            .map(|v| v.and_then(|bytes| serde_json::from_slice(&bytes).ok()))
            .collect(),
        Err(err) => {
            tracing::warn!(error = %err, "roadside: reading positions");
            vec![None; members.len()]
        }
    }
}

/// What the mechanic's phone is told after sending a position.
#[derive(Debug, Clone)]
pub struct Reported {
    /// The request they drive to, whose driver now sees them.
    pub sharing_with: Option<Uuid>,
    pub distance_m: Option<f64>,
    pub eta_minutes: Option<i64>,
}

/// A mechanic's phone reports where it is.
pub async fn report(rs: &Roadside, actor: &Actor, at: GeoPoint) -> Result<Reported, ServiceError> {
    actor.require(Permission::JobsWork)?;
    let (tenant, member) = (actor.tenant_id.0, actor.membership_id.0);
    let fix = Fix {
        lat: at.lat(),
        lon: at.lon(),
        at: Utc::now(),
    };
    let body = serde_json::to_vec(&fix).map_err(ServiceError::internal)?;
    rs.bus
        .kv
        .set(&latest_key(tenant, member), &body, Some(LATEST_FOR))
        .await
        .map_err(ServiceError::internal)?;
    // Who they drive to and the last trail point, in one read of the bus.
    let keys = [driving_key(tenant, member), trail_key(tenant, member)];
    let [known_driving, last_trail] = match rs.bus.kv.get_many(&keys).await {
        Ok(values) => <[Option<Vec<u8>>; 2]>::try_from(values).unwrap_or_default(),
        Err(_) => [None, None],
    };
    let driving = driving_to(rs, actor.tenant_id, member, known_driving).await?;
    let Some(request) = driving.request else {
        return Ok(Reported {
            sharing_with: None,
            distance_m: None,
            eta_minutes: None,
        });
    };
    let driver = GeoPoint::from_micro(driving.lat_micro, driving.lon_micro);
    let distance = driver.map(|d| at.distance_m(&d));
    let minutes = distance.map(|d| eta(d, f64::from(driving.speed_kmh)).as_secs() as i64 / 60);
    let bearing = driver.map(|d| d.bearing_deg(&at));
    rs.live().publish_passing(
        tenant,
        Topic::Roadside,
        Some(request),
        "roadside.position",
        json!({
            "lat": at.lat(),
            "lon": at.lon(),
            "distance_m": distance.map(|d| d.round() as i64),
            "eta_minutes": minutes,
            // Where the mechanic is, seen from the driver.
            "bearing_deg": bearing.map(|b| b.round() as i64),
            "compass": bearing.map(compass_point),
            "at": fix.at,
        }),
    );
    let last_trail = last_trail.and_then(|bytes| serde_json::from_slice(&bytes).ok());
    sample_trail(rs, actor.tenant_id, member, request, &fix, last_trail).await?;
    Ok(Reported {
        sharing_with: Some(request),
        distance_m: distance,
        eta_minutes: minutes,
    })
}

/// Which request the mechanic shares their position with now: what the bus said
/// (`known`), or, when it does not know, the database's answer (then remembered).
async fn driving_to(
    rs: &Roadside,
    tenant: TenantId,
    member: Uuid,
    known: Option<Vec<u8>>,
) -> Result<Driving, ServiceError> {
    if let Some(driving) = known.and_then(|bytes| serde_json::from_slice::<Driving>(&bytes).ok()) {
        return Ok(driving);
    }
    let tx = rs.store().tx(&TenantCtx::new(tenant)).await?;
    let row = tx
        .first(
            tx.select::<roadside_request::Entity>()
                .filter(roadside_request::Column::MechanicId.eq(member))
                .filter(roadside_request::Column::Status.is_in(["accepted", "en_route"]))
                .order_by_desc(roadside_request::Column::AcceptedAt),
        )
        .await?;
    let driving = match row {
        Some(row) => {
            let speed = settings::of_branch(&tx, row.branch_id).await?.speed_kmh;
            driving_of(&row, speed)
        }
        None => Driving {
            request: None,
            lat_micro: None,
            lon_micro: None,
            speed_kmh: 0,
        },
    };
    tx.commit().await?;
    remember(rs, tenant.0, member, &driving).await;
    Ok(driving)
}

fn driving_of(row: &roadside_request::Model, speed_kmh: i32) -> Driving {
    Driving {
        request: Some(row.id),
        lat_micro: row.lat_micro,
        lon_micro: row.lon_micro,
        speed_kmh,
    }
}

async fn remember(rs: &Roadside, tenant: Uuid, member: Uuid, driving: &Driving) {
    let body = serde_json::to_vec(driving).unwrap_or_default();
    if let Err(err) = rs
        .bus
        .kv
        .set(&driving_key(tenant, member), &body, Some(DRIVING_FOR))
        .await
    {
        tracing::warn!(error = %err, "roadside: remembering who drives where");
    }
}

/// The mechanic now shares their position with this request's driver (after acceptance).
pub(crate) async fn start_sharing(rs: &Roadside, row: &roadside_request::Model, speed_kmh: i32) {
    if let Some(member) = row.mechanic_id {
        remember(rs, row.tenant_id, member, &driving_of(row, speed_kmh)).await;
    }
}

/// The mechanic stops sharing (arrived, reassigned, the request closed).
pub(crate) async fn stop_sharing(rs: &Roadside, tenant: Uuid, member: Uuid) {
    forget(&rs.bus, tenant, member).await;
}

pub(crate) async fn forget(bus: &pitlane_bus::Bus, tenant: Uuid, member: Uuid) {
    if let Err(err) = bus.kv.delete(&driving_key(tenant, member)).await {
        tracing::warn!(error = %err, "roadside: forgetting who drives where");
    }
}

/// Positions are kept to the centimetre for 30 days (disputes, the record), then to about a
/// kilometre: the requests', the timelines' and the trails'. Returns how many requests were
/// coarsened; at most `batch` a call.
pub async fn coarsen_old(
    rs: &Roadside,
    tenant: TenantId,
    batch: u64,
) -> Result<usize, ServiceError> {
    use pitlane_store::{
        entity::roadside_event,
        sea_orm::{EntityTrait, QuerySelect, sea_query::Expr},
    };
    let tx = rs.store().tx(&TenantCtx::new(tenant)).await?;
    let old: Vec<Uuid> = tx
        .all(
            tx.select::<roadside_request::Entity>()
                .filter(roadside_request::Column::PositionsCoarsened.eq(false))
                .filter(
                    roadside_request::Column::CreatedAt.lt(Utc::now() - chrono::Duration::days(30)),
                )
                .order_by_asc(roadside_request::Column::Id)
                .limit(batch),
        )
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect();
    if old.is_empty() {
        tx.commit().await?;
        return Ok(0);
    }
    // To two decimals of a degree, as `GeoPoint::coarsened` does.
    let coarse = |column: &str| Expr::cust(format!("round({column} / 10000.0) * 10000"));
    tx.update_all(
        roadside_request::Entity::update_many()
            .col_expr(roadside_request::Column::LatMicro, coarse("lat_micro"))
            .col_expr(roadside_request::Column::LonMicro, coarse("lon_micro"))
            .col_expr(
                roadside_request::Column::ArrivalLatMicro,
                coarse("arrival_lat_micro"),
            )
            .col_expr(
                roadside_request::Column::ArrivalLonMicro,
                coarse("arrival_lon_micro"),
            )
            .col_expr(
                roadside_request::Column::PositionsCoarsened,
                Expr::value(true),
            )
            .filter(roadside_request::Column::Id.is_in(old.clone())),
    )
    .await?;
    tx.update_all(
        roadside_event::Entity::update_many()
            .col_expr(roadside_event::Column::LatMicro, coarse("lat_micro"))
            .col_expr(roadside_event::Column::LonMicro, coarse("lon_micro"))
            .filter(roadside_event::Column::RequestId.is_in(old.clone())),
    )
    .await?;
    tx.update_all(
        roadside_trail::Entity::update_many()
            .col_expr(roadside_trail::Column::LatMicro, coarse("lat_micro"))
            .col_expr(roadside_trail::Column::LonMicro, coarse("lon_micro"))
            .filter(roadside_trail::Column::RequestId.is_in(old.clone())),
    )
    .await?;
    tx.commit().await?;
    Ok(old.len())
}

/// Writes a trail point when the last one is old enough or far enough.
async fn sample_trail(
    rs: &Roadside,
    tenant: TenantId,
    member: Uuid,
    request: Uuid,
    fix: &Fix,
    last: Option<Fix>,
) -> Result<(), ServiceError> {
    let key = trail_key(tenant.0, member);
    let due = match last {
        None => true,
        Some(last) => {
            (fix.at - last.at).num_seconds() >= TRAIL_EVERY_S
                || match (last.point(), fix.point()) {
                    (Some(a), Some(b)) => a.distance_m(&b) >= TRAIL_EVERY_M,
                    _ => true,
                }
        }
    };
    if !due {
        return Ok(());
    }
    let Some(point) = fix.point() else {
        return Ok(());
    };
    let tx = rs.store().tx(&TenantCtx::new(tenant)).await?;
    write_trail(&tx, request, member, point).await?;
    tx.commit().await?;
    let body = serde_json::to_vec(fix).unwrap_or_default();
    let _ = rs
        .bus
        .kv
        .set(&key, &body, Some(Duration::from_secs(3600)))
        .await;
    Ok(())
}

pub(crate) async fn write_trail(
    tx: &TenantTx,
    request: Uuid,
    member: Uuid,
    at: GeoPoint,
) -> Result<(), ServiceError> {
    let (lat, lon) = at.to_micro();
    tx.insert(roadside_trail::ActiveModel {
        tenant_id: Set(tx.tenant_id().0),
        id: Set(Uuid::now_v7()),
        request_id: Set(request),
        membership_id: Set(member),
        lat_micro: Set(lat),
        lon_micro: Set(lon),
        at: Set(Utc::now()),
    })
    .await?;
    Ok(())
}

/// Where the mechanic of a request is, seen from the driver: position, distance, direction
/// and arrival estimate. `None` while nobody drives to it (or the position is unknown).
#[derive(Debug, Clone)]
pub struct Approach {
    pub at: GeoPoint,
    pub seen_at: DateTime<Utc>,
    pub distance_m: Option<f64>,
    pub bearing_deg: Option<f64>,
    pub eta_minutes: Option<i64>,
}

pub(crate) async fn approach(
    rs: &Roadside,
    row: &roadside_request::Model,
    speed_kmh: i32,
) -> Option<Approach> {
    let member = row.mechanic_id?;
    let fix = latest(rs, row.tenant_id, &[member]).await.pop().flatten()?;
    let at = fix.point()?;
    let driver = position_of(row);
    let distance = driver.map(|d| at.distance_m(&d));
    Some(Approach {
        at,
        seen_at: fix.at,
        distance_m: distance,
        bearing_deg: driver.map(|d| d.bearing_deg(&at)),
        eta_minutes: distance.map(|d| eta(d, f64::from(speed_kmh)).as_secs() as i64 / 60),
    })
}

/// Checks a position typed or sent as two numbers.
pub fn point(lat: f64, lon: f64) -> Result<GeoPoint, ServiceError> {
    GeoPoint::new(lat, lon).map_err(|e| FieldErrors::single("latitude", e).into())
}
