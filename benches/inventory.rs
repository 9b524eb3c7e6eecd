//! `cargo bench`: InventoryActor throughput at 1, 8 and 64 senders beside the raw ceiling,
//! on SQLite and (with TEST_DATABASE_URL or CHORUS_BENCH_POSTGRES_URL) on PostgreSQL.

fn main() -> anyhow::Result<()> {
    let pg = std::env::var("CHORUS_BENCH_POSTGRES_URL").or_else(|_| std::env::var("TEST_DATABASE_URL")).ok();
    let ops = std::env::var("CHORUS_BENCH_OPS").ok().and_then(|v| v.parse().ok()).unwrap_or(50_000);
    actix_web::rt::System::new().block_on(chorus::bench::run_inventory_suite(pg, ops))
}
