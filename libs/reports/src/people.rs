//! The customers report: who came (new or returning), who keeps coming back, who has
//! lapsed, and how appointments go (show rate, how they were booked).

use std::collections::HashMap;

use chrono::{DateTime, Months, Utc};
use pitlane_domain::{ServiceError, reports::ratio_bp};
use pitlane_store::{
    entity::{appointment, customer, invoice},
    sea_orm::{
        ColumnTrait, FromQueryResult, QueryFilter, QuerySelect,
        sea_query::{Expr, ExprTrait, Func},
    },
};
use uuid::Uuid;

use crate::{
    report::{ChartKind, Headline, Table, Unit, Value, col},
    scope::{Scope, only},
};

type Parts = (Vec<Headline>, Vec<Table>);

/// One customer's visits up to the period's end, summed in the database (a year of a large
/// chain is hundreds of thousands of invoices, a few tens of thousands of customers).
#[derive(Debug, FromQueryResult)]
struct Visits {
    customer_id: Uuid,
    first: Option<DateTime<Utc>>,
    last: Option<DateTime<Utc>>,
    /// 1 when one was in the period.
    in_period: i64,
    /// 1 when one was in the year before the last twelve months.
    earlier: i64,
    /// 1 when one was in the last twelve months.
    recent: i64,
}

/// A visit is an issued (not voided) invoice. New customers had their first visit in the
/// period; returning ones had one before. Retention: of the customers who visited in the year
/// before the last twelve months, the share who came back within the last twelve (both up to
/// the period's end). Lapsed: customers whose last visit is more than twelve months before the
/// period's end.
pub async fn customers(scope: &Scope) -> Result<Parts, ServiceError> {
    let tx = &scope.tx;
    let (start, end) = scope.period.bounds(scope.tz);
    let year_ago = end.checked_sub_months(Months::new(12)).unwrap_or(end);
    let two_years_ago = end.checked_sub_months(Months::new(24)).unwrap_or(end);
    let mut query = tx
        .select::<invoice::Entity>()
        .select_only()
        .column(invoice::Column::CustomerId)
        .column_as(invoice::Column::IssuedAt.min(), "first")
        .column_as(invoice::Column::IssuedAt.max(), "last")
        .filter(invoice::Column::IssuedAt.is_not_null())
        .filter(invoice::Column::Status.ne("void"))
        .filter(invoice::Column::IssuedAt.lt(end))
        .group_by(invoice::Column::CustomerId);
    query = query
        .expr_as(
            Expr::expr(Func::max(
                Expr::case(invoice::Column::IssuedAt.gte(start), 1).finally(0),
            ))
            .cast_as("bigint"),
            "in_period",
        )
        .expr_as(
            Expr::expr(Func::max(
                Expr::case(
                    invoice::Column::IssuedAt
                        .gte(two_years_ago)
                        .and(invoice::Column::IssuedAt.lt(year_ago)),
                    1,
                )
                .finally(0),
            ))
            .cast_as("bigint"),
            "earlier",
        )
        .expr_as(
            Expr::expr(Func::max(
                Expr::case(invoice::Column::IssuedAt.gte(year_ago), 1).finally(0),
            ))
            .cast_as("bigint"),
            "recent",
        );
    if let Some(branch) = scope.branch_id() {
        query = query.filter(invoice::Column::BranchId.eq(branch));
    }
    let visits: Vec<Visits> = tx.all_as(query).await?;
    let came: Vec<&Visits> = visits.iter().filter(|v| v.in_period == 1).collect();
    let new = came
        .iter()
        .filter(|v| v.first.is_some_and(|first| first >= start))
        .count() as i64;
    let returning = came.len() as i64 - new;
    // Retention: of those who came in the year before last, who came back in the last.
    let earlier: Vec<&Visits> = visits.iter().filter(|v| v.earlier == 1).collect();
    let retained = earlier.iter().filter(|v| v.recent == 1).count() as i64;

    let mut lapsed: Vec<(Uuid, DateTime<Utc>)> = visits
        .iter()
        .filter_map(|v| Some((v.customer_id, v.last?)))
        .filter(|(_, last)| *last < year_ago)
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
