//! Free slots: when a bay and a mechanic are both free for a service's whole duration.
//!
//! Everything here works on half-open UTC spans `[start, end)`. Local rules (business hours,
//! a mechanic's working hours) are turned into UTC spans per local date in the branch's time
//! zone, so a day on which clocks change is as long as it really is.

use chrono::{DateTime, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use uuid::Uuid;

use crate::branch::{BusinessHours, DAYS};

/// A half-open stretch of time `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl Span {
    /// `None` when `end` is not after `start`: an empty span is no span.
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>) -> Option<Self> {
        (start < end).then_some(Self { start, end })
    }

    pub fn overlaps(&self, other: &Span) -> bool {
        self.start < other.end && other.start < self.end
    }

    pub fn contains(&self, other: &Span) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    pub fn duration(&self) -> Duration {
        self.end - self.start
    }
}

/// Sorts spans and joins those that touch or overlap.
pub fn normalise(mut spans: Vec<Span>) -> Vec<Span> {
    spans.sort();
    let mut out: Vec<Span> = Vec::with_capacity(spans.len());
    for span in spans {
        match out.last_mut() {
            Some(last) if span.start <= last.end => last.end = last.end.max(span.end),
            _ => out.push(span),
        }
    }
    out
}

/// `free` without any moment of `busy`. Both may be unsorted.
pub fn subtract(free: &[Span], busy: &[Span]) -> Vec<Span> {
    let busy = normalise(busy.to_vec());
    let mut out = Vec::new();
    for span in normalise(free.to_vec()) {
        let mut cursor = span.start;
        for b in busy.iter().filter(|b| b.overlaps(&span)) {
            if let Some(piece) = Span::new(cursor, b.start) {
                out.push(piece);
            }
            cursor = cursor.max(b.end);
        }
        if let Some(piece) = Span::new(cursor, span.end) {
            out.push(piece);
        }
    }
    out
}

/// The moments in both `a` and `b`.
pub fn intersect(a: &[Span], b: &[Span]) -> Vec<Span> {
    let (a, b) = (normalise(a.to_vec()), normalise(b.to_vec()));
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() && j < b.len() {
        if let Some(piece) = Span::new(a[i].start.max(b[j].start), a[i].end.min(b[j].end)) {
            out.push(piece);
        }
        if a[i].end < b[j].end {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

/// The UTC instant of a local wall-clock time. In the autumn hour that happens twice, an
/// opening takes the first and a closing the second (the day really is an hour longer); in
/// the spring hour that does not exist, both move to the end of the gap.
fn instant(tz: Tz, local: NaiveDateTime, closing: bool) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(first, second) => {
            if closing { second } else { first }.with_timezone(&Utc)
        }
        LocalResult::None => {
            // Gaps are at most a few hours; walk forward to the first minute that exists.
            let mut probe = local;
            for _ in 0..(24 * 60) {
                probe += Duration::minutes(1);
                if let Some(t) = tz.from_local_datetime(&probe).earliest() {
                    return t.with_timezone(&Utc);
                }
            }
            Utc.from_utc_datetime(&local)
        }
    }
}

/// The instant a local date begins in `tz`.
pub fn start_of_day(tz: Tz, date: NaiveDate) -> DateTime<Utc> {
    instant(tz, date.and_time(NaiveTime::MIN), false)
}

/// The UTC spans a weekly pattern covers on `days` local dates from `from`.
pub fn weekly_spans(hours: &BusinessHours, tz: Tz, from: NaiveDate, days: u32) -> Vec<Span> {
    let mut out = Vec::new();
    for date in from.iter_days().take(days as usize) {
        let weekday = chrono::Datelike::weekday(&date);
        let Some((key, _)) = DAYS.iter().find(|(_, d)| *d == weekday) else {
            continue;
        };
        for [open, close] in hours.0.get(*key).into_iter().flatten() {
            let (Ok(open), Ok(close)) = (
                NaiveTime::parse_from_str(open, "%H:%M"),
                NaiveTime::parse_from_str(close, "%H:%M"),
            ) else {
                continue;
            };
            let start = instant(tz, date.and_time(open), false);
            let end = instant(tz, date.and_time(close), true);
            if let Some(span) = Span::new(start, end) {
                out.push(span);
            }
        }
    }
    normalise(out)
}

/// A bay or a mechanic with the time it is free (working time minus absences and bookings).
#[derive(Debug, Clone)]
pub struct Resource {
    pub id: Uuid,
    pub free: Vec<Span>,
}

impl Resource {
    /// Builds a resource from when it could work and when it is taken.
    pub fn new(id: Uuid, available: &[Span], taken: &[Span]) -> Self {
        Self {
            id,
            free: subtract(available, taken),
        }
    }

    /// Whether the whole of `span` is free. `free` is sorted and disjoint.
    pub fn is_free(&self, span: &Span) -> bool {
        let at = self.free.partition_point(|f| f.end < span.end);
        self.free.get(at).is_some_and(|f| f.contains(span))
    }
}

/// A time a service can be booked, with the bay and mechanic that would take it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    pub span: Span,
    pub bay_id: Uuid,
    pub mechanic_id: Uuid,
}

/// What to look for: a duration, starting on a grid of `step` from `window.start`, inside
/// `window`, never before `not_before`.
#[derive(Debug, Clone, Copy)]
pub struct SlotQuery {
    pub window: Span,
    pub duration: Duration,
    pub step: Duration,
    pub not_before: DateTime<Utc>,
}

/// Every start on the grid where some bay and some mechanic are both free for the whole
/// duration; the first of each in the given order takes it (callers order them by preference).
pub fn free_slots(query: &SlotQuery, bays: &[Resource], mechanics: &[Resource]) -> Vec<Slot> {
    let mut out = Vec::new();
    if query.duration <= Duration::zero() || query.step <= Duration::zero() {
        return out;
    }
    let mut start = query.window.start;
    while start + query.duration <= query.window.end {
        if start >= query.not_before {
            let span = Span {
                start,
                end: start + query.duration,
            };
            if let Some(slot) = assign(&span, bays, mechanics) {
                out.push(slot);
            }
        }
        start += query.step;
    }
    out
}

/// The first bay and mechanic free for all of `span`, if any.
pub fn assign(span: &Span, bays: &[Resource], mechanics: &[Resource]) -> Option<Slot> {
    let bay = bays.iter().find(|b| b.is_free(span))?;
    let mechanic = mechanics.iter().find(|m| m.is_free(span))?;
    Some(Slot {
        span: *span,
        bay_id: bay.id,
        mechanic_id: mechanic.id,
    })
}

/// When a reminder `minutes` before `start` goes out. Whole days keep the branch's wall-clock
/// time, so a two-days-before reminder for 10:00 comes at 10:00 across a clock change; other
/// offsets (two hours) count real minutes. A local time the clocks skip falls back to minutes.
pub fn reminder_time(start: DateTime<Utc>, minutes: i64, tz: Tz) -> DateTime<Utc> {
    if minutes % (24 * 60) == 0 {
        let local = start.with_timezone(&tz).naive_local() - Duration::days(minutes / (24 * 60));
        if let Some(at) = tz.from_local_datetime(&local).earliest() {
            return at.with_timezone(&Utc);
        }
    }
    start - Duration::minutes(minutes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, h, m, 0).unwrap()
    }

    fn span(a: (u32, u32), b: (u32, u32)) -> Span {
        Span::new(at(a.0, a.1), at(b.0, b.1)).unwrap()
    }

    #[test]
    fn subtract_cuts_busy_time_out() {
        let free = [span((8, 0), (17, 0))];
        let busy = [
            span((9, 0), (10, 0)),
            span((9, 30), (11, 0)),
            span((16, 0), (18, 0)),
        ];
        assert_eq!(
            subtract(&free, &busy),
            vec![span((8, 0), (9, 0)), span((11, 0), (16, 0))]
        );
    }

    #[test]
    fn intersect_keeps_common_time() {
        let a = [span((8, 0), (12, 0)), span((13, 0), (17, 0))];
        let b = [span((10, 0), (14, 0))];
        assert_eq!(
            intersect(&a, &b),
            vec![span((10, 0), (12, 0)), span((13, 0), (14, 0))]
        );
    }

    #[test]
    fn days_with_a_clock_change_are_as_long_as_they_are() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        let all_day = BusinessHours(
            DAYS.iter()
                .map(|(d, _)| ((*d).to_owned(), vec![["00:00".into(), "23:59".into()]]))
                .collect(),
        );
        // 2026-03-29: clocks go 02:00 → 03:00; 2026-10-25: 03:00 → 02:00.
        let spring = weekly_spans(
            &all_day,
            tz,
            NaiveDate::from_ymd_opt(2026, 3, 29).unwrap(),
            1,
        );
        assert_eq!(spring[0].duration(), Duration::minutes(24 * 60 - 1 - 60));
        let autumn = weekly_spans(
            &all_day,
            tz,
            NaiveDate::from_ymd_opt(2026, 10, 25).unwrap(),
            1,
        );
        assert_eq!(autumn[0].duration(), Duration::minutes(24 * 60 - 1 + 60));
        // Opening at 08:00 local is 07:00 UTC in winter and 06:00 UTC in summer.
        let hours = BusinessHours::weekdays_8_to_5();
        let winter = weekly_spans(&hours, tz, NaiveDate::from_ymd_opt(2026, 3, 27).unwrap(), 1);
        let summer = weekly_spans(&hours, tz, NaiveDate::from_ymd_opt(2026, 3, 30).unwrap(), 1);
        assert_eq!(winter[0].start.format("%H:%M").to_string(), "07:00");
        assert_eq!(summer[0].start.format("%H:%M").to_string(), "06:00");
    }

    #[test]
    fn an_opening_inside_the_spring_gap_moves_to_its_end() {
        let tz: Tz = "America/New_York".parse().unwrap();
        let hours = BusinessHours(
            [("sun".to_owned(), vec![["02:30".into(), "05:00".into()]])]
                .into_iter()
                .collect(),
        );
        // 2026-03-08 02:00 → 03:00 in New York.
        let spans = weekly_spans(&hours, tz, NaiveDate::from_ymd_opt(2026, 3, 8).unwrap(), 1);
        assert_eq!(
            spans[0].start,
            Utc.with_ymd_and_hms(2026, 3, 8, 7, 0, 0).unwrap()
        );
        assert_eq!(spans[0].duration(), Duration::hours(2));
    }

    #[test]
    fn a_slot_needs_a_bay_and_a_mechanic_at_once() {
        let bay = Resource::new(Uuid::from_u128(1), &[span((8, 0), (12, 0))], &[]);
        let mechanic = Resource::new(
            Uuid::from_u128(2),
            &[span((8, 0), (17, 0))],
            &[span((8, 0), (10, 0))],
        );
        let query = SlotQuery {
            window: span((0, 0), (23, 0)),
            duration: Duration::hours(1),
            step: Duration::minutes(30),
            not_before: at(0, 0),
        };
        let starts: Vec<_> = free_slots(&query, &[bay], &[mechanic])
            .iter()
            .map(|s| s.span.start.format("%H:%M").to_string())
            .collect();
        assert_eq!(starts, ["10:00", "10:30", "11:00"]);
    }

    fn arb_spans() -> impl Strategy<Value = Vec<Span>> {
        prop::collection::vec((0i64..2000, 1i64..300), 0..12).prop_map(|raw| {
            raw.into_iter()
                .map(|(start, len)| {
                    let base = at(0, 0);
                    Span::new(
                        base + Duration::minutes(start),
                        base + Duration::minutes(start + len),
                    )
                    .unwrap()
                })
                .collect()
        })
    }

    proptest! {
        #[test]
        fn no_slot_ever_overlaps_busy_time(
            bay_open in arb_spans(), bay_busy in arb_spans(),
            mech_open in arb_spans(), mech_busy in arb_spans(),
            duration in 15i64..240, step in prop::sample::select(vec![5i64, 10, 15, 30]),
        ) {
            let bay = Resource::new(Uuid::from_u128(1), &bay_open, &bay_busy);
            let mechanic = Resource::new(Uuid::from_u128(2), &mech_open, &mech_busy);
            let query = SlotQuery {
                window: Span::new(at(0, 0), at(0, 0) + Duration::minutes(2400)).unwrap(),
                duration: Duration::minutes(duration),
                step: Duration::minutes(step),
                not_before: at(2, 0),
            };
            for slot in free_slots(&query, &[bay], &[mechanic]) {
                prop_assert!(slot.span.start >= query.not_before);
                prop_assert_eq!(slot.span.duration(), query.duration);
                prop_assert!(bay_busy.iter().chain(&mech_busy).all(|b| !b.overlaps(&slot.span)));
                prop_assert!(normalise(bay_open.clone()).iter().any(|o| o.contains(&slot.span)));
                prop_assert!(normalise(mech_open.clone()).iter().any(|o| o.contains(&slot.span)));
            }
        }

        #[test]
        fn every_free_grid_start_is_offered(
            open in arb_spans(), busy in arb_spans(), duration in 15i64..120,
        ) {
            let bay = Resource::new(Uuid::from_u128(1), &open, &busy);
            let mechanic = Resource::new(Uuid::from_u128(2), &open, &[]);
            let query = SlotQuery {
                window: Span::new(at(0, 0), at(0, 0) + Duration::minutes(2400)).unwrap(),
                duration: Duration::minutes(duration),
                step: Duration::minutes(15),
                not_before: at(0, 0),
            };
            let offered = free_slots(&query, std::slice::from_ref(&bay), &[mechanic]);
            let free = subtract(&open, &busy);
            let mut t = query.window.start;
            while t + query.duration <= query.window.end {
                let candidate = Span { start: t, end: t + query.duration };
                let is_free = free.iter().any(|f| f.contains(&candidate));
                prop_assert_eq!(is_free, offered.iter().any(|s| s.span == candidate));
                t += query.step;
            }
        }

        #[test]
        fn local_days_cover_their_hours_in_any_zone(
            day in 0u32..365, zone in prop::sample::select(vec!["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "America/Santiago"]),
        ) {
            let tz: Tz = zone.parse().unwrap();
            let date = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + Duration::days(day.into());
            let spans = weekly_spans(&BusinessHours::weekdays_8_to_5(), tz, date, 1);
            for s in spans {
                // Nine hours of opening, give or take a clock change falling inside them.
                let minutes = s.duration().num_minutes();
                prop_assert!((480..=600).contains(&minutes), "{} minutes", minutes);
                prop_assert_eq!(s.start.with_timezone(&tz).date_naive(), date);
            }
        }
    }

    #[test]
    fn day_reminders_keep_wall_clock_time_across_clock_changes() {
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        // Monday 29 March 2027 10:00 CEST; the clocks went forward on Sunday.
        let start = at("2027-03-29T08:00:00Z");
        assert_eq!(
            reminder_time(start, 2880, berlin),
            at("2027-03-27T09:00:00Z")
        );
        assert_eq!(
            reminder_time(start, 120, berlin),
            at("2027-03-29T06:00:00Z")
        );
        // Monday 1 November 2027 10:00 CET; the clocks went back on Sunday.
        let start = at("2027-11-01T09:00:00Z");
        assert_eq!(
            reminder_time(start, 1440, berlin),
            at("2027-10-31T09:00:00Z")
        );
        assert_eq!(
            reminder_time(start, 2880, berlin),
            at("2027-10-30T08:00:00Z")
        );
        // A local time the clocks skip (02:30 on the spring Sunday) counts minutes instead.
        let start = at("2027-03-29T00:30:00Z");
        assert_eq!(
            reminder_time(start, 1440, berlin),
            start - Duration::days(1)
        );
    }
}
