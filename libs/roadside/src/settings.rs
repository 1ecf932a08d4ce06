//! Each branch's roadside settings: whether it drives out, from where and how far, what a
//! call-out costs, how long a request waits for the nearest mechanics before it is offered
//! wider and then to the dispatcher, and the targets the dispatch board holds requests to.

use std::{collections::HashMap, time::Duration};

use chrono::Utc;
use pitlane_domain::{
    Actor, FieldErrors, ServiceError,
    permissions::Permission,
    roadside::{Escalation, GeoPoint, PriceRule, ServiceArea},
};
use pitlane_frontdesk::resources::known_branch;
use pitlane_store::{
    TenantCtx, TenantTx,
    entity::{branch, roadside_setting},
    sea_orm::{ActiveValue::Set, ColumnTrait, IntoActiveModel, QueryFilter, QueryOrder},
};
use uuid::Uuid;

use crate::Roadside;

/// A branch's roadside settings as read and written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoadsideSettings {
    pub branch_id: Uuid,
    pub enabled: bool,
    /// Where the branch is: the centre of its service area.
    pub lat_micro: Option<i64>,
    pub lon_micro: Option<i64>,
    pub radius_m: i32,
    pub call_out_minor: i64,
    pub per_km_minor: i64,
    pub included_km: i32,
    /// The average speed on the road for first arrival estimates.
    pub speed_kmh: i32,
    pub near_m: i32,
    pub wide_m: i32,
    pub widen_after_s: i32,
    pub dispatcher_after_s: i32,
    pub accept_target_s: i32,
    pub arrive_target_s: i32,
    pub call_out_commission_bp: i32,
}

impl RoadsideSettings {
    /// What a branch that never set anything has: off, 25 km, no price.
    pub fn defaults(branch_id: Uuid) -> Self {
        let escalation = Escalation::default();
        Self {
            branch_id,
            enabled: false,
            lat_micro: None,
            lon_micro: None,
            radius_m: 25_000,
            call_out_minor: 0,
            per_km_minor: 0,
            included_km: 0,
            speed_kmh: 50,
            near_m: escalation.near_m as i32,
            wide_m: escalation.wide_m as i32,
            widen_after_s: escalation.widen_after.as_secs() as i32,
            dispatcher_after_s: escalation.dispatcher_after.as_secs() as i32,
            accept_target_s: 600,
            arrive_target_s: 3600,
            call_out_commission_bp: 0,
        }
    }

    fn of(row: &roadside_setting::Model) -> Self {
        Self {
            branch_id: row.branch_id,
            enabled: row.enabled,
            lat_micro: row.lat_micro,
            lon_micro: row.lon_micro,
            radius_m: row.radius_m,
            call_out_minor: row.call_out_minor,
            per_km_minor: row.per_km_minor,
            included_km: row.included_km,
            speed_kmh: row.speed_kmh,
            near_m: row.near_m,
            wide_m: row.wide_m,
            widen_after_s: row.widen_after_s,
            dispatcher_after_s: row.dispatcher_after_s,
            accept_target_s: row.accept_target_s,
            arrive_target_s: row.arrive_target_s,
            call_out_commission_bp: row.call_out_commission_bp,
        }
    }

    pub fn centre(&self) -> Option<GeoPoint> {
        GeoPoint::from_micro(self.lat_micro, self.lon_micro)
    }

    pub fn area(&self) -> Option<ServiceArea> {
        self.centre().map(|centre| ServiceArea {
            centre,
            radius_m: self.radius_m.max(1) as u32,
        })
    }

    pub fn price(&self) -> PriceRule {
        PriceRule {
            call_out_minor: self.call_out_minor,
            per_km_minor: self.per_km_minor,
            included_km: self.included_km.max(0) as u32,
        }
    }

    pub fn escalation(&self) -> Escalation {
        Escalation {
            near_m: self.near_m.max(1) as u32,
            wide_m: self.wide_m.max(1) as u32,
            widen_after: Duration::from_secs(self.widen_after_s.max(1) as u64),
            dispatcher_after: Duration::from_secs(self.dispatcher_after_s.max(1) as u64),
        }
    }

    /// Checks what an owner typed: every number in its range, the rings and times in order.
    fn check(&self) -> Result<(), ServiceError> {
        let mut errors = FieldErrors::new();
        if self.lat_micro.is_some() != self.lon_micro.is_some()
            || (self.lat_micro.is_some() && self.centre().is_none())
        {
            errors.add(
                "latitude",
                "give the branch's latitude and longitude, in degrees",
            );
        }
        if self.enabled && self.centre().is_none() {
            errors.add(
                "latitude",
                "set where the branch is before it takes roadside requests",
            );
        }
        let positive = [
            ("radius_m", self.radius_m),
            ("speed_kmh", self.speed_kmh),
            ("near_m", self.near_m),
            ("wide_m", self.wide_m),
            ("widen_after_s", self.widen_after_s),
            ("dispatcher_after_s", self.dispatcher_after_s),
            ("accept_target_s", self.accept_target_s),
            ("arrive_target_s", self.arrive_target_s),
        ];
        for (field, value) in positive {
            if value <= 0 {
                errors.add(field, "must be more than 0");
            }
        }
        if self.radius_m > 500_000 {
            errors.add("radius_m", "a service area is at most 500 km across");
        }
        if self.speed_kmh > 200 {
            errors.add("speed_kmh", "at most 200 km/h");
        }
        for (field, value) in [
            ("call_out_minor", self.call_out_minor),
            ("per_km_minor", self.per_km_minor),
        ] {
            if !(0..=100_000_000).contains(&value) {
                errors.add(field, "must be between 0 and 1,000,000");
            }
        }
        if !(0..=10_000).contains(&self.included_km) {
            errors.add("included_km", "must be between 0 and 10,000");
        }
        if !(0..=10_000).contains(&self.call_out_commission_bp) {
            errors.add("call_out_commission_bp", "a share is between 0 and 100 %");
        }
        if self.wide_m < self.near_m {
            errors.add(
                "wide_m",
                "the wider ring must be at least as wide as the near one",
            );
        }
        if self.dispatcher_after_s < self.widen_after_s {
            errors.add(
                "dispatcher_after_s",
                "the dispatcher is asked after the wider ring, not before",
            );
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.into())
        }
    }
}

/// The stored settings of a branch, or its defaults.
pub(crate) async fn of_branch(
    tx: &TenantTx,
    branch_id: Uuid,
) -> Result<RoadsideSettings, ServiceError> {
    of_branches(tx, [branch_id])
        .await?
        .remove(&branch_id)
        .ok_or(ServiceError::NotFound)
}

/// The settings of each of these branches (stored, or the defaults), in one read.
pub(crate) async fn of_branches(
    tx: &TenantTx,
    branch_ids: impl IntoIterator<Item = Uuid>,
) -> Result<HashMap<Uuid, RoadsideSettings>, ServiceError> {
    let mut ids: Vec<Uuid> = branch_ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let stored: HashMap<Uuid, RoadsideSettings> = tx
        .all(
            tx.select::<roadside_setting::Entity>()
                .filter(roadside_setting::Column::BranchId.is_in(ids.clone())),
        )
        .await?
        .iter()
        .map(|row| (row.branch_id, RoadsideSettings::of(row)))
        .collect();
    Ok(ids
        .into_iter()
        .map(|id| {
            let settings = stored
                .get(&id)
                .cloned()
                .unwrap_or_else(|| RoadsideSettings::defaults(id));
            (id, settings)
        })
        .collect())
}

pub async fn get(
    rs: &Roadside,
    actor: &Actor,
    branch_id: Uuid,
) -> Result<RoadsideSettings, ServiceError> {
    actor.require(Permission::TenantRead)?;
    let tx = rs.store().tx(&TenantCtx::of(actor)).await?;
    tx.get::<branch::Entity>(branch_id).await?;
    let settings = of_branch(&tx, branch_id).await?;
    tx.commit().await?;
    Ok(settings)
}

pub async fn update(
    rs: &Roadside,
    actor: &Actor,
    settings: RoadsideSettings,
) -> Result<RoadsideSettings, ServiceError> {
    actor.require(Permission::SettingsManage)?;
    let tx = rs.store().tx(&TenantCtx::of(actor)).await?;
    tx.get::<branch::Entity>(settings.branch_id).await?;
    settings.check()?;
    let existing = tx
        .first(
            tx.select::<roadside_setting::Entity>()
                .filter(roadside_setting::Column::BranchId.eq(settings.branch_id)),
        )
        .await?;
    let is_new = existing.is_none();
    let mut row = match existing {
        Some(row) => row.into_active_model(),
        None => roadside_setting::ActiveModel {
            tenant_id: Set(tx.tenant_id().0),
            id: Set(Uuid::now_v7()),
            branch_id: Set(settings.branch_id),
            ..Default::default()
        },
    };
    row.enabled = Set(settings.enabled);
    row.lat_micro = Set(settings.lat_micro);
    row.lon_micro = Set(settings.lon_micro);
    row.radius_m = Set(settings.radius_m);
    row.call_out_minor = Set(settings.call_out_minor);
    row.per_km_minor = Set(settings.per_km_minor);
    row.included_km = Set(settings.included_km);
    row.speed_kmh = Set(settings.speed_kmh);
    row.near_m = Set(settings.near_m);
    row.wide_m = Set(settings.wide_m);
    row.widen_after_s = Set(settings.widen_after_s);
    row.dispatcher_after_s = Set(settings.dispatcher_after_s);
    row.accept_target_s = Set(settings.accept_target_s);
    row.arrive_target_s = Set(settings.arrive_target_s);
    row.call_out_commission_bp = Set(settings.call_out_commission_bp);
    row.updated_at = Set(Utc::now());
    let saved = if is_new {
        tx.insert(row).await?
    } else {
        tx.update(row).await?
    };
    pitlane_store::audit::record(
        &tx,
        pitlane_store::audit::By::Member(actor),
        pitlane_store::audit::Event::new("settings.roadside_changed")
            .subject(saved.branch_id.to_string()),
    )
    .await?;
    tx.commit().await?;
    Ok(RoadsideSettings::of(&saved))
}

/// The branches that take roadside requests, for the driver's page: each with its settings.
pub async fn offering(
    rs: &Roadside,
    tenant: &TenantCtx,
) -> Result<Vec<(branch::Model, RoadsideSettings)>, ServiceError> {
    let tx = rs.store().tx(tenant).await?;
    let rows = tx
        .all(
            tx.select::<roadside_setting::Entity>()
                .filter(roadside_setting::Column::Enabled.eq(true)),
        )
        .await?;
    let mut offered = Vec::new();
    for row in rows {
        let branch = tx.get::<branch::Entity>(row.branch_id).await?;
        offered.push((branch, RoadsideSettings::of(&row)));
    }
    offered.sort_by(|a, b| a.0.name.cmp(&b.0.name));
    tx.commit().await?;
    Ok(offered)
}

/// A branch's settings for a request: it must take roadside requests.
pub(crate) async fn taking(
    tx: &TenantTx,
    branch_id: Uuid,
) -> Result<(branch::Model, RoadsideSettings), ServiceError> {
    let branch = known_branch(tx, branch_id, "branch_id").await?;
    let settings = of_branch(tx, branch_id).await?;
    if !settings.enabled || settings.centre().is_none() {
        return Err(FieldErrors::single(
            "branch_id",
            "this branch does not take roadside requests; call it instead",
        )
        .into());
    }
    Ok((branch, settings))
}

/// The enabled settings of every branch, for the rounds.
pub(crate) async fn all_enabled(tx: &TenantTx) -> Result<Vec<RoadsideSettings>, ServiceError> {
    Ok(tx
        .all(
            tx.select::<roadside_setting::Entity>()
                .filter(roadside_setting::Column::Enabled.eq(true))
                .order_by_asc(roadside_setting::Column::Id),
        )
        .await?
        .iter()
        .map(RoadsideSettings::of)
        .collect())
}
