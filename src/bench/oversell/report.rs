//! The oversell benchmark's tables: what each mode sold, oversold and how fast figures moved.

use super::{Mode, ModeResult, OversellOptions};
use crate::domain::storm::{Storm, StormShape};

/// The first time in `sorted` at or after `t`.
pub fn first_at_or_after(sorted: &[i64], t: i64) -> Option<i64> {
    sorted.get(sorted.partition_point(|x| *x < t)).copied()
}

/// The `p`-quantile (0..=1) of `values` by the nearest-rank rule; 0 when empty.
pub fn quantile(values: &[f64], p: f64) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return 0.0;
    }
    let i = ((v.len() as f64 * p).ceil() as usize).clamp(1, v.len()) - 1;
    v[i]
}

/// Oversold units per 10,000 accepted orders.
pub fn per_10k(oversold_units: i64, orders: usize) -> f64 {
    if orders == 0 {
        return 0.0;
    }
    oversold_units as f64 * 10_000.0 / orders as f64
}

pub fn print_header(opts: &OversellOptions, shape: &StormShape, storm: &Storm) {
    let units: i64 = storm.stock.iter().sum();
    println!(
        "Oversell: one sale storm (seed {}) replayed per mode — {} channels ({}), {} SKUs holding {} units \
         (1–10 each), {} shop minutes, {} sales asking {} units, {:.0}% of SKUs hot (selling {}× faster), \
         {:.0}% of sales cancelled later, {:.0} restocks an hour; stock buffer {}",
        opts.seed,
        opts.kinds.len(),
        opts.kinds.join(", "),
        shape.skus,
        units,
        shape.minutes,
        storm.sales(),
        storm.units_asked(),
        shape.hot_share * 100.0,
        shape.hot_weight,
        shape.cancel_share * 100.0,
        shape.restocks_per_hour,
        opts.stock_buffer,
    );
    println!("  Each shop sells from its own figure and refuses a sale that figure cannot cover.");
    if opts.modes.iter().any(|m| matches!(m, Mode::Poll(_))) {
        println!(
            "  poll-* modes: Chorus as the cadence systems of today — order webhooks off, each channel imported on its \
             cadence only, the figures an import moved pushed to every channel and every figure sent again to the \
             imported channel (a full sync), overwriting without compare (Chorus's import-before-push and \
             stale-compare imports are off)."
        );
    }
    println!(
        "  Time runs F times faster here: cadences and sale rates are compressed, Chorus's own latency is not, \
         so Chorus is handicapped by F (shown at each F). Shopify's cost throttle is off (it restores per real second)."
    );
}

pub fn print_factor(factor: f64, shape: &StormShape, results: &[ModeResult]) {
    println!();
    println!(
        "F = {factor}: {} shop minutes in {:.0} s; a 180 s cadence lasts {:.2} s here",
        shape.minutes,
        shape.minutes * 60.0 / factor,
        180.0 / factor
    );
    println!(
        "  {:<12} {:>7} {:>8} {:>9} {:>9} {:>8} {:>9}   {:>29}   {:>7}",
        "mode",
        "sales",
        "refused",
        "cancelled",
        "oversold",
        "(orders)",
        "per 10k",
        "sale → others p50/p99/max (s)",
        "pushes"
    );
    for r in results {
        let lag = &r.figure_lag_secs;
        println!(
            "  {:<12} {:>7} {:>8} {:>9} {:>9} {:>8} {:>9.0}   {:>9.1} {:>9.1} {:>9.1}   {:>7}",
            r.mode,
            r.accepted,
            r.refused,
            r.cancelled,
            r.oversold_units,
            r.oversold_orders,
            per_10k(r.oversold_units, r.accepted),
            quantile(lag, 0.5),
            quantile(lag, 0.99),
            quantile(lag, 1.0),
            r.push_figures,
        );
    }
    println!(
        "  (oversold: units on orders Chorus imported that found too little stock, i.e. went on hold \
         insufficient_stock; sale → others: from each sale Chorus could fill to the first new figure for its SKU on \
         every other shop, in shop seconds, real = ÷{factor}; pushes: figures written to the shops)"
    );
    for r in results {
        let check = if r.violations.is_empty() {
            "invariant check passed".to_string()
        } else {
            format!("{} VIOLATIONS", r.violations.len())
        };
        let unmoved = match (r.moved_by_shop, r.no_new_figure) {
            (0, 0) => String::new(),
            (shop, none) => format!(
                "; lag leaves out {shop} sale × shop pairs where that shop sold the SKU itself first, {none} with no later figure"
            ),
        };
        println!(
            "  {:<12} drained: channels sold {} units, Chorus holds {} units of orders; {check}; \
             shops equal Chorus's figures; replay at worst {:.0} ms late{unmoved}",
            r.mode, r.channel_units, r.imported_units, r.late_ms
        );
    }
    let find = |name: &str| results.iter().find(|r| r.mode == name);
    if let (Some(chorus), Some(poll)) = (find("chorus"), find("poll-180s")) {
        let ratio = match chorus.oversold_units {
            0 => "no unit at all".to_string(),
            n => format!("{:.1}× fewer", poll.oversold_units as f64 / n as f64),
        };
        println!(
            "  chorus vs poll-180s at F = {factor}: {} vs {} oversold units — chorus oversells {ratio}",
            chorus.oversold_units, poll.oversold_units
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_write_at_or_after_a_sale_is_found() {
        let writes = [10, 20, 30];
        assert_eq!(first_at_or_after(&writes, 5), Some(10));
        assert_eq!(first_at_or_after(&writes, 20), Some(20));
        assert_eq!(first_at_or_after(&writes, 21), Some(30));
        assert_eq!(first_at_or_after(&writes, 31), None);
        assert_eq!(first_at_or_after(&[], 0), None);
    }

    #[test]
    fn quantiles_by_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(quantile(&v, 0.5), 50.0);
        assert_eq!(quantile(&v, 0.99), 99.0);
        assert_eq!(quantile(&v, 1.0), 100.0);
        assert_eq!(quantile(&[], 0.5), 0.0);
    }

    #[test]
    fn oversold_per_ten_thousand_orders() {
        assert_eq!(per_10k(5, 1000), 50.0);
        assert_eq!(per_10k(5, 0), 0.0);
    }
}
