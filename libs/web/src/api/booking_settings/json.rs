//! The online booking settings as the API sends and takes them.

use pitlane_frontdesk::booking::BookingSettings;
use poem_openapi::{Object, types::Example};

/// How the workshop takes online bookings.
#[derive(Object)]
#[oai(example)]
pub struct BookingSettingsBody {
    /// Confirm online bookings at once (otherwise they wait for staff).
    pub auto_confirm: bool,
    /// Customers may move or cancel online until this many hours before.
    pub cutoff_hours: i32,
    /// Reminder times in minutes before the appointment (default 1440 and 120).
    pub reminder_minutes: Vec<i64>,
}

impl Example for BookingSettingsBody {
    fn example() -> Self {
        Self {
            auto_confirm: true,
            cutoff_hours: 24,
            reminder_minutes: vec![1440, 120],
        }
    }
}

impl From<BookingSettings> for BookingSettingsBody {
    fn from(s: BookingSettings) -> Self {
        Self {
            auto_confirm: s.auto_confirm,
            cutoff_hours: s.cutoff_hours,
            reminder_minutes: s.reminder_minutes,
        }
    }
}

impl From<BookingSettingsBody> for BookingSettings {
    fn from(b: BookingSettingsBody) -> Self {
        Self {
            auto_confirm: b.auto_confirm,
            cutoff_hours: b.cutoff_hours,
            reminder_minutes: b.reminder_minutes,
        }
    }
}
