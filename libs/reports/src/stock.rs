//! The inventory report: what the stock is worth at cost, how fast it turns, what has not
//! moved in 90 days, what is low, and what is on order from suppliers.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Duration, Utc};
use pitlane_domain::{
    ServiceError, invoicing::PricedLine, quantity::format_quantity, reports::per,
};
use pitlane_store::{
    entity::{part, purchase_order, purchase_order_line, stock_level, stock_movement, supplier},
    sea_orm::{ColumnTrait, QueryFilter},
};
use uuid::Uuid;

use crate::{
    report::{ChartKind, Headline, Table, Unit, Value, col},
    scope::{Scope, only},
};

type Parts = (Vec<Headline>, Vec<Table>);

fn at_cost(quantity_milli: i64, cost: i64) -> i64 {
    PricedLine {
        quantity_milli,
        unit_price: cost,
        tax_rate_bp: 0,
    }
    .amount()
}

pub async fn inventory(scope: &Scope) -> Result<Parts, ServiceError> {
    let tx = &scope.tx;
    let mut levels_query = tx.select::<stock_level::Entity>();
    if let Some(branch) = scope.branch_id() {
        levels_query = levels_query.filter(stock_level::Column::BranchId.eq(branch));
    }
    let levels = tx.all(levels_query).await?;
    let parts: HashMap<Uuid, part::Model> = tx
        .all(tx.select::<part::Entity>())
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let cost = |part_id: &Uuid| parts.get(part_id).map_or(0, |p| p.cost_minor);
    let value_of = |l: &stock_level::Model| at_cost(l.on_hand_milli.max(0), cost(&l.part_id));

    let (start, end) = scope.period.bounds(scope.tz);
    let mut moves_query = tx
        .select::<stock_movement::Entity>()
        .filter(stock_movement::Column::CreatedAt.gte(start.min(Utc::now() - Duration::days(90))))
        .filter(stock_movement::Column::CreatedAt.lt(end.max(Utc::now())));
    if let Some(branch) = scope.branch_id() {
        moves_query = moves_query.filter(stock_movement::Column::BranchId.eq(branch));
    }
    let moves = tx.all(moves_query).await?;
    let recent_cut = Utc::now() - Duration::days(90);
    let moved_lately: HashSet<(Uuid, Uuid)> = moves
        .iter()
        .filter(|m| m.created_at >= recent_cut)
        .map(|m| (m.part_id, m.branch_id))
        .collect();
    // What was used on repair orders in the period, at its cost then (or the part's now).
    let consumed: BTreeMap<Uuid, i64> = moves
        .iter()
        .filter(|m| m.kind == "consume" && m.created_at >= start && m.created_at < end)
        .fold(BTreeMap::new(), |mut acc, m| {
            let unit = m.unit_cost_minor.unwrap_or_else(|| cost(&m.part_id));
            *acc.entry(m.branch_id).or_default() += at_cost(-m.quantity_milli, unit);
            acc
        });

    let mut by_branch = Table::new(
        "by_branch",
        "Stock by branch",
        "Stock on hand valued at each part's cost now; turns are the cost of parts used on repair orders in the period, made a year's worth, over the stock's value.",
        vec![
            col("branch", "Branch", Unit::Text),
            col("parts", "Parts in stock", Unit::Count),
            col("value", "Value at cost", Unit::Money),
            col("used", "Used in the period at cost", Unit::Money),
            col("turns", "Turns a year", Unit::Ratio),
        ],
    )
    .chart(ChartKind::Bars, "Stock value by branch", &[2]);
    let days = scope.period.days();
    // Hundredths of a turn: what was used, made a year's worth, over what is on the shelf.
    let turns = |used: i64, value: i64| {
        if value == 0 {
            None
        } else {
            per(used * 365 * 100, value * days)
        }
    };
    let (mut total_value, mut total_used, mut total_parts) = (0, 0, 0);
    for b in scope.shown_branches() {
        let here: Vec<&stock_level::Model> = levels
            .iter()
            .filter(|l| l.branch_id == b.id && l.on_hand_milli > 0)
            .collect();
        let value: i64 = here.iter().map(|l| value_of(l)).sum();
        let used = consumed.get(&b.id).copied().unwrap_or(0);
        total_value += value;
        total_used += used;
        total_parts += here.len() as i64;
        by_branch.rows.push(vec![
            Value::text(b.name.clone()),
            (here.len() as i64).into(),
            value.into(),
            used.into(),
            Value::maybe(turns(used, value)),
        ]);
    }
    by_branch.totals = Some(vec![
        Value::text("All branches"),
        total_parts.into(),
        total_value.into(),
        total_used.into(),
        Value::maybe(turns(total_used, total_value)),
    ]);

    let branch_name = |id: Uuid| scope.branch_name(Some(id));
    let part_name = |id: &Uuid| {
        parts
            .get(id)
            .map_or_else(|| "—".to_owned(), |p| format!("{} {}", p.sku, p.name))
    };
    let mut dead: Vec<&stock_level::Model> = levels
        .iter()
        .filter(|l| l.on_hand_milli > 0 && !moved_lately.contains(&(l.part_id, l.branch_id)))
        .collect();
    dead.sort_by_key(|l| -value_of(l));
    let mut dead_table = Table::new(
        "dead_stock",
        "No movement in 90 days",
        "Parts on the shelf that nothing went in or out of for 90 days, the most valuable first (up to 100).",
        vec![
            col("part", "Part", Unit::Text),
            col("branch", "Branch", Unit::Text),
            col("on_hand", "On hand", Unit::Text),
            col("value", "Value at cost", Unit::Money),
        ],
    );
    for l in dead.iter().take(100) {
        dead_table.rows.push(vec![
            Value::text(part_name(&l.part_id)),
            Value::text(branch_name(l.branch_id)),
            Value::text(format_quantity(l.on_hand_milli)),
            value_of(l).into(),
        ]);
    }
    let dead_value: i64 = dead.iter().map(|l| value_of(l)).sum();

    let mut low_table = Table::new(
        "low_stock",
        "Low stock",
        "Parts whose stock not held for repair orders is at or below their reorder point.",
        vec![
            col("part", "Part", Unit::Text),
            col("branch", "Branch", Unit::Text),
            col("available", "Available", Unit::Text),
            col("reorder_at", "Reorder at", Unit::Text),
        ],
    );
    for l in levels.iter().filter(|l| {
        l.reorder_at_milli
            .is_some_and(|at| l.on_hand_milli - l.reserved_milli <= at)
    }) {
        low_table.rows.push(vec![
            Value::text(part_name(&l.part_id)),
            Value::text(branch_name(l.branch_id)),
            Value::text(format_quantity(l.on_hand_milli - l.reserved_milli)),
            Value::text(format_quantity(l.reorder_at_milli.unwrap_or(0))),
        ]);
    }

    let mut po_query = tx
        .select::<purchase_order::Entity>()
        .filter(purchase_order::Column::Status.is_in(["ordered", "partly_received"]));
    if let Some(branch) = scope.branch_id() {
        po_query = po_query.filter(purchase_order::Column::BranchId.eq(branch));
    }
    let orders = tx.all(po_query).await?;
    let order_ids: Vec<Uuid> = orders.iter().map(|o| o.id).collect();
    let lines = tx
        .all(
            tx.select::<purchase_order_line::Entity>()
                .filter(purchase_order_line::Column::PurchaseOrderId.is_in(order_ids)),
        )
        .await?;
    let suppliers: HashMap<Uuid, String> = tx
        .all(tx.select::<supplier::Entity>())
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    // supplier → (orders, value still to come, value received)
    let mut by_supplier: BTreeMap<String, (i64, i64, i64)> = BTreeMap::new();
    for o in &orders {
        let name = suppliers.get(&o.supplier_id).cloned().unwrap_or_default();
        let entry = by_supplier.entry(name).or_default();
        entry.0 += 1;
        for l in lines.iter().filter(|l| l.purchase_order_id == o.id) {
            entry.1 += at_cost(
                (l.quantity_milli - l.received_milli).max(0),
                l.unit_cost_minor,
            );
            entry.2 += at_cost(l.received_milli, l.unit_cost_minor);
        }
    }
    let mut po_table = Table::new(
        "open_orders",
        "Open purchase orders by supplier",
        "Orders placed and not yet fully received: what is still to come, and what has arrived on them (owed to the supplier unless already paid).",
        vec![
            col("supplier", "Supplier", Unit::Text),
            col("orders", "Open orders", Unit::Count),
            col("to_come", "Still to come", Unit::Money),
            col("received", "Received on them", Unit::Money),
        ],
    );
    for (name, (n, to_come, received)) in by_supplier {
        po_table.rows.push(vec![
            Value::text(name),
            n.into(),
            to_come.into(),
            received.into(),
        ]);
    }
    let on_order: i64 = po_table.rows.iter().filter_map(|r| r[2].number()).sum();
    let headlines = vec![
        only(
            "stock_value",
            "Stock value at cost",
            Unit::Money,
            Some(total_value),
        ),
        only(
            "turns",
            "Turns a year",
            Unit::Ratio,
            turns(total_used, total_value),
        ),
        only(
            "dead_stock",
            "No movement in 90 days",
            Unit::Money,
            Some(dead_value),
        ),
        only(
            "low_stock",
            "Parts low on stock",
            Unit::Count,
            Some(low_table.rows.len() as i64),
        ),
        only("on_order", "On order", Unit::Money, Some(on_order)),
        only(
            "average_part",
            "Average part value in stock",
            Unit::Money,
            per(total_value, total_parts),
        ),
    ];
    Ok((headlines, vec![by_branch, dead_table, low_table, po_table]))
}
