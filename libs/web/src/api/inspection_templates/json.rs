//! Inspection templates: the points a digital inspection checks, by section.

use pitlane_workshop::inspections::TemplateView;
use poem_openapi::{Object, types::Example};
use uuid::Uuid;

#[derive(Object)]
pub struct TemplatePoint {
    pub section: String,
    pub label: String,
}

#[derive(Object)]
pub struct InspectionTemplate {
    pub id: Uuid,
    pub name: String,
    pub items: Vec<TemplatePoint>,
}

impl From<TemplateView> for InspectionTemplate {
    fn from(v: TemplateView) -> Self {
        Self {
            id: v.template.id,
            name: v.template.name,
            items: v
                .items
                .into_iter()
                .map(|i| TemplatePoint {
                    section: i.section,
                    label: i.label,
                })
                .collect(),
        }
    }
}

#[derive(Object)]
#[oai(example)]
pub struct InspectionTemplateWrite {
    pub name: String,
    pub items: Vec<TemplatePoint>,
}

impl Example for InspectionTemplateWrite {
    fn example() -> Self {
        Self {
            name: "Pre-MOT check".into(),
            items: vec![TemplatePoint {
                section: "Brakes".into(),
                label: "Front pads and discs".into(),
            }],
        }
    }
}

impl InspectionTemplateWrite {
    /// The points as the service takes them: `(section, label)`, in order.
    pub fn points(&self) -> Vec<(String, String)> {
        self.items
            .iter()
            .map(|p| (p.section.clone(), p.label.clone()))
            .collect()
    }
}
