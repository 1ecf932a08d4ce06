//! The customers report: who came (new or returning), who keeps coming back, who has
//! lapsed, and how appointments go (show rate, how they were booked).

use std::collections::HashMap;

use chrono::{DateTime, Months, Utc};
use pitlane_domain::{ServiceError, reports::ratio_bp};
use pitlane_store::{
    entity::{appointment, customer, invoice},
    sea_orm::{ColumnTrait, FromQueryResult, QueryFilter, QuerySelect},
};
use uuid::Uuid;

use crate::{
    report::{ChartKind, Headline, Table, Unit, Value, col},
    scope::{Scope, only},
};

type Parts = (Vec<Headline>, Vec<Table>);

/// An issued invoice as the customers report reads it: whose, when.
#[derive(Debug, FromQueryResult)]
struct Visit {
    customer_id: Uuid,
    issued_at: Option<DateTime<Utc>>,
}

/// A customer's visits up to the period's end.
struct Seen {
    first: DateTime<Utc>,
    last: DateTime<Utc>,
    in_period: bool,
}

/// A visit is an issued (not voided) invoice. New customers had their first visit in the
/// period; returning ones had one before. Retention: of the customers who visited in the year
/// before the last twelve months, the share who came back within the last twelve (both up to
/// the period's end). Lapsed: customers whose last visit is more than twelve months before the
/// period's end.
pub async fn customers(scope: &Scope) -> Result<Parts, ServiceError> {
    let tx = &scope.tx;
    let (start, end) = scope.period.bounds(scope.tz);
    let mut query = tx
        .select::<invoice::Entity>()
        .select_only()
        .columns([invoice::Column::CustomerId, invoice::Column::IssuedAt])
        .filter(invoice::Column::IssuedAt.is_not_null())
        .filter(invoice::Column::Status.ne("void"))
        .filter(invoice::Column::IssuedAt.lt(end));
    if let Some(branch) = scope.branch_id() {
        query = query.filter(invoice::Column::BranchId.eq(branch));
    }
    let visits: Vec<Visit> = tx.all_as(query).await?;
    // Each customer's first and last visit up to the period's end, and whether they came in it.
    let mut seen: HashMap<Uuid, Seen> = HashMap::new();
    for v in &visits {
        let Some(at) = v.issued_at else { continue };
        let entry = seen.entry(v.customer_id).or_insert(Seen {
            first: at,
            last: at,
            in_period: false,
        });
        entry.first = entry.first.min(at);
        entry.last = entry.last.max(at);
        entry.in_period |= at >= start;
    }
    let came: Vec<&Seen> = seen.values().filter(|s| s.in_period).collect();
    let new = came.iter().filter(|s| s.first >= start).count() as i64;
    let returning = came.len() as i64 - new;

    let year_ago = end.checked_sub_months(Months::new(12)).unwrap_or(end);
    let two_years_ago = end.checked_sub_months(Months::new(24)).unwrap_or(end);
    let mut earlier: HashMap<Uuid, bool> = HashMap::new();
    for v in &visits {
        let Some(at) = v.issued_at else { continue };
        if at >= two_years_ago && at < year_ago {
            earlier.entry(v.customer_id).or_insert(false);
        }
    }
    for v in &visits {
        if let (Some(at), Some(back)) = (v.issued_at, earlier.get_mut(&v.customer_id))
            && at >= year_ago
        {
            *back = true;
        }
    }
    let retained = earlier.values().filter(|b| **b).count() as i64;

    let mut lapsed: Vec<(Uuid, DateTime<Utc>)> = seen
        .iter()
        .filter(|(_, s)| s.last < year_ago)
        .map(|(id, s)| (*id, s.last))
        .collect();
    lapsed.sort_by_key(|(_, last)| std::cmp::Reverse(*last));
    let lapsed_ids: Vec<Uuid> = lapsed.iter().take(100).map(|(id, _)| *id).collect();
    let names: HashMap<Uuid, customer::Model> = tx
        .all(
            tx.select::<customer::Entity>()
                .filter(customer::Column::Id.is_in(lapsed_ids)),
        )
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let mut lapsed_table = Table::new(
        "lapsed",
        "Lapsed customers",
        "Customers whose last visit is more than twelve months before the period's end, the most recent first (up to 100): people to invite back.",
        vec![
            col("customer", "Customer", Unit::Text),
            col("email", "E-mail", Unit::Text),
            col("last_visit", "Last visit", Unit::Date),
        ],
    );
    for (id, last) in lapsed.iter().take(100) {
        let Some(c) = names.get(id) else { continue };
        if c.erased_at.is_some() || c.merged_into.is_some() {
            continue;
        }
        lapsed_table.rows.push(vec![
            Value::text(c.name.clone()),
            Value::text(c.email.clone().unwrap_or_default()),
            Value::date(pitlane_domain::reports::period::local_day(*last, scope.tz)),
        ]);
    }

    let mut appt_query = tx
        .select::<appointment::Entity>()
        .filter(appointment::Column::StartsAt.gte(start))
        .filter(appointment::Column::StartsAt.lt(end))
        .filter(appointment::Column::Status.ne("cancelled"));
    if let Some(branch) = scope.branch_id() {
        appt_query = appt_query.filter(appointment::Column::BranchId.eq(branch));
    }
    let appointments = tx.all(appt_query).await?;
    let mut channels = Table::new(
        "appointments",
        "Appointments by how they were booked",
        "Appointments in the period (not cancelled): booked online by the customer or by staff, and how many customers came.",
        vec![
            col("channel", "Booked", Unit::Text),
            col("appointments", "Appointments", Unit::Count),
            col("no_shows", "No-shows", Unit::Count),
            col("show_rate", "Show rate", Unit::Percent),
        ],
    )
    .chart(ChartKind::Bars, "Appointments by channel", &[1]);
    let (mut total, mut no_shows) = (0, 0);
    for (source, label) in [("online", "Online"), ("staff", "By staff")] {
        let here: Vec<&appointment::Model> =
            appointments.iter().filter(|a| a.source == source).collect();
        let missed = here.iter().filter(|a| a.status == "no_show").count() as i64;
        let n = here.len() as i64;
        total += n;
        no_shows += missed;
        channels.rows.push(vec![
            Value::text(label),
            n.into(),
            missed.into(),
            Value::maybe(ratio_bp(n - missed, n)),
        ]);
    }
    channels.totals = Some(vec![
        Value::text("All"),
        total.into(),
        no_shows.into(),
        Value::maybe(ratio_bp(total - no_shows, total)),
    ]);

    let mut mix = Table::new(
        "new_returning",
        "New and returning customers",
        "Customers with a visit (an issued invoice) in the period.",
        vec![
            col("kind", "Customers", Unit::Text),
            col("count", "Count", Unit::Count),
            col("share", "Share", Unit::Percent),
        ],
    )
    .chart(ChartKind::Bars, "New and returning customers", &[1]);
    let all = new + returning;
    mix.rows.push(vec![
        Value::text("New"),
        new.into(),
        Value::maybe(ratio_bp(new, all)),
    ]);
    mix.rows.push(vec![
        Value::text("Returning"),
        returning.into(),
        Value::maybe(ratio_bp(returning, all)),
    ]);
    let headlines = vec![
        only("customers", "Customers served", Unit::Count, Some(all)),
        only("new", "New customers", Unit::Count, Some(new)),
        only(
            "returning",
            "Returning customers",
            Unit::Count,
            Some(returning),
        ),
        only(
            "retention",
            "Came back within 12 months",
            Unit::Percent,
            ratio_bp(retained, earlier.len() as i64),
        ),
        only(
            "lapsed",
            "Lapsed customers",
            Unit::Count,
            Some(lapsed.len() as i64),
        ),
        only(
            "show_rate",
            "Appointment show rate",
            Unit::Percent,
            ratio_bp(total - no_shows, total),
        ),
    ];
    Ok((headlines, vec![mix, channels, lapsed_table]))
}
