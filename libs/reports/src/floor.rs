//! The reports of the workshop floor, in the report's one transaction: technician
//! productivity (available, clocked and billed hours, from the floor's own records),
//! estimates (close ratio by advisor, from the daily figures; declined work to follow up) and
//! inspections (completion and findings by technician, from the daily figures).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use pitlane_domain::{
    ServiceError,
    branch::BusinessHours,
    reports::{Dimension, per, ratio_bp},
    schedule::{self, Span},
};
use pitlane_store::{
    entity::{
        job, mechanic_profile, membership, repair_order, repair_order_line, staff_absence,
        time_entry,
    },
    figures::Grouping,
    sea_orm::{ColumnTrait, Condition, QueryFilter, QueryOrder, QuerySelect},
};
use uuid::Uuid;

use crate::{
    history::line_value,
    names,
    report::{ChartKind, Headline, Table, Unit, Value, col},
    scope::{Scope, only},
};

type Parts = (Vec<Headline>, Vec<Table>);

fn milli_hours(d: chrono::Duration) -> i64 {
    d.num_seconds() * 1000 / 3600
}

/// Available hours are the mechanic's own weekly hours (or their branch's) over the period,
/// less absences; clocked hours are time entries within it; billed hours are the hours of
/// labour on invoices issued in it for their jobs. Efficiency is billed ÷ clocked,
/// productivity clocked ÷ available. A mechanic without `reports.view` sees only their own row.
pub async fn technicians(scope: &Scope) -> Result<Parts, ServiceError> {
    let (start, end) = scope.period.bounds(scope.tz);
    let days = scope.period.days() as u32;
    let names = names::members(&scope.tx).await?;
    let profiles: HashMap<Uuid, mechanic_profile::Model> = scope
        .tx
        .all(scope.tx.select::<mechanic_profile::Entity>())
        .await?
        .into_iter()
        .map(|p| (p.membership_id, p))
        .collect();
    let entries = scope
        .tx
        .all(
            scope
                .tx
                .select::<time_entry::Entity>()
                .filter(time_entry::Column::StartedAt.lt(end))
                .filter(
                    Condition::any()
                        .add(time_entry::Column::EndedAt.gt(start))
                        .add(time_entry::Column::EndedAt.is_null()),
                ),
        )
        .await?;
    let absences = scope
        .tx
        .all(
            scope
                .tx
                .select::<staff_absence::Entity>()
                .filter(staff_absence::Column::StartsAt.lt(end))
                .filter(staff_absence::Column::EndsAt.gt(start)),
        )
        .await?;
    let billed: HashMap<String, pitlane_domain::reports::Figures> = scope
        .sums(Dimension::Technician, scope.period, Grouping::default())
        .await?
        .into_iter()
        .map(|s| (s.key, s.figures))
        .collect();
    let mut mechanics: Vec<Uuid> = scope
        .tx
        .all(
            scope
                .tx
                .select::<membership::Entity>()
                .filter(membership::Column::Role.eq("mechanic")),
        )
        .await?
        .into_iter()
        .map(|m| m.id)
        .chain(profiles.keys().copied())
        .chain(entries.iter().map(|e| e.mechanic_id))
        .chain(billed.keys().filter_map(|k| k.parse().ok()))
        .collect::<std::collections::BTreeSet<Uuid>>()
        .into_iter()
        .collect();
    if let Some(me) = scope.self_only {
        mechanics.retain(|m| *m == me);
    }
    let comebacks = comebacks_by_mechanic(scope, start, end).await?;
    let open_hours = scope
        .shown_branches()
        .first()
        .map(|b| branch_hours(b))
        .unwrap_or_default();
    let now = Utc::now();
    let mut table = Table::new(
        "technicians",
        "By technician",
        "Billed hours count on the day the invoice was issued. A comeback (an order recorded as the same fault returning) counts against each mechanic who worked the earlier order, in the period the comeback was opened.",
        vec![
            col("technician", "Technician", Unit::Text),
            col("available", "Available", Unit::Hours),
            col("clocked", "Clocked", Unit::Hours),
            col("billed", "Billed", Unit::Hours),
            col("efficiency", "Efficiency", Unit::Percent),
            col("productivity", "Productivity", Unit::Percent),
            col("labour", "Labour sold", Unit::Money),
            col("effective_labour_rate", "Effective labour rate", Unit::Money),
            col("comebacks", "Comebacks", Unit::Count),
        ],
    )
    .chart(ChartKind::Bars, "Efficiency by technician", &[4]);
    let (mut all_available, mut all_clocked, mut all_billed) = (0, 0, 0);
    let mut all_comebacks = 0;
    for id in mechanics {
        let hours = profiles
            .get(&id)
            .and_then(|p| p.working_hours.as_ref())
            .and_then(|h| serde_json::from_value::<BusinessHours>(h.clone()).ok())
            .unwrap_or_else(|| open_hours.clone());
        let free = schedule::weekly_spans(&hours, scope.tz, scope.period.from, days);
        let away: Vec<Span> = absences
            .iter()
            .filter(|a| a.membership_id == id)
            .filter_map(|a| Span::new(a.starts_at, a.ends_at))
            .collect();
        let available: i64 = schedule::subtract(&free, &schedule::normalise(away))
            .iter()
            .map(|s| milli_hours(s.duration()))
            .sum();
        let clocked: i64 = entries
            .iter()
            .filter(|e| e.mechanic_id == id)
            .map(|e| {
                let from: DateTime<Utc> = e.started_at.max(start);
                let to = e.ended_at.unwrap_or(now).min(end);
                milli_hours((to - from).max(chrono::Duration::zero()))
            })
            .sum();
        let f = billed.get(&id.to_string()).copied().unwrap_or_default();
        all_available += available;
        all_clocked += clocked;
        all_billed += f.billed_hours_milli;
        let came_back = comebacks.get(&id).copied().unwrap_or(0);
        all_comebacks += came_back;
        table.rows.push(vec![
            Value::text(names::member_label(&names, &id.to_string(), "A mechanic")),
            available.into(),
            clocked.into(),
            f.billed_hours_milli.into(),
            Value::maybe(ratio_bp(f.billed_hours_milli, clocked)),
            Value::maybe(ratio_bp(clocked, available)),
            f.labour_minor.into(),
            Value::maybe(f.effective_labour_rate()),
            came_back.into(),
        ]);
    }
    let labour: i64 = table.rows.iter().filter_map(|r| r[6].number()).sum();
    table.totals = Some(vec![
        Value::text("All technicians"),
        all_available.into(),
        all_clocked.into(),
        all_billed.into(),
        Value::maybe(ratio_bp(all_billed, all_clocked)),
        Value::maybe(ratio_bp(all_clocked, all_available)),
        labour.into(),
        Value::maybe(if all_billed == 0 {
            None
        } else {
            per(labour * 1000, all_billed)
        }),
        all_comebacks.into(),
    ]);
    let headlines = vec![
        only(
            "available",
            "Available hours",
            Unit::Hours,
            Some(all_available),
        ),
        only("clocked", "Clocked hours", Unit::Hours, Some(all_clocked)),
        only("billed", "Billed hours", Unit::Hours, Some(all_billed)),
        only(
            "efficiency",
            "Efficiency",
            Unit::Percent,
            ratio_bp(all_billed, all_clocked),
        ),
        only(
            "productivity",
            "Productivity",
            Unit::Percent,
            ratio_bp(all_clocked, all_available),
        ),
        only("comebacks", "Comebacks", Unit::Count, Some(all_comebacks)),
    ];
    Ok((headlines, vec![table]))
}

/// Comebacks opened in the period (at the report's branches), counted once for each
/// mechanic who worked a job on the earlier order.
async fn comebacks_by_mechanic(
    scope: &Scope,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<HashMap<Uuid, i64>, ServiceError> {
    let mut query = scope
        .tx
        .select::<repair_order::Entity>()
        .filter(repair_order::Column::ComebackOf.is_not_null())
        .filter(repair_order::Column::CreatedAt.gte(start))
        .filter(repair_order::Column::CreatedAt.lt(end));
    if let Some(branch) = scope.branch_id() {
        query = query.filter(repair_order::Column::BranchId.eq(branch));
    }
    let returned = scope.tx.all(query).await?;
    let earlier: Vec<Uuid> = returned.iter().filter_map(|o| o.comeback_of).collect();
    if earlier.is_empty() {
        return Ok(HashMap::new());
    }
    let jobs = scope
        .tx
        .all(
            scope
                .tx
                .select::<job::Entity>()
                .filter(job::Column::RepairOrderId.is_in(earlier.iter().copied()))
                .filter(job::Column::MechanicId.is_not_null()),
        )
        .await?;
    let mut counts: HashMap<Uuid, i64> = HashMap::new();
    for first in &earlier {
        let worked: std::collections::BTreeSet<Uuid> = jobs
            .iter()
            .filter(|j| j.repair_order_id == *first)
            .filter_map(|j| j.mechanic_id)
            .collect();
        for mechanic in worked {
            *counts.entry(mechanic).or_default() += 1;
        }
    }
    Ok(counts)
}

fn branch_hours(branch: &pitlane_store::entity::branch::Model) -> BusinessHours {
    serde_json::from_value(branch.business_hours.clone()).unwrap_or_default()
}

/// Lines the customer answered in the period (approved or declined) and what they were worth,
/// by the advisor of their order; and declined work not yet followed up.
pub async fn estimates(scope: &Scope) -> Result<Parts, ServiceError> {
    let answers = scope
        .sums(Dimension::Estimates, scope.period, Grouping::default())
        .await?;
    let names = names::members(&scope.tx).await?;
    // advisor → (presented, approved, presented value, approved value)
    let mut by_advisor: BTreeMap<String, (i64, i64, i64, i64)> = BTreeMap::new();
    for sum in &answers {
        let advisor = names::member_label(&names, &sum.key, "No advisor");
        let entry = by_advisor.entry(advisor).or_default();
        let f = &sum.figures;
        entry.0 += f.answered_lines;
        entry.1 += f.approved_lines;
        entry.2 += f.answered_value_minor;
        entry.3 += f.approved_value_minor;
    }
    let mut table = Table::new(
        "by_advisor",
        "Close ratio by advisor",
        "Estimate lines the customer answered in the period, by the advisor of the repair order. Values are before tax.",
        vec![
            col("advisor", "Advisor", Unit::Text),
            col("presented", "Lines presented", Unit::Count),
            col("approved", "Lines approved", Unit::Count),
            col("close_ratio", "Close ratio (lines)", Unit::Percent),
            col("presented_value", "Value presented", Unit::Money),
            col("approved_value", "Value approved", Unit::Money),
            col("value_ratio", "Close ratio (value)", Unit::Percent),
        ],
    )
    .chart(ChartKind::Bars, "Close ratio by advisor", &[3]);
    let mut total = (0, 0, 0, 0);
    for (advisor, (p, a, pv, av)) in by_advisor {
        total = (total.0 + p, total.1 + a, total.2 + pv, total.3 + av);
        table.rows.push(vec![
            Value::text(advisor),
            p.into(),
            a.into(),
            Value::maybe(ratio_bp(a, p)),
            pv.into(),
            av.into(),
            Value::maybe(ratio_bp(av, pv)),
        ]);
    }
    table.totals = Some(vec![
        Value::text("All advisors"),
        total.0.into(),
        total.1.into(),
        Value::maybe(ratio_bp(total.1, total.0)),
        total.2.into(),
        total.3.into(),
        Value::maybe(ratio_bp(total.3, total.2)),
    ]);

    // Declined work waiting for a follow-up, whenever it was declined.
    let declined = scope
        .tx
        .all(
            scope
                .tx
                .select::<repair_order_line::Entity>()
                .filter(repair_order_line::Column::Decision.eq("declined"))
                .filter(repair_order_line::Column::FollowedUpAt.is_null())
                .order_by_desc(repair_order_line::Column::DecidedAt)
                .limit(200),
        )
        .await?;
    let ids: Vec<Uuid> = declined.iter().map(|l| l.repair_order_id).collect();
    let mut query = scope
        .tx
        .select::<repair_order::Entity>()
        .filter(repair_order::Column::Id.is_in(ids));
    if let Some(branch) = scope.branch_id() {
        query = query.filter(repair_order::Column::BranchId.eq(branch));
    }
    let declined_orders: HashMap<Uuid, repair_order::Model> = scope
        .tx
        .all(query)
        .await?
        .into_iter()
        .map(|o| (o.id, o))
        .collect();
    let mut follow = Table::new(
        "declined",
        "Declined work to follow up",
        "The 200 most recent declined lines no one has followed up yet; follow them up from the repair order, or send a campaign to these customers.",
        vec![
            col("customer", "Customer", Unit::Text),
            col("vehicle", "Vehicle", Unit::Text),
            col("work", "Work", Unit::Text),
            col("declined_on", "Declined", Unit::Date),
            col("value", "Value", Unit::Money),
        ],
    );
    let mut waiting_value = 0;
    for line in &declined {
        let Some(order) = declined_orders.get(&line.repair_order_id) else {
            continue;
        };
        let value = line_value(line);
        waiting_value += value;
        follow.rows.push(vec![
            Value::text(order.customer_name.clone()),
            Value::text(order.vehicle_label.clone()),
            Value::text(line.description.clone()),
            line.decided_at.map_or(Value::Empty, |d| {
                Value::date(pitlane_domain::reports::period::local_day(d, scope.tz))
            }),
            value.into(),
        ]);
    }
    let headlines = vec![
        only(
            "close_ratio",
            "Close ratio (lines)",
            Unit::Percent,
            ratio_bp(total.1, total.0),
        ),
        only(
            "value_ratio",
            "Close ratio (value)",
            Unit::Percent,
            ratio_bp(total.3, total.2),
        ),
        only(
            "approved_value",
            "Value approved",
            Unit::Money,
            Some(total.3),
        ),
        only(
            "declined_waiting",
            "Declined work to follow up",
            Unit::Money,
            Some(waiting_value),
        ),
    ];
    Ok((headlines, vec![table, follow]))
}

/// Inspections started in the period: how many were completed, and what they found, by the
/// technician who did them.
pub async fn inspections(scope: &Scope) -> Result<Parts, ServiceError> {
    // inspector → [started, completed, green, yellow, red, unrated]
    let mut by: BTreeMap<String, [i64; 6]> = BTreeMap::new();
    for sum in scope
        .sums(Dimension::Inspector, scope.period, Grouping::default())
        .await?
    {
        let name = if sum.key.is_empty() {
            "Not recorded".to_owned()
        } else {
            sum.key
        };
        let f = sum.figures;
        let entry = by.entry(name).or_default();
        for (at, n) in [
            f.inspections,
            f.inspections_completed,
            f.findings_green,
            f.findings_yellow,
            f.findings_red,
            f.findings_unrated,
        ]
        .into_iter()
        .enumerate()
        {
            entry[at] += n;
        }
    }
    let mut table = Table::new(
        "by_technician",
        "By technician",
        "Inspections started in the period, by who did them, with their findings: green is good, yellow needs attention soon, red now.",
        vec![
            col("technician", "Technician", Unit::Text),
            col("started", "Inspections", Unit::Count),
            col("completed", "Completed", Unit::Count),
            col("completion", "Completion rate", Unit::Percent),
            col("green", "Good", Unit::Count),
            col("yellow", "Soon", Unit::Count),
            col("red", "Now", Unit::Count),
            col("unrated", "Not rated", Unit::Count),
        ],
    )
    .chart(ChartKind::Bars, "Completion rate by technician", &[3]);
    let mut total = [0i64; 6];
    for (name, n) in by {
        for (t, v) in total.iter_mut().zip(n) {
            *t += v;
        }
        table.rows.push(vec![
            Value::text(name),
            n[0].into(),
            n[1].into(),
            Value::maybe(ratio_bp(n[1], n[0])),
            n[2].into(),
            n[3].into(),
            n[4].into(),
            n[5].into(),
        ]);
    }
    table.totals = Some(vec![
        Value::text("Everyone"),
        total[0].into(),
        total[1].into(),
        Value::maybe(ratio_bp(total[1], total[0])),
        total[2].into(),
        total[3].into(),
        total[4].into(),
        total[5].into(),
    ]);
    let headlines = vec![
        only("inspections", "Inspections", Unit::Count, Some(total[0])),
        only(
            "completion",
            "Completion rate",
            Unit::Percent,
            ratio_bp(total[1], total[0]),
        ),
        only(
            "red",
            "Findings needing work now",
            Unit::Count,
            Some(total[4]),
        ),
        only(
            "yellow",
            "Findings needing work soon",
            Unit::Count,
            Some(total[3]),
        ),
    ];
    Ok((headlines, vec![table]))
}
