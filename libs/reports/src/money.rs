//! The reports made of the daily figures: sales, gross profit, car count and average repair
//! order, and receivables. Each reads the figures of the period, the previous period and the
//! same period last year in the report's one transaction.

use std::collections::BTreeMap;

use pitlane_domain::{
    ServiceError,
    invoicing::PaymentMethod,
    reports::{AgeBucket, Dimension, Figures, Grain, per, ratio_bp},
};
use pitlane_store::{entity::invoice, figures::Grouping};

use crate::{
    names,
    report::{ChartKind, Headline, Table, Unit, Value, col},
    scope::{Scope, headline, only},
};

type Parts = (Vec<Headline>, Vec<Table>);

/// How a work category is shown: its name, capitalised; none is "General".
pub fn category_label(key: &str) -> String {
    let mut chars = key.trim().chars();
    match chars.next() {
        None => "General".to_owned(),
        Some(first) => first.to_uppercase().chain(chars).collect(),
    }
}

fn totals_row(rows: &[Vec<Value>], label: &str) -> Vec<Value> {
    let width = rows.first().map_or(0, Vec::len);
    let mut out = vec![Value::text(label)];
    for i in 1..width {
        let numbers: Vec<i64> = rows.iter().filter_map(|r| r[i].number()).collect();
        out.push(if numbers.is_empty() {
            Value::Empty
        } else {
            Value::Number(numbers.iter().sum())
        });
    }
    out
}

/// Net sales, gross sales, tax and the breakdown of what was sold, by branch, category and
/// service advisor.
pub async fn sales(scope: &Scope) -> Result<Parts, ServiceError> {
    let f = scope.compared().await?;
    let headlines = vec![
        headline("net_sales", "Net sales", Unit::Money, &f, |f| {
            Some(f.net_sales())
        }),
        headline("gross_sales", "Sales with tax", Unit::Money, &f, |f| {
            Some(f.gross_sales())
        }),
        headline("car_count", "Car count", Unit::Count, &f, |f| Some(f.cars)),
        headline(
            "average_repair_order",
            "Average repair order",
            Unit::Money,
            &f,
            Figures::average_repair_order,
        ),
        headline("labour", "Labour", Unit::Money, &f, |f| {
            Some(f.labour_minor)
        }),
        headline("parts", "Parts", Unit::Money, &f, |f| Some(f.parts_minor)),
        headline("fees", "Fees", Unit::Money, &f, |f| Some(f.fees_minor)),
        headline("discounts", "Discounts", Unit::Money, &f, |f| {
            Some(f.discounts_minor)
        }),
        headline("credit_notes", "Credit notes", Unit::Money, &f, |f| {
            Some(f.credited_net_minor)
        }),
        headline("tax", "Tax collected", Unit::Money, &f, |f| {
            Some(f.tax_collected())
        }),
    ];
    let sales_columns = || {
        vec![
            col("invoices", "Invoices", Unit::Count),
            col("labour", "Labour", Unit::Money),
            col("parts", "Parts", Unit::Money),
            col("fees", "Fees", Unit::Money),
            col("other", "Other", Unit::Money),
            col("discounts", "Discounts", Unit::Money),
            col("credit_notes", "Credit notes", Unit::Money),
            col("net_sales", "Net sales", Unit::Money),
            col("tax", "Tax", Unit::Money),
            col("gross_sales", "Sales with tax", Unit::Money),
        ]
    };
    let sales_row = |label: String, f: &Figures| {
        vec![
            Value::text(label),
            f.invoices.into(),
            f.labour_minor.into(),
            f.parts_minor.into(),
            f.fees_minor.into(),
            f.other_minor.into(),
            f.discounts_minor.into(),
            f.credited_net_minor.into(),
            f.net_sales().into(),
            f.tax_collected().into(),
            f.gross_sales().into(),
        ]
    };

    let by_branch = scope
        .sums(
            Dimension::All,
            scope.period,
            Grouping {
                by_branch: true,
                by_day: false,
            },
        )
        .await?;
    let mut columns = vec![col("branch", "Branch", Unit::Text)];
    columns.extend(sales_columns());
    let mut branches = Table::new(
        "by_branch",
        "By branch",
        "What each branch sold in the period; the total row is the chain.",
        columns,
    )
    .chart(ChartKind::Bars, "Net sales by branch", &[8]);
    for b in scope.shown_branches() {
        let figures: Figures = by_branch
            .iter()
            .filter(|s| s.branch_id == Some(b.id))
            .map(|s| s.figures)
            .sum();
        branches.rows.push(sales_row(b.name.clone(), &figures));
    }
    branches.totals = Some(totals_row(&branches.rows, "All branches"));

    let mut columns = vec![col("category", "Category", Unit::Text)];
    columns.extend([
        col("labour", "Labour", Unit::Money),
        col("parts", "Parts", Unit::Money),
        col("fees", "Fees", Unit::Money),
        col("other", "Other", Unit::Money),
        col("discounts", "Discounts", Unit::Money),
        col("net", "Net invoiced", Unit::Money),
    ]);
    let mut categories = Table::new(
        "by_category",
        "By category",
        "Net invoiced by the work category of each line (the skill of the job it was for); credit notes are not split by category.",
        columns,
    )
    .chart(ChartKind::Bars, "Net invoiced by category", &[6]);
    for s in scope
        .sums(Dimension::Category, scope.period, Grouping::default())
        .await?
    {
        let f = s.figures;
        categories.rows.push(vec![
            Value::text(category_label(&s.key)),
            f.labour_minor.into(),
            f.parts_minor.into(),
            f.fees_minor.into(),
            f.other_minor.into(),
            f.discounts_minor.into(),
            f.net_minor.into(),
        ]);
    }
    categories.totals = Some(totals_row(&categories.rows, "All categories"));

    let names = names::members(&scope.tx).await?;
    let mut advisors = Table::new(
        "by_advisor",
        "By service advisor",
        "Sales of the repair orders each advisor wrote; invoices not made from a repair order have no advisor.",
        vec![
            col("advisor", "Advisor", Unit::Text),
            col("invoices", "Invoices", Unit::Count),
            col("car_count", "Car count", Unit::Count),
            col("net_invoiced", "Net invoiced", Unit::Money),
            col("credit_notes", "Credit notes", Unit::Money),
            col("net_sales", "Net sales", Unit::Money),
            col("average_repair_order", "Average repair order", Unit::Money),
        ],
    )
    .chart(ChartKind::Bars, "Net sales by advisor", &[5]);
    for s in scope
        .sums(Dimension::Advisor, scope.period, Grouping::default())
        .await?
    {
        let f = s.figures;
        advisors.rows.push(vec![
            Value::text(names::member_label(&names, &s.key, "No advisor")),
            f.invoices.into(),
            f.cars.into(),
            f.net_minor.into(),
            f.credited_net_minor.into(),
            f.net_sales().into(),
            Value::maybe(f.average_repair_order()),
        ]);
    }
    let mut totals = totals_row(&advisors.rows, "All advisors");
    if let Some(last) = totals.last_mut() {
        *last = Value::maybe(f[0].average_repair_order());
    }
    advisors.totals = Some(totals);
    Ok((headlines, vec![branches, categories, advisors]))
}

fn profit_columns(first: (&'static str, &'static str)) -> Vec<crate::report::Column> {
    vec![
        col(first.0, first.1, Unit::Text),
        col("labour", "Labour sold", Unit::Money),
        col("labour_cost", "Labour cost", Unit::Money),
        col("labour_margin", "Labour margin", Unit::Percent),
        col("parts", "Parts sold", Unit::Money),
        col("parts_cost", "Parts cost", Unit::Money),
        col("parts_margin", "Parts margin", Unit::Percent),
        col("gross_profit", "Gross profit", Unit::Money),
        col("billed_hours", "Billed hours", Unit::Hours),
        col(
            "effective_labour_rate",
            "Effective labour rate",
            Unit::Money,
        ),
    ]
}

/// Profit here is of what was invoiced (before credit notes, which are not split by line).
fn profit_row(label: String, f: &Figures) -> Vec<Value> {
    vec![
        Value::text(label),
        f.labour_minor.into(),
        f.labour_cost_minor.into(),
        Value::maybe(f.labour_margin_bp()),
        f.parts_minor.into(),
        f.parts_cost_minor.into(),
        Value::maybe(f.parts_margin_bp()),
        (f.net_minor - f.cost()).into(),
        f.billed_hours_milli.into(),
        Value::maybe(f.effective_labour_rate()),
    ]
}

/// Recomputes a totals row's ratios from its sums.
fn profit_totals(rows: &[Vec<Value>], label: &str) -> Vec<Value> {
    let mut totals = totals_row(rows, label);
    let n = |i: usize| totals[i].number().unwrap_or(0);
    let (labour, labour_cost, parts, parts_cost, hours) = (n(1), n(2), n(4), n(5), n(8));
    totals[3] = Value::maybe(ratio_bp(labour - labour_cost, labour));
    totals[6] = Value::maybe(ratio_bp(parts - parts_cost, parts));
    totals[9] = Value::maybe(if hours == 0 {
        None
    } else {
        per(labour * 1000, hours)
    });
    totals
}

/// Gross profit and margins by category, advisor and technician; effective labour rate.
pub async fn profit(scope: &Scope) -> Result<Parts, ServiceError> {
    let f = scope.compared().await?;
    let headlines = vec![
        headline("net_sales", "Net sales", Unit::Money, &f, |f| {
            Some(f.net_sales())
        }),
        headline("cost", "Cost of parts and labour", Unit::Money, &f, |f| {
            Some(f.cost())
        }),
        headline("gross_profit", "Gross profit", Unit::Money, &f, |f| {
            Some(f.gross_profit())
        }),
        headline(
            "gross_margin",
            "Gross margin",
            Unit::Percent,
            &f,
            Figures::gross_margin_bp,
        ),
        headline(
            "parts_margin",
            "Parts margin",
            Unit::Percent,
            &f,
            Figures::parts_margin_bp,
        ),
        headline(
            "labour_margin",
            "Labour margin",
            Unit::Percent,
            &f,
            Figures::labour_margin_bp,
        ),
        headline(
            "effective_labour_rate",
            "Effective labour rate",
            Unit::Money,
            &f,
            Figures::effective_labour_rate,
        ),
        headline("billed_hours", "Billed hours", Unit::Hours, &f, |f| {
            Some(f.billed_hours_milli)
        }),
    ];
    let names = names::members(&scope.tx).await?;
    let mut tables = Vec::new();
    for (dimension, key, title, first, none) in [
        (
            Dimension::Category,
            "by_category",
            "By category",
            ("category", "Category"),
            "General",
        ),
        (
            Dimension::Advisor,
            "by_advisor",
            "By service advisor",
            ("advisor", "Advisor"),
            "No advisor",
        ),
        (
            Dimension::Technician,
            "by_technician",
            "By technician",
            ("technician", "Technician"),
            "No technician",
        ),
    ] {
        let mut table = Table::new(
            key,
            title,
            "Profit of what was invoiced: sold minus the parts' cost and billed hours at the branch's labour cost. Credit notes are not split by line, so they are left out here.",
            profit_columns(first),
        )
        .chart(ChartKind::Bars, &format!("Gross profit {}", title.to_lowercase()), &[7]);
        for s in scope
            .sums(dimension, scope.period, Grouping::default())
            .await?
        {
            let label = match dimension {
                Dimension::Category => category_label(&s.key),
                _ => names::member_label(&names, &s.key, none),
            };
            table.rows.push(profit_row(label, &s.figures));
        }
        table.totals = Some(profit_totals(&table.rows, "All"));
        tables.push(table);
    }
    Ok((headlines, tables))
}

/// Car count, net sales and average repair order per day, week or month.
pub async fn trend(scope: &Scope) -> Result<Parts, ServiceError> {
    let f = scope.compared().await?;
    let headlines = vec![
        headline("car_count", "Car count", Unit::Count, &f, |f| Some(f.cars)),
        headline(
            "average_repair_order",
            "Average repair order",
            Unit::Money,
            &f,
            Figures::average_repair_order,
        ),
        headline("net_sales", "Net sales", Unit::Money, &f, |f| {
            Some(f.net_sales())
        }),
    ];
    let days = scope
        .sums(
            Dimension::All,
            scope.period,
            Grouping {
                by_branch: false,
                by_day: true,
            },
        )
        .await?;
    let grain: Grain = scope.grain;
    let mut buckets: BTreeMap<chrono::NaiveDate, Figures> = grain
        .buckets(&scope.period)
        .into_iter()
        .map(|d| (d, Figures::default()))
        .collect();
    for s in days {
        if let Some(day) = s.day {
            *buckets.entry(grain.bucket(day)).or_default() += s.figures;
        }
    }
    let mut table = Table::new(
        "trend",
        match grain {
            Grain::Day => "By day",
            Grain::Week => "By week",
            Grain::Month => "By month",
        },
        "Each row starts on the day shown (weeks start on Monday).",
        vec![
            col("starts", "From", Unit::Date),
            col("car_count", "Car count", Unit::Count),
            col("net_sales", "Net sales", Unit::Money),
            col("average_repair_order", "Average repair order", Unit::Money),
        ],
    )
    .chart(ChartKind::Bars, "Car count", &[1])
    .chart(ChartKind::Line, "Average repair order", &[3]);
    for (day, f) in buckets {
        table.rows.push(vec![
            Value::date(day),
            f.cars.into(),
            f.net_sales().into(),
            Value::maybe(f.average_repair_order()),
        ]);
    }
    let mut totals = totals_row(&table.rows, "Period");
    if let Some(last) = totals.last_mut() {
        *last = Value::maybe(f[0].average_repair_order());
    }
    table.totals = Some(totals);
    Ok((headlines, vec![table]))
}

/// What customers still owe, by age; payments and refunds by method; tax by rate.
pub async fn receivables(scope: &Scope) -> Result<Parts, ServiceError> {
    let f = scope.compared().await?;
    let unpaid = scope.unpaid_invoices().await?;
    let overdue_days = |i: &invoice::Model| {
        i.due_at.map_or(0, |due| {
            (scope.today - pitlane_domain::reports::period::local_day(due, scope.tz)).num_days()
        })
    };
    let balance = |i: &invoice::Model| pitlane_billing::invoice::settlement(i).balance_due();
    let outstanding: i64 = unpaid.iter().map(balance).sum();
    let overdue: i64 = unpaid
        .iter()
        .filter(|i| overdue_days(i) > 0)
        .map(balance)
        .sum();
    let mut headlines = vec![
        only(
            "outstanding",
            "Owed by customers now",
            Unit::Money,
            Some(outstanding),
        ),
        only("overdue", "Of which overdue", Unit::Money, Some(overdue)),
    ];
    headlines.extend([
        headline("payments", "Payments received", Unit::Money, &f, |f| {
            Some(f.payments_minor)
        }),
        headline("refunds", "Refunds made", Unit::Money, &f, |f| {
            Some(f.refunds_minor)
        }),
        headline("net_payments", "Net payments", Unit::Money, &f, |f| {
            Some(f.net_payments())
        }),
        headline("tax", "Tax collected", Unit::Money, &f, |f| {
            Some(f.tax_collected())
        }),
    ]);

    let mut aging = Table::new(
        "aging",
        "Unpaid invoices by age",
        "Today's unpaid balances, by how many days past their due date they are.",
        vec![
            col("age", "Past due", Unit::Text),
            col("invoices", "Invoices", Unit::Count),
            col("balance", "Balance due", Unit::Money),
        ],
    )
    .chart(ChartKind::Bars, "Balance due by age", &[2]);
    for bucket in AgeBucket::ALL {
        let of: Vec<&invoice::Model> = unpaid
            .iter()
            .filter(|i| AgeBucket::of(overdue_days(i)) == bucket)
            .collect();
        aging.rows.push(vec![
            Value::text(bucket.label()),
            (of.len() as i64).into(),
            of.iter().map(|i| balance(i)).sum::<i64>().into(),
        ]);
    }
    aging.totals = Some(totals_row(&aging.rows, "All unpaid"));

    let mut oldest = Table::new(
        "unpaid",
        "Unpaid invoices",
        "The 100 most overdue, oldest due date first.",
        vec![
            col("number", "Invoice", Unit::Text),
            col("customer", "Customer", Unit::Text),
            col("branch", "Branch", Unit::Text),
            col("due", "Due", Unit::Date),
            col("days_overdue", "Days overdue", Unit::Count),
            col("balance", "Balance due", Unit::Money),
        ],
    );
    for i in unpaid.iter().take(100) {
        oldest.rows.push(vec![
            Value::text(i.number.clone().unwrap_or_default()),
            Value::text(i.customer_name.clone()),
            Value::text(scope.branch_name(Some(i.branch_id))),
            i.due_at.map_or(Value::Empty, |d| {
                Value::date(pitlane_domain::reports::period::local_day(d, scope.tz))
            }),
            overdue_days(i).max(0).into(),
            balance(i).into(),
        ]);
    }

    let mut methods = Table::new(
        "by_method",
        "Payments and refunds by method",
        "Payments on the day they were received; refunds on the day they were made, back the way the payment came.",
        vec![
            col("method", "Method", Unit::Text),
            col("payments", "Payments", Unit::Count),
            col("received", "Received", Unit::Money),
            col("refunds", "Refunds", Unit::Count),
            col("refunded", "Refunded", Unit::Money),
            col("net", "Net", Unit::Money),
        ],
    )
    .chart(ChartKind::Bars, "Net payments by method", &[5]);
    for s in scope
        .sums(Dimension::Method, scope.period, Grouping::default())
        .await?
    {
        let f = s.figures;
        let label =
            PaymentMethod::parse(&s.key).map_or_else(|| s.key.clone(), |m| m.label().to_owned());
        methods.rows.push(vec![
            Value::text(label),
            f.payments.into(),
            f.payments_minor.into(),
            f.refunds.into(),
            f.refunds_minor.into(),
            f.net_payments().into(),
        ]);
    }
    methods.totals = Some(totals_row(&methods.rows, "All methods"));

    let mut taxes = Table::new(
        "tax_by_rate",
        "Tax by rate",
        "A filing aid: the net amount taxed and the tax on invoices issued in the period, less what credit notes of the period took back.",
        vec![
            col("rate", "Tax", Unit::Text),
            col("taxable", "Net taxed", Unit::Money),
            col("tax", "Tax invoiced", Unit::Money),
            col("credited_net", "Net credited", Unit::Money),
            col("credited_tax", "Tax credited", Unit::Money),
            col("tax_due", "Tax collected", Unit::Money),
        ],
    );
    for s in scope
        .sums(Dimension::TaxRate, scope.period, Grouping::default())
        .await?
    {
        let f = s.figures;
        taxes.rows.push(vec![
            Value::text(s.key.clone()),
            f.net_minor.into(),
            f.tax_minor.into(),
            f.credited_net_minor.into(),
            f.credited_tax_minor.into(),
            f.tax_collected().into(),
        ]);
    }
    taxes.totals = Some(totals_row(&taxes.rows, "All rates"));
    Ok((headlines, vec![aging, oldest, methods, taxes]))
}
