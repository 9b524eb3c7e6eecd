//! The sale storm of the oversell benchmark: sales, cancellations and restocks drawn from one
//! seed, so every mode replays exactly the same day. Times are in shop seconds (uncompressed).

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// What the storm is made of.
#[derive(Clone, Debug)]
pub struct StormShape {
    pub channels: usize,
    pub skus: usize,
    /// Length of the shop day replayed, in shop minutes.
    pub minutes: f64,
    /// Starting stock of each SKU: uniform in this range.
    pub stock: (i64, i64),
    /// Share of SKUs that are hot, and how many times faster they sell.
    pub hot_share: f64,
    pub hot_weight: f64,
    /// Units asked for over the storm, as a multiple of every unit there is (stock + restocks).
    pub demand: f64,
    /// Share of sales cancelled later (after an exponential delay of mean `cancel_after_mins`).
    pub cancel_share: f64,
    pub cancel_after_mins: f64,
    /// Restocks (a stock set through the API, adding 1..=10 units to one SKU) per shop hour.
    pub restocks_per_hour: f64,
}

impl Default for StormShape {
    fn default() -> Self {
        StormShape {
            channels: 3,
            skus: 200,
            minutes: 60.0,
            stock: (1, 10),
            hot_share: 0.1,
            hot_weight: 8.0,
            demand: 1.5,
            cancel_share: 0.04,
            cancel_after_mins: 10.0,
            restocks_per_hour: 100.0,
        }
    }
}

/// One thing that happens in the storm.
#[derive(Clone, Debug, PartialEq)]
pub enum Happening {
    /// A customer tries to buy `quantity` of SKU `sku` on channel `channel` (the shop refuses it
    /// if its own figure cannot cover it).
    Sale { channel: usize, sku: usize, quantity: i64 },
    /// The `sale`-th sale of the storm (counting from 0) is cancelled on its channel, if it was
    /// accepted.
    Cancel { sale: usize },
    /// The merchant receives stock: SKU `sku`'s figure is set to `set_to` through the API
    /// (its starting stock plus every restock so far).
    Restock { sku: usize, set_to: i64 },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Timed {
    pub at_secs: f64,
    pub what: Happening,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Storm {
    /// Starting stock per SKU.
    pub stock: Vec<i64>,
    /// In time order.
    pub events: Vec<Timed>,
}

impl Storm {
    pub fn sales(&self) -> usize {
        self.events.iter().filter(|e| matches!(e.what, Happening::Sale { .. })).count()
    }

    pub fn units_asked(&self) -> i64 {
        self.events
            .iter()
            .map(|e| match e.what {
                Happening::Sale { quantity, .. } => quantity,
                _ => 0,
            })
            .sum()
    }
}

/// Units of a sale: mostly one, some two or three.
fn quantity(rng: &mut StdRng) -> i64 {
    match rng.gen::<f64>() {
        x if x < 0.75 => 1,
        x if x < 0.92 => 2,
        _ => 3,
    }
}

const MEAN_QUANTITY: f64 = 0.75 + 2.0 * 0.17 + 3.0 * 0.08;

/// An exponential wait of the given rate (per second).
fn wait(rng: &mut StdRng, rate: f64) -> f64 {
    -(1.0 - rng.gen::<f64>()).ln() / rate
}

/// The storm `seed` draws for `shape`: per channel and SKU, sales arrive as a Poisson process
/// (hot SKUs `hot_weight` times faster); restocks as one Poisson process over all SKUs;
/// cancellations follow a share of the sales.
pub fn generate(shape: &StormShape, seed: u64) -> Storm {
    let mut rng = StdRng::seed_from_u64(seed);
    let length = shape.minutes * 60.0;
    let stock: Vec<i64> = (0..shape.skus).map(|_| rng.gen_range(shape.stock.0..=shape.stock.1)).collect();
    let hot: Vec<bool> = (0..shape.skus).map(|_| rng.gen::<f64>() < shape.hot_share).collect();

    let mut events = Vec::new();
    let mut restocked = stock.clone();
    let restock_rate = shape.restocks_per_hour / 3600.0;
    let mut t = 0.0;
    if restock_rate > 0.0 && shape.skus > 0 {
        loop {
            t += wait(&mut rng, restock_rate);
            if t >= length {
                break;
            }
            let sku = rng.gen_range(0..shape.skus);
            restocked[sku] += rng.gen_range(1..=10);
            events.push(Timed { at_secs: t, what: Happening::Restock { sku, set_to: restocked[sku] } });
        }
    }

    let units: i64 = restocked.iter().sum();
    let weights: Vec<f64> = hot.iter().map(|h| if *h { shape.hot_weight } else { 1.0 }).collect();
    let weight_sum: f64 = weights.iter().sum::<f64>() * shape.channels as f64;
    let orders = shape.demand * units as f64 / MEAN_QUANTITY;
    let mut sales = Vec::new();
    for channel in 0..shape.channels {
        for (sku, w) in weights.iter().enumerate() {
            let rate = orders * w / weight_sum / length;
            let mut t = 0.0;
            loop {
                t += wait(&mut rng, rate);
                if t >= length {
                    break;
                }
                sales.push(Timed { at_secs: t, what: Happening::Sale { channel, sku, quantity: quantity(&mut rng) } });
            }
        }
    }
    sales.sort_by(|a, b| a.at_secs.total_cmp(&b.at_secs));
    let cancel_rate = 1.0 / (shape.cancel_after_mins * 60.0);
    for (sale, s) in sales.iter().enumerate() {
        if rng.gen::<f64>() < shape.cancel_share {
            let at_secs = s.at_secs + wait(&mut rng, cancel_rate);
            if at_secs < length {
                events.push(Timed { at_secs, what: Happening::Cancel { sale } });
            }
        }
    }
    events.extend(sales);
    events.sort_by(|a, b| a.at_secs.total_cmp(&b.at_secs));
    Storm { stock, events }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_draws_the_same_storm_and_another_seed_another() {
        let shape = StormShape { skus: 20, minutes: 10.0, ..StormShape::default() };
        assert_eq!(generate(&shape, 7), generate(&shape, 7));
        assert_ne!(generate(&shape, 7), generate(&shape, 8));
    }

    #[test]
    fn events_are_in_time_order_within_the_day() {
        let shape = StormShape { skus: 30, minutes: 20.0, ..StormShape::default() };
        let storm = generate(&shape, 1);
        assert!(storm.events.windows(2).all(|w| w[0].at_secs <= w[1].at_secs));
        assert!(storm.events.iter().all(|e| (0.0..1200.0).contains(&e.at_secs)));
        assert!(storm.stock.iter().all(|s| (1..=10).contains(s)));
    }

    #[test]
    fn a_cancellation_follows_its_sale() {
        let shape = StormShape { skus: 50, cancel_share: 0.5, ..StormShape::default() };
        let storm = generate(&shape, 3);
        let sale_times: Vec<f64> =
            storm.events.iter().filter(|e| matches!(e.what, Happening::Sale { .. })).map(|e| e.at_secs).collect();
        let mut cancels = 0;
        for e in &storm.events {
            if let Happening::Cancel { sale } = e.what {
                assert!(sale_times[sale] <= e.at_secs);
                cancels += 1;
            }
        }
        assert!(cancels > 0);
    }

    #[test]
    fn restocks_only_add_and_demand_is_the_asked_multiple_of_supply() {
        let shape = StormShape::default();
        let storm = generate(&shape, 42);
        let mut figure = storm.stock.clone();
        for e in &storm.events {
            if let Happening::Restock { sku, set_to } = e.what {
                assert!(set_to > figure[sku]);
                figure[sku] = set_to;
            }
        }
        let supply: i64 = figure.iter().sum();
        let ratio = storm.units_asked() as f64 / supply as f64;
        assert!((1.3..1.7).contains(&ratio), "demand {ratio} × supply");
        assert!(storm.sales() > 1000);
    }

    #[test]
    fn an_empty_shape_draws_nothing() {
        let shape = StormShape { skus: 0, ..StormShape::default() };
        assert!(generate(&shape, 1).events.is_empty());
    }
}
