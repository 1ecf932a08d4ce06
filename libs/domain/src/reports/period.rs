//! The days a report covers: presets people pick (today, this week, month, quarter, year, to
//! date) or a custom range, what it is compared with, and how a branch's local days map to
//! instants (DST-safe: a local day is 23, 24 or 25 hours long).

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::schedule::start_of_day;

/// A range a report is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    Today,
    /// Monday to today.
    Week,
    /// The 1st of the month to today.
    Month,
    /// The quarter's first day to today.
    Quarter,
    /// 1 January to today.
    Year,
    /// The days the person chose.
    Custom,
}

impl Preset {
    pub const ALL: [Preset; 6] = [
        Preset::Today,
        Preset::Week,
        Preset::Month,
        Preset::Quarter,
        Preset::Year,
        Preset::Custom,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Preset::Today => "today",
            Preset::Week => "week",
            Preset::Month => "month",
            Preset::Quarter => "quarter",
            Preset::Year => "year",
            Preset::Custom => "custom",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Preset::Today => "Today",
            Preset::Week => "This week",
            Preset::Month => "This month",
            Preset::Quarter => "This quarter",
            Preset::Year => "This year",
            Preset::Custom => "Custom",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.key() == key)
    }
}

/// Local days from `from` to `to`, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// The longest range a report covers: ten years of days.
pub const MAX_DAYS: i64 = 3_660;

impl Period {
    /// A custom range; `None` when it ends before it starts or is longer than ten years.
    pub fn new(from: NaiveDate, to: NaiveDate) -> Option<Self> {
        let days = (to - from).num_days();
        (0..MAX_DAYS).contains(&days).then_some(Self { from, to })
    }

    /// The preset's days up to and including `today`. `Custom` is today alone.
    pub fn to_date(preset: Preset, today: NaiveDate) -> Self {
        let from = match preset {
            Preset::Today | Preset::Custom => today,
            Preset::Week => today - Days::new(u64::from(today.weekday().num_days_from_monday())),
            Preset::Month => today.with_day(1).unwrap_or(today),
            Preset::Quarter => {
                let month = (today.month0() / 3) * 3 + 1;
                NaiveDate::from_ymd_opt(today.year(), month, 1).unwrap_or(today)
            }
            Preset::Year => NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today),
        };
        Self { from, to: today }
    }

    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }

    pub fn contains(&self, day: NaiveDate) -> bool {
        self.from <= day && day <= self.to
    }

    /// What the period is compared with: the same stretch one unit earlier (yesterday, last
    /// week, last month, quarter or year to the same day); a custom range, the same number of
    /// days just before it.
    pub fn previous(&self, preset: Preset) -> Self {
        let back = |months: u32| Self {
            from: shift_months(self.from, months),
            to: shift_months(self.to, months),
        };
        match preset {
            Preset::Today => self.shifted_days(1),
            Preset::Week => self.shifted_days(7),
            Preset::Month => back(1),
            Preset::Quarter => back(3),
            Preset::Year => back(12),
            Preset::Custom => self.shifted_days(self.days()),
        }
    }

    /// The same days a year earlier (29 February falls to the 28th).
    pub fn last_year(&self) -> Self {
        Self {
            from: shift_months(self.from, 12),
            to: shift_months(self.to, 12),
        }
    }

    fn shifted_days(&self, days: i64) -> Self {
        let back = Days::new(days.unsigned_abs());
        Self {
            from: self.from - back,
            to: self.to - back,
        }
    }

    /// The instants the period covers at a branch: from its first local midnight up to (not
    /// including) the midnight after its last day.
    pub fn bounds(&self, tz: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
        (
            start_of_day(tz, self.from),
            start_of_day(tz, self.to + Days::new(1)),
        )
    }
}

/// The date `months` earlier, on the same day or the month's last one.
fn shift_months(day: NaiveDate, months: u32) -> NaiveDate {
    day.checked_sub_months(Months::new(months)).unwrap_or(day)
}

/// The branch-local day an instant falls on.
pub fn local_day(at: DateTime<Utc>, tz: Tz) -> NaiveDate {
    at.with_timezone(&tz).date_naive()
}

/// A branch's time zone by name; an unknown name reads as UTC.
pub fn zone(name: &str) -> Tz {
    name.parse().unwrap_or(Tz::UTC)
}

/// The branches' time zones, read once where many instants are put on their branch's day.
#[derive(Debug, Clone, Default)]
pub struct BranchZones(std::collections::HashMap<uuid::Uuid, Tz>);

impl BranchZones {
    /// From each branch's id and time-zone name.
    pub fn new<'a>(branches: impl IntoIterator<Item = (uuid::Uuid, &'a str)>) -> Self {
        Self(
            branches
                .into_iter()
                .map(|(id, name)| (id, zone(name)))
                .collect(),
        )
    }

    /// The local day an instant falls on at a branch (UTC for a branch not known).
    pub fn day(&self, branch: uuid::Uuid, at: DateTime<Utc>) -> NaiveDate {
        local_day(at, self.0.get(&branch).copied().unwrap_or(Tz::UTC))
    }
}

/// How a trend groups its days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grain {
    Day,
    /// Weeks starting on Monday.
    Week,
    Month,
}

impl Grain {
    pub fn key(self) -> &'static str {
        match self {
            Grain::Day => "day",
            Grain::Week => "week",
            Grain::Month => "month",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        [Grain::Day, Grain::Week, Grain::Month]
            .into_iter()
            .find(|g| g.key() == key)
    }

    /// The grain that draws a period in a readable number of bars (at most about 60).
    pub fn fitting(period: &Period) -> Self {
        match period.days() {
            days if days <= 62 => Grain::Day,
            days if days <= 366 => Grain::Week,
            _ => Grain::Month,
        }
    }

    /// The first day of the bucket a day falls in.
    pub fn bucket(self, day: NaiveDate) -> NaiveDate {
        match self {
            Grain::Day => day,
            Grain::Week => day - Days::new(u64::from(day.weekday().num_days_from_monday())),
            Grain::Month => day.with_day(1).unwrap_or(day),
        }
    }

    /// Every bucket of a period, in order (the first may start before it).
    pub fn buckets(self, period: &Period) -> Vec<NaiveDate> {
        let mut out = Vec::new();
        let mut day = self.bucket(period.from);
        while day <= period.to {
            out.push(day);
            day = match self {
                Grain::Day => day + Days::new(1),
                Grain::Week => day + Days::new(7),
                Grain::Month => day
                    .checked_add_months(Months::new(1))
                    .unwrap_or(period.to + Days::new(1)),
            };
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn presets_run_to_today() {
        let today = d(2026, 12, 4); // a Friday
        assert_eq!(Period::to_date(Preset::Week, today).from, d(2026, 11, 30));
        assert_eq!(Period::to_date(Preset::Month, today).from, d(2026, 12, 1));
        assert_eq!(Period::to_date(Preset::Quarter, today).from, d(2026, 10, 1));
        assert_eq!(Period::to_date(Preset::Year, today).from, d(2026, 1, 1));
        let month = Period::to_date(Preset::Month, today);
        assert_eq!(
            month.previous(Preset::Month),
            Period {
                from: d(2026, 11, 1),
                to: d(2026, 11, 4)
            }
        );
        assert_eq!(
            month.last_year(),
            Period {
                from: d(2025, 12, 1),
                to: d(2025, 12, 4)
            }
        );
        let custom = Period::new(d(2026, 3, 1), d(2026, 3, 10)).unwrap();
        assert_eq!(
            custom.previous(Preset::Custom),
            Period {
                from: d(2026, 2, 19),
                to: d(2026, 2, 28)
            }
        );
        assert_eq!(
            Period::new(d(2028, 2, 29), d(2028, 2, 29))
                .unwrap()
                .last_year()
                .from,
            d(2027, 2, 28)
        );
        assert!(Period::new(d(2026, 3, 2), d(2026, 3, 1)).is_none());
    }

    #[test]
    fn a_local_day_across_the_clock_change_is_23_hours() {
        let berlin = zone("Europe/Berlin");
        let day = Period::new(d(2026, 3, 29), d(2026, 3, 29)).unwrap();
        let (start, end) = day.bounds(berlin);
        assert_eq!((end - start).num_hours(), 23);
        assert_eq!(start.to_rfc3339(), "2026-03-28T23:00:00+00:00");
        // 23:30 UTC on the 28th is already the 29th in Berlin.
        assert_eq!(
            local_day(start + chrono::Duration::minutes(30), berlin),
            d(2026, 3, 29)
        );
    }

    #[test]
    fn buckets_cover_the_period() {
        let p = Period::new(d(2026, 1, 28), d(2026, 3, 2)).unwrap();
        assert_eq!(
            Grain::Month.buckets(&p),
            vec![d(2026, 1, 1), d(2026, 2, 1), d(2026, 3, 1)]
        );
        assert_eq!(Grain::Week.buckets(&p).first(), Some(&d(2026, 1, 26)));
        assert_eq!(Grain::fitting(&p), Grain::Day);
    }
}
