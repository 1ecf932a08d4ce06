//! Canned jobs: a named set of lines to add to an estimate in one go.

use pitlane_domain::quantity::format_quantity;
use pitlane_store::entity::canned_job_line;
use pitlane_workshop::canned::{CannedJobInput, CannedJobView, CannedLineInput};
use poem_openapi::{Object, types::Example};
use uuid::Uuid;

#[derive(Object)]
pub struct CannedLine {
    pub kind: String,
    pub description: String,
    pub quantity: String,
    #[oai(nullable)]
    pub unit_price_minor: Option<i64>,
    #[oai(nullable)]
    pub part_id: Option<Uuid>,
    pub taxable: bool,
}

impl From<&canned_job_line::Model> for CannedLine {
    fn from(l: &canned_job_line::Model) -> Self {
        Self {
            kind: l.kind.clone(),
            description: l.description.clone(),
            quantity: format_quantity(l.quantity_milli),
            unit_price_minor: l.unit_price_minor,
            part_id: l.part_id,
            taxable: l.taxable,
        }
    }
}

#[derive(Object)]
pub struct CannedJob {
    pub id: Uuid,
    pub name: String,
    #[oai(nullable)]
    pub description: Option<String>,
    #[oai(nullable)]
    pub skill: Option<String>,
    pub lines: Vec<CannedLine>,
}

impl From<CannedJobView> for CannedJob {
    fn from(v: CannedJobView) -> Self {
        Self {
            id: v.job.id,
            name: v.job.name,
            description: v.job.description,
            skill: v.job.skill,
            lines: v.lines.iter().map(CannedLine::from).collect(),
        }
    }
}

#[derive(Object)]
pub struct CannedLineWrite {
    pub kind: String,
    pub description: String,
    pub quantity: Option<String>,
    /// Empty: the branch's labour rate or the part's price when added.
    pub unit_price: Option<String>,
    pub part_id: Option<Uuid>,
    pub taxable: Option<bool>,
}

impl From<CannedLineWrite> for CannedLineInput {
    fn from(l: CannedLineWrite) -> Self {
        CannedLineInput {
            kind: l.kind,
            description: l.description,
            quantity: l.quantity,
            unit_price: l.unit_price,
            part_id: l.part_id.map(Into::into),
            taxable: l.taxable,
        }
    }
}

#[derive(Object)]
#[oai(example)]
pub struct CannedJobWrite {
    pub name: String,
    pub description: Option<String>,
    pub skill: Option<String>,
    pub lines: Vec<CannedLineWrite>,
}

impl Example for CannedJobWrite {
    fn example() -> Self {
        Self {
            name: "Oil service".into(),
            description: Some("Engine oil and filter".into()),
            skill: None,
            lines: vec![CannedLineWrite {
                kind: "labour".into(),
                description: "Change engine oil and filter".into(),
                quantity: Some("0.8".into()),
                unit_price: None,
                part_id: None,
                taxable: None,
            }],
        }
    }
}

impl From<CannedJobWrite> for CannedJobInput {
    fn from(w: CannedJobWrite) -> Self {
        CannedJobInput {
            name: w.name,
            description: w.description,
            skill: w.skill,
            lines: w.lines.into_iter().map(CannedLineInput::from).collect(),
        }
    }
}
