//! The nearest on-duty roadside mechanics to a driver among 500 (issue 20's budget: under
//! 5 ms), by their last known positions spread over a 60 km wide region.
//!
//!   cargo run --release -p pitlane-domain --example nearest_bench

use std::time::Instant;

use pitlane_domain::roadside::{GeoPoint, nearest};

fn main() {
    // A fixed spread of positions around Berlin (a small linear congruential generator, so
    // every run measures the same search).
    let mut seed: u64 = 0x5eed;
    let mut next = move || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 11) as f64 / (1u64 << 53) as f64
    };
    let mechanics: Vec<(u32, GeoPoint)> = (0..500)
        .map(|id| {
            let lat = 52.25 + next() * 0.55;
            let lon = 13.05 + next() * 0.75;
            (id, GeoPoint::new(lat, lon).expect("a position"))
        })
        .collect();
    let drivers: Vec<GeoPoint> = (0..2_000)
        .map(|_| GeoPoint::new(52.3 + next() * 0.45, 13.1 + next() * 0.65).expect("driver"))
        .collect();
    let mut samples = Vec::with_capacity(drivers.len());
    let mut found = 0;
    for driver in &drivers {
        let started = Instant::now();
        let near = nearest(&mechanics, driver, 15_000.0, 10);
        samples.push(started.elapsed());
        found += near.len();
    }
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize];
    println!(
        "nearest 10 of 500 mechanics within 15 km: median {:?}, p99 {:?}, max {:?} ({} searches, {:.1} found on average)",
        at(0.5),
        at(0.99),
        samples[samples.len() - 1],
        samples.len(),
        found as f64 / drivers.len() as f64
    );
}
