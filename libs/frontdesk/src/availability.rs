//! Free slots: where a suitable bay and a qualified, approved mechanic are both free for a
//! service's whole duration, inside the branch's hours, outside its closures, in its time zone.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use pitlane_domain::{
    FieldErrors, ServiceError,
    appointment::HOLDING_KEYS,
    ids::AppointmentId,
    schedule::{self, Resource, Slot, SlotQuery, Span},
};
use pitlane_store::{
    TenantTx,
    entity::{appointment, branch, branch_closure, service, staff_absence},
    sea_orm::{ColumnTrait, QueryFilter},
};
use uuid::Uuid;

use crate::resources::{bays_in, mechanics_in};

/// Starts are offered on this grid, from local midnight.
pub const STEP_MINUTES: i64 = 15;
/// The longest stretch one query may ask for.
pub const MAX_DAYS: u32 = 31;

pub fn zone(branch: &branch::Model) -> Tz {
    branch.time_zone.parse().unwrap_or(chrono_tz::UTC)
}

/// Today's date on a branch's clock, from its time-zone name.
pub fn local_today(time_zone: &str) -> chrono::NaiveDate {
    chrono::Utc::now()
        .with_timezone(&time_zone.parse().unwrap_or(chrono_tz::UTC))
        .date_naive()
}

/// Everything needed to place one service in one branch over some days.
pub(crate) struct Board {
    pub open: Vec<Span>,
    pub closures: Vec<(Span, String)>,
    pub bays: Vec<Resource>,
    pub mechanics: Vec<Resource>,
    pub window: Span,
    pub duration: Duration,
}

/// Builds the board for `days` local dates from `from`. `ignore` is an appointment being
/// moved: its own time does not count as taken.
pub(crate) async fn board(
    tx: &TenantTx,
    branch: &branch::Model,
    service: &service::Model,
    from: NaiveDate,
    days: u32,
    ignore: Option<AppointmentId>,
) -> Result<Board, ServiceError> {
    let tz = zone(branch);
    let days = days.clamp(1, MAX_DAYS);
    let until = from + Duration::days(days.into());
    let window = Span::new(
        schedule::start_of_day(tz, from),
        schedule::start_of_day(tz, until),
    )
    .ok_or_else(|| ServiceError::internal("empty scheduling window"))?;
    let hours = pitlane_tenancy::branches::hours_of(branch);
    let closures: Vec<(Span, String)> = tx
        .all(
            tx.select::<branch_closure::Entity>()
                .filter(branch_closure::Column::BranchId.eq(branch.id))
                .filter(branch_closure::Column::EndsOn.gte(from))
                .filter(branch_closure::Column::StartsOn.lt(until)),
        )
        .await?
        .into_iter()
        .filter_map(|c| {
            Span::new(
                schedule::start_of_day(tz, c.starts_on),
                schedule::start_of_day(tz, c.ends_on + Duration::days(1)),
            )
            .map(|s| (s, c.reason))
        })
        .collect();
    let closed: Vec<Span> = closures.iter().map(|(s, _)| *s).collect();
    let open = schedule::subtract(&schedule::weekly_spans(&hours, tz, from, days), &closed);

    let taken = tx
        .all(
            tx.select::<appointment::Entity>()
                .filter(appointment::Column::Status.is_in(HOLDING_KEYS))
                .filter(appointment::Column::StartsAt.lt(window.end))
                .filter(appointment::Column::EndsAt.gt(window.start)),
        )
        .await?;
    let taken: Vec<&appointment::Model> = taken
        .iter()
        .filter(|a| Some(AppointmentId(a.id)) != ignore)
        .collect();
    let busy = |pick: &dyn Fn(&appointment::Model) -> bool| -> Vec<Span> {
        taken
            .iter()
            .filter(|a| pick(a))
            .filter_map(|a| Span::new(a.starts_at, a.ends_at))
            .collect()
    };

    let bays: Vec<Resource> = bays_in(tx, Some(branch.id), true)
        .await?
        .into_iter()
        .filter(|b| service.bay_kind.as_deref().is_none_or(|k| k == b.kind))
        .map(|b| Resource::new(b.id, &open, &busy(&|a| a.bay_id == b.id)))
        .collect();

    let absences = tx
        .all(
            tx.select::<staff_absence::Entity>()
                .filter(staff_absence::Column::StartsAt.lt(window.end))
                .filter(staff_absence::Column::EndsAt.gt(window.start)),
        )
        .await?;
    let mut mechanics: Vec<(i64, Resource)> = mechanics_in(tx)
        .await?
        .into_iter()
        .filter(|m| m.works_at(branch.id) && m.has_skill(service.skill.as_deref()))
        .map(|m| {
            let hours = m
                .working_hours
                .as_ref()
                .map(|h| schedule::weekly_spans(h, tz, from, days))
                .unwrap_or_else(|| open.clone());
            let mut away = busy(&|a| a.mechanic_id == m.membership_id);
            let booked: i64 = away.iter().map(|s| s.duration().num_minutes()).sum();
            away.extend(
                absences
                    .iter()
                    .filter(|a| a.membership_id == m.membership_id)
                    .filter_map(|a| Span::new(a.starts_at, a.ends_at)),
            );
            let available = schedule::intersect(&open, &hours);
            (booked, Resource::new(m.membership_id, &available, &away))
        })
        .collect();
    // The least booked mechanic gets the next job: work spreads over the team.
    mechanics.sort_by_key(|(booked, r)| (*booked, r.id));
    Ok(Board {
        open,
        closures,
        bays,
        mechanics: mechanics.into_iter().map(|(_, r)| r).collect(),
        window,
        duration: Duration::minutes(service.duration_minutes.into()),
    })
}

impl Board {
    pub fn free_slots(&self, not_before: DateTime<Utc>) -> Vec<Slot> {
        schedule::free_slots(
            &SlotQuery {
                window: self.window,
                duration: self.duration,
                step: Duration::minutes(STEP_MINUTES),
                not_before,
            },
            &self.bays,
            &self.mechanics,
        )
    }

    /// The bay and mechanic for a chosen start, or why there are none. A wish for a given
    /// bay or mechanic narrows the choice to them.
    pub fn place(
        &self,
        start: DateTime<Utc>,
        now: DateTime<Utc>,
        bay: Option<Uuid>,
        mechanic: Option<Uuid>,
    ) -> Result<Slot, Unplaceable> {
        let span = Span {
            start,
            end: start + self.duration,
        };
        if start < now {
            return Err(Unplaceable::Invalid(
                "is in the past; choose a later time".into(),
            ));
        }
        if let Some((_, reason)) = self.closures.iter().find(|(c, _)| c.overlaps(&span)) {
            return Err(Unplaceable::Invalid(format!(
                "the branch is closed then ({reason}); choose another day"
            )));
        }
        if !self.open.iter().any(|o| o.contains(&span)) {
            return Err(Unplaceable::Invalid(
                "is outside the branch's business hours (the whole service must fit in them)"
                    .into(),
            ));
        }
        let bays: Vec<Resource> = self
            .bays
            .iter()
            .filter(|b| bay.is_none_or(|id| id == b.id))
            .cloned()
            .collect();
        let mechanics: Vec<Resource> = self
            .mechanics
            .iter()
            .filter(|m| mechanic.is_none_or(|id| id == m.id))
            .cloned()
            .collect();
        if bay.is_some() && bays.is_empty() {
            return Err(Unplaceable::WrongBay);
        }
        if mechanic.is_some() && mechanics.is_empty() {
            return Err(Unplaceable::WrongMechanic);
        }
        schedule::assign(&span, &bays, &mechanics).ok_or(Unplaceable::Taken)
    }
}

/// Why a start cannot be booked.
#[derive(Debug)]
pub enum Unplaceable {
    /// Bad input: in the past, closed, outside hours.
    Invalid(String),
    WrongBay,
    WrongMechanic,
    /// Every suitable bay or mechanic is taken then: a conflict, with fresh slots to offer.
    Taken,
}

impl Unplaceable {
    pub fn into_error(self) -> ServiceError {
        match self {
            Unplaceable::Invalid(message) => FieldErrors::single("starts_at", message).into(),
            Unplaceable::WrongBay => FieldErrors::single(
                "bay_id",
                "no such bay in this branch, or it is not the kind this service needs",
            )
            .into(),
            Unplaceable::WrongMechanic => FieldErrors::single(
                "mechanic_id",
                "not a mechanic of this branch with the skill this service needs",
            )
            .into(),
            Unplaceable::Taken => taken(),
        }
    }
}

/// The conflict a lost race (or a taken time) answers with.
pub fn taken() -> ServiceError {
    ServiceError::Conflict(FieldErrors::single(
        "starts_at",
        "that time has just been taken; choose one of the free times",
    ))
}

/// Whether an error is the "time taken" conflict, so callers can offer fresh slots.
pub fn is_taken(err: &ServiceError) -> bool {
    matches!(err, ServiceError::Conflict(f) if f.message_for("starts_at").is_some())
}
