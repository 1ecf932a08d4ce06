//! Roadside positions at scale (release build, PostgreSQL + Redis): 1,000 mechanics on duty,
//! each driving to a request whose driver watches; positions sent to two server processes
//! (the release `pitlane-server`, sharing the database and Redis, as behind a load balancer),
//! every driver's stream opened on the *other* instance, so each position crosses Redis
//! pub/sub. Measures:
//!
//! - the nearest-first search (the quote a driver sees: on-duty mechanics, their latest
//!   positions, the nearest) among 500 on duty;
//! - positions ingested per second over HTTP (API keys), with their latency;
//! - the fan-out: from a position's arrival at a server to its driver's stream, p50 and p99,
//!   and how many arrived.
//!
//! Run it with:
//!
//! ```sh
//! cargo build --release -p pitlane-server
//! cargo run --release -p pitlane-tests --example roadside_bench
//! MECHANICS=1000 RATE=2500 SECONDS=15 cargo run --release -p pitlane-tests --example roadside_bench
//! ```

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use pitlane_domain::{
    Actor,
    ids::{MembershipId, UserId},
    permissions::{PermissionSet, Role},
    roadside::GeoPoint,
};
use pitlane_roadside::{asking, dispatch, request, settings, tracking};
use pitlane_store::{
    TenantCtx,
    entity::mechanic_profile,
    sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr},
};
use pitlane_testkit::{TestApp, print_timings, test_vars, time_calls};
use tokio::process::Command;

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

const BASE: (f64, f64) = (52.370_216, 4.895_168);

/// A point `north` and `east` metres from BASE.
fn at(north: f64, east: f64) -> GeoPoint {
    let lat = BASE.0 + north / 111_195.0;
    let lon = BASE.1 + east / (111_195.0 * BASE.0.to_radians().cos());
    GeoPoint::new(lat, lon).expect("a position")
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * q).round() as usize]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mechanics = setting("MECHANICS", 1000) as usize;
    let rate = setting("RATE", 2500) as f64;
    let seconds = setting("SECONDS", 15);
    let server =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/release/pitlane-server");
    anyhow::ensure!(
        server.exists(),
        "build the server first: cargo build --release -p pitlane-server"
    );
    let app = TestApp::spawn().await;
    let fleet = app.tenant("fleet").await;
    let state = app.state();
    let rs = &state.roadside;
    let owner = &fleet.owner;
    let store = &state.store;
    let branch = pitlane_tenancy::branches::overview(store, owner, 1)
        .await?
        .remove(0)
        .id;
    let mut drives_out = settings::RoadsideSettings::defaults(branch);
    let (lat, lon) = at(0.0, 0.0).to_micro();
    drives_out.enabled = true;
    drives_out.lat_micro = Some(lat);
    drives_out.lon_micro = Some(lon);
    drives_out.radius_m = 100_000;
    drives_out.near_m = 50_000;
    drives_out.wide_m = 100_000;
    drives_out.widen_after_s = 3600;
    drives_out.dispatcher_after_s = 7200;
    settings::update(rs, owner, drives_out).await?;
    let customer = pitlane_frontdesk::customers::create(
        &state.frontdesk,
        owner,
        pitlane_frontdesk::customers::CustomerInput {
            name: "Fleet Driver".into(),
            ..Default::default()
        },
        None,
    )
    .await?;
    let site = format!("{}/t/fleet", app.origin);

    // The mechanics, each with an API key for their phone, driving out, not on duty yet.
    let started = Instant::now();
    let mut phones = Vec::with_capacity(mechanics);
    for i in 0..mechanics {
        let tx = store.tx(&TenantCtx::new(fleet.id)).await?;
        let user = tx
            .people()
            .insert(pitlane_identity::new_user(
                format!("m{i}@fleet.example.com"),
                format!("Mechanic {i}"),
                None,
                true,
            ))
            .await?;
        let member = pitlane_identity::add_membership(&tx, &user, Role::Mechanic).await?;
        tx.commit().await?;
        let mechanic = Actor::builtin(
            UserId(user.id),
            MembershipId(member.id),
            fleet.id,
            Role::Mechanic,
        );
        // The key is made as its mechanic (with leave to make one); it acts as a mechanic.
        let maker = Actor {
            permissions: PermissionSet::all(),
            ..mechanic.clone()
        };
        let key = pitlane_identity::api_keys::create(
            store,
            &maker,
            pitlane_identity::api_keys::KeyInput {
                name: format!("phone {i}"),
                permissions: vec!["jobs.work".into()],
                expires_at: None,
            },
        )
        .await?;
        dispatch::set_takes_roadside(rs, owner, member.id, true).await?;
        phones.push((mechanic, key.secret));
    }
    println!(
        "made {mechanics} mechanics with keys in {:.0} s",
        started.elapsed().as_secs_f64()
    );

    // Each mechanic is given a request 2–8 km from the branch, and starts 5 km from it.
    let started = Instant::now();
    let mut requests = Vec::with_capacity(mechanics);
    for (i, (mechanic, _)) in phones.iter().enumerate() {
        let angle = i as f64 * 0.618 * std::f64::consts::TAU;
        let r = 2_000.0 + (i % 60) as f64 * 100.0;
        let driver = at(r * angle.cos(), r * angle.sin());
        let asked = asking::ask_for_customer(
            rs,
            owner,
            customer.id.into(),
            asking::Ask {
                branch_id: branch,
                latitude: Some(driver.lat()),
                longitude: Some(driver.lon()),
                plate: Some(format!("FL {i}")),
                trouble: "battery".into(),
                ..Default::default()
            },
            &site,
        )
        .await?;
        let row =
            dispatch::assign(rs, owner, asked.request.id, mechanic.membership_id.0, &site).await?;
        requests.push((row.id, driver));
    }
    println!(
        "asked and assigned {mechanics} requests in {:.0} s",
        started.elapsed().as_secs_f64()
    );

    // The nearest-first search among 500 on duty.
    let on_duty = |n: usize| {
        let ids: Vec<uuid::Uuid> = phones
            .iter()
            .take(n)
            .map(|(m, _)| m.membership_id.0)
            .collect();
        async move {
            let tx = store.tx(&TenantCtx::new(fleet.id)).await?;
            tx.update_all(
                mechanic_profile::Entity::update_many()
                    .col_expr(
                        mechanic_profile::Column::OnDutySince,
                        Expr::value(chrono::Utc::now()),
                    )
                    .filter(mechanic_profile::Column::MembershipId.is_in(ids)),
            )
            .await?;
            tx.commit().await?;
            anyhow::Ok(())
        }
    };
    on_duty(500).await?;
    for (i, (mechanic, _)) in phones.iter().enumerate().take(500) {
        let angle = i as f64 * 0.377 * std::f64::consts::TAU;
        tracking::report(
            rs,
            mechanic,
            at(5_000.0 * angle.cos(), 5_000.0 * angle.sin()),
        )
        .await?;
    }
    let ctx = TenantCtx::new(fleet.id);
    let samples = time_calls(200, || async {
        let q = asking::quote(rs, &ctx, branch, Some(BASE.0 + 0.01), Some(BASE.1)).await?;
        anyhow::ensure!(q.mechanics_on_duty == 500 && q.eta_minutes.is_some());
        Ok(())
    })
    .await?;
    print_timings("nearest-first quote, 500 on duty", samples);
    let points: Vec<(usize, GeoPoint)> = (0..500)
        .map(|i| {
            let angle = i as f64 * 0.377 * std::f64::consts::TAU;
            (i, at(5_000.0 * angle.cos(), 5_000.0 * angle.sin()))
        })
        .collect();
    let samples = time_calls(2000, || async {
        let found = pitlane_domain::roadside::nearest(&points, &at(1_000.0, 0.0), 15_000.0, 10);
        anyhow::ensure!(found.len() == 10);
        Ok(())
    })
    .await?;
    print_timings("nearest 10 of 500 (the rule alone)", samples);
    on_duty(mechanics).await?;

    // Two server processes.
    let ports = [8101u16, 8102];
    let mut children = Vec::new();
    for port in ports {
        let mut command = Command::new(&server);
        command.arg("serve").kill_on_drop(true);
        for (k, v) in test_vars(app.db()) {
            command.env(k, v);
        }
        command
            .env("PITLANE_ADDR", format!("127.0.0.1:{port}"))
            .env("PITLANE_PUBLIC_URL", format!("http://127.0.0.1:{port}"))
            .env("PITLANE_DB_POOL", "16")
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null());
        children.push(command.spawn()?);
    }
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(512)
        .build()?;
    for port in ports {
        let url = format!("http://127.0.0.1:{port}/healthz");
        while !http
            .get(&url)
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    // Every driver watches from the instance their mechanic does not send to.
    let latencies = Arc::new(std::sync::Mutex::new(Vec::<f64>::with_capacity(200_000)));
    let received = Arc::new(AtomicU64::new(0));
    let watching = Arc::new(AtomicU64::new(0));
    let tx = store.tx(&TenantCtx::new(fleet.id)).await?;
    let rows = tx
        .all(tx.select::<pitlane_store::entity::roadside_request::Entity>())
        .await?;
    tx.commit().await?;
    let mut watchers = Vec::new();
    for (i, (id, _)) in requests.iter().enumerate() {
        let row = rows.iter().find(|r| r.id == *id).expect("the request");
        let link = request::driver_link(
            rs,
            &format!("http://127.0.0.1:{}/t/fleet", ports[(i + 1) % 2]),
            row,
        );
        let http = reqwest::Client::new();
        let latencies = latencies.clone();
        let received = received.clone();
        let watching = watching.clone();
        watchers.push(tokio::spawn(async move {
            let response = http
                .get(link.replace("/roadside/track?", "/roadside/track/events?"))
                .header("Accept", "text/event-stream")
                .send()
                .await
                .expect("a stream");
            assert_eq!(response.status(), reqwest::StatusCode::OK);
            watching.fetch_add(1, Ordering::Relaxed);
            let mut response = response;
            let mut buffer = String::new();
            while let Ok(Some(chunk)) = response.chunk().await {
                buffer.push_str(&String::from_utf8_lossy(&chunk));
                while let Some(end) = buffer.find("\n\n") {
                    let block: String = buffer.drain(..end + 2).collect();
                    if !block.contains("event: roadside.position") {
                        continue;
                    }
                    let Some(data) = block.lines().find_map(|l| l.strip_prefix("data:")) else {
                        continue;
                    };
                    let Ok(json) = serde_json::from_str::<serde_json::Value>(data.trim()) else {
                        continue;
                    };
                    let Some(sent) = json["at"]
                        .as_str()
                        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                    else {
                        continue;
                    };
                    let ms = (chrono::Utc::now() - sent.with_timezone(&chrono::Utc))
                        .num_microseconds()
                        .unwrap_or_default() as f64
                        / 1000.0;
                    latencies.lock().expect("latencies").push(ms);
                    received.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    while watching.load(Ordering::Relaxed) < mechanics as u64 {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!("{mechanics} drivers watching (half on each instance)");

    // The phones: together `rate` positions a second, each coming closer to its driver.
    let every = Duration::from_secs_f64(mechanics as f64 / rate);
    let sent = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let post_latencies = Arc::new(std::sync::Mutex::new(Vec::<f64>::with_capacity(200_000)));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut senders = Vec::new();
    for (i, ((_, key), (_, driver))) in phones.iter().zip(&requests).enumerate() {
        let url = format!(
            "http://127.0.0.1:{}/t/fleet/api/v1/roadside/positions",
            ports[i % 2]
        );
        let (http, key, driver) = (http.clone(), key.clone(), *driver);
        let (sent, failed, post_latencies) = (sent.clone(), failed.clone(), post_latencies.clone());
        senders.push(tokio::spawn(async move {
            // Spread the phones over the interval, so the load is even.
            tokio::time::sleep(every.mul_f64(i as f64 / 1000.0 % 1.0)).await;
            let mut ticker = tokio::time::interval(every);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut step = 0.0_f64;
            while Instant::now() < deadline {
                ticker.tick().await;
                step += 1.0;
                let left = (5_000.0 - step * 10.0).max(50.0);
                let p = GeoPoint::new(driver.lat() + left / 111_195.0, driver.lon()).expect("p");
                let started = Instant::now();
                let answer = http
                    .post(&url)
                    .bearer_auth(&key)
                    .json(&serde_json::json!({"latitude": p.lat(), "longitude": p.lon()}))
                    .send()
                    .await;
                match answer {
                    Ok(r) if r.status().is_success() => {
                        sent.fetch_add(1, Ordering::Relaxed);
                        post_latencies
                            .lock()
                            .expect("latencies")
                            .push(started.elapsed().as_secs_f64() * 1000.0);
                    }
                    _ => {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    let began = Instant::now();
    futures_util::future::join_all(senders).await;
    let took = began.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let sent = sent.load(Ordering::Relaxed);
    let mut posts = post_latencies.lock().expect("latencies").clone();
    posts.sort_by(f64::total_cmp);
    let mut fanout = latencies.lock().expect("latencies").clone();
    fanout.sort_by(f64::total_cmp);
    println!(
        "positions ingested: {sent} in {took:.1} s = {:.0}/s across 2 instances (target {rate:.0}/s), {} failed; POST p50 {:.1} ms, p99 {:.1} ms",
        sent as f64 / took,
        failed.load(Ordering::Relaxed),
        percentile(&posts, 0.5),
        percentile(&posts, 0.99),
    );
    println!(
        "fan-out to the drivers (other instance): {} of {sent} delivered ({:.1} %), p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        received.load(Ordering::Relaxed),
        100.0 * received.load(Ordering::Relaxed) as f64 / sent.max(1) as f64,
        percentile(&fanout, 0.5),
        percentile(&fanout, 0.99),
        fanout.last().copied().unwrap_or(f64::NAN),
    );
    let tx = store.tx(&TenantCtx::new(fleet.id)).await?;
    let trail = tx
        .count(tx.select::<pitlane_store::entity::roadside_trail::Entity>())
        .await?;
    tx.commit().await?;
    println!("trail points written: {trail} (sampled, not one per position)");
    for w in watchers {
        w.abort();
    }
    drop(children);
    app.stop().await;
    Ok(())
}
