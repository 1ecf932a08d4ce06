//! Reports and the dashboard: what each figure means ([`figures`]), what each document adds
//! to them ([`facts`]), the days a report covers ([`period`]), and the small rules the
//! reports share (ageing of debts, safe spreadsheet cells).

pub mod facts;
pub mod figures;
pub mod period;

pub use facts::{Deltas, Dimension, FigureKey};

/// The definition of the daily figures: raised when documents come to add figures they did
/// not add before (2: estimate answers and inspections), so that older workshops' rows are
/// rebuilt from their documents.
pub const FIGURES_VERSION: i32 = 2;
pub use figures::{Figures, median_hours_milli, per, ratio_bp};
pub use period::{Grain, Period, Preset};

/// How long an unpaid invoice has been due, in the buckets the receivables report uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AgeBucket {
    /// Not yet due, or up to 30 days past its due date.
    UpTo30,
    Days31To60,
    Days61To90,
    Over90,
}

impl AgeBucket {
    pub const ALL: [AgeBucket; 4] = [
        AgeBucket::UpTo30,
        AgeBucket::Days31To60,
        AgeBucket::Days61To90,
        AgeBucket::Over90,
    ];

    /// The bucket of a debt `days_overdue` days past its due date (negative: not yet due).
    pub fn of(days_overdue: i64) -> Self {
        match days_overdue {
            ..=30 => AgeBucket::UpTo30,
            31..=60 => AgeBucket::Days31To60,
            61..=90 => AgeBucket::Days61To90,
            _ => AgeBucket::Over90,
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            AgeBucket::UpTo30 => "0_30",
            AgeBucket::Days31To60 => "31_60",
            AgeBucket::Days61To90 => "61_90",
            AgeBucket::Over90 => "over_90",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AgeBucket::UpTo30 => "0–30 days",
            AgeBucket::Days31To60 => "31–60 days",
            AgeBucket::Days61To90 => "61–90 days",
            AgeBucket::Over90 => "Over 90 days",
        }
    }
}

/// A text cell as a spreadsheet may safely open it: a value that a spreadsheet would run as
/// a formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage return, as OWASP lists)
/// is prefixed with an apostrophe, which shows it as text. Numbers the report writes itself
/// are not text cells and keep their sign.
pub fn safe_cell(text: &str) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_fall_in_their_buckets() {
        assert_eq!(AgeBucket::of(-5), AgeBucket::UpTo30);
        assert_eq!(AgeBucket::of(30), AgeBucket::UpTo30);
        assert_eq!(AgeBucket::of(31), AgeBucket::Days31To60);
        assert_eq!(AgeBucket::of(90), AgeBucket::Days61To90);
        assert_eq!(AgeBucket::of(91), AgeBucket::Over90);
    }

    #[test]
    fn formula_cells_are_defused() {
        assert_eq!(safe_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(safe_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(safe_cell("-2+3"), "'-2+3");
        assert_eq!(safe_cell("Brakes"), "Brakes");
    }
}
