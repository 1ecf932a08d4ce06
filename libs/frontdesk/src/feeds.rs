//! Calendar feeds: a private iCalendar subscription address per mechanic, bay or branch, which
//! phone and desktop calendars fetch every few minutes. The address carries a random secret,
//! of which only the SHA-256 is kept: it is shown once, and revoking the feed ends it.
//!
//! A feed reads as the member who made it, checked on every fetch as a session is: a member
//! who left, lost the permission, or signed out everywhere after making it takes their feeds
//! with them, and a member limited to some branches sees only those branches' appointments
//! in any feed of theirs. A mechanic may have feeds of their own appointments; the front desk
//! (`appointments.write`) any.

use std::collections::HashMap;

use chrono::{Duration, Utc};
use pitlane_domain::{
    Actor, FieldErrors, ServiceError,
    appointment::AppointmentStatus,
    ics::{FeedEntry, feed},
    ids::{MembershipId, TenantId},
    permissions::Permission,
};
use pitlane_identity::secrets::{random_secret, stored_hash};
use pitlane_store::{
    TenantCtx, TenantTx,
    audit::{By, Event},
    entity::{appointment, bay, branch, calendar_feed, tenant},
    sea_orm::{
        ActiveValue::Set, ColumnTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
    },
};
use uuid::Uuid;

use crate::{
    FrontDesk,
    appointments::{branch_place, views},
    resources::{bays_in, known_branch, mechanics_in},
};

/// How far back and ahead a feed reaches.
const PAST_DAYS: i64 = 30;
const AHEAD_DAYS: i64 = 366;
/// Appointments in one feed at most.
const MOST: u64 = 5_000;
/// A fetch is noted at most this often (calendars fetch every few minutes).
const NOTE_FETCH_EVERY: Duration = Duration::hours(1);

/// Whose appointments a feed shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedKind {
    Mechanic,
    Bay,
    Branch,
}

impl FeedKind {
    pub fn parse(key: &str) -> Option<Self> {
        match key {
            "mechanic" => Some(Self::Mechanic),
            "bay" => Some(Self::Bay),
            "branch" => Some(Self::Branch),
            _ => None,
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Self::Mechanic => "mechanic",
            Self::Bay => "bay",
            Self::Branch => "branch",
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct FeedInput {
    /// `mechanic`, `bay` or `branch`.
    pub kind: String,
    /// The mechanic's membership, the bay or the branch; a mechanic's own feed when empty.
    pub subject_id: Option<Uuid>,
}

/// A new feed and the secret of its address, which is not stored and cannot be shown again.
pub struct CreatedFeed {
    pub feed: calendar_feed::Model,
    pub secret: String,
}

/// The path of a feed below the workshop's site, for its secret.
pub fn feed_path(secret: &str) -> String {
    format!("/calendar/{secret}.ics")
}

/// Whether `actor` may have (and read) a feed of this kind about this mechanic.
fn may_have(actor: &Actor, kind: FeedKind, mechanic: Option<Uuid>) -> bool {
    actor.can(Permission::AppointmentsWrite)
        || (kind == FeedKind::Mechanic
            && mechanic == Some(actor.membership_id.0)
            && actor.can(Permission::JobsWork))
}

fn require_some_feed(actor: &Actor) -> Result<(), ServiceError> {
    if actor.can(Permission::AppointmentsWrite) || actor.can(Permission::JobsWork) {
        Ok(())
    } else {
        Err(ServiceError::Forbidden(Permission::AppointmentsWrite.key()))
    }
}

pub async fn create(
    fd: &FrontDesk,
    actor: &Actor,
    input: &FeedInput,
) -> Result<CreatedFeed, ServiceError> {
    require_some_feed(actor)?;
    if actor.api_key.is_some() {
        // A feed reads as its maker, with all of their permissions, not a key's fewer.
        return Err(ServiceError::Forbidden("a member's own session"));
    }
    let Some(kind) = FeedKind::parse(input.kind.trim()) else {
        return Err(FieldErrors::single("kind", "choose mechanic, bay or branch").into());
    };
    let subject = match (kind, input.subject_id) {
        (FeedKind::Mechanic, None) => actor.membership_id.0,
        (_, Some(id)) => id,
        (_, None) => {
            return Err(FieldErrors::single("subject_id", "choose the bay or branch").into());
        }
    };
    let mechanic = (kind == FeedKind::Mechanic).then_some(subject);
    if !may_have(actor, kind, mechanic) {
        return Err(ServiceError::Forbidden(Permission::AppointmentsWrite.key()));
    }
    let tx = fd.store.tx(&TenantCtx::of(actor)).await?;
    let workshop = tx.get::<tenant::Entity>(actor.tenant_id.0).await?;
    let label = match kind {
        FeedKind::Mechanic => {
            let Some(m) = mechanics_in(&tx)
                .await?
                .into_iter()
                .find(|m| m.membership_id == subject)
            else {
                return Err(FieldErrors::single("subject_id", "no such mechanic").into());
            };
            m.name
        }
        FeedKind::Bay => {
            let bay = tx.get::<bay::Entity>(subject).await.map_err(|e| match e {
                pitlane_store::StoreError::NotFound => {
                    FieldErrors::single("subject_id", "no such bay").into()
                }
                other => ServiceError::from(other),
            })?;
            let branch = tx.get::<branch::Entity>(bay.branch_id).await?;
            format!("{} ({})", bay.name, branch.name)
        }
        FeedKind::Branch => known_branch(&tx, subject, "subject_id").await?.name,
    };
    let secret = random_secret();
    let id = Uuid::now_v7();
    let of = |k: FeedKind| Set((kind == k).then_some(subject));
    let row = calendar_feed::ActiveModel {
        tenant_id: Set(actor.tenant_id.0),
        id: Set(id),
        kind: Set(kind.key().to_owned()),
        mechanic_id: of(FeedKind::Mechanic),
        bay_id: of(FeedKind::Bay),
        branch_id: of(FeedKind::Branch),
        name: Set(format!("{} · {label}", workshop.name)),
        secret_hash: Set(stored_hash(&secret)),
        created_by: Set(actor.membership_id.0),
        created_at: Set(Utc::now()),
        revoked_at: Set(None),
        last_fetched_at: Set(None),
    };
    let feed = tx.insert(row).await?;
    pitlane_store::audit::record(
        &tx,
        By::Member(actor),
        Event::new("calendar_feed.created")
            .subject(feed.name.clone())
            .detail(serde_json::json!({ "kind": kind.key(), "id": id })),
    )
    .await?;
    tx.commit().await?;
    Ok(CreatedFeed { feed, secret })
}

/// The feeds the actor may see: every one for the front desk, a mechanic's own otherwise;
/// newest first, revoked ones included (they say when).
pub async fn list(
    fd: &FrontDesk,
    actor: &Actor,
) -> Result<Vec<calendar_feed::Model>, ServiceError> {
    require_some_feed(actor)?;
    let tx = fd.store.read_tx(&TenantCtx::of(actor)).await?;
    let mut query = tx
        .select::<calendar_feed::Entity>()
        .order_by_desc(calendar_feed::Column::Id)
        .limit(500);
    if !actor.can(Permission::AppointmentsWrite) {
        query = query.filter(calendar_feed::Column::CreatedBy.eq(actor.membership_id.0));
    }
    let rows = tx.all(query).await?;
    tx.commit().await?;
    Ok(rows)
}

/// Ends a feed's address at once. Revoking one already revoked changes nothing.
pub async fn revoke(
    fd: &FrontDesk,
    actor: &Actor,
    id: Uuid,
) -> Result<calendar_feed::Model, ServiceError> {
    require_some_feed(actor)?;
    let tx = fd.store.tx(&TenantCtx::of(actor)).await?;
    let feed = tx.get_for_update::<calendar_feed::Entity>(id).await?;
    // Another member's feed is not the mechanic's to see, let alone revoke.
    if !actor.can(Permission::AppointmentsWrite) && feed.created_by != actor.membership_id.0 {
        return Err(ServiceError::NotFound);
    }
    if feed.revoked_at.is_some() {
        tx.commit().await?;
        return Ok(feed);
    }
    let mut row = feed.into_active_model();
    row.revoked_at = Set(Some(Utc::now()));
    let feed = tx.update(row).await?;
    pitlane_store::audit::record(
        &tx,
        By::Member(actor),
        Event::new("calendar_feed.revoked").subject(feed.name.clone()),
    )
    .await?;
    tx.commit().await?;
    Ok(feed)
}

/// The feed at this secret as an iCalendar file, read as its maker now may; `NotFound` for
/// an unknown or revoked secret, and for a maker who may no longer have it. `site` is the
/// workshop's address (from configuration), for each appointment's link.
pub async fn calendar(
    fd: &FrontDesk,
    tenant: TenantId,
    site: &str,
    secret: &str,
) -> Result<String, ServiceError> {
    let whole = TenantCtx::new(tenant);
    let hash = stored_hash(secret);
    let tx = fd.store.read_tx(&whole).await?;
    let row = tx
        .first(
            tx.select::<calendar_feed::Entity>()
                .filter(calendar_feed::Column::SecretHash.eq(hash)),
        )
        .await?;
    tx.commit().await?;
    let Some(row) = row.filter(|f| f.revoked_at.is_none()) else {
        return Err(ServiceError::NotFound);
    };
    let maker = pitlane_identity::access::session_actor(
        &fd.store,
        tenant,
        MembershipId(row.created_by),
        row.created_at.timestamp_millis(),
    )
    .await?
    .map(|state| state.actor);
    let kind = FeedKind::parse(&row.kind).ok_or(ServiceError::NotFound)?;
    let Some(maker) = maker.filter(|m| may_have(m, kind, row.mechanic_id)) else {
        return Err(ServiceError::NotFound);
    };
    let tx = fd.store.read_tx(&TenantCtx::of(&maker)).await?;
    let body = entries(&tx, &row, kind, site, &fd.calendar_domain).await?;
    tx.commit().await?;
    note_fetch(fd, &whole, &row).await;
    Ok(body)
}

/// Reads the feed's appointments and writes the file.
async fn entries(
    tx: &TenantTx,
    row: &calendar_feed::Model,
    kind: FeedKind,
    site: &str,
    calendar_domain: &str,
) -> Result<String, ServiceError> {
    let now = Utc::now();
    let mut query = tx
        .select::<appointment::Entity>()
        .filter(appointment::Column::StartsAt.gte(now - Duration::days(PAST_DAYS)))
        .filter(appointment::Column::StartsAt.lt(now + Duration::days(AHEAD_DAYS)))
        .filter(appointment::Column::Status.ne(AppointmentStatus::Cancelled.key()))
        .order_by_asc(appointment::Column::StartsAt)
        .limit(MOST);
    query = match kind {
        FeedKind::Mechanic => query.filter(appointment::Column::MechanicId.eq(row.mechanic_id)),
        FeedKind::Bay => query.filter(appointment::Column::BayId.eq(row.bay_id)),
        FeedKind::Branch => query.filter(appointment::Column::BranchId.eq(row.branch_id)),
    };
    let rows = tx.all(query).await?;
    let bays = bays_in(tx, None, false).await?;
    let mechanics: Vec<(Uuid, String)> = mechanics_in(tx)
        .await?
        .into_iter()
        .map(|m| (m.membership_id, m.name))
        .collect();
    let branches: HashMap<Uuid, branch::Model> = tx
        .all(tx.select::<branch::Entity>())
        .await?
        .into_iter()
        .map(|b| (b.id, b))
        .collect();
    let shown = views(tx, rows, &bays, &mechanics).await?;
    let texts: Vec<(String, String, String, Option<String>, String)> = shown
        .iter()
        .map(|v| {
            let a = &v.appointment;
            let mut summary = v.service_name.clone();
            if !v.customer_name.is_empty() {
                summary.push_str(" · ");
                summary.push_str(&v.customer_name);
            }
            if let Some(vehicle) = &v.vehicle {
                summary.push_str(" · ");
                summary.push_str(vehicle);
            }
            let mut description = format!("Bay: {}\nMechanic: {}", v.bay_name, v.mechanic_name);
            if let Some(notes) = a.notes.as_deref().filter(|n| !n.is_empty()) {
                description.push_str("\nNotes: ");
                description.push_str(notes);
            }
            let location = branches.get(&a.branch_id).map(branch_place);
            // The same UID as the customer's invitation: one appointment, one calendar entry.
            (
                format!("{}@{calendar_domain}", a.id),
                summary,
                description,
                location,
                format!("{site}/portal/appointments/{}", a.id),
            )
        })
        .collect();
    let entries: Vec<FeedEntry<'_>> = shown
        .iter()
        .zip(&texts)
        .map(|(v, (uid, summary, description, location, url))| {
            let a = &v.appointment;
            FeedEntry {
                uid,
                sequence: a.sequence.max(0) as u32,
                start: a.starts_at,
                end: a.ends_at,
                modified: a.updated_at,
                summary,
                description: Some(description),
                location: location.as_deref(),
                url: Some(url),
                tentative: a.status == AppointmentStatus::Requested.key(),
            }
        })
        .collect();
    Ok(feed(&row.name, &entries))
}

/// Notes that a calendar fetched the feed (at most hourly), so the list shows which feeds
/// are still in use. A failure here is logged: the calendar has its file.
async fn note_fetch(fd: &FrontDesk, whole: &TenantCtx, row: &calendar_feed::Model) {
    let now = Utc::now();
    if row
        .last_fetched_at
        .is_some_and(|at| now - at < NOTE_FETCH_EVERY)
    {
        return;
    }
    let noted = async {
        let tx = fd.store.tx(whole).await?;
        let mut active = row.clone().into_active_model();
        active.last_fetched_at = Set(Some(now));
        tx.update(active).await?;
        tx.commit().await
    };
    if let Err(err) = noted.await {
        tracing::warn!(error = %err, "noting a calendar feed's fetch");
    }
}
