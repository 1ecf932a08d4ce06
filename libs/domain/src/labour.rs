//! Mechanics' time and pay: the time clock on a job (start, pause, finish; one running job per
//! mechanic), technician efficiency, and earnings under the workshop's pay scheme.

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;

use crate::pricing::round_minor;

/// What a mechanic does with the clock on a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClockAction {
    Start,
    Pause,
    Finish,
}

/// Where a job's clock stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClockState {
    NotStarted,
    Running,
    Paused,
    Finished,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClockError {
    #[error("this job is already running")]
    AlreadyRunning,
    #[error("this job is not running")]
    NotRunning,
    #[error("this job is finished")]
    Finished,
    #[error("you are clocked on another job; pause or finish it first")]
    OtherJobRunning,
    #[error("a clock entry cannot be earlier than the one before it")]
    OutOfOrder,
}

/// The clock's state after `action`, or why it is refused. `other_running` says whether the
/// mechanic has another job running: one running job at a time.
pub fn clock(
    state: ClockState,
    action: ClockAction,
    other_running: bool,
) -> Result<ClockState, ClockError> {
    use ClockAction::*;
    use ClockState::*;
    match (state, action) {
        (Finished, _) => Err(ClockError::Finished),
        (Running, Start) => Err(ClockError::AlreadyRunning),
        (NotStarted | Paused, Start) if other_running => Err(ClockError::OtherJobRunning),
        (NotStarted | Paused, Start) => Ok(Running),
        (Running, Pause) => Ok(Paused),
        (NotStarted | Paused, Pause) => Err(ClockError::NotRunning),
        // Finishing a paused job is fine; finishing one never started is not.
        (Running | Paused, Finish) => Ok(Finished),
        (NotStarted, Finish) => Err(ClockError::NotRunning),
    }
}

/// The time on a job's clock from its entries (in order), counting a running stretch up to
/// `now`.
pub fn clocked(
    entries: &[(ClockAction, DateTime<Utc>)],
    now: DateTime<Utc>,
) -> Result<Duration, ClockError> {
    let mut state = ClockState::NotStarted;
    let mut since: Option<DateTime<Utc>> = None;
    let mut last: Option<DateTime<Utc>> = None;
    let mut total = Duration::zero();
    for (action, at) in entries {
        if last.is_some_and(|l| *at < l) {
            return Err(ClockError::OutOfOrder);
        }
        last = Some(*at);
        state = clock(state, *action, false)?;
        match state {
            ClockState::Running => since = Some(*at),
            _ => {
                if let Some(start) = since.take() {
                    total += *at - start;
                }
            }
        }
    }
    if let Some(start) = since {
        total += (now - start).max(Duration::zero());
    }
    Ok(total)
}

/// Billed hours ÷ clocked hours: 1.25 means the work sold for a quarter more time than it took.
/// `None` when nothing was clocked.
pub fn efficiency(billed_hours: Decimal, clocked: Duration) -> Option<Decimal> {
    let seconds = clocked.num_seconds();
    (seconds > 0).then(|| (billed_hours * Decimal::from(3600) / Decimal::from(seconds)).round_dp(2))
}

/// How a workshop pays its mechanics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayScheme {
    /// Per clocked hour.
    Hourly { rate: i64 },
    /// Per billed (flat-rate) hour, however long the work took.
    FlatRate { rate: i64 },
    /// A share of the labour sold (`0.35` for 35 %).
    Commission { share: Decimal },
}

/// What a mechanic did in a pay period.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PeriodWork {
    pub clocked: Duration,
    pub billed_hours: Decimal,
    /// Labour sold on their jobs, in minor units.
    pub labour_sales: i64,
}

/// Earnings for the period in minor units, rounded by the one rule.
pub fn earnings(scheme: &PayScheme, work: &PeriodWork) -> i64 {
    match scheme {
        PayScheme::Hourly { rate } => round_minor(
            Decimal::from(*rate) * Decimal::from(work.clocked.num_seconds()) / Decimal::from(3600),
        ),
        PayScheme::FlatRate { rate } => round_minor(Decimal::from(*rate) * work.billed_hours),
        PayScheme::Commission { share } => round_minor(Decimal::from(work.labour_sales) * *share),
    }
}

/// How often mechanics are paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PayPeriod {
    Weekly,
    Fortnightly,
    Monthly,
}

impl PayPeriod {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "weekly" => Some(Self::Weekly),
            "fortnightly" => Some(Self::Fortnightly),
            "monthly" => Some(Self::Monthly),
            _ => None,
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Self::Weekly => "weekly",
            Self::Fortnightly => "fortnightly",
            Self::Monthly => "monthly",
        }
    }

    /// The period holding `day`: its first day and the first day of the next. Weeks start on
    /// Monday; fortnights count from Monday 5 January 2026.
    pub fn around(self, day: chrono::NaiveDate) -> (chrono::NaiveDate, chrono::NaiveDate) {
        use chrono::{Datelike, Days, Months, NaiveDate};
        match self {
            Self::Weekly => {
                let start = day - Days::new(u64::from(day.weekday().num_days_from_monday()));
                (start, start + Days::new(7))
            }
            Self::Fortnightly => {
                let anchor = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap_or(day);
                let offset = (day - anchor).num_days().rem_euclid(14);
                let start = day - Days::new(offset as u64);
                (start, start + Days::new(14))
            }
            Self::Monthly => {
                let start = day.with_day(1).unwrap_or(day);
                (start, start + Months::new(1))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn pay_periods_hold_their_day() {
        let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 21).unwrap(); // a Saturday
        let d = |m, d| chrono::NaiveDate::from_ymd_opt(2026, m, d).unwrap();
        assert_eq!(PayPeriod::Weekly.around(day), (d(11, 16), d(11, 23)));
        assert_eq!(PayPeriod::Fortnightly.around(day), (d(11, 9), d(11, 23)));
        assert_eq!(PayPeriod::Monthly.around(day), (d(11, 1), d(12, 1)));
    }

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + minutes * 60, 0).unwrap()
    }

    #[test]
    fn the_clock_refuses_what_makes_no_sense() {
        use ClockAction::*;
        use ClockState::*;
        assert_eq!(
            clock(NotStarted, Start, true),
            Err(ClockError::OtherJobRunning)
        );
        assert_eq!(
            clock(Running, Start, false),
            Err(ClockError::AlreadyRunning)
        );
        assert_eq!(clock(NotStarted, Pause, false), Err(ClockError::NotRunning));
        assert_eq!(clock(Finished, Start, false), Err(ClockError::Finished));
        assert_eq!(clock(Paused, Finish, false), Ok(Finished));
        assert_eq!(
            ClockError::OtherJobRunning.to_string(),
            "you are clocked on another job; pause or finish it first"
        );
    }

    #[test]
    fn clocked_time_leaves_out_the_pauses() {
        use ClockAction::*;
        let entries = [
            (Start, at(0)),
            (Pause, at(50)),
            (Start, at(80)),
            (Finish, at(120)),
        ];
        assert_eq!(clocked(&entries, at(500)).unwrap(), Duration::minutes(90));
        // Still running: counted up to now.
        assert_eq!(
            clocked(&entries[..3], at(100)).unwrap(),
            Duration::minutes(70)
        );
        assert_eq!(
            clocked(&[(Start, at(10)), (Pause, at(5))], at(20)),
            Err(ClockError::OutOfOrder)
        );
    }

    #[test]
    fn efficiency_and_pay() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(efficiency(d("2.5"), Duration::hours(2)), Some(d("1.25")));
        assert_eq!(efficiency(d("1"), Duration::zero()), None);
        let work = PeriodWork {
            clocked: Duration::minutes(90),
            billed_hours: d("2.0"),
            labour_sales: 24_000,
        };
        assert_eq!(earnings(&PayScheme::Hourly { rate: 2_500 }, &work), 3_750);
        assert_eq!(earnings(&PayScheme::FlatRate { rate: 2_500 }, &work), 5_000);
        assert_eq!(
            earnings(&PayScheme::Commission { share: d("0.35") }, &work),
            8_400
        );
    }

    proptest! {
        /// Whatever is pressed, the clock never counts more than the time that passed, never
        /// goes negative, and accepts nothing after finishing.
        #[test]
        fn clocked_time_is_bounded_by_the_time_that_passed(
            steps in proptest::collection::vec((0usize..3, 0i64..240), 0..40),
        ) {
            let actions = [ClockAction::Start, ClockAction::Pause, ClockAction::Finish];
            let mut entries = Vec::new();
            let mut state = ClockState::NotStarted;
            let mut minute = 0;
            for (a, gap) in steps {
                minute += gap;
                let finished = state == ClockState::Finished;
                if let Ok(next) = clock(state, actions[a], false) {
                    prop_assert!(!finished, "nothing after finishing");
                    state = next;
                    entries.push((actions[a], at(minute)));
                }
            }
            let now = at(minute + 10);
            let total = clocked(&entries, now).unwrap();
            prop_assert!(total >= Duration::zero());
            prop_assert!(total <= now - at(0));
        }
    }
}
