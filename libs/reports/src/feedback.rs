//! The feedback report: of the customers asked in the period to rate a closed repair order or
//! a finished roadside job, how many answered, the average stars for the work and for the
//! mechanic, and the promoter score (five stars promote, three or fewer detract); by branch
//! and by mechanic. The comments themselves are in the feedback inbox.

use std::collections::BTreeMap;

use pitlane_domain::{
    ServiceError,
    feedback::{Rating, Summary},
};
use pitlane_store::entity::feedback;

use crate::{
    names,
    report::{ChartKind, Headline, Table, Unit, Value, col},
    scope::{Scope, only},
};

type Parts = (Vec<Headline>, Vec<Table>);

/// What a group of requests for a rating came to: the work's stars and the mechanic's.
#[derive(Default)]
struct Tally {
    work: Summary,
    mechanic: Summary,
}

impl Tally {
    fn add(&mut self, row: &feedback::Model) {
        self.work.asked += 1;
        let stars = |s: Option<i16>| s.and_then(|s| Rating::new(i64::from(s)).ok());
        if let Some(rating) = stars(row.job_stars) {
            self.work.add(rating);
        }
        if row.mechanic_id.is_some() {
            self.mechanic.asked += 1;
            if let Some(rating) = stars(row.mechanic_stars) {
                self.mechanic.add(rating);
            }
        }
    }

    fn row(&self, label: String) -> Vec<Value> {
        vec![
            Value::text(label),
            self.work.asked.into(),
            self.work.answered.into(),
            Value::maybe(self.work.response_rate_bp()),
            Value::maybe(self.work.average_centi()),
            Value::maybe(self.mechanic.average_centi()),
            self.work.promoters.into(),
            self.work.detractors.into(),
            Value::maybe(self.work.promoter_score()),
        ]
    }
}

fn columns(first: (&'static str, &'static str)) -> Vec<crate::report::Column> {
    vec![
        col(first.0, first.1, Unit::Text),
        col("asked", "Asked", Unit::Count),
        col("rated", "Rated", Unit::Count),
        col("response_rate", "Response rate", Unit::Percent),
        col("work_stars", "Work (average)", Unit::Stars),
        col("mechanic_stars", "Mechanic (average)", Unit::Stars),
        col("promoters", "Promoters (5 stars)", Unit::Count),
        col("detractors", "Detractors (1–3 stars)", Unit::Count),
        col("score", "Promoter score (−100 to 100)", Unit::Count),
    ]
}

/// Ratings asked for in the period (by the time they were asked), in the reader's branches.
pub async fn feedback(scope: &Scope) -> Result<Parts, ServiceError> {
    let rows = scope
        .rows_in_period::<feedback::Entity>(feedback::Column::AskedAt, feedback::Column::BranchId)
        .await?;
    let members = names::members(&scope.tx).await?;
    let mut all = Tally::default();
    let mut by_branch: BTreeMap<String, Tally> = BTreeMap::new();
    let mut by_mechanic: BTreeMap<String, Tally> = BTreeMap::new();
    for row in &rows {
        all.add(row);
        by_branch
            .entry(scope.branch_name(Some(row.branch_id)))
            .or_default()
            .add(row);
        let mechanic = row
            .mechanic_id
            .and_then(|m| members.get(&m).cloned())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "No mechanic named".to_owned());
        by_mechanic.entry(mechanic).or_default().add(row);
    }
    let table = |key, title, about, first, groups: BTreeMap<String, Tally>| {
        Table::of_groups(
            key,
            title,
            about,
            columns(first),
            groups.into_iter().map(|(label, tally)| tally.row(label)),
            all.row("All".to_owned()),
        )
    };
    let branches = table(
        "by_branch",
        "By branch",
        "Customers asked in the period to rate a closed repair order or a finished roadside job, how many did, and what they said of the work and the mechanic. The promoter score is promoters minus detractors as a share of ratings of the work.",
        ("branch", "Branch"),
        by_branch,
    )
    .chart(ChartKind::Bars, "Average rating of the work by branch", &[4]);
    let mechanics = table(
        "by_mechanic",
        "By mechanic",
        "The same, by the mechanic who did the work (on a repair order, the one with most of its jobs).",
        ("mechanic", "Mechanic"),
        by_mechanic,
    );
    let headlines = vec![
        only(
            "work_stars",
            "Average rating of the work",
            Unit::Stars,
            all.work.average_centi(),
        ),
        only(
            "mechanic_stars",
            "Average rating of the mechanics",
            Unit::Stars,
            all.mechanic.average_centi(),
        ),
        only(
            "response_rate",
            "Response rate",
            Unit::Percent,
            all.work.response_rate_bp(),
        ),
        only(
            "score",
            "Promoter score",
            Unit::Count,
            all.work.promoter_score(),
        ),
        only("rated", "Ratings", Unit::Count, Some(all.work.answered)),
    ];
    Ok((headlines, vec![branches, mechanics]))
}
