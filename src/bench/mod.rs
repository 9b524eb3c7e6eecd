//! Benchmarks that print figures (`chorus bench inventory`, `cargo bench`): speed is measured
//! here, never asserted in tests.

pub mod cpu;
pub mod idle;
pub mod oversell;

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
    /// Sender count, mutations/s, and the machine's busy CPU per mutation.
    pub by_senders: Vec<(usize, f64, Option<f64>)>,
}

/// InventoryActor mutations/s at each sender count, beside the raw ceiling: the same row
/// updates in one diesel transaction with no actor. Runs on `database_url`'s database.
pub async fn inventory(database_url: &str, senders: &[usize], ops: usize, skus: usize) -> anyhow::Result<InventoryRun> {
    let mut settings = Settings::defaults();
    settings.database.url = Secret::new(database_url);
    settings.database.pool_size = 4;
    let backend = DatabaseKind::from_url(database_url)?;
    let db_settings = settings.database.clone();
    let pool = actix_web::rt::task::spawn_blocking(move || db::build_pool(&db_settings)).await??;
    db::run(&pool, db::migrate).await.context("migrating the benchmark database")?;
    let cache = std::sync::Arc::new(DashMap::new());
    let actor = {
        let (pool, cache) = (pool.clone(), cache.clone());
        InventoryActor::start_in_arbiter(&Arbiter::new().handle(), move |_| {
            InventoryActor::new(pool, backend, cache, 4096)
        })
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
        let busy = cpu::BusyMark::now();
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
        let done = per_sender * n;
        by_senders.push((n, done as f64 / started.elapsed().as_secs_f64(), busy.per_op_since(done)));
    }
    Ok(InventoryRun { backend: backend.name(), raw_ceiling_per_sec: raw, by_senders })
}

/// Prints one run as a small table.
pub fn print_inventory(run: &InventoryRun, ops: usize, skus: usize) {
    println!("InventoryActor on {} — {ops} durable +1 mutations per row, {skus} SKUs", run.backend);
    println!("  {:>8}  {:>14}  {:>14}  {:>16}", "senders", "mutations/s", "of raw ceiling", "CPU a mutation");
    for (n, rate, cpu) in &run.by_senders {
        let share = 100.0 * rate / run.raw_ceiling_per_sec;
        println!("  {:>8}  {:>14.0}  {:>13.0}%  {:>16}", n, rate, share, cpu::cell(*cpu));
    }
    println!(
        "  raw ceiling (same row updates, one diesel transaction, no actor): {:.0} mutations/s",
        run.raw_ceiling_per_sec
    );
    println!("  CPU a mutation: busy time of the whole machine (database server included) over the run");
}

/// An enabled WooCommerce channel on a simulator at `base_url`, polled hourly.
pub fn woocommerce_channel(name: String, base_url: &str, now: i64) -> db::channels::ChannelValues {
    db::channels::ChannelValues {
        name,
        kind: "woocommerce".into(),
        base_url: base_url.into(),
        credentials: r#"{"consumer_key":"ck","consumer_secret":"cs"}"#.into(),
        poll_interval_secs: 3600,
        import_unpaid: false,
        import_fulfilled: false,
        stock_buffer: 0,
        enabled: true,
        updated_at: now,
        ships_from: "api".into(),
        reserve_unpaid: true,
        options: "{}".into(),
    }
}

/// The benchmark's own SQLite file, removed afterwards.
pub fn temp_sqlite_url() -> (String, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("chorus-bench-{}-{}", std::process::id(), db::now_ms()));
    let url = format!("sqlite://{}/bench.db", dir.display());
    (url, dir)
}

/// Runs the inventory benchmark on SQLite, and on PostgreSQL when a URL is given.
pub async fn run_inventory_suite(postgres_url: Option<String>, ops: usize, senders: &[usize]) -> anyhow::Result<()> {
    let skus = 1000;
    let (url, dir) = temp_sqlite_url();
    let run = inventory(&url, senders, ops, skus).await;
    let _ = std::fs::remove_dir_all(&dir);
    print_inventory(&run?, ops, skus);
    if let Some(pg) = postgres_url {
        println!();
        print_inventory(&inventory(&pg, senders, ops, skus).await?, ops, skus);
    } else {
        println!("\n(PostgreSQL skipped: pass --postgres URL or set TEST_DATABASE_URL)");
    }
    Ok(())
}

/// Orders/s imported from a WooCommerce simulator through the whole path: HTTP pages, the
/// connector's mapping, the ChannelActor, the InventoryActor's transaction. 3 lines an order.
pub async fn import(database_url: &str, orders: usize) -> anyhow::Result<ImportRun> {
    use crate::sim::{woocommerce, SimOptions};
    let sim = woocommerce::start(SimOptions::default()).await?;
    eprintln!("bench: simulator on {}; creating {orders} orders", sim.base_url);
    let client = awc::Client::builder().timeout(std::time::Duration::from_secs(30)).finish();
    let skus: Vec<String> = (0..100).map(|i| format!("IMP-{i:03}")).collect();
    for n in 0..orders {
        let lines: Vec<_> =
            (0..3).map(|j| serde_json::json!({"sku": skus[(n * 3 + j) % skus.len()], "quantity": 1})).collect();
        let mut resp = client
            .post(sim.url("/_sim/orders"))
            .send_json(&serde_json::json!({"lines": lines, "paid": true}))
            .await
            .map_err(|e| anyhow::anyhow!("simulator: {e}"))?;
        let _ = resp.body().await;
    }
    eprintln!("bench: orders created; starting Chorus");
    let app = crate::Application::build(bench_settings(database_url, "bench")).await?;
    let pool = app.pool().clone();
    let (handle, channels, inventory) = (app.server_handle(), app.channels(), app.inventory());
    actix_web::rt::spawn(app.run_until_stopped());
    inventory
        .send(SetMany {
            source: Source::Api,
            items: skus.iter().map(|s| (s.clone(), 1_000_000)).collect(),
            as_of: None,
            create_missing: true,
        })
        .await??;
    let now = db::now_ms();
    let values = woocommerce_channel("bench".into(), &sim.base_url, now);
    let channel = db::run(&pool, move |conn| Ok(db::channels::insert(conn, &values, now)?)).await?;
    eprintln!("bench: importing");
    let started = Instant::now();
    let busy = cpu::BusyMark::now();
    channels.ensure(crate::domain::ids::ChannelId(channel.id));
    loop {
        let id = channel.id;
        let state = db::run(&pool, move |conn| Ok(db::orders::channel_state(conn, id)?)).await?;
        if state.orders_imported as usize >= orders {
            break;
        }
        if started.elapsed() > std::time::Duration::from_secs(600) {
            anyhow::bail!("import did not finish in 10 minutes ({} of {orders})", state.orders_imported);
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let rate = orders as f64 / started.elapsed().as_secs_f64();
    let cpu_per_order = busy.per_op_since(orders);
    handle.stop(true).await;
    sim.stop().await;
    let ceiling = import_ceiling(&pool, orders).await?;
    Ok(ImportRun { rate, ceiling, cpu_per_order })
}

pub struct ImportRun {
    /// Orders/s through the whole path.
    pub rate: f64,
    /// Orders/s written straight to the same database (see [`import_ceiling`]).
    pub ceiling: f64,
    /// The machine's busy CPU per order imported (the simulator's included).
    pub cpu_per_order: Option<f64>,
}

/// The raw ceiling of an import on this database: the same number of orders of 3 lines, in
/// transactions of 100 as the simulator's pages are, written by the import's own multi-row
/// inserts with nothing else — no HTTP, no actor, no stock, no JSON details, no history, no
/// events.
async fn import_ceiling(pool: &db::DbPool, orders: usize) -> anyhow::Result<f64> {
    let now = db::now_ms();
    // A channel of its own, disabled: nothing polls it.
    let mut values = woocommerce_channel("ceiling".into(), "http://127.0.0.1:9", now);
    values.enabled = false;
    let channel = db::run(pool, move |conn| Ok(db::channels::insert(conn, &values, now)?)).await?;
    let started = Instant::now();
    for page in 0..orders.div_ceil(100) {
        let (channel_id, first) = (channel.id, page * 100);
        let count = 100.min(orders - first);
        db::run(pool, move |conn| {
            db::write_tx(conn, |conn| {
                let rows: Vec<db::orders::OrderValues> =
                    (first..first + count).map(|n| raw_order(channel_id, n, now)).collect();
                let ids = db::orders::insert_many(conn, &rows)?;
                let lines: Vec<db::orders::NewLine> =
                    ids.iter().flat_map(|id| (0..3).map(move |j| raw_line(*id, j))).collect();
                db::orders::insert_lines_returning(conn, &lines)?;
                Ok::<_, db::DbError>(())
            })
        })
        .await?;
    }
    Ok(orders as f64 / started.elapsed().as_secs_f64())
}

fn raw_order(channel_id: i64, n: usize, now: i64) -> db::orders::OrderValues {
    db::orders::OrderValues {
        channel_id,
        external_id: format!("raw-{n}"),
        name: format!("#{n}"),
        status: "imported".into(),
        hold_reason: None,
        financial_status: "paid".into(),
        fulfillment_status: "unfulfilled".into(),
        channel_created_at: now,
        channel_updated_at: now,
        channel_digest: format!("{n:064x}"),
        cancelled_at: None,
        imported_at: now,
        updated_at: now,
        channel_reserved: true,
        number: Some(n.to_string()),
        details: None,
        personal: None,
        customer_email: None,
    }
}

fn raw_line(order_id: i64, j: usize) -> db::orders::NewLine {
    db::orders::NewLine {
        order_id,
        external_id: j.to_string(),
        sku: format!("IMP-{j:03}"),
        quantity: 1,
        fulfilled: 0,
        allocated: 1,
        channel_out: 0,
        returned: 0,
        written_off: 0,
        product_id: None,
        variant_id: None,
        details: None,
    }
}

/// Runs the import benchmark on SQLite, and on PostgreSQL when a URL is given.
pub async fn run_import_suite(postgres_url: Option<String>, orders: usize) -> anyhow::Result<()> {
    let (url, dir) = temp_sqlite_url();
    let run = import(&url, orders).await;
    let _ = std::fs::remove_dir_all(&dir);
    println!("Order import, WooCommerce simulator → Chorus, {orders} orders × 3 lines");
    println!("  {:<10}  {:>10}  {:>16}  {:>14}  {:>14}", "", "orders/s", "raw ceiling", "of ceiling", "CPU an order");
    let print = |name: &str, run: &ImportRun| {
        let share = 100.0 * run.rate / run.ceiling;
        let cpu = cpu::cell(run.cpu_per_order);
        println!("  {:<10}  {:>10.0}  {:>16.0}  {:>13.0}%  {:>14}", name, run.rate, run.ceiling, share, cpu)
    };
    print("sqlite", &run?);
    match postgres_url {
        Some(pg) => print("postgres", &import(&pg, orders).await?),
        None => println!("  (PostgreSQL skipped: pass --postgres URL or set TEST_DATABASE_URL)"),
    }
    println!(
        "  raw ceiling: the same orders and lines written by the import's multi-row inserts, 100 to a \
         transaction, nothing else (no HTTP, actor, stock, details, history or events)"
    );
    Ok(())
}

/// Propagation latency: a paid order placed on one channel's simulator (which sends its signed
/// webhook to Chorus) until the new figure arrives at the other channel's simulator. Orders
/// alternate between Shopify and WooCommerce, one at a time.
/// With `split`, a second Chorus (its own cluster id: another process, as far as the database
/// knows) shares the PostgreSQL database, and timing starts once the two channels are owned by
/// different ones: an order's figure then crosses processes (LISTEN/NOTIFY) on its way.
pub async fn propagation(
    database_url: &str,
    orders: usize,
    split: bool,
) -> anyhow::Result<[Vec<std::time::Duration>; 2]> {
    use crate::sandbox::{Sandbox, SandboxOptions};
    let stock = 1_000_000;
    let sandbox = Sandbox::start(SandboxOptions {
        database_url: database_url.to_string(),
        bind: "127.0.0.1:0".into(),
        skus: 50,
        stock,
        throttle: true,
        fulfilment_centre: false,
        receiver: false,
        ..SandboxOptions::default()
    })
    .await?;
    let second = match split {
        true => Some(second_process(database_url, &sandbox).await?),
        false => None,
    };
    // The first pushes (every listing, after linking) go out before timing starts.
    let started = Instant::now();
    for c in 0..2 {
        for sku in &sandbox.skus {
            while sandbox.sim_stock(c, sku).await? != Some(stock) {
                if started.elapsed() > std::time::Duration::from_secs(60) {
                    anyhow::bail!("the first pushes did not settle");
                }
                actix_web::rt::time::sleep(std::time::Duration::from_millis(5)).await;
            }
        }
    }
    let mut figures: std::collections::HashMap<String, i64> = sandbox.skus.iter().map(|s| (s.clone(), stock)).collect();
    // Per direction: [Shopify → WooCommerce, WooCommerce → Shopify].
    let mut latencies = [Vec::with_capacity(orders / 2 + 1), Vec::with_capacity(orders / 2 + 1)];
    for i in 0..orders {
        let (from, to) = (i % 2, 1 - i % 2);
        let sku = sandbox.skus[i % sandbox.skus.len()].clone();
        let want = figures[&sku] - 1;
        let t0 = Instant::now();
        sandbox.place_order(from, &sku, 1).await?;
        loop {
            if sandbox.sim_stock(to, &sku).await? == Some(want) {
                break;
            }
            if t0.elapsed() > std::time::Duration::from_secs(30) {
                anyhow::bail!("order {i}: {sku} never reached {want} on the other channel");
            }
            // Look again soon, without taking a core from Chorus on this 2-core machine.
            actix_web::rt::time::sleep(std::time::Duration::from_micros(500)).await;
        }
        latencies[from].push(t0.elapsed());
        figures.insert(sku, want);
    }
    if let Some(second) = second {
        second.stop(true).await;
    }
    sandbox.stop().await;
    for l in &mut latencies {
        l.sort();
    }
    Ok(latencies)
}

/// Starts a second Chorus on the sandbox's database and waits until each of the two channels is
/// owned by a different one of them.
async fn second_process(
    database_url: &str,
    sandbox: &crate::sandbox::Sandbox,
) -> anyhow::Result<actix_web::dev::ServerHandle> {
    let handle = start_peer(database_url, &sandbox.admin_token).await?;
    let channels: Vec<i64> = sandbox.channels.iter().map(|c| c.id).collect();
    until_spread(&sandbox.pool, "channel", &channels, channels.len()).await?;
    Ok(handle)
}

/// Settings for a Chorus a benchmark starts: its database, port 0, an admin token, and private
/// addresses allowed (the simulators and the receiver listen on 127.0.0.1).
pub(crate) fn bench_settings(database_url: &str, admin_token: &str) -> Settings {
    let mut settings = Settings::defaults();
    settings.database.url = Secret::new(database_url);
    settings.http.bind = "127.0.0.1:0".into();
    settings.auth.admin_token = Secret::new(admin_token);
    settings.webhooks.allow_private_networks = true;
    settings
}

/// Another Chorus on the same database, serving until its handle stops. It has its own cluster
/// id: another process, as far as the leases know.
async fn start_peer(database_url: &str, admin_token: &str) -> anyhow::Result<actix_web::dev::ServerHandle> {
    let app = crate::Application::build(bench_settings(database_url, admin_token)).await?;
    let handle = app.server_handle();
    actix_web::rt::spawn(async move {
        let _ = app.run_until_stopped().await;
    });
    Ok(handle)
}

/// Waits (up to a minute) until the live leases of `kind` over `targets` are held by at least
/// `owners` different processes.
async fn until_spread(pool: &db::DbPool, kind: &str, targets: &[i64], owners: usize) -> anyhow::Result<()> {
    let started = Instant::now();
    loop {
        let now = db::now_ms();
        let leases = db::run(pool, db::cluster::leases).await?;
        let holding: std::collections::BTreeSet<String> = leases
            .iter()
            .filter(|l| l.kind == kind && targets.contains(&l.target_id) && l.expires_at > now)
            .filter_map(|l| l.owner.clone())
            .collect();
        if holding.len() >= owners {
            return Ok(());
        }
        if started.elapsed() > std::time::Duration::from_secs(60) {
            anyhow::bail!(
                "the {kind} leases did not spread over {owners} processes in a minute ({} hold them)",
                holding.len()
            );
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// A database of the run's own: a SQLite file, or a database created on a PostgreSQL server;
/// removed afterwards.
pub(crate) struct ScratchDb {
    pub(crate) url: String,
    dir: Option<std::path::PathBuf>,
    pg: Option<(String, String)>,
}

impl ScratchDb {
    pub(crate) async fn create(postgres: Option<&str>) -> anyhow::Result<ScratchDb> {
        let Some(server) = postgres else {
            let (url, dir) = temp_sqlite_url();
            return Ok(ScratchDb { url, dir: Some(dir), pg: None });
        };
        let name = format!("chorus_bench_{}_{}", std::process::id(), crate::db::now_ms());
        let mut url = url::Url::parse(server)?;
        let admin = server.to_string();
        let create = format!("CREATE DATABASE {name}");
        actix_web::rt::task::spawn_blocking(move || {
            use diesel::{Connection, RunQueryDsl};
            let mut conn = diesel::PgConnection::establish(&admin)?;
            diesel::sql_query(create).execute(&mut conn)?;
            anyhow::Ok(())
        })
        .await??;
        url.set_path(&name);
        Ok(ScratchDb { url: url.to_string(), dir: None, pg: Some((server.to_string(), name)) })
    }

    pub(crate) async fn drop_now(self) {
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
        if let Some((admin, name)) = self.pg {
            let _ = actix_web::rt::task::spawn_blocking(move || {
                use diesel::{Connection, RunQueryDsl};
                let mut conn = diesel::PgConnection::establish(&admin)?;
                diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn)?;
                anyhow::Ok(())
            })
            .await;
        }
    }
}

fn percentile(sorted: &[std::time::Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1000.0
}

/// Runs the propagation benchmark on SQLite, and on PostgreSQL when a URL is given.
pub async fn run_propagation_suite(postgres_url: Option<String>, orders: usize) -> anyhow::Result<()> {
    let report = |backend: &str, by_direction: &[Vec<std::time::Duration>; 2]| {
        let mut all: Vec<std::time::Duration> = by_direction.concat();
        all.sort();
        for (name, l) in [("both ways", &all), ("shopify → woo", &by_direction[0]), ("woo → shopify", &by_direction[1])]
        {
            println!(
                "  {backend:<9} {name:<14} p50 {:>7.1} ms   p99 {:>7.1} ms   max {:>7.1} ms   ({} orders)",
                percentile(l, 0.50),
                percentile(l, 0.99),
                percentile(l, 1.0),
                l.len()
            );
        }
    };
    println!("Propagation: signed order webhook from one channel → new figure at the other's simulator");
    let (url, dir) = temp_sqlite_url();
    let sqlite = propagation(&url, orders, false).await;
    let _ = std::fs::remove_dir_all(&dir);
    report("sqlite", &sqlite?);
    match postgres_url {
        Some(pg) => {
            report("postgres", &propagation(&pg, orders, false).await?);
            // The same on a fresh database, each channel owned by another process.
            let fresh = ScratchDb::create(Some(&pg)).await?;
            let split = propagation(&fresh.url, orders, true).await;
            fresh.drop_now().await;
            report("pg 2 proc", &split?);
        }
        None => println!("  (PostgreSQL skipped: pass --postgres URL or set TEST_DATABASE_URL)"),
    }
    Ok(())
}

/// Deliveries/s: `events` `inventory.updated` events to each of `subscriptions` subscriptions
/// on a local receiver. The subscriptions are enabled first (with `processes` > 1, further
/// Chorus processes share the PostgreSQL database and the subscriptions' leases are spread
/// over all of them first); timing runs from the write of the events until the receiver has
/// accepted every delivery.
pub async fn webhooks(
    database_url: &str,
    events: usize,
    subscriptions: usize,
    processes: usize,
) -> anyhow::Result<f64> {
    use crate::sim::{receiver, SimOptions};
    let sink = receiver::start(SimOptions::default()).await?;
    let app = crate::Application::build(bench_settings(database_url, "bench")).await?;
    let (handle, inventory, pool) = (app.server_handle(), app.inventory(), app.pool().clone());
    let base = format!("http://127.0.0.1:{}", app.port());
    actix_web::rt::spawn(app.run_until_stopped());
    let client = awc::Client::builder().timeout(std::time::Duration::from_secs(60)).finish();
    let call = |method: awc::http::Method, path: String, body: serde_json::Value| {
        let req = client.request(method, format!("{base}{path}")).bearer_auth("bench");
        async move {
            let mut resp = req.send_json(&body).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            let v: serde_json::Value = resp.json().limit(16 << 20).await?;
            anyhow::Ok(v)
        }
    };
    let mut ids = Vec::new();
    for n in 0..subscriptions {
        let body = serde_json::json!({"url": sink.url(&format!("/sub{n}")), "events": ["inventory.updated"]});
        let sub = call(awc::http::Method::POST, "/api/v1/webhooks".into(), body).await?;
        ids.push(sub["id"].as_i64().ok_or_else(|| anyhow::anyhow!("subscription not created: {sub}"))?);
    }
    let mut peers = Vec::new();
    if processes > 1 {
        for _ in 1..processes {
            peers.push(start_peer(database_url, "bench").await?);
        }
        eprintln!("bench: waiting for the subscriptions to spread over {processes} processes");
        until_spread(&pool, "subscription", &ids, processes.min(subscriptions)).await?;
    }
    eprintln!("bench: writing {events} events, delivering to {subscriptions} subscriptions");
    let started = Instant::now();
    inventory
        .send(SetMany {
            source: Source::Api,
            items: (0..events).map(|i| (format!("WH-{i:06}"), 1 + (i % 50) as i64)).collect(),
            as_of: None,
            create_missing: true,
        })
        .await??;
    let want = (events * subscriptions) as u64;
    loop {
        let mut resp = client.get(sink.url("/_sim/stats")).send().await.map_err(|e| anyhow::anyhow!("{e}"))?;
        let stats: serde_json::Value = resp.json().await?;
        if stats["accepted"].as_u64().unwrap_or(0) >= want {
            break;
        }
        if started.elapsed() > std::time::Duration::from_secs(600) {
            anyhow::bail!("deliveries did not finish in 10 minutes: {stats}");
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let rate = want as f64 / started.elapsed().as_secs_f64();
    for peer in peers {
        peer.stop(true).await;
    }
    handle.stop(true).await;
    sink.stop().await;
    Ok(rate)
}

/// Runs the webhook benchmark on SQLite, and on PostgreSQL when a URL is given.
pub async fn run_webhook_suite(
    postgres_url: Option<String>,
    events: usize,
    subscriptions: usize,
) -> anyhow::Result<()> {
    let (url, dir) = temp_sqlite_url();
    let rate = webhooks(&url, events, subscriptions, 1).await;
    let _ = std::fs::remove_dir_all(&dir);
    println!("Webhook delivery, Chorus → local receiver, {events} events × {subscriptions} subscriptions");
    println!("  sqlite:                   {:>8.0} deliveries/s", rate?);
    match postgres_url {
        Some(pg) => {
            let one = webhooks(&pg, events, subscriptions, 1).await?;
            println!("  postgres, one process:    {one:>8.0} deliveries/s");
            let scratch = ScratchDb::create(Some(&pg)).await?;
            let three = webhooks(&scratch.url, events, subscriptions, 3).await;
            scratch.drop_now().await;
            let three = three?;
            println!("  postgres, three processes:{three:>8.0} deliveries/s ({:.2}× one)", three / one);
        }
        None => println!("  (PostgreSQL skipped: pass --postgres URL or set TEST_DATABASE_URL)"),
    }
    Ok(())
}
