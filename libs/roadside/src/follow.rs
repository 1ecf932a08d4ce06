//! What each reader sees of one request, and who may follow it live: the driver through
//! their link, its mechanic, the mechanics it is offered to while it waits, and dispatchers.
//! The driver's link is checked against the request's row each time, and the stream stops
//! when the request ends.

use pitlane_domain::{
    Actor, FieldErrors, ServiceError, permissions::Permission, roadside::RoadsideStatus,
};
use pitlane_identity::links::{LinkError, Purpose};
use pitlane_store::{
    Page, TenantCtx, TenantTx,
    entity::{mechanic_profile, membership, roadside_request},
    sea_orm::{ColumnTrait, QueryFilter},
};
use pitlane_workshop::jobs::works_at;
use uuid::Uuid;

use crate::{
    Roadside, progress,
    request::{self, RequestView, TimelineEntry, status_of},
    settings,
    tracking::{self, Approach},
    work::{self, Bill, WorkLine},
};

/// One request with its timeline and, while a mechanic drives to it or is there, where they are.
#[derive(Debug, Clone)]
pub struct Detail {
    pub request: RequestView,
    pub timeline: Vec<TimelineEntry>,
    pub approach: Option<Approach>,
    pub speed_kmh: i32,
    /// What the mechanic did and used there.
    pub work: Vec<WorkLine>,
    /// The invoice, once the job was billed.
    pub bill: Option<Bill>,
    /// For the driver's page only: the token of the rating they may give, once it is done.
    pub rating_token: Option<String>,
}

async fn detail_of(
    rs: &Roadside,
    tx: &TenantTx,
    row: roadside_request::Model,
) -> Result<Detail, ServiceError> {
    let settings = settings::of_branch(tx, row.branch_id).await?;
    let timeline = request::timeline(tx, row.id).await?;
    let approach = if status_of(&row).shares_location() {
        tracking::approach(rs, &row, settings.speed_kmh).await
    } else {
        None
    };
    let work = work::views(tx, row.id).await?;
    let bill = work::bill_of(tx, &row).await?;
    Ok(Detail {
        request: request::view(tx, row).await?,
        timeline,
        approach,
        speed_kmh: settings.speed_kmh,
        work,
        bill,
        rating_token: None,
    })
}

/// Whether a staff member may see a request: a dispatcher, its mechanic, or a mechanic who
/// drives out for its branch while it waits.
async fn may_see(
    tx: &TenantTx,
    actor: &Actor,
    row: &roadside_request::Model,
) -> Result<bool, ServiceError> {
    if actor.can(Permission::RoadsideDispatch) {
        return Ok(true);
    }
    if !actor.can(Permission::JobsWork) {
        return Ok(false);
    }
    let me = actor.membership_id.0;
    if row.mechanic_id == Some(me) {
        return Ok(true);
    }
    if status_of(row) != RoadsideStatus::Requested {
        return Ok(false);
    }
    let takes = tx
        .first(
            tx.select::<mechanic_profile::Entity>()
                .filter(mechanic_profile::Column::MembershipId.eq(me)),
        )
        .await?
        .is_some_and(|p| p.takes_roadside);
    let member = tx.get::<membership::Entity>(me).await?;
    Ok(takes && works_at(tx, &member, row.branch_id).await?)
}

pub(crate) async fn seen(
    tx: &TenantTx,
    actor: &Actor,
    id: Uuid,
) -> Result<roadside_request::Model, ServiceError> {
    let row = tx.get::<roadside_request::Entity>(id).await?;
    if !may_see(tx, actor, &row).await? {
        // Another mechanic's request is as unknown as another workshop's.
        return Err(if actor.can(Permission::JobsWork) {
            ServiceError::NotFound
        } else {
            ServiceError::Forbidden(Permission::RoadsideDispatch.key())
        });
    }
    Ok(row)
}

/// A request as staff see it.
pub async fn get(rs: &Roadside, actor: &Actor, id: Uuid) -> Result<Detail, ServiceError> {
    let tx = rs.store().tx(&TenantCtx::of(actor)).await?;
    let row = seen(&tx, actor, id).await?;
    let detail = detail_of(rs, &tx, row).await?;
    tx.commit().await?;
    Ok(detail)
}

/// Checks that a staff member may follow a request's stream; the request's id is the stream's
/// subject, `None` once the request has ended (its stream has nothing more to say).
pub async fn may_follow(
    rs: &Roadside,
    actor: &Actor,
    id: Uuid,
) -> Result<Option<Uuid>, ServiceError> {
    let tx = rs.store().tx(&TenantCtx::of(actor)).await?;
    let row = seen(&tx, actor, id).await?;
    tx.commit().await?;
    Ok(status_of(&row).is_open().then_some(row.id))
}

/// Every request, newest first, for the API (dispatchers), optionally of one status.
pub async fn list(
    rs: &Roadside,
    actor: &Actor,
    status: Option<RoadsideStatus>,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Page<RequestView>, ServiceError> {
    actor.require(Permission::RoadsideDispatch)?;
    let tx = rs.store().tx(&TenantCtx::of(actor)).await?;
    let mut query = tx.select::<roadside_request::Entity>();
    if let Some(status) = status {
        query = query.filter(roadside_request::Column::Status.eq(status.key()));
    }
    let page = tx
        .page_newest::<roadside_request::Entity>(query, after, limit)
        .await?;
    let next = page.next;
    let items = request::views(&tx, page.items).await?;
    tx.commit().await?;
    Ok(Page { items, next })
}

fn request_of(rs: &Roadside, token: &str) -> Result<Uuid, ServiceError> {
    rs.desk()
        .signer
        .verify(Purpose::Roadside, token)
        .map_err(|e| match e {
            LinkError::Expired => FieldErrors::single("token", "this link has expired").into(),
            _ => ServiceError::NotFound,
        })
}

/// The request behind a driver's link: the signature, then its row.
pub(crate) async fn by_token_in(
    rs: &Roadside,
    tx: &TenantTx,
    token: &str,
) -> Result<roadside_request::Model, ServiceError> {
    let id = request_of(rs, token)?;
    Ok(tx.get::<roadside_request::Entity>(id).await?)
}

/// What the driver's link shows.
pub async fn for_driver(
    rs: &Roadside,
    tenant: &TenantCtx,
    token: &str,
) -> Result<Detail, ServiceError> {
    let tx = rs.store().tx(tenant).await?;
    let row = by_token_in(rs, &tx, token).await?;
    let rating_token =
        pitlane_frontdesk::feedback::open_token_for_roadside(rs.desk(), &tx, row.id).await?;
    let detail = Detail {
        rating_token,
        ..detail_of(rs, &tx, row).await?
    };
    tx.commit().await?;
    Ok(detail)
}

/// The request a driver's link may follow live; `None` once it has ended.
pub async fn driver_may_follow(
    rs: &Roadside,
    tenant: &TenantCtx,
    token: &str,
) -> Result<Option<Uuid>, ServiceError> {
    let tx = rs.store().tx(tenant).await?;
    let row = by_token_in(rs, &tx, token).await?;
    tx.commit().await?;
    Ok(status_of(&row).is_open().then_some(row.id))
}

/// The driver cancels through their link.
pub async fn cancel_by_driver(
    rs: &Roadside,
    tenant: &TenantCtx,
    token: &str,
    why: &str,
) -> Result<Detail, ServiceError> {
    let why = progress::reason(why)?;
    let tx = rs.store().tx(tenant).await?;
    let row = by_token_in(rs, &tx, token).await?;
    let customer = row.customer_id;
    let name = tx
        .get::<pitlane_store::entity::customer::Entity>(customer)
        .await
        .ok()
        .map(|c| c.name);
    let (row, told) = progress::cancel_in(&tx, row, &why, "driver", name).await?;
    let detail = detail_of(rs, &tx, row.clone()).await?;
    tx.commit().await?;
    progress::cancelled(rs, &row, told).await;
    Ok(detail)
}
