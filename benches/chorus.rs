//! `cargo bench`: InventoryActor throughput at 1, 8 and 64 senders beside the raw ceiling,
//! order import throughput from a simulator, and propagation latency from an order webhook on
//! one channel to the new figure on the other, and webhook deliveries/s, on SQLite and (with TEST_DATABASE_URL or
//! CHORUS_BENCH_POSTGRES_URL naming an empty database) on PostgreSQL.

fn main() -> anyhow::Result<()> {
    let pg = std::env::var("CHORUS_BENCH_POSTGRES_URL").or_else(|_| std::env::var("TEST_DATABASE_URL")).ok();
    let ops = std::env::var("CHORUS_BENCH_OPS").ok().and_then(|v| v.parse().ok()).unwrap_or(50_000);
    let orders = std::env::var("CHORUS_BENCH_ORDERS").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    actix_web::rt::System::new().block_on(async {
        chorus::bench::run_inventory_suite(pg.clone(), ops, &[1, 8, 64]).await?;
        println!();
        chorus::bench::run_import_suite(pg.clone(), orders).await?;
        println!();
        chorus::bench::run_propagation_suite(pg.clone(), 1_000).await?;
        println!();
        chorus::bench::run_webhook_suite(pg, 10_000, 10).await
    })
}
