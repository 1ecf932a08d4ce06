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

    /// A one-line summary such as `mon 08:00–17:00`, for lists.
    pub fn summary(&self) -> String {
        DAYS.iter()
            .filter_map(|(name, _)| {
                let intervals = self.0.get(*name).filter(|i| !i.is_empty())?;
                let spans: Vec<String> =
                    intervals.iter().map(|[a, b]| format!("{a}–{b}")).collect();
                Some(format!("{name} {}", spans.join(", ")))
            })
            .collect::<Vec<_>>()
            .join("; ")
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
        assert_eq!(
            BusinessHours::weekdays_8_to_5()
                .summary()
                .matches("08:00–17:00")
                .count(),
            5
        );
    }
}
