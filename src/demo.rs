//! `chorus demo`: Chorus on SQLite with a Shopify and a WooCommerce simulator, a simulated
//! fulfilment centre (taking WooCommerce's orders), a webhook receiver, a catalogue and stock,
//! and an order generator on both channels, with a live progress line until Ctrl-C.

use std::io::Write;
use std::time::Duration;

use rand::Rng;
use serde_json::json;

use crate::db;
use crate::sandbox::{Sandbox, SandboxOptions};

pub struct DemoOptions {
    /// Where Chorus's API listens.
    pub bind: String,
    /// The demo's database; a fresh SQLite file under the temp directory when absent.
    pub database_url: Option<String>,
    pub skus: usize,
    /// Orders placed per second, across both channels.
    pub orders_per_sec: f64,
}

/// What the progress line shows.
#[derive(Debug, Default)]
struct Progress {
    imported: i64,
    pushes: i64,
    on_hold: i64,
    queued: i64,
    to_plugin: i64,
    webhooks: i64,
}

pub async fn run(opts: DemoOptions) -> anyhow::Result<()> {
    let (database_url, temp_dir) = match opts.database_url {
        Some(url) => (url, None),
        None => {
            let dir = std::env::temp_dir().join(format!("chorus-demo-{}", std::process::id()));
            (format!("sqlite://{}/demo.db", dir.display()), Some(dir))
        }
    };
    println!("Starting Chorus ({database_url}) with Shopify and WooCommerce simulators, a fulfilment centre and a webhook receiver…");
    let sandbox = Sandbox::start(SandboxOptions {
        database_url: database_url.clone(),
        bind: opts.bind.clone(),
        skus: opts.skus,
        stock: 40,
        throttle: true,
        fulfilment_centre: true,
        receiver: true,
        ..SandboxOptions::default()
    })
    .await?;
    println!();
    println!(
        "  Console           {}/   (open it in a browser; sign in with the token {})",
        sandbox.url, sandbox.admin_token
    );
    println!("  Chorus API        {}   (Authorization: Bearer {})", sandbox.url, sandbox.admin_token);
    for c in &sandbox.channels {
        println!("  {:<17} {}   (tester API under /_sim/, channel id {})", c.kind, c.sim.base_url, c.id);
    }
    if let Some((id, fc)) = &sandbox.fulfilment_centre {
        println!(
            "  fulfilment centre {}   (plugin {id}: ships WooCommerce's orders after 2 s; GET /_sim/orders)",
            fc.base_url
        );
    }
    if let Some((id, r)) = &sandbox.receiver {
        println!("  webhook receiver  {}   (subscription {id}, every event; GET /_sim/stats)", r.base_url);
    }
    println!();
    println!("  Try:  curl -H 'Authorization: Bearer {}' {}/api/v1/channels", sandbox.admin_token, sandbox.url);
    println!("        curl {}/_sim/stock", sandbox.channels[0].sim.base_url);
    println!();
    println!(
        "{} SKUs at 40 units; placing about {} orders/s on both channels. Ctrl-C stops.",
        opts.skus, opts.orders_per_sec
    );

    let outcome = generate(&sandbox, opts.orders_per_sec).await;
    println!();
    println!("Stopping…");
    let last = progress(&sandbox).await.unwrap_or_default();
    sandbox.stop().await;
    println!(
        "Stopped. {} orders imported, {} figures pushed, {} on hold. The database stays at {database_url}.",
        last.imported, last.pushes, last.on_hold
    );
    let _ = temp_dir;
    outcome
}

/// Places orders (now and then cancelling one, now and then restocking a SKU) and redraws the
/// progress line every second, until Ctrl-C.
async fn generate(sandbox: &Sandbox, orders_per_sec: f64) -> anyhow::Result<()> {
    let every = Duration::from_secs_f64(1.0 / orders_per_sec.clamp(0.1, 1000.0));
    let mut place = actix_web::rt::time::interval(every);
    let mut redraw = actix_web::rt::time::interval(Duration::from_secs(1));
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let mut placed: [Vec<u64>; 2] = [Vec::new(), Vec::new()];
    let mut n: u64 = 0;
    loop {
        tokio::select! {
            _ = &mut ctrl_c => return Ok(()),
            _ = place.tick() => {
                n += 1;
                let (channel, sku, quantity, cancel, restock) = {
                    let mut rng = rand::thread_rng();
                    let channel = rng.gen_range(0..2usize);
                    let sku = sandbox.skus[rng.gen_range(0..sandbox.skus.len())].clone();
                    (channel, sku, rng.gen_range(1..=2), rng.gen_ratio(1, 10), rng.gen_ratio(1, 15))
                };
                match sandbox.place_order(channel, &sku, quantity).await {
                    Ok(id) => placed[channel].push(id),
                    Err(e) => eprintln!("\norder generator: {e:#}"),
                }
                if cancel {
                    if let Some(id) = placed[channel].first().copied() {
                        placed[channel].remove(0);
                        let _ = sandbox.sim_call(channel, "POST", &format!("/_sim/orders/{id}/cancel"), None).await;
                    }
                }
                if restock {
                    restock_one(sandbox, &sku).await;
                }
            }
            _ = redraw.tick() => {
                if let Ok(p) = progress(sandbox).await {
                    print!(
                        "\r  placed {:>6} │ imported {:>6} │ figures pushed {:>6} │ queued {:>4} │ on hold {:>4} │ to the centre {:>5} │ webhooks {:>7} ",
                        n, p.imported, p.pushes, p.queued, p.on_hold, p.to_plugin, p.webhooks
                    );
                    let _ = std::io::stdout().flush();
                }
            }
        }
    }
}

/// Sets a SKU back to 40 through Chorus's own API, as an operator would after a delivery.
async fn restock_one(sandbox: &Sandbox, sku: &str) {
    let url = format!("{}/api/v1/inventory/{sku}/sources/api", sandbox.url);
    let sent = sandbox.client.put(url).bearer_auth(&sandbox.admin_token).send_json(&json!({"quantity": 40})).await;
    if let Err(e) = sent {
        eprintln!("\nrestock {sku}: {e}");
    }
}

async fn progress(sandbox: &Sandbox) -> anyhow::Result<Progress> {
    let ids: Vec<i64> = sandbox.channels.iter().map(|c| c.id).collect();
    Ok(db::run(&sandbox.pool, move |conn| {
        let mut p = Progress { on_hold: db::orders::count_with_status(conn, "on_hold")?, ..Progress::default() };
        for id in ids {
            let state = db::orders::channel_state(conn, id)?;
            p.imported += state.orders_imported;
            p.pushes += state.pushes_sent;
            p.queued += db::outbox::depth(conn, &db::outbox::channel_target(id))?;
        }
        p.to_plugin = db::plugins::list(conn)?.iter().map(|x| x.orders_sent).sum();
        p.webhooks = db::webhooks::list(conn)?.iter().map(|s| s.delivered).sum();
        Ok(p)
    })
    .await?)
}
