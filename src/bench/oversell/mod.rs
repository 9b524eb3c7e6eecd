//! `chorus bench oversell`: the same seeded sale storm replayed through the polling cadences
//! merchants use today and through Chorus, counting the units sold that did not exist.

mod replay;
mod report;

use std::time::Duration;

pub use replay::{run_mode, ModeResult};
pub use report::print_factor;

use super::ScratchDb;
use crate::domain::storm::{self, Storm, StormShape};

/// How the channels learn of sales and hear of new figures.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Mode {
    /// A cadence system of today: order webhooks off, import every this long (shop time), push
    /// the figures an import moved to every channel and send the imported channel all of its
    /// figures again (a full sync), overwriting without a compare.
    Poll(Duration),
    /// The product: order webhooks on, pushes as soon as a figure moves, polling as a safety net.
    Chorus,
}

impl Mode {
    /// `chorus`, or `poll-` and a shop-time cadence: `180s`, `15min`, `2h`.
    pub fn parse(s: &str) -> Result<Mode, String> {
        if s == "chorus" {
            return Ok(Mode::Chorus);
        }
        let cadence = s.strip_prefix("poll-").ok_or_else(|| format!("{s:?}: expected chorus or poll-<cadence>"))?;
        let split = cadence.find(|c: char| !c.is_ascii_digit()).unwrap_or(cadence.len());
        let (n, unit) = cadence.split_at(split);
        let n: u64 = n.parse().map_err(|_| format!("{s:?}: the cadence needs a number, e.g. poll-180s"))?;
        let secs = match unit {
            "s" => n,
            "min" | "m" => n * 60,
            "h" => n * 3600,
            _ => return Err(format!("{s:?}: the cadence's unit is s, min or h")),
        };
        if secs == 0 {
            return Err(format!("{s:?}: the cadence must be above zero"));
        }
        Ok(Mode::Poll(Duration::from_secs(secs)))
    }

    pub fn name(&self) -> String {
        match self {
            Mode::Chorus => "chorus".into(),
            Mode::Poll(d) if d.as_secs() % 3600 == 0 => format!("poll-{}h", d.as_secs() / 3600),
            Mode::Poll(d) if d.as_secs() % 60 == 0 && d.as_secs() > 180 => format!("poll-{}min", d.as_secs() / 60),
            Mode::Poll(d) => format!("poll-{}s", d.as_secs()),
        }
    }
}

/// One run of the benchmark.
#[derive(Clone, Debug)]
pub struct OversellOptions {
    pub seed: u64,
    pub shape: StormShape,
    /// The channels' kinds, in order (`shopify`, `woocommerce`).
    pub kinds: Vec<&'static str>,
    pub modes: Vec<Mode>,
    /// Time compression factors: a shop second lasts 1/F seconds here.
    pub factors: Vec<f64>,
    pub stock_buffer: i64,
    /// Runs on fresh databases on this PostgreSQL server instead of SQLite files.
    pub postgres: Option<String>,
}

impl Default for OversellOptions {
    fn default() -> Self {
        OversellOptions {
            seed: 42,
            shape: StormShape::default(),
            kinds: vec!["shopify", "shopify", "woocommerce"],
            modes: vec![Mode::Poll(Duration::from_secs(180)), Mode::Poll(Duration::from_secs(900)), Mode::Chorus],
            factors: vec![50.0, 200.0],
            stock_buffer: 0,
            postgres: None,
        }
    }
}

/// Runs every mode at every factor and prints a table per factor, with the comparison.
pub async fn run_suite(opts: OversellOptions) -> anyhow::Result<()> {
    let mut shape = opts.shape.clone();
    shape.channels = opts.kinds.len();
    let storm: Storm = storm::generate(&shape, opts.seed);
    report::print_header(&opts, &shape, &storm);
    for &factor in &opts.factors {
        let mut results = Vec::new();
        for &mode in &opts.modes {
            eprintln!("bench: {} at F = {factor}", mode.name());
            let db = ScratchDb::create(opts.postgres.as_deref()).await?;
            let result = run_mode(&db.url, &storm, &opts.kinds, mode, factor, opts.stock_buffer).await;
            db.drop_now().await;
            results.push(result?);
        }
        print_factor(factor, &shape, &results);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_parse_from_their_names_and_back() {
        assert_eq!(Mode::parse("chorus"), Ok(Mode::Chorus));
        assert_eq!(Mode::parse("poll-180s"), Ok(Mode::Poll(Duration::from_secs(180))));
        assert_eq!(Mode::parse("poll-15min"), Ok(Mode::Poll(Duration::from_secs(900))));
        assert_eq!(Mode::parse("poll-2h"), Ok(Mode::Poll(Duration::from_secs(7200))));
        for name in ["chorus", "poll-180s", "poll-15min", "poll-2h", "poll-10min", "poll-90s"] {
            assert_eq!(Mode::parse(name).map(|m| m.name()).as_deref(), Ok(name));
        }
        for bad in ["poll", "poll-", "poll-0s", "poll-5days", "webhooks", "poll-x"] {
            assert!(Mode::parse(bad).is_err(), "{bad}");
        }
    }
}
