//! What mechanics earn per pay period under the workshop's pay scheme for them (hourly,
//! per flat-rate hour, or commission on labour sold), with the hours behind it and their
//! efficiency. A mechanic sees their own; staff who manage people see everyone's.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use pitlane_domain::{
    Actor, ServiceError,
    labour::{PayPeriod, PayScheme, PeriodWork, earnings, efficiency},
    permissions::Permission,
    quantity::{from_bp, from_milli},
};
use pitlane_store::{
    TenantCtx,
    entity::{
        job, mechanic_profile, membership, repair_order_line, roadside_request, tenant, time_entry,
        user,
    },
    sea_orm::{ColumnTrait, EntityTrait, QueryFilter},
};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::{Workshop, order::priced};

/// One mechanic's period.
#[derive(Debug, Clone)]
pub struct Earnings {
    pub mechanic_id: Uuid,
    pub name: String,
    pub scheme: PayScheme,
    pub work: PeriodWork,
    pub efficiency: Option<Decimal>,
    /// Roadside jobs ended in the period (fixed on the spot or towed in).
    pub roadside_jobs: u32,
    /// Their share of those jobs' call-outs, included in `earned`.
    pub roadside_commission: i64,
    pub earned: i64,
}

/// The pay period holding `day` (today when none), and every mechanic's earnings in it the
/// reader may see.
pub async fn for_period(
    ws: &Workshop,
    actor: &Actor,
    day: Option<NaiveDate>,
) -> Result<((NaiveDate, NaiveDate), Vec<Earnings>), ServiceError> {
    let everyone = actor.can(Permission::StaffManage) || actor.can(Permission::ReportsView);
    if !everyone {
        actor.require(Permission::JobsWork)?;
    }
    if day.is_some_and(|d| !(2000..=2100).contains(&chrono::Datelike::year(&d))) {
        return Err(pitlane_domain::FieldErrors::single(
            "day",
            "choose a date between 2000 and 2100",
        )
        .into());
    }
    let tx = ws.store().tx(&TenantCtx::of(actor)).await?;
    let workshop = tx.get::<tenant::Entity>(tx.tenant_id().0).await?;
    let period = PayPeriod::parse(&workshop.pay_period)
        .unwrap_or(PayPeriod::Weekly)
        .around(day.unwrap_or_else(|| Utc::now().date_naive()));
    let from: DateTime<Utc> =
        Utc.from_utc_datetime(&period.0.and_hms_opt(0, 0, 0).unwrap_or_default());
    let until: DateTime<Utc> =
        Utc.from_utc_datetime(&period.1.and_hms_opt(0, 0, 0).unwrap_or_default());
    let mut members = tx
        .all(
            tx.select::<membership::Entity>()
                .filter(membership::Column::Status.eq("active")),
        )
        .await?;
    if !everyone {
        members.retain(|m| m.user_id == actor.user_id.0);
    }
    let profiles: HashMap<Uuid, mechanic_profile::Model> = tx
        .all(tx.select::<mechanic_profile::Entity>())
        .await?
        .into_iter()
        .map(|p| (p.membership_id, p))
        .collect();
    let entries = tx
        .all(
            tx.select::<time_entry::Entity>()
                .filter(time_entry::Column::StartedAt.lt(until))
                .filter(
                    pitlane_store::sea_orm::Condition::any()
                        .add(time_entry::Column::EndedAt.is_null())
                        .add(time_entry::Column::EndedAt.gt(from)),
                ),
        )
        .await?;
    let finished = tx
        .all(
            tx.select::<job::Entity>()
                .filter(job::Column::Status.eq("finished"))
                .filter(job::Column::FinishedAt.gte(from))
                .filter(job::Column::FinishedAt.lt(until)),
        )
        .await?;
    let finished_ids: Vec<Uuid> = finished.iter().map(|j| j.id).collect();
    let labour = tx
        .all(
            tx.select::<repair_order_line::Entity>()
                .filter(repair_order_line::Column::JobId.is_in(finished_ids))
                .filter(repair_order_line::Column::Decision.eq("approved")),
        )
        .await?;
    // Roadside jobs count too: the time from setting off to the end is worked time, and the
    // share of the call-out fixed on the request when it ended is earned.
    let roadside = tx
        .all(
            tx.select::<roadside_request::Entity>()
                .filter(roadside_request::Column::Status.is_in(["done", "towed_in"]))
                .filter(roadside_request::Column::FinishedAt.gte(from))
                .filter(roadside_request::Column::FinishedAt.lt(until)),
        )
        .await?;
    let now = Utc::now();
    let mut out = Vec::new();
    for member in members {
        let profile = profiles.get(&member.id);
        let has_time = entries.iter().any(|e| e.mechanic_id == member.id);
        let is_mechanic = member.role == "mechanic"
            || profile.is_some()
            || has_time
            || roadside.iter().any(|r| r.mechanic_id == Some(member.id));
        if !is_mechanic {
            continue;
        }
        let clocked = entries
            .iter()
            .filter(|e| e.mechanic_id == member.id)
            .map(|e| {
                let start = e.started_at.max(from);
                let end = e.ended_at.unwrap_or(now).min(until);
                (end - start).max(Duration::zero())
            })
            .fold(Duration::zero(), |a, b| a + b);
        let their_roadside: Vec<&roadside_request::Model> = roadside
            .iter()
            .filter(|r| r.mechanic_id == Some(member.id))
            .collect();
        let driven = their_roadside
            .iter()
            .filter_map(|r| {
                let start = r.en_route_at.or(r.accepted_at)?.max(from);
                let end = r.finished_at?.min(until);
                Some((end - start).max(Duration::zero()))
            })
            .fold(Duration::zero(), |a, b| a + b);
        let clocked = clocked + driven;
        let roadside_commission: i64 = their_roadside
            .iter()
            .filter_map(|r| r.commission_minor)
            .sum();
        let their_jobs: Vec<Uuid> = finished
            .iter()
            .filter(|j| j.mechanic_id == Some(member.id))
            .map(|j| j.id)
            .collect();
        let mut work = PeriodWork {
            clocked,
            ..PeriodWork::default()
        };
        for line in labour
            .iter()
            .filter(|l| l.job_id.is_some_and(|j| their_jobs.contains(&j)))
        {
            if line.kind.starts_with("labour") {
                work.billed_hours += from_milli(line.quantity_milli);
                work.labour_sales += priced(line).amount();
            }
        }
        let scheme = match profile.map(|p| p.pay_scheme.as_str()) {
            Some("flat_rate") => PayScheme::FlatRate {
                rate: profile.map_or(0, |p| p.pay_rate_minor),
            },
            Some("commission") => PayScheme::Commission {
                share: from_bp(profile.map_or(0, |p| p.commission_bp)),
            },
            _ => PayScheme::Hourly {
                rate: profile.map_or(0, |p| p.pay_rate_minor),
            },
        };
        let name = tx
            .people()
            .first(user::Entity::find().filter(user::Column::Id.eq(member.user_id)))
            .await?
            .map(|u| u.name)
            .unwrap_or_default();
        out.push(Earnings {
            mechanic_id: member.id,
            name,
            efficiency: efficiency(work.billed_hours, work.clocked),
            roadside_jobs: their_roadside.len() as u32,
            roadside_commission,
            earned: earnings(&scheme, &work) + roadside_commission,
            scheme,
            work,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    tx.commit().await?;
    Ok((period, out))
}

/// Sets how a mechanic is paid: `hourly` or `flat_rate` at a rate, or `commission` at a
/// percentage of labour sold.
pub async fn set_pay(
    ws: &Workshop,
    actor: &Actor,
    mechanic_id: Uuid,
    scheme: &str,
    rate: Option<&str>,
    commission_percent: Option<&str>,
) -> Result<mechanic_profile::Model, ServiceError> {
    use pitlane_domain::FieldErrors;
    use pitlane_store::sea_orm::{ActiveValue::Set, IntoActiveModel};
    actor.require(Permission::StaffManage)?;
    let tx = ws.store().tx(&TenantCtx::of(actor)).await?;
    // The mechanic is the address: unknown is not found, before anything else is checked.
    tx.get::<membership::Entity>(mechanic_id).await?;
    let currency = tx.currency().await?;
    let mut errors = FieldErrors::new();
    if !["hourly", "flat_rate", "commission"].contains(&scheme) {
        errors.add("scheme", "must be hourly, flat_rate or commission");
    }
    let rate = match rate.map(str::trim).filter(|r| !r.is_empty()) {
        None if scheme != "commission" => {
            errors.add("rate", "enter the hourly rate");
            None
        }
        None => Some(0),
        Some(raw) => errors.check("rate", pitlane_domain::money::parse_amount(raw, &currency)),
    };
    let commission = match commission_percent.map(str::trim).filter(|r| !r.is_empty()) {
        None if scheme == "commission" => {
            errors.add(
                "commission_percent",
                "enter the share of labour, such as 35",
            );
            None
        }
        None => Some(0),
        Some(raw) => errors.check(
            "commission_percent",
            pitlane_domain::quantity::parse_percent(raw, 100),
        ),
    };
    errors.into_result()?;
    crate::jobs::known_mechanic(&tx, mechanic_id).await?;
    let existing = tx
        .first(
            tx.select::<mechanic_profile::Entity>()
                .filter(mechanic_profile::Column::MembershipId.eq(mechanic_id)),
        )
        .await?;
    let row = match existing {
        Some(profile) => {
            let mut row = profile.into_active_model();
            row.pay_scheme = Set(scheme.to_owned());
            row.pay_rate_minor = Set(rate.unwrap_or_default());
            row.commission_bp = Set(commission.unwrap_or_default());
            row.updated_at = Set(Utc::now());
            tx.update(row).await?
        }
        None => {
            tx.insert(mechanic_profile::ActiveModel {
                tenant_id: Set(tx.tenant_id().0),
                id: Set(Uuid::now_v7()),
                membership_id: Set(mechanic_id),
                skills: Set(String::new()),
                working_hours: Set(None),
                pay_scheme: Set(scheme.to_owned()),
                pay_rate_minor: Set(rate.unwrap_or_default()),
                commission_bp: Set(commission.unwrap_or_default()),
                updated_at: Set(Utc::now()),
                ..Default::default()
            })
            .await?
        }
    };
    tx.commit().await?;
    Ok(row)
}
