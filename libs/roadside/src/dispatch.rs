//! Who takes a request. A new request is offered to the on-duty mechanics who drive out for
//! its branch, nearest first by their last known position, within the branch's near ring; as
//! it waits it is offered wider, then to the dispatcher (see `Escalation`). Any mechanic it is
//! offered to may take it: the first acceptance wins, however many tap at once (one
//! conditional update decides). A dispatcher may assign or reassign it to anyone on duty.
//!
//! The dispatch board lists the open requests with their age and the branch's targets: time
//! to accept and time to arrive.

use std::time::Duration;

use chrono::{DateTime, Utc};
use pitlane_domain::{
    Actor, FieldErrors, ServiceError,
    ids::TenantId,
    permissions::{Permission, membership_permissions},
    roadside::{GeoPoint, Ring, RoadsideStatus, eta, nearest},
};
use pitlane_notify::staff::{NewNotification, Notified, notify_members_with, notify_users};
use pitlane_store::{
    TenantCtx, TenantTx,
    entity::{mechanic_profile, membership, membership_branch, roadside_request, role},
    sea_orm::{
        ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
        sea_query::Expr,
    },
};
use pitlane_workshop::jobs::{known_mechanic, may_work, works_at};
use uuid::Uuid;

use crate::{
    Roadside,
    request::{self, RequestView, display_number, position_of, status_of},
    settings::{self, RoadsideSettings},
    tracking::{self, Fix},
};

/// The ring of a waiting request: the stored one, or a wider one its age has reached.
pub fn ring_of(
    row: &roadside_request::Model,
    settings: &RoadsideSettings,
    now: DateTime<Utc>,
) -> Ring {
    let waited = (now - row.created_at).to_std().unwrap_or_default();
    let by_age = settings.escalation().ring(waited);
    let stored = match row.ring.as_str() {
        "dispatcher" => Ring::Dispatcher,
        "wide" => Ring::Wide(settings.wide_m.max(1) as u32),
        _ => Ring::Near(settings.near_m.max(1) as u32),
    };
    let rank = |r: &Ring| match r {
        Ring::Near(_) => 0,
        Ring::Wide(_) => 1,
        Ring::Dispatcher => 2,
    };
    if rank(&by_age) > rank(&stored) {
        by_age
    } else {
        stored
    }
}

fn ring_key(ring: Ring) -> &'static str {
    match ring {
        Ring::Near(_) => "near",
        Ring::Wide(_) => "wide",
        Ring::Dispatcher => "dispatcher",
    }
}

/// A mechanic's roadside duty as their phone shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duty {
    pub takes_roadside: bool,
    pub on_duty_since: Option<DateTime<Utc>>,
}

async fn profile_of(
    tx: &TenantTx,
    member: Uuid,
) -> Result<Option<mechanic_profile::Model>, ServiceError> {
    Ok(tx
        .first(
            tx.select::<mechanic_profile::Entity>()
                .filter(mechanic_profile::Column::MembershipId.eq(member)),
        )
        .await?)
}

pub async fn duty(rs: &Roadside, actor: &Actor) -> Result<Duty, ServiceError> {
    actor.require(Permission::JobsWork)?;
    let tx = rs.store().tx(&TenantCtx::of(actor)).await?;
    let profile = profile_of(&tx, actor.membership_id.0).await?;
    tx.commit().await?;
    Ok(Duty {
        takes_roadside: profile.as_ref().is_some_and(|p| p.takes_roadside),
        on_duty_since: profile.and_then(|p| p.on_duty_since),
    })
}

/// A mechanic goes on or off roadside duty (only one the workshop lets drive out).
pub async fn set_duty(rs: &Roadside, actor: &Actor, on: bool) -> Result<Duty, ServiceError> {
    actor.require(Permission::JobsWork)?;
    let tx = rs.store().tx(&TenantCtx::of(actor)).await?;
    let Some(profile) = profile_of(&tx, actor.membership_id.0)
        .await?
        .filter(|p| p.takes_roadside)
    else {
        return Err(FieldErrors::single(
            "on_duty",
            "the workshop has not asked you to take roadside jobs; ask a manager",
        )
        .into());
    };
    let since = match (on, profile.on_duty_since) {
        (true, Some(since)) => Some(since),
        (true, None) => Some(Utc::now()),
        (false, _) => None,
    };
    let mut row = profile.into_active_model();
    row.on_duty_since = Set(since);
    row.updated_at = Set(Utc::now());
    tx.update(row).await?;
    tx.commit().await?;
    Ok(Duty {
        takes_roadside: true,
        on_duty_since: since,
    })
}

/// Lets a mechanic drive out to roadside requests, or stops them (and takes them off duty).
pub async fn set_takes_roadside(
    rs: &Roadside,
    actor: &Actor,
    member: Uuid,
    takes: bool,
) -> Result<Duty, ServiceError> {
    actor.require(Permission::StaffManage)?;
    let tx = rs.store().tx(&TenantCtx::of(actor)).await?;
    let member = match tx.get::<membership::Entity>(member).await {
        Ok(m) if m.status == "active" && may_work(&tx, &m).await? => m,
        Ok(_) => {
            return Err(FieldErrors::single(
                "takes_roadside",
                "only an active member who works jobs can drive out",
            )
            .into());
        }
        Err(e) => return Err(e.into()),
    };
    let since = match profile_of(&tx, member.id).await? {
        Some(profile) => {
            let since = profile.on_duty_since.filter(|_| takes);
            let mut row = profile.into_active_model();
            row.takes_roadside = Set(takes);
            row.on_duty_since = Set(since);
            row.updated_at = Set(Utc::now());
            tx.update(row).await?;
            since
        }
        None => {
            tx.insert(mechanic_profile::ActiveModel {
                tenant_id: Set(tx.tenant_id().0),
                id: Set(Uuid::now_v7()),
                membership_id: Set(member.id),
                skills: Set(String::new()),
                working_hours: Set(None),
                takes_roadside: Set(takes),
                on_duty_since: Set(None),
                updated_at: Set(Utc::now()),
                ..Default::default()
            })
            .await?;
            None
        }
    };
    tx.commit().await?;
    Ok(Duty {
        takes_roadside: takes,
        on_duty_since: since,
    })
}

/// The members the workshop lets drive out.
pub async fn drivers(rs: &Roadside, actor: &Actor) -> Result<Vec<Uuid>, ServiceError> {
    actor.require(Permission::TenantRead)?;
    let tx = rs.store().tx(&TenantCtx::of(actor)).await?;
    let members = tx
        .all(
            tx.select::<mechanic_profile::Entity>()
                .filter(mechanic_profile::Column::TakesRoadside.eq(true)),
        )
        .await?
        .into_iter()
        .map(|p| p.membership_id)
        .collect();
    tx.commit().await?;
    Ok(members)
}

/// The members on roadside duty who work at the branch.
pub(crate) async fn on_duty(
    tx: &TenantTx,
    branch_id: Uuid,
) -> Result<Vec<membership::Model>, ServiceError> {
    on_duty_at(tx, &[branch_id]).await
}

/// The mechanics on duty for roadside jobs at any of these branches, each once, by id.
pub(crate) async fn on_duty_at(
    tx: &TenantTx,
    branch_ids: &[Uuid],
) -> Result<Vec<membership::Model>, ServiceError> {
    if branch_ids.is_empty() {
        return Ok(Vec::new());
    }
    // One query: the members whose profile says they drive out and are on duty.
    let on_duty = sea_orm::sea_query::Query::select()
        .column(mechanic_profile::Column::MembershipId)
        .from(mechanic_profile::Entity)
        .and_where(mechanic_profile::Column::TenantId.eq(tx.tenant_id().0))
        .and_where(mechanic_profile::Column::TakesRoadside.eq(true))
        .and_where(mechanic_profile::Column::OnDutySince.is_not_null())
        .to_owned();
    let members = tx
        .all(
            tx.select::<membership::Entity>()
                .filter(membership::Column::Id.in_subquery(on_duty))
                .filter(membership::Column::Status.eq("active"))
                .order_by_asc(membership::Column::Id),
        )
        .await?;
    // Their custom roles and branches in a query each, not two per member (the nearest-first
    // search runs on every request and quote, with hundreds on duty), and only when one of
    // them has a custom role or is limited to some branches.
    let roles: std::collections::HashMap<Uuid, String> =
        if members.iter().any(|m| m.custom_role_id.is_some()) {
            tx.all(tx.select::<role::Entity>())
                .await?
                .into_iter()
                .map(|r| (r.id, r.permissions))
                .collect()
        } else {
            Default::default()
        };
    let here: std::collections::HashSet<Uuid> = if members.iter().any(|m| m.branch_limited) {
        tx.all(
            tx.select::<membership_branch::Entity>()
                .filter(membership_branch::Column::BranchId.is_in(branch_ids.to_vec())),
        )
        .await?
        .into_iter()
        .map(|link| link.membership_id)
        .collect()
    } else {
        Default::default()
    };
    Ok(members
        .into_iter()
        .filter(|m| {
            let custom = m
                .custom_role_id
                .and_then(|id| roles.get(&id))
                .map(String::as_str);
            membership_permissions(&m.role, custom)
                .is_some_and(|p| p.contains(Permission::JobsWork))
                && (!m.branch_limited || here.contains(&m.id))
        })
        .collect())
}

/// The on-duty mechanics of a branch within `within_m` of a position, nearest first (all of
/// them, in no order of distance, when the position is unknown).
pub(crate) async fn nearest_on_duty(
    rs: &Roadside,
    tx: &TenantTx,
    branch_id: Uuid,
    to: Option<GeoPoint>,
    within_m: i32,
) -> Result<Vec<membership::Model>, ServiceError> {
    let members = on_duty(tx, branch_id).await?;
    let Some(to) = to else {
        return Ok(members);
    };
    let ids: Vec<Uuid> = members.iter().map(|m| m.id).collect();
    let fixes = tracking::latest(rs, tx.tenant_id().0, &ids).await;
    let known: Vec<(Uuid, GeoPoint)> = ids
        .iter()
        .zip(fixes)
        .filter_map(|(id, fix)| Some((*id, fix?.point()?)))
        .collect();
    let order = nearest(&known, &to, f64::from(within_m), 20);
    Ok(order
        .into_iter()
        .filter_map(|(id, _)| members.iter().find(|m| m.id == id).cloned())
        .collect())
}

/// A request offered to a mechanic, with how far they are from it.
#[derive(Debug, Clone)]
pub struct Offer {
    pub request: RequestView,
    pub distance_m: Option<f64>,
    pub eta_minutes: Option<i64>,
}

/// The waiting requests offered to the signed-in mechanic now, nearest first: those of their
/// branches whose ring reaches them (every one once it waits for the dispatcher).
pub async fn offers(rs: &Roadside, actor: &Actor) -> Result<Vec<Offer>, ServiceError> {
    actor.require(Permission::JobsWork)?;
    let tx = rs.store().tx(&TenantCtx::of(actor)).await?;
    let me = actor.membership_id.0;
    let takes = profile_of(&tx, me).await?.is_some_and(|p| p.takes_roadside);
    if !takes {
        tx.commit().await?;
        return Ok(Vec::new());
    }
    let member = tx.get::<membership::Entity>(me).await?;
    let waiting = tx
        .all(
            tx.select::<roadside_request::Entity>()
                .filter(roadside_request::Column::Status.eq("requested"))
                .order_by_asc(roadside_request::Column::CreatedAt),
        )
        .await?;
    let here = tracking::latest(rs, actor.tenant_id.0, &[me])
        .await
        .pop()
        .flatten()
        .and_then(|f: Fix| f.point());
    let now = Utc::now();
    let mut offered = Vec::new();
    for row in waiting {
        if !works_at(&tx, &member, row.branch_id).await? {
            continue;
        }
        let settings = settings::of_branch(&tx, row.branch_id).await?;
        let distance = match (here, position_of(&row)) {
            (Some(a), Some(b)) => Some(a.distance_m(&b)),
            _ => None,
        };
        let reaches = match (ring_of(&row, &settings, now), distance) {
            (Ring::Dispatcher, _) => true,
            (Ring::Near(m) | Ring::Wide(m), Some(d)) => d <= f64::from(m),
            // Without a position of the mechanic or the driver: once it is offered wider.
            (Ring::Wide(_), None) => true,
            (Ring::Near(_), None) => position_of(&row).is_none() || here.is_none(),
        };
        if reaches {
            offered.push((row, distance, settings.speed_kmh));
        }
    }
    offered.sort_by(|a, b| a.1.unwrap_or(f64::MAX).total_cmp(&b.1.unwrap_or(f64::MAX)));
    let mut result = Vec::new();
    for (row, distance, speed) in offered {
        result.push(Offer {
            request: request::view(&tx, row).await?,
            distance_m: distance,
            eta_minutes: distance.map(|d| eta(d, f64::from(speed)).as_secs() as i64 / 60),
        });
    }
    tx.commit().await?;
    Ok(result)
}

/// The mechanic's own open request (taken, on the way, there), if any.
pub async fn my_current(rs: &Roadside, actor: &Actor) -> Result<Option<RequestView>, ServiceError> {
    actor.require(Permission::JobsWork)?;
    let tx = rs.store().tx(&TenantCtx::of(actor)).await?;
    let row = tx
        .first(
            tx.select::<roadside_request::Entity>()
                .filter(roadside_request::Column::MechanicId.eq(actor.membership_id.0))
                .filter(
                    roadside_request::Column::Status
                        .is_in(["accepted", "en_route", "on_site", "working"]),
                )
                .order_by_desc(roadside_request::Column::AcceptedAt),
        )
        .await?;
    let view = match row {
        Some(row) => Some(request::view(&tx, row).await?),
        None => None,
    };
    tx.commit().await?;
    Ok(view)
}

/// Gives the request to `mechanic` if it still waits for one; `false` when someone else was
/// first. One conditional update: of any number of acceptances at once, exactly one wins. A
/// mechanic already on an open request is refused by a unique index, however requests race.
async fn claim(
    tx: &TenantTx,
    id: Uuid,
    mechanic: Uuid,
    from: &[&str],
    eta_minutes: Option<i32>,
) -> Result<bool, ServiceError> {
    let now = Utc::now();
    let taken = tx
        .update_all(
            roadside_request::Entity::update_many()
                .col_expr(roadside_request::Column::Status, Expr::value("accepted"))
                .col_expr(roadside_request::Column::MechanicId, Expr::value(mechanic))
                .col_expr(roadside_request::Column::AcceptedAt, Expr::value(now))
                .col_expr(
                    roadside_request::Column::EnRouteAt,
                    Expr::value(Option::<DateTime<Utc>>::None),
                )
                .col_expr(
                    roadside_request::Column::EtaMinutes,
                    Expr::value(eta_minutes),
                )
                .col_expr(roadside_request::Column::UpdatedAt, Expr::value(now))
                .filter(roadside_request::Column::Id.eq(id))
                .filter(roadside_request::Column::Status.is_in(from.to_vec())),
        )
        .await
        .map_err(|err| {
            if err.is_conflict_on("mechanic") {
                ServiceError::Conflict(FieldErrors::single(
                    "mechanic_id",
                    "this mechanic is already on another roadside request",
                ))
            } else {
                err.into()
            }
        })?;
    Ok(taken == 1)
}

/// The arrival estimate of a mechanic for a request, from their last known position.
async fn eta_of(
    rs: &Roadside,
    row: &roadside_request::Model,
    member: Uuid,
    speed_kmh: i32,
) -> Option<i32> {
    let fix = tracking::latest(rs, row.tenant_id, &[member])
        .await
        .pop()
        .flatten()?;
    let distance = fix.point()?.distance_m(&position_of(row)?);
    Some((eta(distance, f64::from(speed_kmh)).as_secs() / 60) as i32)
}

/// A mechanic takes a request offered to them. Several may tap at once; the first wins and
/// the others are told it is taken.
pub async fn accept(
    rs: &Roadside,
    actor: &Actor,
    id: Uuid,
    site: &str,
) -> Result<RequestView, ServiceError> {
    actor.require(Permission::JobsWork)?;
    let tx = rs.store().tx(&TenantCtx::of(actor)).await?;
    let row = tx.get::<roadside_request::Entity>(id).await?;
    let me = actor.membership_id.0;
    let member = tx.get::<membership::Entity>(me).await?;
    let takes = profile_of(&tx, me).await?.is_some_and(|p| p.takes_roadside);
    if !takes || !works_at(&tx, &member, row.branch_id).await? {
        return Err(ServiceError::Forbidden("roadside duty at this branch"));
    }
    let busy = tx
        .count(
            tx.select::<roadside_request::Entity>()
                .filter(roadside_request::Column::MechanicId.eq(me))
                .filter(
                    roadside_request::Column::Status
                        .is_in(["accepted", "en_route", "on_site", "working"]),
                ),
        )
        .await?;
    if busy > 0 {
        return Err(FieldErrors::single(
            "request",
            "finish the roadside job you have before taking another",
        )
        .into());
    }
    let settings = settings::of_branch(&tx, row.branch_id).await?;
    let eta = eta_of(rs, &row, me, settings.speed_kmh).await;
    if !claim(&tx, id, me, &["requested"], eta).await? {
        return Err(ServiceError::Conflict(FieldErrors::single(
            "request",
            "another mechanic took this request first",
        )));
    }
    let name = tx.actor_name(actor).await?;
    request::record(
        &tx,
        id,
        "accepted",
        eta.map(|m| format!("arriving in about {m} min")),
        name,
        None,
    )
    .await?;
    let row = tx.get::<roadside_request::Entity>(id).await?;
    request::tell_driver(rs, &tx, &row, site).await?;
    let view = request::view(&tx, row.clone()).await?;
    tx.commit().await?;
    tracking::start_sharing(rs, &row, settings.speed_kmh).await;
    request::announce(rs, &row, "roadside.accepted").await;
    Ok(view)
}

/// A dispatcher gives a request to a mechanic: a waiting one, or one whose mechanic is taken
/// off it (they are told).
pub async fn assign(
    rs: &Roadside,
    actor: &Actor,
    id: Uuid,
    mechanic: Uuid,
    site: &str,
) -> Result<RequestView, ServiceError> {
    actor.require(Permission::RoadsideDispatch)?;
    let tx = rs.store().tx(&TenantCtx::of(actor)).await?;
    let row = tx.get::<roadside_request::Entity>(id).await?;
    let member = known_mechanic(&tx, mechanic).await?;
    if !works_at(&tx, &member, row.branch_id).await? {
        return Err(FieldErrors::single(
            "mechanic_id",
            "this mechanic does not work at the request's branch",
        )
        .into());
    }
    let previous = row.mechanic_id.filter(|m| *m != mechanic);
    let status = status_of(&row);
    if !matches!(
        status,
        RoadsideStatus::Requested | RoadsideStatus::Accepted | RoadsideStatus::EnRoute
    ) {
        return Err(ServiceError::Conflict(FieldErrors::single(
            "status",
            format!(
                "the request is {}; it can no longer be assigned",
                status.label().to_lowercase()
            ),
        )));
    }
    let settings = settings::of_branch(&tx, row.branch_id).await?;
    let eta = eta_of(rs, &row, mechanic, settings.speed_kmh).await;
    if !claim(&tx, id, mechanic, &[status.key()], eta).await? {
        return Err(ServiceError::Conflict(FieldErrors::single(
            "request",
            "the request changed meanwhile; look again",
        )));
    }
    let names = request::member_names(&tx, &[mechanic]).await?;
    let by = tx.actor_name(actor).await?;
    let detail = match previous {
        Some(_) => format!(
            "reassigned to {}",
            names.get(&mechanic).cloned().unwrap_or_default()
        ),
        None => format!(
            "assigned to {}",
            names.get(&mechanic).cloned().unwrap_or_default()
        ),
    };
    request::record(&tx, id, "assigned", Some(detail), by, None).await?;
    let mut told = notify_users(
        &tx,
        &[member.user_id],
        &NewNotification {
            title: format!("Roadside {} is yours", display_number(row.number)),
            body: "A dispatcher gave you a roadside request.".into(),
            link: Some(format!("/portal/roadside/{id}")),
        },
    )
    .await?;
    if let Some(previous) = previous {
        let old = tx.get::<membership::Entity>(previous).await?;
        told.merge(
            notify_users(
                &tx,
                &[old.user_id],
                &NewNotification {
                    title: format!(
                        "Roadside {} was given to someone else",
                        display_number(row.number)
                    ),
                    body: "A dispatcher took you off this request; you need not drive there."
                        .into(),
                    link: Some(format!("/portal/roadside/{id}")),
                },
            )
            .await?,
        );
    }
    let row = tx.get::<roadside_request::Entity>(id).await?;
    request::tell_driver(rs, &tx, &row, site).await?;
    let view = request::view(&tx, row.clone()).await?;
    tx.commit().await?;
    if let Some(previous) = previous {
        tracking::stop_sharing(rs, row.tenant_id, previous).await;
    }
    tracking::start_sharing(rs, &row, settings.speed_kmh).await;
    told.publish(rs.live()).await;
    request::announce(rs, &row, "roadside.assigned").await;
    Ok(view)
}

/// One request on the dispatch board, with its clocks.
#[derive(Debug, Clone)]
pub struct BoardRow {
    pub request: RequestView,
    pub age_s: i64,
    /// When it should be accepted / reached by, by the branch's targets.
    pub accept_due: DateTime<Utc>,
    pub arrive_due: DateTime<Utc>,
    pub accept_late: bool,
    pub arrive_late: bool,
    pub ring: &'static str,
}

/// A mechanic on duty, on the board's map.
#[derive(Debug, Clone)]
pub struct OnDuty {
    pub membership_id: Uuid,
    pub name: String,
    pub position: Option<GeoPoint>,
    pub seen_at: Option<DateTime<Utc>>,
    pub busy_with: Option<Uuid>,
}

#[derive(Debug, Clone)]
pub struct Board {
    pub open: Vec<BoardRow>,
    /// Closed in the last 24 hours, newest first.
    pub recent: Vec<RequestView>,
    pub on_duty: Vec<OnDuty>,
}

/// The dispatch board: open requests oldest first with their clocks, the day's closed ones,
/// and who is on duty where. `branch` narrows it to one branch.
pub async fn board(
    rs: &Roadside,
    actor: &Actor,
    branch: Option<Uuid>,
) -> Result<Board, ServiceError> {
    actor.require(Permission::RoadsideDispatch)?;
    let tx = rs.store().read_tx(&TenantCtx::of(actor)).await?;
    if let Some(branch) = branch {
        tx.get::<pitlane_store::entity::branch::Entity>(branch)
            .await?;
    }
    let now = Utc::now();
    let mut open_q = tx
        .select::<roadside_request::Entity>()
        .filter(roadside_request::Column::Status.is_in([
            "requested",
            "accepted",
            "en_route",
            "on_site",
            "working",
        ]))
        .order_by_asc(roadside_request::Column::CreatedAt);
    let mut recent_q = tx
        .select::<roadside_request::Entity>()
        .filter(roadside_request::Column::Status.is_in(["done", "towed_in", "cancelled"]))
        .filter(roadside_request::Column::UpdatedAt.gt(now - chrono::Duration::hours(24)))
        .order_by_desc(roadside_request::Column::UpdatedAt);
    if let Some(branch) = branch {
        open_q = open_q.filter(roadside_request::Column::BranchId.eq(branch));
        recent_q = recent_q.filter(roadside_request::Column::BranchId.eq(branch));
    }
    let open_rows = tx.all(open_q).await?;
    let recent_rows = tx.all(recent_q).await?;
    let settings = settings::of_branches(&tx, open_rows.iter().map(|r| r.branch_id)).await?;
    let mut open = Vec::new();
    for row in open_rows.iter() {
        let settings = &settings[&row.branch_id];
        let accept_due =
            row.created_at + chrono::Duration::seconds(i64::from(settings.accept_target_s));
        let arrive_due =
            row.created_at + chrono::Duration::seconds(i64::from(settings.arrive_target_s));
        let ring = ring_key(ring_of(row, settings, now));
        open.push((row.clone(), accept_due, arrive_due, ring));
    }
    // The open and the recent requests' names, read together.
    let open_count = open_rows.len();
    let mut views = request::views(&tx, open_rows.into_iter().chain(recent_rows).collect()).await?;
    let recent = views.split_off(open_count);
    let open = views
        .into_iter()
        .zip(open)
        .map(|(view, (row, accept_due, arrive_due, ring))| BoardRow {
            age_s: (now - row.created_at).num_seconds(),
            accept_late: row.accepted_at.unwrap_or(now) > accept_due,
            arrive_late: row.arrived_at.unwrap_or(now) > arrive_due,
            accept_due,
            arrive_due,
            ring,
            request: view,
        })
        .collect();
    let branches: Vec<Uuid> = match branch {
        Some(b) => vec![b],
        None => settings::all_enabled(&tx)
            .await?
            .iter()
            .map(|s| s.branch_id)
            .collect(),
    };
    let members = on_duty_at(&tx, &branches).await?;
    let ids: Vec<Uuid> = members.iter().map(|m| m.id).collect();
    let names = request::member_names(&tx, &ids).await?;
    let busy = tx
        .all(
            tx.select::<roadside_request::Entity>()
                .filter(roadside_request::Column::MechanicId.is_in(ids.clone()))
                .filter(
                    roadside_request::Column::Status
                        .is_in(["accepted", "en_route", "on_site", "working"]),
                ),
        )
        .await?;
    tx.commit().await?;
    let fixes = tracking::latest(rs, actor.tenant_id.0, &ids).await;
    let on_duty = ids
        .iter()
        .zip(fixes)
        .map(|(id, fix)| OnDuty {
            membership_id: *id,
            name: names.get(id).cloned().unwrap_or_default(),
            position: fix.and_then(|f| f.point()),
            seen_at: fix.map(|f| f.at),
            busy_with: busy
                .iter()
                .find(|r| r.mechanic_id == Some(*id))
                .map(|r| r.id),
        })
        .collect();
    Ok(Board {
        open,
        recent,
        on_duty,
    })
}

/// Widens the requests that waited long enough without a mechanic: the wider ring's
/// mechanics are told, then the dispatchers. Idempotent (each step is a conditional update),
/// so the timers of several servers and the maintenance round may all call it.
pub async fn escalate_due(rs: &Roadside, tenant: TenantId) -> Result<usize, ServiceError> {
    let tx = rs.store().tx(&TenantCtx::new(tenant)).await?;
    let waiting = tx
        .all(
            tx.select::<roadside_request::Entity>()
                .filter(roadside_request::Column::Status.eq("requested"))
                .filter(roadside_request::Column::Ring.ne("dispatcher")),
        )
        .await?;
    let now = Utc::now();
    let mut widened = Vec::new();
    let mut told = Notified::default();
    for row in waiting {
        let settings = settings::of_branch(&tx, row.branch_id).await?;
        let ring = ring_of(&row, &settings, now);
        let key = ring_key(ring);
        if key == row.ring {
            continue;
        }
        let moved = tx
            .update_all(
                roadside_request::Entity::update_many()
                    .col_expr(roadside_request::Column::Ring, Expr::value(key))
                    .col_expr(roadside_request::Column::UpdatedAt, Expr::value(now))
                    .filter(roadside_request::Column::Id.eq(row.id))
                    .filter(roadside_request::Column::Status.eq("requested"))
                    .filter(roadside_request::Column::Ring.eq(row.ring.clone())),
            )
            .await?;
        if moved == 0 {
            continue;
        }
        let note = NewNotification {
            title: format!(
                "Roadside {} still needs a mechanic",
                display_number(row.number)
            ),
            body: "Nobody has taken this roadside request yet.".into(),
            link: Some(format!("/portal/roadside/{}", row.id)),
        };
        match ring {
            Ring::Wide(m) => {
                request::record(
                    &tx,
                    row.id,
                    "widened",
                    Some(format!("offered within {} km", m / 1000)),
                    None,
                    None,
                )
                .await?;
                let wider =
                    nearest_on_duty(rs, &tx, row.branch_id, position_of(&row), m as i32).await?;
                let users: Vec<Uuid> = wider.iter().map(|m| m.user_id).collect();
                told.merge(notify_users(&tx, &users, &note).await?);
            }
            Ring::Dispatcher => {
                request::record(
                    &tx,
                    row.id,
                    "escalated",
                    Some("waiting for the dispatcher".into()),
                    None,
                    None,
                )
                .await?;
                told.merge(notify_members_with(&tx, Permission::RoadsideDispatch, &note).await?);
            }
            Ring::Near(_) => {}
        }
        widened.push(tx.get::<roadside_request::Entity>(row.id).await?);
    }
    tx.commit().await?;
    told.publish(rs.live()).await;
    for row in &widened {
        request::announce(rs, row, "roadside.widened").await;
    }
    Ok(widened.len())
}

/// Wakes when a new request is due to be offered wider and when it is due for the dispatcher.
/// The timers live in this process; should it stop, the maintenance round (and the next
/// request's timers) catch up, and every page computes the ring from the request's age anyway.
pub(crate) fn watch(rs: &Roadside, row: &roadside_request::Model, settings: &RoadsideSettings) {
    let rs = rs.clone();
    let tenant = TenantId(row.tenant_id);
    let escalation = settings.escalation();
    tokio::spawn(async move {
        let mut waited = Duration::ZERO;
        for due in [escalation.widen_after, escalation.dispatcher_after] {
            tokio::time::sleep(due.saturating_sub(waited) + Duration::from_millis(200)).await;
            waited = due;
            if let Err(err) = escalate_due(&rs, tenant).await {
                tracing::warn!(error = %err, "roadside: widening a waiting request");
            }
        }
    });
}
