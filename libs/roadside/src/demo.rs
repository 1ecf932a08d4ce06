//! The demo workshop drives out: its first branch (on Main Street, Springfield, Illinois)
//! takes roadside requests within 30 km, for a call-out fee plus a price per kilometre, and
//! its mechanics may go on duty.

use pitlane_domain::{
    Actor, ServiceError,
    ids::{MembershipId, TenantId, UserId},
    permissions::Role,
    roadside::GeoPoint,
};
use pitlane_store::{
    TenantCtx,
    entity::{branch, membership},
    sea_orm::{ColumnTrait, QueryFilter, QueryOrder},
};

use crate::{Roadside, dispatch, settings};

/// Where the demo's branch drives out from.
pub const DEMO_CENTRE: (f64, f64) = (39.781_721, -89.650_148);

pub async fn seed(rs: &Roadside, tenant: TenantId) -> Result<(), ServiceError> {
    let tx = rs.store().tx(&TenantCtx::new(tenant)).await?;
    let owner = tx
        .first(
            tx.select::<membership::Entity>()
                .filter(membership::Column::Role.eq("owner")),
        )
        .await?
        .ok_or(ServiceError::NotFound)?;
    let branch = tx
        .first(
            tx.select::<branch::Entity>()
                .order_by_asc(branch::Column::Id),
        )
        .await?
        .ok_or(ServiceError::NotFound)?;
    let mechanics = tx
        .all(
            tx.select::<membership::Entity>()
                .filter(membership::Column::Role.eq("mechanic"))
                .filter(membership::Column::Status.eq("active")),
        )
        .await?;
    tx.commit().await?;
    let owner = Actor::builtin(
        UserId(owner.user_id),
        MembershipId(owner.id),
        tenant,
        Role::Owner,
    );
    let (lat, lon) = GeoPoint::new(DEMO_CENTRE.0, DEMO_CENTRE.1)
        .map_err(ServiceError::internal)?
        .to_micro();
    let mut demo = settings::RoadsideSettings::defaults(branch.id);
    demo.enabled = true;
    demo.lat_micro = Some(lat);
    demo.lon_micro = Some(lon);
    demo.radius_m = 30_000;
    demo.call_out_minor = 4_900;
    demo.per_km_minor = 150;
    demo.included_km = 5;
    demo.call_out_commission_bp = 2_000;
    settings::update(rs, &owner, demo).await?;
    for mechanic in mechanics {
        dispatch::set_takes_roadside(rs, &owner, mechanic.id, true).await?;
    }
    Ok(())
}
