//! Reports at scale on PostgreSQL (release build), as the application role with row-level
//! security on: a chain of 10 branches with three years of history (300,000 repair orders,
//! 1.2 million order lines, about 300,000 invoices with 1.1 million lines, their payments,
//! jobs, clocked time and 100,000 inspections) among 1,000 tenants (999 neighbours with a
//! year of orders, invoices and daily figures each). Measures rebuilding the chain's daily
//! figures from its documents, the dashboard service for the whole chain and for one branch,
//! and every report over one year of the whole chain.
//!
//!   cargo run --release -p pitlane-tests --example reports_bench
//!   ORDERS=30000 NEIGHBOURS=100 cargo run --release -p pitlane-tests --example reports_bench
//!   KEEP=1 ...    # leaves the database for EXPLAIN and prints its address

use std::time::{Duration, Instant};

use pitlane_reports::{ReportKind, ReportQuery};
use pitlane_testkit::{TestApp, print_timings, time_calls};
use sea_orm::ConnectionTrait;

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn run_sql(db: &sea_orm::DatabaseConnection, sql: &str) -> anyhow::Result<Duration> {
    let started = Instant::now();
    db.execute_unprepared(sql).await?;
    Ok(started.elapsed())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let orders = setting("ORDERS", 300_000);
    let neighbours = setting("NEIGHBOURS", 999);
    let days = setting("DAYS", 1095);
    let calls = setting("CALLS", 30) as usize;
    let app = TestApp::spawn().await;
    let chain = app.tenant("chain").await;
    let admin = app.db().admin().await;

    let seeded = run_sql(
        &admin,
        &include_str!("../../bench/seed_neighbours.sql")
            .replace("{tenants}", &neighbours.to_string())
            .replace("{orders}", "100"),
    )
    .await?;
    println!(
        "seeded {neighbours} neighbours in {:.0} s",
        seeded.as_secs_f64()
    );
    let seeded = run_sql(
        &admin,
        &include_str!("../../bench/seed_history.sql")
            .replace("{chain}", &chain.id.0.to_string())
            .replace("{branches}", "10")
            .replace("{orders}", &orders.to_string())
            .replace("{days}", &days.to_string()),
    )
    .await?;
    println!(
        "seeded the chain: {orders} orders over {days} days in {:.0} s",
        seeded.as_secs_f64()
    );
    run_sql(&admin, "vacuum analyze").await?;

    let reports = &app.state().reports;
    let owner = &chain.owner;
    let started = Instant::now();
    let rebuilt = pitlane_reports::figures::rebuild(reports, owner).await?;
    println!(
        "rebuilt the chain's daily figures ({} rows) from its documents in {:.1} s",
        rebuilt.rows,
        started.elapsed().as_secs_f64()
    );
    run_sql(&admin, "vacuum analyze daily_figures").await?;

    let samples = time_calls(calls * 4, || async {
        let d = pitlane_reports::dashboard::glance(reports, owner, None).await?;
        anyhow::ensure!(d.branch.is_none());
        Ok(())
    })
    .await?;
    print_timings("dashboard service, whole chain (10 branches)", samples);
    let branch = pitlane_tenancy::branches::overview(&app.state().store, owner, 1)
        .await?
        .remove(0)
        .id;
    let samples = time_calls(calls * 4, || async {
        pitlane_reports::dashboard::glance(reports, owner, Some(branch)).await?;
        Ok(())
    })
    .await?;
    print_timings("dashboard service, one branch", samples);

    let today = chrono::Utc::now().date_naive();
    let year = ReportQuery {
        preset: Some("custom".into()),
        from: Some((today - chrono::Duration::days(364)).to_string()),
        to: Some(today.to_string()),
        ..Default::default()
    };
    for kind in ReportKind::ALL {
        let samples = time_calls(calls, || async {
            let report = pitlane_reports::run(reports, owner, kind, &year).await?;
            anyhow::ensure!(!report.tables.is_empty());
            Ok(())
        })
        .await?;
        print_timings(
            &format!("{} report, one year, whole chain", kind.key()),
            samples,
        );
    }
    if std::env::var_os("KEEP").is_some() {
        // For EXPLAIN by hand: the database stays, as its owner and as the application role.
        println!(
            "kept: {} (app role: {})",
            app.db().admin_url,
            app.db().app_url
        );
        return Ok(());
    }
    app.stop().await;
    Ok(())
}
