//! The first start's demo workshop comes with a year of history (both shapes): two branches,
//! thousands of orders with invoices over about twelve months, daily figures equal to a
//! rebuild from the documents, and a sales report whose net sales are the invoices' net less
//! the credit notes' of the period. Made once; a seed that fails leaves nothing behind.

use std::collections::HashMap;
use std::time::Instant;

use chrono::{DateTime, Utc};
use pitlane_domain::{
    Actor,
    ids::{InvoiceId, MembershipId, TenantId, UserId},
    permissions::Role,
    reports::period::{local_day, zone},
};
use pitlane_reports::{ReportKind, ReportQuery};
use pitlane_store::{
    TenantCtx,
    entity::{
        branch, credit_note, customer, invoice, membership, payment, repair_order, stock_level,
        stock_movement, tenant_counter,
    },
    sea_orm::{ColumnTrait, EntityTrait, QueryFilter},
};
use pitlane_testkit::{Shape, TestApp};

async fn owner_of(app: &TestApp, tenant: TenantId) -> Actor {
    let tx = app
        .state()
        .store
        .tx(&TenantCtx::new(tenant))
        .await
        .expect("tx");
    let owner = tx
        .first(
            tx.select::<membership::Entity>()
                .filter(membership::Column::Role.eq("owner")),
        )
        .await
        .expect("owner")
        .expect("an owner");
    tx.commit().await.expect("commit");
    Actor::builtin(
        UserId(owner.user_id),
        MembershipId(owner.id),
        tenant,
        Role::Owner,
    )
}

async fn demo_of(app: &TestApp) -> TenantId {
    let demo = app
        .state()
        .store
        .tenant_by_slug(pitlane_tenancy::DEMO_SLUG)
        .await
        .expect("lookup")
        .expect("the demo workshop");
    TenantId(demo.id)
}

async fn a_year_of_history(shape: Shape) {
    let started = Instant::now();
    let app = TestApp::spawn_shape_with(shape, |config| config.demo = true).await;
    println!(
        "{shape:?}: the first start with the demo took {:?}",
        started.elapsed()
    );
    // The year of history is made in the background, after the server answers.
    app.state().demo_history.made().await;
    println!(
        "{shape:?}: its year of history was there after {:?}",
        started.elapsed()
    );
    let tenant = demo_of(&app).await;
    let store = &app.state().store;
    let tx = store.tx(&TenantCtx::new(tenant)).await.expect("tx");

    let branches = tx
        .all(tx.select::<branch::Entity>())
        .await
        .expect("branches");
    assert_eq!(branches.len(), 2, "the demo has a second branch");
    assert!(
        branches.iter().all(|b| b.weekly_sales_goal_minor > 0),
        "both branches have a weekly sales goal"
    );
    let zones: HashMap<uuid::Uuid, chrono_tz::Tz> = branches
        .iter()
        .map(|b| (b.id, zone(&b.time_zone)))
        .collect();

    let orders = tx
        .all(tx.select::<repair_order::Entity>())
        .await
        .expect("orders");
    assert!(orders.len() >= 2_500, "{} orders", orders.len());
    for b in &branches {
        let here = orders.iter().filter(|o| o.branch_id == b.id).count();
        assert!(here >= 1_000, "{} has only {here} orders", b.name);
    }

    let invoices = tx
        .all(
            tx.select::<invoice::Entity>()
                .filter(invoice::Column::IssuedAt.is_not_null())
                .filter(invoice::Column::Status.ne("void")),
        )
        .await
        .expect("invoices");
    assert!(invoices.len() >= 2_500, "{} invoices", invoices.len());
    for b in &branches {
        let here = invoices.iter().filter(|i| i.branch_id == b.id).count();
        assert!(here >= 1_000, "{} has only {here} invoices", b.name);
    }
    let issued: Vec<DateTime<Utc>> = invoices.iter().filter_map(|i| i.issued_at).collect();
    let first = issued.iter().min().expect("first");
    let last = issued.iter().max().expect("last");
    let span = (*last - *first).num_days();
    assert!((340..=366).contains(&span), "the invoices span {span} days");
    let numbers: std::collections::HashSet<&str> = invoices
        .iter()
        .filter_map(|i| i.number.as_deref())
        .collect();
    assert_eq!(
        numbers.len(),
        invoices.len(),
        "every invoice has its own number"
    );

    let unpaid: Vec<&invoice::Model> = invoices
        .iter()
        .filter(|i| matches!(i.status.as_str(), "issued" | "partly_paid"))
        .collect();
    let share = unpaid.len() * 100 / invoices.len();
    assert!((3..=15).contains(&share), "{share}% unpaid");
    let now = Utc::now();
    assert!(
        unpaid
            .iter()
            .any(|i| i.due_at.is_some_and(|d| (now - d).num_days() > 90)),
        "some invoices are more than 90 days overdue"
    );
    let payments = tx
        .all(tx.select::<payment::Entity>())
        .await
        .expect("payments");
    let notes = tx
        .all(tx.select::<credit_note::Entity>())
        .await
        .expect("credit notes");
    assert!(payments.len() >= invoices.len() * 8 / 10, "most are paid");
    assert!(!notes.is_empty(), "a few invoices were credited");
    // What each invoice says it received is what its payments add up to.
    let mut received: HashMap<uuid::Uuid, i64> = HashMap::new();
    for p in &payments {
        *received.entry(p.invoice_id).or_default() += p.amount_minor;
        assert!(p.received_at <= now, "no payment from the future");
    }
    for i in &invoices {
        assert_eq!(
            i.paid_minor,
            received.get(&i.id).copied().unwrap_or(0),
            "{:?}",
            i.number
        );
    }

    // The daily figures are exactly what the documents add up to.
    let kept = pitlane_reports::figures::stored(&tx).await.expect("stored");
    let fresh = pitlane_reports::figures::from_documents(&tx)
        .await
        .expect("rebuilt");
    assert!(!kept.is_empty());
    assert_eq!(kept, fresh, "the stored figures equal a rebuild");

    // Stock: every level is the sum of its movements, and none went below zero.
    let movements = tx
        .all(tx.select::<stock_movement::Entity>())
        .await
        .expect("movements");
    let mut sums: HashMap<(uuid::Uuid, uuid::Uuid), i64> = HashMap::new();
    let mut ordered = movements.clone();
    ordered.sort_by_key(|m| m.created_at);
    for m in &ordered {
        let level = sums.entry((m.part_id, m.branch_id)).or_default();
        *level += m.quantity_milli;
        assert!(*level >= 0, "stock went below zero at {}", m.created_at);
    }
    for level in tx
        .all(tx.select::<stock_level::Entity>())
        .await
        .expect("levels")
    {
        assert_eq!(
            level.on_hand_milli,
            sums.get(&(level.part_id, level.branch_id))
                .copied()
                .unwrap_or(0)
        );
    }
    let customers = tx
        .count(tx.select::<customer::Entity>())
        .await
        .expect("customers");
    assert!(customers >= 150, "{customers} customers");
    println!(
        "{shape:?}: {} branches, {customers} customers, {} orders, {} invoices ({} unpaid), {} payments, {} credit notes, {} stock movements",
        branches.len(),
        orders.len(),
        invoices.len(),
        unpaid.len(),
        payments.len(),
        notes.len(),
        movements.len()
    );
    tx.commit().await.expect("commit");

    // This year's sales: the invoices' net less the credit notes' net, day by branch clock.
    let owner = owner_of(&app, tenant).await;
    let report = pitlane_reports::run(
        &app.state().reports,
        &owner,
        ReportKind::Sales,
        &ReportQuery {
            preset: Some("year".into()),
            ..Default::default()
        },
    )
    .await
    .expect("the sales report");
    let net = report
        .headlines
        .iter()
        .find(|h| h.key == "net_sales")
        .and_then(|h| h.current)
        .expect("net sales");
    let in_period = |branch: uuid::Uuid, at: DateTime<Utc>| {
        let day = local_day(at, zones[&branch]);
        day >= report.period.from && day <= report.period.to
    };
    let invoiced: i64 = invoices
        .iter()
        .filter(|i| i.issued_at.is_some_and(|at| in_period(i.branch_id, at)))
        .map(|i| i.net_minor)
        .sum();
    let by_id: HashMap<uuid::Uuid, &invoice::Model> = invoices.iter().map(|i| (i.id, i)).collect();
    let credited: i64 = notes
        .iter()
        .filter(|n| in_period(by_id[&n.invoice_id].branch_id, n.created_at))
        .map(|n| n.net_minor)
        .sum();
    // (The first hours of a new year may have sold nothing yet.)
    assert!(
        net > 0 || (report.period.to - report.period.from).num_days() < 3,
        "the year has sales"
    );
    assert_eq!(net, invoiced - credited);

    // Made once: a second run leaves the workshop as it is.
    let again = pitlane_reports::demo::seed_history(&app.state().reports, tenant)
        .await
        .expect("second run");
    assert_eq!(again, None);
    app.stop().await;
}

#[tokio::test]
async fn the_first_embedded_start_has_a_year_of_history() {
    a_year_of_history(Shape::Embedded).await;
}

#[tokio::test]
async fn the_first_saas_start_has_a_year_of_history() {
    a_year_of_history(Shape::Saas).await;
}

/// A seed that fails near its end (a receipt number already taken) writes nothing at all.
#[tokio::test]
async fn a_failing_history_leaves_nothing() {
    let app = TestApp::spawn_embedded().await;
    let state = app.state();
    let site = format!("{}/t/demo", app.origin);
    let fixture = app.tenant("demo").await;
    let tenant = fixture.id;
    pitlane_frontdesk::demo::seed(&state.frontdesk, tenant, &site)
        .await
        .expect("front desk");
    pitlane_workshop::demo::seed(&state.workshop, tenant)
        .await
        .expect("floor");
    pitlane_billing::demo::seed(&state.billing, tenant, &site)
        .await
        .expect("invoice");
    // A receipt numbered RCT-{year}-000001, then its counter lost: the history's first
    // receipt of this year takes the same number.
    let tx = state.store.tx(&TenantCtx::new(tenant)).await.expect("tx");
    let demo_invoice = tx
        .first(tx.select::<invoice::Entity>())
        .await
        .expect("invoice")
        .expect("the demo invoice");
    tx.commit().await.expect("commit");
    pitlane_billing::payments::record_payment(
        &state.billing,
        &fixture.owner,
        InvoiceId(demo_invoice.id),
        &pitlane_billing::payments::PaymentInput {
            method: "cash".into(),
            amount: "1.00".into(),
            ..Default::default()
        },
        &site,
    )
    .await
    .expect("payment");
    let tx = state.store.tx(&TenantCtx::new(tenant)).await.expect("tx");
    tx.delete_all(
        tenant_counter::Entity::delete_many()
            .filter(tenant_counter::Column::Name.starts_with("rct-")),
    )
    .await
    .expect("counter");
    let before = (
        tx.count(tx.select::<repair_order::Entity>())
            .await
            .expect("orders"),
        tx.count(tx.select::<customer::Entity>())
            .await
            .expect("customers"),
        tx.count(tx.select::<invoice::Entity>())
            .await
            .expect("invoices"),
        tx.all(tx.select::<branch::Entity>())
            .await
            .expect("branches"),
        pitlane_reports::figures::stored(&tx)
            .await
            .expect("figures"),
    );
    tx.commit().await.expect("commit");

    let failed = pitlane_reports::demo::seed_history(&state.reports, tenant)
        .await
        .expect_err("the clash fails the seed");
    assert!(
        format!("{failed:?}").contains("payments"),
        "it failed on the receipts, after everything else was written: {failed:?}"
    );

    let tx = state.store.tx(&TenantCtx::new(tenant)).await.expect("tx");
    let after = (
        tx.count(tx.select::<repair_order::Entity>())
            .await
            .expect("orders"),
        tx.count(tx.select::<customer::Entity>())
            .await
            .expect("customers"),
        tx.count(tx.select::<invoice::Entity>())
            .await
            .expect("invoices"),
        tx.all(tx.select::<branch::Entity>())
            .await
            .expect("branches"),
        pitlane_reports::figures::stored(&tx)
            .await
            .expect("figures"),
    );
    tx.commit().await.expect("commit");
    assert_eq!(before, after, "nothing of the history was kept");
    app.stop().await;
}
