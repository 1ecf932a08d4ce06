use std::time::Duration;

use rand::Rng;

/// The wait before attempt `attempt + 1`: exponential from `base`, capped at `max`, with
/// jitter (a random half to all of it) so many failures do not all retry at the same instant.
pub fn retry_delay(base: Duration, max: Duration, attempt: u32) -> Duration {
    let exponent = attempt.saturating_sub(1).min(20);
    let full = base.saturating_mul(1u32 << exponent).min(max);
    let factor = rand::rng().random_range(0.5..=1.0);
    full.mul_f64(factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_exponentially_within_jitter_and_cap() {
        let base = Duration::from_secs(10);
        let max = Duration::from_secs(3600);
        for (attempt, full) in [(1, 10), (2, 20), (3, 40), (4, 80)] {
            let d = retry_delay(base, max, attempt);
            assert!(d >= Duration::from_secs(full) / 2 && d <= Duration::from_secs(full));
        }
        assert!(retry_delay(base, max, 30) <= max);
    }
}
