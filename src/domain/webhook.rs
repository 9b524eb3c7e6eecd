//! Webhook rules: the events a subscriber may choose, which events a subscription takes, the
//! retry schedule with its jitter, and which addresses deliveries may never reach.

use std::net::IpAddr;
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

/// Loopback, private, link-local, shared, documentation, multicast and other reserved addresses:
/// a subscriber URL may not lead there unless private networks are allowed.
pub fn is_forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
                || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
                || (a == 198 && (b == 18 || b == 19)) // benchmarking
                || a >= 240 // reserved
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_forbidden(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local
                || (first & 0xffc0) == 0xfe80 // link-local
                || first == 0x2001 && v6.segments()[1] == 0x0db8 // documentation
                || first == 0x0064 && v6.segments()[1] == 0xff9b // NAT64
        }
    }
}

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

    #[test]
    fn private_and_reserved_addresses_are_forbidden() {
        for bad in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "224.0.0.1",
            "240.0.0.1",
        ] {
            assert!(is_forbidden(bad.parse().unwrap()), "{bad}");
        }
        for good in ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "93.184.216.34"] {
            assert!(!is_forbidden(good.parse().unwrap()), "{good}");
        }
    }
}
