//! How long a failed outbound call waits before the next try, where the other side says
//! nothing: one second, doubling with each failure, never more than five minutes.

use std::time::Duration;

/// The longest wait between two tries.
pub const MAX_WAIT: Duration = Duration::from_secs(300);

/// The wait after the `failures`-th failure in a row (0 or less: one second).
pub fn doubling(failures: i32) -> Duration {
    Duration::from_millis(1000u64 << failures.clamp(0, 9) as u32).min(MAX_WAIT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_from_a_second_up_to_five_minutes() {
        let waits: Vec<u64> = (0..11).map(|n| doubling(n).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]);
        assert_eq!(doubling(-3), Duration::from_secs(1));
        assert_eq!(doubling(i32::MAX), MAX_WAIT);
    }
}
