//! `chorus bench idle`: what an idle channel costs in memory — this process's resident set with
//! N channels polled hourly, beside the same process with none.

use std::time::{Duration, Instant};

use crate::db;
use crate::domain::ids::ChannelId;

/// The resident set of this process, in KiB (Linux; `None` elsewhere).
fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Starts Chorus on a fresh SQLite file, measures, adds `channels` WooCommerce channels (one
/// simulator behind them all, polled once at start and then hourly), waits until each has
/// polled, and measures again.
pub async fn run(channels: usize) -> anyhow::Result<()> {
    use crate::sim::{woocommerce, SimOptions};
    let sim = woocommerce::start(SimOptions::default()).await?;
    let (url, dir) = super::temp_sqlite_url();
    let app = crate::Application::build(super::bench_settings(&url, "bench")).await?;
    let pool = app.pool().clone();
    let (handle, registry) = (app.server_handle(), app.channels());
    actix_web::rt::spawn(app.run_until_stopped());
    actix_web::rt::time::sleep(Duration::from_secs(1)).await;
    let empty = rss_kib().unwrap_or(0);

    let now = db::now_ms();
    let base_url = sim.base_url.clone();
    let ids = db::run(&pool, move |conn| {
        let mut ids = Vec::new();
        for n in 0..channels {
            let values = super::woocommerce_channel(format!("idle {n}"), &base_url, now);
            ids.push(db::channels::insert(conn, &values, now)?.id);
        }
        Ok(ids)
    })
    .await?;
    for id in &ids {
        registry.ensure(ChannelId(*id));
    }
    // Every actor has built its connector and made its first poll.
    let started = Instant::now();
    let polled = loop {
        let ids = ids.clone();
        let polled = db::run(&pool, move |conn| {
            let mut n = 0;
            for id in &ids {
                n += usize::from(db::orders::channel_state(conn, *id)?.last_poll_at.is_some());
            }
            Ok(n)
        })
        .await?;
        if polled == channels || started.elapsed() > Duration::from_secs(120) {
            break polled;
        }
        actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    };
    actix_web::rt::time::sleep(Duration::from_secs(2)).await;
    let loaded = rss_kib().unwrap_or(0);
    handle.stop(true).await;
    sim.stop().await;
    let _ = std::fs::remove_dir_all(&dir);

    println!(
        "Idle channels: resident memory of one Chorus process (SQLite), {channels} WooCommerce channels polled hourly"
    );
    println!("  no channels:          {:>8.1} MB", empty as f64 / 1024.0);
    println!("  {channels:>5} channels:       {:>8.1} MB   ({polled} of them polled once)", loaded as f64 / 1024.0);
    if channels > 0 {
        println!("  per channel:          {:>8.1} KB", loaded.saturating_sub(empty) as f64 / channels as f64);
    }
    Ok(())
}
