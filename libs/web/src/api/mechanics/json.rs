//! Mechanics as the API sends and takes them: skills and weekly hours.

use std::collections::BTreeMap;

use pitlane_domain::{FieldErrors, ServiceError};
use pitlane_frontdesk::resources::{Mechanic, ProfileInput};
use poem_openapi::{Object, types::Example};
use uuid::Uuid;

/// Weekly hours: intervals per day (`mon`…`sun`) in local time.
type Hours = BTreeMap<String, Vec<Vec<String>>>;

/// A member who can be booked for jobs.
#[derive(Object)]
pub struct MechanicInfo {
    /// The membership's id.
    pub id: Uuid,
    pub name: String,
    pub skills: Vec<String>,
    /// Weekly hours; absent: the branch's business hours.
    #[oai(nullable)]
    pub working_hours: Option<Hours>,
    /// The branches they work at; absent: every branch.
    #[oai(nullable)]
    pub branch_ids: Option<Vec<Uuid>>,
}

impl From<Mechanic> for MechanicInfo {
    fn from(m: Mechanic) -> Self {
        Self {
            id: m.membership_id,
            name: m.name,
            skills: m.skills,
            working_hours: m.working_hours.map(|h| {
                h.0.into_iter()
                    .map(|(day, spans)| (day, spans.into_iter().map(|[a, z]| vec![a, z]).collect()))
                    .collect()
            }),
            branch_ids: m.branches,
        }
    }
}

#[derive(Object)]
#[oai(example)]
pub struct MechanicProfileWrite {
    #[oai(default)]
    pub skills: Vec<String>,
    /// Weekly hours in local time, e.g. `{"mon": [["07:00", "15:30"]]}`; absent: the branch's.
    pub working_hours: Option<Hours>,
}

impl Example for MechanicProfileWrite {
    fn example() -> Self {
        Self {
            skills: vec!["diagnostics".into(), "ev".into()],
            working_hours: Some(BTreeMap::from([(
                "mon".to_owned(),
                vec![vec!["07:00".to_owned(), "15:30".to_owned()]],
            )])),
        }
    }
}

impl TryFrom<MechanicProfileWrite> for ProfileInput {
    type Error = ServiceError;

    fn try_from(w: MechanicProfileWrite) -> Result<Self, ServiceError> {
        let working_hours = w
            .working_hours
            .map(|hours| {
                hours
                    .into_iter()
                    .map(|(day, spans)| {
                        let spans = spans
                            .into_iter()
                            .map(|s| {
                                <[String; 2]>::try_from(s).map_err(|_| {
                                    FieldErrors::single(
                                        "working_hours",
                                        format!("{day}: each interval is [start, end]"),
                                    )
                                    .into()
                                })
                            })
                            .collect::<Result<Vec<_>, ServiceError>>()?;
                        Ok((day, spans))
                    })
                    .collect::<Result<BTreeMap<_, _>, ServiceError>>()
            })
            .transpose()?;
        Ok(ProfileInput {
            skills: w.skills,
            working_hours,
        })
    }
}
