//! Benchmarks that print figures (`chorus bench inventory`, `cargo bench`): speed is measured
//! here, never asserted in tests.

use std::time::Instant;

use actix::{Actor, Arbiter};
use anyhow::Context;
use dashmap::DashMap;

use crate::actors::inventory::{AdjustQuantity, InventoryActor, SetMany};
use crate::config::{Secret, Settings};
use crate::db::{self, DatabaseKind};
use crate::domain::source::Source;

pub struct InventoryRun {
    pub backend: &'static str,
    pub raw_ceiling_per_sec: f64,
    pub by_senders: Vec<(usize, f64)>,
}

/// InventoryActor mutations/s at each sender count, beside the raw ceiling: the same row
/// updates in one diesel transaction with no actor. Runs on `database_url`'s database.
pub async fn inventory(database_url: &str, senders: &[usize], ops: usize, skus: usize) -> anyhow::Result<InventoryRun> {
    let mut settings = Settings::defaults();
    settings.database.url = Secret::new(database_url);
    settings.database.pool_size = 4;
    let backend = DatabaseKind::from_url(database_url).map_err(anyhow::Error::msg)?;
    let db_settings = settings.database.clone();
    let pool = actix_web::rt::task::spawn_blocking(move || db::build_pool(&db_settings)).await??;
    db::run(&pool, |conn| db::migrate(conn)).await.context("migrating the benchmark database")?;
    let cache = std::sync::Arc::new(DashMap::new());
    let actor = {
        let (pool, cache) = (pool.clone(), cache.clone());
        InventoryActor::start_in_arbiter(&Arbiter::new().handle(), move |_| InventoryActor::new(pool, cache, 4096))
    };
    let sku_names: Vec<String> = (0..skus).map(|i| format!("BENCH-{i:06}")).collect();
    actor
        .send(SetMany {
            source: Source::Api,
            items: sku_names.iter().map(|s| (s.clone(), 0)).collect(),
            as_of: None,
            create_missing: true,
        })
        .await??;

    let raw_names = sku_names.clone();
    let raw = db::run(&pool, move |conn| {
        let started = Instant::now();
        db::write_tx(conn, |conn| {
            let now = db::now_ms();
            for i in 0..ops {
                db::inventory::adjust_row_by_row(conn, &raw_names[i % raw_names.len()], "api", 1, now)?;
            }
            Ok::<_, db::DbError>(())
        })?;
        Ok(ops as f64 / started.elapsed().as_secs_f64())
    })
    .await?;

    let mut by_senders = Vec::new();
    for &n in senders {
        let started = Instant::now();
        let per_sender = ops / n.max(1);
        let mut tasks = Vec::with_capacity(n);
        for s in 0..n {
            let actor = actor.clone();
            let names = sku_names.clone();
            tasks.push(actix_web::rt::spawn(async move {
                for i in 0..per_sender {
                    let sku = names[(s * 7919 + i) % names.len()].clone();
                    actor.send(AdjustQuantity { sku, source: Source::Api, delta: 1 }).await??;
                }
                Ok::<_, anyhow::Error>(())
            }));
        }
        for t in tasks {
            t.await??;
        }
        by_senders.push((n, (per_sender * n) as f64 / started.elapsed().as_secs_f64()));
    }
    Ok(InventoryRun { backend: backend.name(), raw_ceiling_per_sec: raw, by_senders })
}

/// Prints one run as a small table.
pub fn print_inventory(run: &InventoryRun, ops: usize, skus: usize) {
    println!("InventoryActor on {} — {ops} durable +1 mutations per row, {skus} SKUs", run.backend);
    println!("  {:>8}  {:>14}  {:>14}", "senders", "mutations/s", "of raw ceiling");
    for (n, rate) in &run.by_senders {
        println!("  {:>8}  {:>14.0}  {:>13.0}%", n, rate, 100.0 * rate / run.raw_ceiling_per_sec);
    }
    println!(
        "  raw ceiling (same row updates, one diesel transaction, no actor): {:.0} mutations/s",
        run.raw_ceiling_per_sec
    );
}

/// The benchmark's own SQLite file, removed afterwards.
pub fn temp_sqlite_url() -> (String, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("chorus-bench-{}-{}", std::process::id(), db::now_ms()));
    let url = format!("sqlite://{}/bench.db", dir.display());
    (url, dir)
}

/// Runs the inventory benchmark on SQLite, and on PostgreSQL when a URL is given.
pub async fn run_inventory_suite(postgres_url: Option<String>, ops: usize) -> anyhow::Result<()> {
    let senders = [1, 8, 64];
    let skus = 1000;
    let (url, dir) = temp_sqlite_url();
    let run = inventory(&url, &senders, ops, skus).await;
    let _ = std::fs::remove_dir_all(&dir);
    print_inventory(&run?, ops, skus);
    if let Some(pg) = postgres_url {
        println!();
        print_inventory(&inventory(&pg, &senders, ops, skus).await?, ops, skus);
    } else {
        println!("\n(PostgreSQL skipped: pass --postgres URL or set TEST_DATABASE_URL)");
    }
    Ok(())
}
