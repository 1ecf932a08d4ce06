//! Business hours of a branch: per weekday, zero or more opening intervals in local time.

use std::collections::BTreeMap;

use chrono::{NaiveTime, Weekday};
use serde::{Deserialize, Serialize};
use thiserror::Error;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum HoursError {
    #[error("unknown day {0:?}; use mon, tue, wed, thu, fri, sat or sun")]
    UnknownDay(String),
    #[error("{0}: times must look like 08:00")]
    BadTime(String),
    #[error("{0}: opening must be before closing")]
    Inverted(String),
    #[error("{0}: opening intervals overlap")]
    Overlap(String),
}

pub const DAYS: [(&str, Weekday); 7] = [
    ("mon", Weekday::Mon),
    ("tue", Weekday::Tue),
    ("wed", Weekday::Wed),
    ("thu", Weekday::Thu),
    ("fri", Weekday::Fri),
    ("sat", Weekday::Sat),
    ("sun", Weekday::Sun),
];

/// Opening intervals per day, keyed `mon`..`sun`, each `["08:00", "17:00"]`; a missing day is closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(transparent)]
pub struct BusinessHours(pub BTreeMap<String, Vec<[String; 2]>>);

impl BusinessHours {
    /// Monday to Friday 08:00–17:00: what a new branch starts with.
    pub fn weekdays_8_to_5() -> Self {
        let day = vec![["08:00".to_owned(), "17:00".to_owned()]];
        Self(
            DAYS[..5]
                .iter()
                .map(|(name, _)| ((*name).to_owned(), day.clone()))
                .collect(),
        )
    }

    pub fn parse(raw: BTreeMap<String, Vec<[String; 2]>>) -> Result<Self, HoursError> {
        for (day, intervals) in &raw {
            if !DAYS.iter().any(|(name, _)| name == day) {
                return Err(HoursError::UnknownDay(day.clone()));
            }
            let mut parsed: Vec<(NaiveTime, NaiveTime)> = Vec::new();
            for [open, close] in intervals {
                let time = |s: &str| {
                    NaiveTime::parse_from_str(s, "%H:%M")
                        .map_err(|_| HoursError::BadTime(day.clone()))
                };
                let (open, close) = (time(open)?, time(close)?);
                if open >= close {
                    return Err(HoursError::Inverted(day.clone()));
                }
                parsed.push((open, close));
            }
            parsed.sort();
            if parsed.windows(2).any(|w| w[0].1 > w[1].0) {
                return Err(HoursError::Overlap(day.clone()));
            }
        }
        Ok(Self(raw))
    }

    /// A one-line summary such as `mon–fri 08:00–17:00; sat 09:00–13:00`: runs of days with
    /// the same hours are grouped. Written into one string: list pages show it per row.
    pub fn summary(&self) -> String {
        use std::fmt::Write;
        let hours_of = |day: &str| self.0.get(day).filter(|spans| !spans.is_empty());
        let mut out = String::new();
        let mut i = 0;
        while i < DAYS.len() {
            let Some(spans) = hours_of(DAYS[i].0) else {
                i += 1;
                continue;
            };
            let mut last = i;
            while last + 1 < DAYS.len() && hours_of(DAYS[last + 1].0) == Some(spans) {
                last += 1;
            }
            if !out.is_empty() {
                out.push_str("; ");
            }
            out.push_str(DAYS[i].0);
            if last > i {
                out.push('–');
                out.push_str(DAYS[last].0);
            }
            for (n, [open, close]) in spans.iter().enumerate() {
                let _ = write!(out, "{}{open}–{close}", if n == 0 { " " } else { ", " });
            }
            i = last + 1;
        }
        if out.is_empty() {
            out.push_str("closed");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hours(day: &str, spans: &[(&str, &str)]) -> BTreeMap<String, Vec<[String; 2]>> {
        BTreeMap::from([(
            day.to_owned(),
            spans
                .iter()
                .map(|(a, b)| [(*a).to_owned(), (*b).to_owned()])
                .collect(),
        )])
    }

    #[test]
    fn accepts_split_days_and_refuses_nonsense() {
        assert!(
            BusinessHours::parse(hours("mon", &[("08:00", "12:00"), ("13:00", "17:00")])).is_ok()
        );
        assert!(matches!(
            BusinessHours::parse(hours("funday", &[])),
            Err(HoursError::UnknownDay(_))
        ));
        assert!(matches!(
            BusinessHours::parse(hours("mon", &[("8am", "5pm")])),
            Err(HoursError::BadTime(_))
        ));
        assert!(matches!(
            BusinessHours::parse(hours("mon", &[("17:00", "08:00")])),
            Err(HoursError::Inverted(_))
        ));
        assert!(matches!(
            BusinessHours::parse(hours("mon", &[("08:00", "13:00"), ("12:00", "17:00")])),
            Err(HoursError::Overlap(_))
        ));
    }

    #[test]
    fn summaries_group_days_with_the_same_hours() {
        assert_eq!(
            BusinessHours::weekdays_8_to_5().summary(),
            "mon–fri 08:00–17:00"
        );
        let mut split = hours("mon", &[("08:00", "12:00"), ("13:00", "17:00")]);
        split.insert("tue".into(), split["mon"].clone());
        split.insert("thu".into(), vec![["09:00".into(), "13:00".into()]]);
        assert_eq!(
            BusinessHours::parse(split).unwrap().summary(),
            "mon–tue 08:00–12:00, 13:00–17:00; thu 09:00–13:00"
        );
        assert_eq!(BusinessHours::default().summary(), "closed");
    }
}
