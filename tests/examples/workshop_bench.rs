//! Workshop benchmarks on PostgreSQL (release build; the same PostgreSQL and Redis as the
//! tests), through the same service functions and pages the portal uses, as the application
//! role with row-level security on:
//!
//! 1. the branch's repair-order board with 200 open orders (each with four lines and a job),
//!    as a service call and as the signed-in page;
//! 2. a mechanic's "my jobs" with 30 jobs assigned, as a service call and as the page.
//!
//! Other workshops hold orders too (20 × 200), so the board reads one tenant's among many.
//!
//!   cargo run --release -p pitlane-tests --example workshop_bench

use std::time::Instant;

use pitlane_domain::{
    Actor,
    ids::{MembershipId, UserId},
    permissions::Role,
};
use pitlane_testkit::{Client, TenantFixture, TestApp, print_timings, time_calls};
use pitlane_workshop::{jobs, lines, orders};

const ORDERS: usize = 200;

/// A workshop with `ORDERS` open orders at its first branch; returns it and its branch.
async fn workshop(
    app: &TestApp,
    slug: &str,
) -> anyhow::Result<(TenantFixture, uuid::Uuid, Vec<orders::OrderView>)> {
    let t = app.tenant(slug).await;
    let owner = &t.owner;
    let branch = pitlane_tenancy::branches::overview(&app.state().store, owner, 1)
        .await?
        .remove(0)
        .id;
    let fd = &app.state().frontdesk;
    let ws = &app.state().workshop;
    let mut made = Vec::new();
    for i in 0..ORDERS {
        let customer = pitlane_frontdesk::customers::create(
            fd,
            owner,
            pitlane_frontdesk::customers::CustomerInput {
                name: format!("Customer {i}"),
                email: Some(format!("c{i}@{slug}.example")),
                ..Default::default()
            },
            None,
        )
        .await?;
        let vehicle = pitlane_frontdesk::vehicles::create(
            fd,
            owner,
            pitlane_frontdesk::vehicles::VehicleInput {
                customer_id: Some(customer.id.into()),
                plate: Some(format!("{slug} {i}")),
                make: Some("Volkswagen".into()),
                model: Some("Golf".into()),
                ..Default::default()
            },
        )
        .await?;
        let order = orders::open_walk_in(
            ws,
            owner,
            &orders::OrderInput {
                branch_id: branch,
                customer_id: customer.id.into(),
                vehicle_id: vehicle.id.into(),
                ..Default::default()
            },
        )
        .await?;
        for (kind, description, quantity, price) in [
            ("labour", "Replace front brake pads", "1.5", None),
            ("part", "Brake pads", "1", Some("60.00")),
            ("fee", "Disposal", "1", Some("5.00")),
            ("discount", "Loyalty", "1", Some("10.00")),
        ] {
            lines::add(
                ws,
                owner,
                order.order.id.into(),
                &lines::LineInput {
                    kind: kind.into(),
                    description: Some(description.into()),
                    quantity: Some(quantity.into()),
                    unit_price: price.map(str::to_owned),
                    ..Default::default()
                },
            )
            .await?;
        }
        made.push(orders::get(ws, owner, order.order.id.into()).await?);
    }
    Ok((t, branch, made))
}

async fn page(client: &Client, path: &str) -> anyhow::Result<()> {
    let response = client.get(path).await;
    anyhow::ensure!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
    response.bytes().await?;
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let app = TestApp::spawn().await;
    let started = Instant::now();
    for i in 0..20 {
        workshop(&app, &format!("other{i}")).await?;
    }
    let (t, branch, made) = workshop(&app, "bench").await?;
    println!(
        "seeded 21 workshops x {ORDERS} open orders in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    let ws = &app.state().workshop;

    // A mechanic with 30 of the orders' jobs.
    let (email, password) = app.member(&t, Role::Mechanic).await;
    let member = pitlane_identity::members::list(&app.state().store, &t.owner)
        .await?
        .into_iter()
        .find(|m| m.email == email)
        .ok_or_else(|| anyhow::anyhow!("the mechanic"))?;
    for order in made.iter().take(30) {
        jobs::assign(ws, &t.owner, order.jobs[0].id, member.membership_id).await?;
    }
    let mechanic = Actor::builtin(
        UserId(member.user_id),
        MembershipId(member.membership_id),
        t.id,
        Role::Mechanic,
    );

    let owner = t.owner.clone();
    let filter = orders::BoardFilter {
        branch_id: Some(branch),
        ..Default::default()
    };
    let samples = time_calls(200, || async {
        let board = orders::board(ws, &owner, filter).await?;
        anyhow::ensure!(board.open() == ORDERS as u64 && board.cards.len() == 50);
        Ok(())
    })
    .await?;
    print_timings("board service, 50 of 200 open orders", samples);
    let samples = time_calls(200, || async {
        let mine = jobs::my_jobs(ws, &mechanic).await?;
        anyhow::ensure!(mine.len() == 30);
        Ok(())
    })
    .await?;
    print_timings("my jobs service, 30 jobs", samples);

    let client = app.client();
    client.sign_in(&t).await;
    let board_path = format!("/t/{}/portal/repair-orders?branch_id={branch}", t.slug);
    let samples = time_calls(200, || page(&client, &board_path)).await?;
    print_timings("board page (signed in, full layout)", samples);
    let phone = app.client();
    phone.sign_in_as(&t, &email, &password).await;
    let mine_path = format!("/t/{}/portal/my-jobs", t.slug);
    let samples = time_calls(200, || page(&phone, &mine_path)).await?;
    print_timings("my jobs page (signed in, full layout)", samples);
    app.stop().await;
    Ok(())
}
