//! The one shape every report has, so one page draws them, one writer makes their CSV and
//! one API schema describes them: headline figures compared with the previous period and
//! the same period last year, then tables (each may be drawn as a chart).

use chrono::NaiveDate;
use pitlane_domain::reports::{Period, Preset};
use serde::Serialize;
use uuid::Uuid;

/// What a number in a report is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Text,
    /// Minor units of the report's currency.
    Money,
    Count,
    /// Thousandths of an hour.
    Hours,
    /// Basis points (1 % = 100).
    Percent,
    /// Hundredths of a times-figure (turns a year: 350 is 3.5 times).
    Ratio,
    /// Hundredths of a star of five (4.25 stars is 425).
    Stars,
    /// An ISO date, `2026-12-04`.
    Date,
}

/// One cell: a whole number in its column's unit, a text, or nothing (a ratio of zero).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Value {
    Number(i64),
    Text(String),
    Empty,
}

impl Value {
    pub fn text(s: impl Into<String>) -> Self {
        Value::Text(s.into())
    }

    pub fn date(day: NaiveDate) -> Self {
        Value::Text(day.format("%Y-%m-%d").to_string())
    }

    pub fn maybe(n: Option<i64>) -> Self {
        n.map_or(Value::Empty, Value::Number)
    }

    pub fn number(&self) -> Option<i64> {
        match self {
            Value::Number(n) => Some(*n),
            _ => None,
        }
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Self {
        Value::Number(n)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Column {
    pub key: &'static str,
    pub label: &'static str,
    pub unit: Unit,
}

pub const fn col(key: &'static str, label: &'static str, unit: Unit) -> Column {
    Column { key, label, unit }
}

/// How a table is drawn: bars (or a line) of some columns against the first column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Chart {
    #[serde(rename = "type")]
    pub kind: ChartKind,
    pub title: String,
    /// The columns drawn, by index.
    pub series: Vec<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChartKind {
    Bars,
    Line,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Table {
    pub key: &'static str,
    pub title: String,
    pub description: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Value>>,
    /// The column totals, where adding them up means something.
    pub totals: Option<Vec<Value>>,
    pub charts: Vec<Chart>,
}

impl Table {
    pub fn new(key: &'static str, title: &str, description: &str, columns: Vec<Column>) -> Self {
        Self {
            key,
            title: title.to_owned(),
            description: description.to_owned(),
            columns,
            rows: Vec::new(),
            totals: None,
            charts: Vec::new(),
        }
    }

    /// A table of one row per group (in the groups' order), with a totals row.
    pub fn of_groups(
        key: &'static str,
        title: &str,
        description: &str,
        columns: Vec<Column>,
        groups: impl IntoIterator<Item = Vec<Value>>,
        totals: Vec<Value>,
    ) -> Self {
        Self {
            rows: groups.into_iter().collect(),
            totals: Some(totals),
            ..Self::new(key, title, description, columns)
        }
    }

    pub fn chart(mut self, kind: ChartKind, title: &str, series: &[usize]) -> Self {
        self.charts.push(Chart {
            kind,
            title: title.to_owned(),
            series: series.to_vec(),
        });
        self
    }
}

/// A figure at the top of a report, with what it was before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Headline {
    pub key: &'static str,
    pub label: &'static str,
    pub unit: Unit,
    pub current: Option<i64>,
    pub previous: Option<i64>,
    pub last_year: Option<i64>,
}

/// Which report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReportKind {
    Sales,
    Profit,
    Trend,
    Technicians,
    Estimates,
    Inspections,
    Inventory,
    Receivables,
    Customers,
    Roadside,
    Feedback,
}

impl ReportKind {
    pub const ALL: [ReportKind; 11] = [
        ReportKind::Sales,
        ReportKind::Profit,
        ReportKind::Trend,
        ReportKind::Technicians,
        ReportKind::Estimates,
        ReportKind::Inspections,
        ReportKind::Inventory,
        ReportKind::Receivables,
        ReportKind::Customers,
        ReportKind::Roadside,
        ReportKind::Feedback,
    ];

    pub fn key(self) -> &'static str {
        match self {
            ReportKind::Sales => "sales",
            ReportKind::Profit => "profit",
            ReportKind::Trend => "car-count",
            ReportKind::Technicians => "technicians",
            ReportKind::Estimates => "estimates",
            ReportKind::Inspections => "inspections",
            ReportKind::Inventory => "inventory",
            ReportKind::Receivables => "receivables",
            ReportKind::Customers => "customers",
            ReportKind::Roadside => "roadside",
            ReportKind::Feedback => "feedback",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            ReportKind::Sales => "Sales summary",
            ReportKind::Profit => "Gross profit",
            ReportKind::Trend => "Car count and average repair order",
            ReportKind::Technicians => "Technician productivity",
            ReportKind::Estimates => "Estimates",
            ReportKind::Inspections => "Inspections",
            ReportKind::Inventory => "Inventory",
            ReportKind::Receivables => "Receivables and payments",
            ReportKind::Customers => "Customers",
            ReportKind::Roadside => "Roadside help",
            ReportKind::Feedback => "Customer feedback",
        }
    }

    pub fn summary(self) -> &'static str {
        match self {
            ReportKind::Sales => {
                "Labour, parts, fees, discounts, tax and credit notes; by branch, category and advisor."
            }
            ReportKind::Profit => {
                "Parts and labour margin by category, advisor and technician; effective labour rate."
            }
            ReportKind::Trend => {
                "Cars invoiced and the average repair order, by day, week or month."
            }
            ReportKind::Technicians => {
                "Available, clocked and billed hours; efficiency and productivity."
            }
            ReportKind::Estimates => {
                "Close ratio of estimate lines by advisor; declined work to follow up."
            }
            ReportKind::Inspections => "Inspections completed and what they found, by technician.",
            ReportKind::Inventory => {
                "Stock value at cost, turns, dead stock, low stock, open purchase orders."
            }
            ReportKind::Receivables => {
                "Unpaid invoices by age, payments and refunds by method, tax by rate."
            }
            ReportKind::Customers => {
                "New and returning customers, retention, lapsed customers, show rate, booking channel."
            }
            ReportKind::Roadside => {
                "Requests, time to accept and to arrive, outcomes; by branch, mechanic and trouble."
            }
            ReportKind::Feedback => {
                "Average rating, response rate, promoters and detractors; by branch and mechanic."
            }
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.key() == key)
    }
}

/// A report as people read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub kind: ReportKind,
    pub preset: Preset,
    pub period: Period,
    pub previous: Period,
    pub last_year: Period,
    /// The branch it is limited to; `None` is every branch the reader may see.
    pub branch: Option<(Uuid, String)>,
    pub currency: String,
    pub headlines: Vec<Headline>,
    pub tables: Vec<Table>,
}
