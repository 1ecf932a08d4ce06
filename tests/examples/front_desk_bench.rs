//! Front-desk benchmarks on PostgreSQL (release build; the same PostgreSQL and Redis as the
//! tests):
//!
//! 1. free slots for a branch-week with 10 bays and 30 mechanics, a third of the week booked;
//! 2. customer search in a workshop of 100,000 customers, among 1,000 workshops (about
//!    200,000 customers in all), by name, phone, plate and e-mail fragments.
//!
//! Each figure is the median, 95th percentile and maximum of many calls through the same
//! service functions the API and pages use (row-level security on, as the application role).
//!
//!   cargo run --release -p pitlane-tests --example front_desk_bench

use std::time::Instant;

use pitlane_domain::permissions::Role;
use pitlane_frontdesk::{
    appointments::{self, AppointmentInput, SlotRequest},
    catalogue::{self, ServiceInput},
    customers::{self, CustomerInput, CustomerQuery},
    resources::{self, BayInput},
};
use pitlane_store::TenantCtx;
use pitlane_testkit::{TestApp, print_timings as summary};
use sea_orm::ConnectionTrait;

async fn free_slots(app: &TestApp) -> anyhow::Result<()> {
    let fd = &app.state().frontdesk;
    let t = app.tenant("slots").await;
    let owner = &t.owner;
    let branch = pitlane_tenancy::branches::overview(&app.state().store, owner, 1)
        .await?
        .remove(0)
        .id;
    for i in 1..=10 {
        resources::create_bay(
            fd,
            owner,
            BayInput {
                branch_id: branch,
                name: format!("Bay {i}"),
                kind: "lift".into(),
                active: true,
            },
        )
        .await?;
    }
    for i in 1..=30 {
        let tx = app.state().store.tx(&TenantCtx::new(t.id)).await?;
        pitlane_identity::add_member(
            &tx,
            pitlane_identity::NewMember {
                email: pitlane_domain::text::Email::parse(&format!("mech{i}@slots.example.com"))?,
                name: pitlane_domain::text::DisplayName::parse(&format!("Mechanic {i}"), 120)?,
                password: pitlane_domain::text::NewPassword::parse("mechanic-password-123")?,
                role: Role::Mechanic,
            },
        )
        .await?;
        tx.commit().await?;
    }
    let service = catalogue::create(
        fd,
        owner,
        ServiceInput {
            name: "Service".into(),
            duration_minutes: 60,
            bay_kind: Some("lift".into()),
            bookable_online: true,
            active: true,
            ..ServiceInput::default()
        },
    )
    .await?;
    let customer = customers::create(
        fd,
        owner,
        CustomerInput {
            name: "Bench Customer".into(),
            ..CustomerInput::default()
        },
        None,
    )
    .await?;
    let request = SlotRequest {
        service_id: service.id,
        branch_id: Some(branch),
        from: None,
        days: Some(7),
    };
    // A third of the bay-hours of the week booked, spread pseudo-randomly.
    let mut booked = 0;
    let mut seed: u64 = 42;
    while booked < 150 {
        let free = appointments::free_slots(fd, owner, request).await?.slots;
        if free.is_empty() {
            break;
        }
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let slot = &free[(seed >> 33) as usize % free.len()];
        if appointments::book(
            fd,
            owner,
            AppointmentInput {
                branch_id: branch,
                service_id: service.id,
                customer_id: customer.id.into(),
                starts_at: Some(slot.span.start),
                ..AppointmentInput::default()
            },
            "http://bench",
        )
        .await
        .is_ok()
        {
            booked += 1;
        }
    }
    let mut samples = Vec::new();
    let mut offered = 0;
    for _ in 0..100 {
        let started = Instant::now();
        offered = appointments::free_slots(fd, owner, request)
            .await?
            .slots
            .len();
        samples.push(started.elapsed());
    }
    println!(
        "free slots: 10 bays, 30 mechanics, {booked} appointments this week, {offered} start times offered"
    );
    summary("free slots for a branch-week", samples);
    Ok(())
}

async fn customer_search(app: &TestApp) -> anyhow::Result<()> {
    let fd = &app.state().frontdesk;
    let big = app.tenant("big").await;
    let admin = app.db().admin().await;
    // 999 more workshops with 100 customers each, and 100,000 in the big one.
    admin
        .execute_unprepared(
            "insert into tenants (id, slug, name)
             select gen_random_uuid(), 'bench-' || g, 'Bench ' || g from generate_series(1, 999) g",
        )
        .await?;
    let fill = |tenants: &str, count: u32| {
        format!(
            "insert into customers (tenant_id, id, name, email, phone, search)
             select t.tid, gen_random_uuid(), s.name, s.email, s.phone,
                    lower(s.name) || ' ' || s.email || ' ' || substr(s.phone, 2) || ' ' || s.plate
             from ({tenants}) t cross join (
               select initcap(substr(md5(g::text), 1, 6)) || ' ' || initcap(substr(md5((g * 7)::text), 1, 9)) as name,
                      'c' || g || '@example.com' as email,
                      '+4915' || lpad((g * 37 % 1000000000)::text, 9, '0') as phone,
                      'hh' || substr(md5((g * 3)::text), 1, 2) || (g % 10000) as plate
               from generate_series(1, {count}) g
             ) s"
        )
    };
    admin
        .execute_unprepared(&fill(
            &format!("select '{}'::uuid as tid", big.id.0),
            100_000,
        ))
        .await?;
    admin
        .execute_unprepared(&fill(
            "select id as tid from tenants where slug like 'bench-%'",
            100,
        ))
        .await?;
    admin.execute_unprepared("vacuum analyze").await?;
    let total: i64 = {
        use sea_orm::{DbBackend, Statement};
        let row = admin
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                "select count(*) as n from customers",
            ))
            .await?
            .expect("a count");
        row.try_get("", "n")?
    };
    println!("customer search: 1,000 workshops, {total} customers, 100,000 in the one searched");
    for (label, q) in [
        ("search by a 3-letter fragment", "abc"),
        ("search by surname fragment (5 letters)", "e4f1a"),
        ("search by phone digits (0151 2345…)", "15123"),
        ("search by plate (HHAB 123)", "hh3f 123"),
        ("search by e-mail", "c4242@example.com"),
        (
            "search matching every customer (\"example.com\")",
            "example.com",
        ),
        ("list without a search (first page by name)", ""),
    ] {
        let mut samples = Vec::new();
        for _ in 0..50 {
            let started = Instant::now();
            customers::list(
                fd,
                &big.owner,
                CustomerQuery {
                    q: Some(q.to_owned()).filter(|q| !q.is_empty()),
                    limit: 50,
                    ..CustomerQuery::default()
                },
            )
            .await?;
            samples.push(started.elapsed());
        }
        summary(label, samples);
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let app = TestApp::spawn().await;
    free_slots(&app).await?;
    customer_search(&app).await?;
    app.stop().await;
    Ok(())
}
