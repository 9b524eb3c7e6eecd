//! Webhook rules: the events a subscriber may choose, which events a subscription takes, the
//! retry schedule with its jitter, and which addresses deliveries may never reach.

use std::time::Duration;

/// Every event kind (DESIGN §1.5).
pub const EVENT_KINDS: [&str; 13] = [
    "orders.received",
    "orders.updated",
    "orders.on_hold",
    "orders.excluded",
    "fulfillments.created",
    "fulfillments.updated",
    "products.created",
    "products.updated",
    "channels.products.created",
    "channels.products.updated",
    "plugins.products.created",
    "plugins.products.updated",
    "inventory.updated",
];

/// Whether a subscription to `kinds` (for store `store`, or every store when None) takes an
/// event of `kind` belonging to `channel` (None: no store's, e.g. inventory or products — those
/// go only to subscriptions for every store).
pub fn takes(kinds: &[String], store: Option<i64>, kind: &str, channel: Option<i64>) -> bool {
    kinds.iter().any(|k| k == kind) && (store.is_none() || store == channel)
}

/// The wait before attempt `attempt + 1` (attempt 1 is the first send), or None once the
/// schedule is spent. `Retry-After` (on 429/503) lengthens the scheduled wait, up to a day (a
/// short one never shortens it, or a subscriber saying "1" would spend the schedule at once);
/// `jitter` in 0..1 adds up to 10% so subscribers recovering together are not hit at once.
pub fn retry_delay(schedule: &[u64], attempt: usize, retry_after: Option<Duration>, jitter: f64) -> Option<Duration> {
    let base = Duration::from_secs((*schedule.get(attempt.checked_sub(1)?)?).min(MAX_WAIT_SECS));
    let wait = retry_after.map_or(base, |r| base.max(r.min(Duration::from_secs(86_400))));
    Some(wait + wait.mul_f64(jitter.clamp(0.0, 1.0) * 0.1))
}

/// The longest wait a schedule entry may ask for (30 days).
pub const MAX_WAIT_SECS: u64 = 30 * 86_400;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_scoped_subscriptions_take_only_their_store() {
        let kinds = vec!["orders.received".to_string(), "inventory.updated".to_string()];
        assert!(takes(&kinds, None, "orders.received", Some(2)));
        assert!(takes(&kinds, Some(2), "orders.received", Some(2)));
        assert!(!takes(&kinds, Some(2), "orders.received", Some(3)));
        assert!(!takes(&kinds, Some(2), "inventory.updated", None));
        assert!(takes(&kinds, None, "inventory.updated", None));
        assert!(!takes(&kinds, None, "orders.updated", Some(2)));
    }

    #[test]
    fn retries_follow_the_schedule_then_stop() {
        let s = [5, 300, 1800];
        assert_eq!(retry_delay(&s, 1, None, 0.0), Some(Duration::from_secs(5)));
        assert_eq!(retry_delay(&s, 3, None, 0.0), Some(Duration::from_secs(1800)));
        assert_eq!(retry_delay(&s, 4, None, 0.0), None);
        assert_eq!(retry_delay(&s, 0, None, 0.0), None);
        assert_eq!(retry_delay(&s, 1, None, 1.0), Some(Duration::from_millis(5500)));
        assert_eq!(retry_delay(&s, 1, Some(Duration::from_secs(60)), 0.0), Some(Duration::from_secs(60)));
        assert_eq!(retry_delay(&s, 2, Some(Duration::from_secs(1)), 0.0), Some(Duration::from_secs(300)));
    }
}
