//! A report as JSON: the same shape for every report (headlines compared with earlier
//! periods, then tables whose columns say what unit their numbers are in).

use chrono::NaiveDate;
use pitlane_reports::{
    history::{History, Subject},
    report::{self, Report, ReportKind, Unit},
};
use poem_openapi::{ApiResponse, Enum, Object, payload::Binary};
use uuid::Uuid;

/// Which report.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename_all = "kebab-case")]
pub enum ReportName {
    Sales,
    Profit,
    CarCount,
    Technicians,
    Estimates,
    Inspections,
    Inventory,
    Receivables,
    Customers,
    Roadside,
    Feedback,
}

impl ReportName {
    pub fn kind(self) -> ReportKind {
        match self {
            ReportName::Sales => ReportKind::Sales,
            ReportName::Profit => ReportKind::Profit,
            ReportName::CarCount => ReportKind::Trend,
            ReportName::Technicians => ReportKind::Technicians,
            ReportName::Estimates => ReportKind::Estimates,
            ReportName::Inspections => ReportKind::Inspections,
            ReportName::Inventory => ReportKind::Inventory,
            ReportName::Receivables => ReportKind::Receivables,
            ReportName::Customers => ReportKind::Customers,
            ReportName::Roadside => ReportKind::Roadside,
            ReportName::Feedback => ReportKind::Feedback,
        }
    }
}

/// The range a report covers, up to and including today at the branch.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename_all = "snake_case")]
pub enum PresetName {
    Today,
    Week,
    Month,
    Quarter,
    Year,
    /// `from` to `to`.
    Custom,
}

/// How a trend groups its days.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename_all = "snake_case")]
pub enum GrainName {
    Day,
    Week,
    Month,
}

/// What the numbers of a column or headline are.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename_all = "snake_case")]
pub enum UnitName {
    /// A text.
    Text,
    /// Minor units of the report's currency.
    Money,
    Count,
    /// Thousandths of an hour.
    Hours,
    /// Basis points: 1 % is 100.
    Percent,
    /// Hundredths of a times-figure: 350 is 3.5 times.
    Ratio,
    /// Hundredths of a star of five: 425 is 4.25 stars.
    Stars,
    /// An ISO date (text).
    Date,
}

impl From<Unit> for UnitName {
    fn from(u: Unit) -> Self {
        match u {
            Unit::Text => UnitName::Text,
            Unit::Money => UnitName::Money,
            Unit::Count => UnitName::Count,
            Unit::Hours => UnitName::Hours,
            Unit::Percent => UnitName::Percent,
            Unit::Ratio => UnitName::Ratio,
            Unit::Stars => UnitName::Stars,
            Unit::Date => UnitName::Date,
        }
    }
}

/// Local days, both included.
#[derive(Object)]
pub struct Days {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl From<pitlane_domain::reports::Period> for Days {
    fn from(p: pitlane_domain::reports::Period) -> Self {
        Days {
            from: p.from,
            to: p.to,
        }
    }
}

/// A figure at the top of a report, with the previous period's and last year's.
#[derive(Object)]
pub struct ReportHeadline {
    pub key: String,
    pub label: String,
    pub unit: UnitName,
    /// Unset where the figure has no value (a ratio of nothing).
    #[oai(nullable)]
    pub current: Option<i64>,
    #[oai(nullable)]
    pub previous: Option<i64>,
    #[oai(nullable)]
    pub last_year: Option<i64>,
}

#[derive(Object)]
pub struct ReportColumn {
    pub key: String,
    pub label: String,
    pub unit: UnitName,
}

/// A table of a report. Each row holds one value per column: an integer in the column's
/// unit, a string (text and date columns), or null where a ratio has no value.
#[derive(Object)]
pub struct ReportTable {
    pub key: String,
    pub title: String,
    pub description: String,
    pub columns: Vec<ReportColumn>,
    pub rows: Vec<Vec<serde_json::Value>>,
    /// The column totals, where adding up means something (ratios recomputed).
    #[oai(nullable)]
    pub totals: Option<Vec<serde_json::Value>>,
}

/// A report over a range of days, for one branch or every branch the caller may see.
#[derive(Object)]
pub struct ReportBody {
    pub report: String,
    pub title: String,
    pub preset: PresetName,
    pub period: Days,
    /// What `previous` figures are of: the same stretch one unit earlier.
    pub previous: Days,
    /// What `last_year` figures are of.
    pub last_year: Days,
    /// The branch it is limited to; unset for every branch.
    #[oai(nullable)]
    pub branch_id: Option<Uuid>,
    /// The currency every money figure is in (ISO 4217).
    pub currency: String,
    pub headlines: Vec<ReportHeadline>,
    pub tables: Vec<ReportTable>,
}

fn value(v: &report::Value) -> serde_json::Value {
    match v {
        report::Value::Number(n) => serde_json::Value::from(*n),
        report::Value::Text(s) => serde_json::Value::from(s.as_str()),
        report::Value::Empty => serde_json::Value::Null,
    }
}

fn preset_name(p: pitlane_domain::reports::Preset) -> PresetName {
    use pitlane_domain::reports::Preset;
    match p {
        Preset::Today => PresetName::Today,
        Preset::Week => PresetName::Week,
        Preset::Month => PresetName::Month,
        Preset::Quarter => PresetName::Quarter,
        Preset::Year => PresetName::Year,
        Preset::Custom => PresetName::Custom,
    }
}

impl From<Report> for ReportBody {
    fn from(r: Report) -> Self {
        ReportBody {
            report: r.kind.key().to_owned(),
            title: r.kind.title().to_owned(),
            preset: preset_name(r.preset),
            period: r.period.into(),
            previous: r.previous.into(),
            last_year: r.last_year.into(),
            branch_id: r.branch.map(|b| b.0),
            currency: r.currency,
            headlines: r
                .headlines
                .into_iter()
                .map(|h| ReportHeadline {
                    key: h.key.to_owned(),
                    label: h.label.to_owned(),
                    unit: h.unit.into(),
                    current: h.current,
                    previous: h.previous,
                    last_year: h.last_year,
                })
                .collect(),
            tables: r.tables.into_iter().map(ReportTable::from).collect(),
        }
    }
}

impl From<report::Table> for ReportTable {
    fn from(t: report::Table) -> Self {
        ReportTable {
            key: t.key.to_owned(),
            title: t.title,
            description: t.description,
            columns: t
                .columns
                .into_iter()
                .map(|c| ReportColumn {
                    key: c.key.to_owned(),
                    label: c.label.to_owned(),
                    unit: c.unit.into(),
                })
                .collect(),
            rows: t
                .rows
                .iter()
                .map(|r| r.iter().map(value).collect())
                .collect(),
            totals: t.totals.map(|r| r.iter().map(value).collect()),
        }
    }
}

/// What a repair history is of.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename_all = "snake_case")]
pub enum HistorySubject {
    Vehicle,
    Customer,
}

/// A line identifying the subject of a history: `Owner`, `VIN`, `Phone`...
#[derive(Object)]
pub struct HistoryFact {
    pub label: String,
    pub value: String,
}

/// A vehicle's or customer's repair history: tables `orders`, `work` and `invoices`, newest
/// first, shaped as a report's tables.
#[derive(Object)]
pub struct HistoryBody {
    pub subject: HistorySubject,
    pub subject_id: Uuid,
    pub title: String,
    pub facts: Vec<HistoryFact>,
    /// The currency every money figure is in (ISO 4217).
    pub currency: String,
    pub tables: Vec<ReportTable>,
}

impl From<History> for HistoryBody {
    fn from(h: History) -> Self {
        let (subject, subject_id) = match h.subject {
            Subject::Vehicle(id) => (HistorySubject::Vehicle, id.0),
            Subject::Customer(id) => (HistorySubject::Customer, id.0),
        };
        HistoryBody {
            subject,
            subject_id,
            title: h.title,
            facts: h
                .facts
                .into_iter()
                .map(|(label, value)| HistoryFact {
                    label: label.to_owned(),
                    value,
                })
                .collect(),
            currency: h.currency,
            tables: h.tables.into_iter().map(ReportTable::from).collect(),
        }
    }
}

/// A report or history on paper.
#[derive(ApiResponse)]
pub enum PrintedReport {
    /// A tagged PDF on the workshop's letterhead.
    #[oai(status = 200, content_type = "application/pdf")]
    Ok(
        Binary<Vec<u8>>,
        #[oai(header = "content-disposition")] String,
    ),
}

impl PrintedReport {
    pub fn new(body: Vec<u8>, name: &str) -> Self {
        PrintedReport::Ok(Binary(body), format!("inline; filename=\"{name}\""))
    }
}

/// One report there is.
#[derive(Object)]
pub struct ReportEntry {
    /// What names it in `/reports/{report}`.
    pub id: String,
    pub title: String,
    pub summary: String,
}

/// What rebuilding the daily figures did.
#[derive(Object)]
pub struct RebuiltFigures {
    /// The rows of daily figures written.
    pub rows: u64,
    /// Whether the figures kept so far differed from the documents (they should not).
    pub differed: bool,
}
