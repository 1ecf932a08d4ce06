//! A vehicle's or a customer's repair history: every repair order with its work and what the
//! customer decided, and every invoice with what was paid; newest first, on each branch's
//! own calendar. Branch-limited staff see their branches' orders and invoices only (the
//! store's branch filter). Printable through [`crate::print::history`].

use std::collections::HashMap;

use chrono_tz::Tz;
use pitlane_domain::{
    Actor, ServiceError,
    ids::{CustomerId, VehicleId},
    invoicing::InvoiceStatus,
    permissions::Permission,
    repair_order::{RepairOrderStatus, display_number},
    reports::period::{local_day, zone},
};
use pitlane_store::{
    TenantCtx, TenantTx,
    entity::{branch, customer, invoice, repair_order, repair_order_line, vehicle},
    sea_orm::{ColumnTrait, QueryFilter, QueryOrder, QuerySelect},
};
use uuid::Uuid;

use crate::{
    Reports,
    report::{Table, Unit, Value, col},
};

/// Whose history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Vehicle(VehicleId),
    Customer(CustomerId),
}

/// The most recent orders a history lists; a fleet's longer past is in the reports.
pub const MOST_ORDERS: u64 = 500;

/// A repair history as people read it.
#[derive(Debug, Clone)]
pub struct History {
    pub subject: Subject,
    /// `Repair history of 2019 VW Golf (B-AB 123)`.
    pub title: String,
    /// What identifies the subject: owner, VIN, mileage; or phone and e-mail.
    pub facts: Vec<(&'static str, String)>,
    pub currency: String,
    /// `orders`, `work` and `invoices`.
    pub tables: Vec<Table>,
}

/// What a history's PDF is saved as.
pub fn history_file_name(subject: Subject) -> String {
    match subject {
        Subject::Vehicle(id) => format!("repair-history-vehicle-{id}.pdf"),
        Subject::Customer(id) => format!("repair-history-customer-{id}.pdf"),
    }
}

/// The history of a vehicle or a customer. Needs `customers.read` and `repair_orders.read`.
pub async fn of(
    reports: &Reports,
    actor: &Actor,
    subject: Subject,
) -> Result<History, ServiceError> {
    actor.require(Permission::CustomersRead)?;
    actor.require(Permission::RepairOrdersRead)?;
    let tx = reports.store().tx(&TenantCtx::of(actor)).await?;
    let (title, facts) = describe(&tx, subject).await?;
    let mut orders_query = tx.select::<repair_order::Entity>();
    let mut invoices_query = tx.select::<invoice::Entity>();
    match subject {
        Subject::Vehicle(id) => {
            orders_query = orders_query.filter(repair_order::Column::VehicleId.eq(id.0));
            invoices_query = invoices_query.filter(invoice::Column::VehicleId.eq(id.0));
        }
        Subject::Customer(id) => {
            orders_query = orders_query.filter(repair_order::Column::CustomerId.eq(id.0));
            invoices_query = invoices_query.filter(invoice::Column::CustomerId.eq(id.0));
        }
    }
    let orders = tx
        .all(
            orders_query
                .order_by_desc(repair_order::Column::CreatedAt)
                .order_by_desc(repair_order::Column::Id)
                .limit(MOST_ORDERS),
        )
        .await?;
    let order_ids: Vec<Uuid> = orders.iter().map(|o| o.id).collect();
    // An invoice made from one of the orders belongs here even when it named no vehicle.
    let invoices = tx
        .all(
            invoices_query
                .filter(invoice::Column::Status.ne(InvoiceStatus::Draft.key()))
                .order_by_desc(invoice::Column::IssuedAt)
                .order_by_desc(invoice::Column::Id)
                .limit(MOST_ORDERS * 2),
        )
        .await?;
    let more_invoices = if matches!(subject, Subject::Vehicle(_)) && !order_ids.is_empty() {
        let known: Vec<Uuid> = invoices.iter().map(|i| i.id).collect();
        tx.all(
            tx.select::<invoice::Entity>()
                .filter(invoice::Column::RepairOrderId.is_in(order_ids.clone()))
                .filter(invoice::Column::Status.ne(InvoiceStatus::Draft.key()))
                .filter(invoice::Column::Id.is_not_in(known)),
        )
        .await?
    } else {
        Vec::new()
    };
    let mut invoices: Vec<invoice::Model> = invoices.into_iter().chain(more_invoices).collect();
    invoices.sort_by_key(|i| std::cmp::Reverse((i.issued_at, i.id)));
    let lines = tx
        .all(
            tx.select::<repair_order_line::Entity>()
                .filter(repair_order_line::Column::RepairOrderId.is_in(order_ids))
                .order_by_asc(repair_order_line::Column::Position)
                .order_by_asc(repair_order_line::Column::Id),
        )
        .await?;
    let branches: HashMap<Uuid, (String, Tz)> = tx
        .all(tx.select::<branch::Entity>())
        .await?
        .into_iter()
        .map(|b| (b.id, (b.name, zone(&b.time_zone))))
        .collect();
    let currency = tx.currency().await?.as_str().to_owned();
    tx.commit().await?;

    let mut by_order: HashMap<Uuid, Vec<&repair_order_line::Model>> = HashMap::new();
    for line in &lines {
        by_order.entry(line.repair_order_id).or_default().push(line);
    }
    let numbers: HashMap<Uuid, String> = orders
        .iter()
        .map(|o| (o.id, display_number(o.number)))
        .collect();
    let tables = vec![
        orders_table(subject, &orders, &by_order, &branches),
        work_table(&orders, &by_order, &branches),
        invoices_table(&invoices, &numbers, &branches),
    ];
    Ok(History {
        subject,
        title,
        facts,
        currency,
        tables,
    })
}

async fn describe(
    tx: &TenantTx,
    subject: Subject,
) -> Result<(String, Vec<(&'static str, String)>), ServiceError> {
    Ok(match subject {
        Subject::Vehicle(id) => {
            let v = tx.get::<vehicle::Entity>(id.0).await?;
            let mut facts = Vec::new();
            if let Some(owner) = v.customer_id {
                let c = tx.get::<customer::Entity>(owner).await?;
                facts.push(("Owner", c.name));
            }
            if let Some(vin) = &v.vin {
                facts.push(("VIN", vin.clone()));
            }
            if let Some(m) = v.last_mileage {
                facts.push(("Last mileage", format!("{m} {}", v.mileage_unit)));
            }
            let name = pitlane_frontdesk::vehicles::describe(&v);
            (format!("Repair history of {name}"), facts)
        }
        Subject::Customer(id) => {
            let c = tx.get::<customer::Entity>(id.0).await?;
            let facts = [
                ("Company", &c.company),
                ("Phone", &c.phone),
                ("E-mail", &c.email),
            ]
            .into_iter()
            .filter_map(|(label, v)| Some((label, v.clone()?)))
            .collect();
            (format!("Repair history of {}", c.name), facts)
        }
    })
}

fn day_at(
    branches: &HashMap<Uuid, (String, Tz)>,
    branch: Uuid,
    at: chrono::DateTime<chrono::Utc>,
) -> Value {
    let tz = branches.get(&branch).map_or(Tz::UTC, |b| b.1);
    Value::date(local_day(at, tz))
}

fn branch_name(branches: &HashMap<Uuid, (String, Tz)>, branch: Uuid) -> Value {
    Value::text(branches.get(&branch).map_or("", |b| b.0.as_str()))
}

/// What a line asks of the customer, as priced on the estimate.
pub(crate) fn line_value(line: &repair_order_line::Model) -> i64 {
    pitlane_workshop::order::priced(line).amount()
}

fn orders_table(
    subject: Subject,
    orders: &[repair_order::Model],
    lines: &HashMap<Uuid, Vec<&repair_order_line::Model>>,
    branches: &HashMap<Uuid, (String, Tz)>,
) -> Table {
    let (other_key, other_label) = match subject {
        Subject::Vehicle(_) => ("customer", "Customer"),
        Subject::Customer(_) => ("vehicle", "Vehicle"),
    };
    let mut table = Table::new(
        "orders",
        "Repair orders",
        "Every repair order, newest first, with the work the customer approved and declined (before tax).",
        vec![
            col("order", "Order", Unit::Text),
            col("opened", "Opened", Unit::Date),
            col("branch", "Branch", Unit::Text),
            col(other_key, other_label, Unit::Text),
            col("mileage", "Mileage in", Unit::Count),
            col("status", "Status", Unit::Text),
            col("concern", "Concern", Unit::Text),
            col("approved", "Approved work", Unit::Money),
            col("declined", "Declined work", Unit::Money),
        ],
    );
    let (mut approved_total, mut declined_total) = (0, 0);
    for o in orders {
        let sum = |decision: &str| {
            lines
                .get(&o.id)
                .into_iter()
                .flatten()
                .filter(|l| l.decision == decision)
                .map(|l| line_value(l))
                .sum::<i64>()
        };
        let (approved, declined) = (sum("approved"), sum("declined"));
        approved_total += approved;
        declined_total += declined;
        table.rows.push(vec![
            Value::text(display_number(o.number)),
            day_at(branches, o.branch_id, o.created_at),
            branch_name(branches, o.branch_id),
            Value::text(match subject {
                Subject::Vehicle(_) => o.customer_name.clone(),
                Subject::Customer(_) => o.vehicle_label.clone(),
            }),
            Value::maybe(o.mileage_in),
            Value::text(
                RepairOrderStatus::parse(&o.status).map_or(o.status.as_str(), |s| s.label()),
            ),
            Value::text(o.concern.clone().unwrap_or_default()),
            approved.into(),
            declined.into(),
        ]);
    }
    let mut totals = vec![Value::text(format!("{} orders", orders.len()))];
    totals.extend(std::iter::repeat_n(Value::Empty, 6));
    totals.extend([approved_total.into(), declined_total.into()]);
    table.totals = Some(totals);
    table
}

fn work_table(
    orders: &[repair_order::Model],
    lines: &HashMap<Uuid, Vec<&repair_order_line::Model>>,
    branches: &HashMap<Uuid, (String, Tz)>,
) -> Table {
    let mut table = Table::new(
        "work",
        "Work",
        "Each line of each order: what was proposed, and whether the customer approved or declined it.",
        vec![
            col("order", "Order", Unit::Text),
            col("opened", "Opened", Unit::Date),
            col("work", "Work", Unit::Text),
            col("kind", "Kind", Unit::Text),
            col("decision", "Decision", Unit::Text),
            col("amount", "Amount", Unit::Money),
        ],
    );
    for o in orders {
        for line in lines.get(&o.id).into_iter().flatten() {
            table.rows.push(vec![
                Value::text(display_number(o.number)),
                day_at(branches, o.branch_id, o.created_at),
                Value::text(line.description.clone()),
                Value::text(kind_label(&line.kind)),
                Value::text(decision_label(&line.decision)),
                line_value(line).into(),
            ]);
        }
    }
    table
}

fn kind_label(kind: &str) -> &'static str {
    match kind {
        "labour" => "Labour",
        "labour_flat" => "Labour (flat rate)",
        "part" => "Part",
        "fee" => "Fee",
        "discount" => "Discount",
        _ => "Other",
    }
}

fn decision_label(decision: &str) -> &'static str {
    match decision {
        "approved" => "Approved",
        "declined" => "Declined",
        _ => "Not answered",
    }
}

fn invoices_table(
    invoices: &[invoice::Model],
    numbers: &HashMap<Uuid, String>,
    branches: &HashMap<Uuid, (String, Tz)>,
) -> Table {
    let mut table = Table::new(
        "invoices",
        "Invoices",
        "Every issued invoice, newest first: its total with tax, what was credited, paid (net of refunds) and is still due (negative: paid more).",
        vec![
            col("invoice", "Invoice", Unit::Text),
            col("issued", "Issued", Unit::Date),
            col("branch", "Branch", Unit::Text),
            col("order", "Order", Unit::Text),
            col("status", "Status", Unit::Text),
            col("total", "Total", Unit::Money),
            col("credited", "Credited", Unit::Money),
            col("paid", "Paid", Unit::Money),
            col("due", "Due", Unit::Money),
        ],
    );
    let mut sums = [0i64; 4];
    for inv in invoices {
        let void = inv.status == InvoiceStatus::Void.key();
        let money = pitlane_billing::invoice::settlement(inv);
        let (paid, due) = (money.net_paid(), if void { 0 } else { money.balance_due() });
        if !void {
            for (sum, v) in sums
                .iter_mut()
                .zip([inv.total_minor, inv.credited_minor, paid, due])
            {
                *sum += v;
            }
        }
        table.rows.push(vec![
            Value::text(inv.number.clone().unwrap_or_default()),
            inv.issued_at
                .map_or(Value::Empty, |at| day_at(branches, inv.branch_id, at)),
            branch_name(branches, inv.branch_id),
            Value::text(
                inv.repair_order_id
                    .and_then(|o| numbers.get(&o).cloned())
                    .unwrap_or_default(),
            ),
            Value::text(
                InvoiceStatus::parse(&inv.status).map_or(inv.status.as_str(), |s| s.label()),
            ),
            inv.total_minor.into(),
            inv.credited_minor.into(),
            paid.into(),
            due.into(),
        ]);
    }
    let mut totals = vec![Value::text("All but void")];
    totals.extend(std::iter::repeat_n(Value::Empty, 4));
    totals.extend(sums.map(Value::Number));
    table.totals = Some(totals);
    table
}
