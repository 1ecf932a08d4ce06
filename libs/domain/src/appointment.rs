//! The life of an appointment, and which states hold a bay and a mechanic.

use std::fmt;

/// requested → confirmed → checked in → (becomes a repair order), or no-show / cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AppointmentStatus {
    Requested,
    Confirmed,
    CheckedIn,
    Converted,
    NoShow,
    Cancelled,
}

impl AppointmentStatus {
    pub const ALL: [AppointmentStatus; 6] = [
        Self::Requested,
        Self::Confirmed,
        Self::CheckedIn,
        Self::Converted,
        Self::NoShow,
        Self::Cancelled,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Self::Requested => "requested",
            Self::Confirmed => "confirmed",
            Self::CheckedIn => "checked_in",
            Self::Converted => "converted",
            Self::NoShow => "no_show",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Requested => "Requested",
            Self::Confirmed => "Confirmed",
            Self::CheckedIn => "Checked in",
            Self::Converted => "In the workshop",
            Self::NoShow => "No-show",
            Self::Cancelled => "Cancelled",
        }
    }

    /// The label for a stored key; an unknown key shows as itself.
    pub fn label_for(key: &str) -> &str {
        match Self::parse(key) {
            Some(status) => status.label(),
            None => key,
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.key() == key)
    }

    /// Whether an appointment in this state keeps its bay and mechanic from other bookings.
    /// The database's exclusion constraint uses the same list (`HOLDING_KEYS`).
    pub fn holds_time(self) -> bool {
        matches!(
            self,
            Self::Requested | Self::Confirmed | Self::CheckedIn | Self::Converted
        )
    }

    /// Whether it may still be moved or cancelled.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Requested | Self::Confirmed)
    }

    pub fn can_become(self, next: Self) -> bool {
        use AppointmentStatus::*;
        matches!(
            (self, next),
            (Requested, Confirmed)
                | (Requested | Confirmed, CheckedIn)
                | (CheckedIn, Converted)
                | (Requested | Confirmed, NoShow)
                | (Requested | Confirmed | CheckedIn, Cancelled)
        )
    }
}

/// The states that hold time, as the database stores them.
pub const HOLDING_KEYS: [&str; 4] = ["requested", "confirmed", "checked_in", "converted"];

impl fmt::Display for AppointmentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// A mileage reading lower than the last one is refused unless it is an explicit correction.
pub fn check_mileage(
    last: Option<i64>,
    reading: i64,
    correction_reason: Option<&str>,
) -> Result<(), &'static str> {
    if !(0..=5_000_000).contains(&reading) {
        return Err("must be a whole number between 0 and 5,000,000");
    }
    match (
        last,
        correction_reason.map(str::trim).filter(|r| !r.is_empty()),
    ) {
        (Some(last), None) if reading < last => Err(
            "is lower than the last reading; if the last one was wrong, record a correction with a reason",
        ),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_path_of_the_life_cycle() {
        use AppointmentStatus::*;
        assert!(Requested.can_become(Confirmed));
        assert!(Confirmed.can_become(CheckedIn));
        assert!(CheckedIn.can_become(Converted));
        assert!(Confirmed.can_become(NoShow));
        assert!(Confirmed.can_become(Cancelled));
        assert!(!Cancelled.can_become(Confirmed));
        assert!(!Converted.can_become(Cancelled));
        assert!(!NoShow.can_become(CheckedIn));
        for status in AppointmentStatus::ALL {
            assert_eq!(AppointmentStatus::parse(status.key()), Some(status));
            assert_eq!(status.holds_time(), HOLDING_KEYS.contains(&status.key()));
        }
    }

    #[test]
    fn lower_mileage_needs_a_reason() {
        assert!(check_mileage(Some(50_000), 49_000, None).is_err());
        assert!(check_mileage(Some(50_000), 49_000, Some("  ")).is_err());
        assert!(check_mileage(Some(50_000), 49_000, Some("typo in last reading")).is_ok());
        assert!(check_mileage(Some(50_000), 50_000, None).is_ok());
        assert!(check_mileage(None, 10, None).is_ok());
        assert!(check_mileage(None, -1, None).is_err());
    }
}
