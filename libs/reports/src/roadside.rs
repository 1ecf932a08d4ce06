//! The roadside report: requests asked for in the period, how fast they were taken and
//! reached, and how they ended; by branch, by mechanic and by what had happened. The
//! call-outs' money is in the sales reports with every other invoice.

use std::collections::BTreeMap;

use pitlane_domain::{
    ServiceError,
    reports::{median_hours_milli, ratio_bp},
    roadside::Trouble,
};
use pitlane_store::entity::roadside_request;

use crate::{
    names,
    report::{ChartKind, Headline, Table, Unit, Value, col},
    scope::{Scope, only},
};

type Parts = (Vec<Headline>, Vec<Table>);

/// What a group of requests came to.
#[derive(Default)]
struct Tally {
    requests: i64,
    fixed: i64,
    towed: i64,
    cancelled: i64,
    /// Seconds from asking to a mechanic taking it, for those taken.
    to_accept: Vec<i64>,
    /// Seconds from asking to the mechanic's arrival, for those reached.
    to_arrive: Vec<i64>,
    /// Taken within the branch's target; reached within it.
    accepted_in_time: i64,
    arrived_in_time: i64,
    call_outs: i64,
}

impl Tally {
    fn add(&mut self, r: &roadside_request::Model, targets: (i64, i64)) {
        self.requests += 1;
        match r.status.as_str() {
            "done" => self.fixed += 1,
            "towed_in" => self.towed += 1,
            "cancelled" => self.cancelled += 1,
            _ => {}
        }
        if matches!(r.status.as_str(), "done" | "towed_in") {
            self.call_outs += r.quote_minor;
        }
        if let Some(at) = r.accepted_at {
            let seconds = (at - r.created_at).num_seconds().max(0);
            self.to_accept.push(seconds);
            self.accepted_in_time += i64::from(seconds <= targets.0);
        }
        if let Some(at) = r.arrived_at {
            let seconds = (at - r.created_at).num_seconds().max(0);
            self.to_arrive.push(seconds);
            self.arrived_in_time += i64::from(seconds <= targets.1);
        }
    }

    fn row(&self, label: String) -> Vec<Value> {
        vec![
            Value::text(label),
            self.requests.into(),
            self.fixed.into(),
            self.towed.into(),
            self.cancelled.into(),
            Value::maybe(median_hours_milli(self.to_accept.clone())),
            Value::maybe(median_hours_milli(self.to_arrive.clone())),
            Value::maybe(ratio_bp(self.arrived_in_time, self.to_arrive.len() as i64)),
            self.call_outs.into(),
        ]
    }
}

fn columns(first: (&'static str, &'static str)) -> Vec<crate::report::Column> {
    vec![
        col(first.0, first.1, Unit::Text),
        col("requests", "Requests", Unit::Count),
        col("fixed", "Fixed on the spot", Unit::Count),
        col("towed", "Towed in", Unit::Count),
        col("cancelled", "Cancelled", Unit::Count),
        col("to_accept", "Time to accept (median)", Unit::Hours),
        col("to_arrive", "Time to arrive (median)", Unit::Hours),
        col("arrived_in_time", "Arrived within target", Unit::Percent),
        col("call_outs", "Call-outs billed", Unit::Money),
    ]
}

/// Requests asked for in the period (by the time they were asked), in the reader's branches.
pub async fn roadside(scope: &Scope) -> Result<Parts, ServiceError> {
    let tx = &scope.tx;
    let rows = scope
        .rows_in_period::<roadside_request::Entity>(
            roadside_request::Column::CreatedAt,
            roadside_request::Column::BranchId,
        )
        .await?;
    let settings: BTreeMap<uuid::Uuid, (i64, i64)> = tx
        .all(tx.select::<pitlane_store::entity::roadside_setting::Entity>())
        .await?
        .into_iter()
        .map(|s| {
            (
                s.branch_id,
                (i64::from(s.accept_target_s), i64::from(s.arrive_target_s)),
            )
        })
        .collect();
    let members = names::members(tx).await?;
    let mut all = Tally::default();
    let mut by_branch: BTreeMap<String, Tally> = BTreeMap::new();
    let mut by_mechanic: BTreeMap<String, Tally> = BTreeMap::new();
    let mut by_trouble: BTreeMap<&'static str, Tally> = BTreeMap::new();
    for r in &rows {
        let targets = settings.get(&r.branch_id).copied().unwrap_or((600, 3600));
        all.add(r, targets);
        by_branch
            .entry(scope.branch_name(Some(r.branch_id)))
            .or_default()
            .add(r, targets);
        let mechanic = r
            .mechanic_id
            .and_then(|m| members.get(&m).cloned())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "Not taken".to_owned());
        by_mechanic.entry(mechanic).or_default().add(r, targets);
        let trouble = Trouble::parse(&r.trouble).unwrap_or(Trouble::Other);
        by_trouble
            .entry(trouble.label())
            .or_default()
            .add(r, targets);
    }
    let table = |key, title, about, first, groups: BTreeMap<String, Tally>| {
        Table::of_groups(
            key,
            title,
            about,
            columns(first),
            groups.into_iter().map(|(label, tally)| tally.row(label)),
            all.row("All requests".to_owned()),
        )
    };
    let branches = table(
        "by_branch",
        "By branch",
        "Requests asked for in the period, how fast they were taken and reached (from the moment of asking), and how they ended. The target is the branch's time to arrive.",
        ("branch", "Branch"),
        by_branch,
    )
    .chart(ChartKind::Bars, "Requests by branch", &[1]);
    let mechanics = table(
        "by_mechanic",
        "By mechanic",
        "The same, by the mechanic who had the request at its end (a request nobody took is 'Not taken').",
        ("mechanic", "Mechanic"),
        by_mechanic,
    );
    let troubles = table(
        "by_trouble",
        "By what happened",
        "The same, by what the driver said had happened.",
        ("trouble", "What happened"),
        by_trouble
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
    )
    .chart(ChartKind::Bars, "Requests by what happened", &[1]);
    let headlines = vec![
        only("requests", "Requests", Unit::Count, Some(all.requests)),
        only(
            "to_accept",
            "Time to accept (median)",
            Unit::Hours,
            median_hours_milli(all.to_accept.clone()),
        ),
        only(
            "to_arrive",
            "Time to arrive (median)",
            Unit::Hours,
            median_hours_milli(all.to_arrive.clone()),
        ),
        only(
            "fixed_rate",
            "Fixed on the spot",
            Unit::Percent,
            ratio_bp(all.fixed, all.fixed + all.towed),
        ),
        only(
            "accepted_in_time",
            "Taken within target",
            Unit::Percent,
            ratio_bp(all.accepted_in_time, all.to_accept.len() as i64),
        ),
    ];
    Ok((headlines, vec![branches, mechanics, troubles]))
}
