//! The `chorus` command: serve, demo, migrate, sim, bench.

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::implicit_clone)]

use clap::{Parser, Subcommand};

use chorus::config::Settings;
use chorus::{db, telemetry, Application};

#[derive(Parser)]
#[command(name = "chorus", version, about = "Keeps a merchant's sales channels in step.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the engine: HTTP API, actors, migrations at start-up.
    Serve,
    /// Chorus with a simulated Shopify and WooCommerce shop, fulfilment centre and webhook
    /// receiver, a catalogue, stock and an order generator, on a fresh SQLite file; shows live
    /// progress until Ctrl-C.
    Demo {
        /// Where Chorus's API listens.
        #[arg(long, default_value = "127.0.0.1:8080")]
        bind: String,
        /// Use this database instead of a fresh SQLite file.
        #[arg(long)]
        database_url: Option<String>,
        /// SKUs in the catalogue.
        #[arg(long, default_value_t = 20)]
        skus: usize,
        /// Orders placed per second across both channels.
        #[arg(long, default_value_t = 2.0)]
        rate: f64,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Verify the stock invariants on the stored data (on_hand = Σ sources, allocated = Σ open
    /// lines, pending pushes carry today's figure); prints every violation, exits 1 on any.
    Check,
    /// Run one simulator alone: a marketplace, a fulfilment centre (plugin) or a webhook receiver.
    Sim {
        /// shopify | woocommerce | plugin | receiver
        kind: String,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:9001")]
        bind: std::net::SocketAddr,
        /// Shopify: the X-Shopify-Access-Token to require (any token is accepted if absent).
        #[arg(long)]
        token: Option<String>,
        /// WooCommerce: the consumer key to require.
        #[arg(long)]
        key: Option<String>,
        /// WooCommerce: the consumer secret to require; plugin, receiver: the signing secret
        /// (whsec_…) requests must carry (also settable with PUT /_sim/config).
        #[arg(long)]
        secret: Option<String>,
        /// Send signed order webhooks to this URL.
        #[arg(long)]
        webhook_url: Option<String>,
        /// Secret the webhooks are signed with.
        #[arg(long)]
        webhook_secret: Option<String>,
        /// Shopify: turn the cost throttle off.
        #[arg(long)]
        no_throttle: bool,
        /// Serve https with the simulators' test certificate (src/sim/tls; loopback only).
        #[arg(long)]
        tls: bool,
        /// Shopify: the app is not approved for protected customer data, so customers' names,
        /// addresses, emails and phones are withheld (as Shopify does).
        #[arg(long)]
        without_customer_data: bool,
    },
    /// Run a benchmark and print its figures.
    Bench {
        #[command(subcommand)]
        which: BenchKind,
    },
}

#[derive(Subcommand)]
enum BenchKind {
    /// InventoryActor mutations/s at 1, 8 and 64 senders, beside the raw ceiling.
    Inventory {
        /// Mutations per run.
        #[arg(long, default_value_t = 50_000)]
        ops: usize,
        /// Concurrent senders, one run each (e.g. `--senders 64` to profile that one).
        #[arg(long, value_delimiter = ',', default_values_t = [1, 8, 64])]
        senders: Vec<usize>,
        /// Also run on this PostgreSQL database (postgres://…).
        #[arg(long, env = "CHORUS_BENCH_POSTGRES_URL")]
        postgres: Option<String>,
    },
    /// Orders/s imported from a simulator through the full path (3 lines an order).
    Import {
        /// Orders to import.
        #[arg(long, default_value_t = 10_000)]
        orders: usize,
        /// Also run on this PostgreSQL database (postgres://…); it must be empty of Chorus data.
        #[arg(long, env = "CHORUS_BENCH_POSTGRES_URL")]
        postgres: Option<String>,
    },
    /// Webhook deliveries/s from Chorus to a local receiver.
    Webhooks {
        /// Events written (inventory.updated, one per SKU).
        #[arg(long, default_value_t = 10_000)]
        events: usize,
        /// Subscriptions, each taking every event.
        #[arg(long, default_value_t = 10)]
        subscriptions: usize,
        /// Also run on this PostgreSQL database (postgres://…); it must be empty of Chorus data.
        #[arg(long, env = "CHORUS_BENCH_POSTGRES_URL")]
        postgres: Option<String>,
    },
    /// Latency from an order webhook on one channel to the new figure at the other (p50, p99).
    Propagation {
        /// Orders to time.
        #[arg(long, default_value_t = 1_000)]
        orders: usize,
        /// Also run on this PostgreSQL database (postgres://…); it must be empty of Chorus data.
        #[arg(long, env = "CHORUS_BENCH_POSTGRES_URL")]
        postgres: Option<String>,
    },
    /// Resident memory with this many idle channels (polled hourly) beside none.
    Idle {
        #[arg(long, default_value_t = 1_000)]
        channels: usize,
    },
    /// Units oversold when the same seeded sale storm runs through polling cadences and through
    /// Chorus, with time compressed F times.
    Oversell {
        /// The storm's seed: the same seed, the same sales, cancellations and restocks.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// SKUs (each starting with 1 to 10 units).
        #[arg(long, default_value_t = 200)]
        skus: usize,
        /// The channels' kinds, in order.
        #[arg(long, value_delimiter = ',', default_value = "shopify,shopify,woocommerce")]
        channels: Vec<String>,
        /// Modes: chorus, and poll-<cadence> (180s, 15min, 2h …).
        #[arg(long, value_delimiter = ',', default_value = "poll-180s,poll-15min,chorus")]
        modes: Vec<String>,
        /// Time compression factors (a shop second lasts 1/F s here).
        #[arg(long, value_delimiter = ',', default_value = "50,200")]
        factors: Vec<f64>,
        /// Shop minutes the storm lasts.
        #[arg(long, default_value_t = 60.0)]
        minutes: f64,
        /// Every channel's stock buffer (units held back from each channel's figure).
        #[arg(long, default_value_t = 0)]
        stock_buffer: i64,
        /// Run on fresh databases on this PostgreSQL server (postgres://…) instead of SQLite.
        #[arg(long)]
        postgres: Option<String>,
    },
}

/// `chorus bench oversell`'s arguments, checked.
#[allow(clippy::too_many_arguments)]
fn oversell_options(
    seed: u64,
    skus: usize,
    channels: &[String],
    modes: &[String],
    factors: Vec<f64>,
    minutes: f64,
    stock_buffer: i64,
    postgres: Option<String>,
) -> anyhow::Result<chorus::bench::oversell::OversellOptions> {
    use chorus::bench::oversell::{Mode, OversellOptions};
    let kinds = channels
        .iter()
        .map(|k| match k.as_str() {
            "shopify" => Ok("shopify"),
            "woocommerce" | "woo" => Ok("woocommerce"),
            other => Err(anyhow::anyhow!("--channels: {other:?} is not shopify or woocommerce")),
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    anyhow::ensure!(!kinds.is_empty() && kinds.len() <= 10, "--channels: 1 to 10 channels");
    anyhow::ensure!((1..=5000).contains(&skus), "--skus: 1 to 5000");
    anyhow::ensure!(minutes > 0.0 && minutes <= 24.0 * 60.0, "--minutes: above 0, at most a day");
    anyhow::ensure!(factors.iter().all(|f| *f >= 1.0 && *f <= 10_000.0), "--factors: each 1 to 10000");
    anyhow::ensure!((0..=1000).contains(&stock_buffer), "--stock-buffer: 0 to 1000");
    let modes = modes.iter().map(|m| Mode::parse(m).map_err(anyhow::Error::msg)).collect::<anyhow::Result<Vec<_>>>()?;
    let mut opts =
        OversellOptions { seed, kinds, modes, factors, stock_buffer, postgres, ..OversellOptions::default() };
    opts.shape.skus = skus;
    opts.shape.minutes = minutes;
    Ok(opts)
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve => with_settings(|s| actix_web::rt::System::new().block_on(serve(s))),
        Command::Migrate => with_settings(migrate),
        Command::Check => with_settings(check),
        Command::Demo { bind, database_url, skus, rate } => {
            // Quiet by default, so the progress line stays readable.
            let filter = std::env::var("CHORUS__LOG__FILTER").unwrap_or_else(|_| "warn".into());
            telemetry::init(&chorus::config::LogSettings { filter, format: "text".into() });
            let opts =
                chorus::demo::DemoOptions { bind, database_url, skus: skus.clamp(1, 10_000), orders_per_sec: rate };
            actix_web::rt::System::new().block_on(chorus::demo::run(opts))
        }
        Command::Sim {
            kind,
            bind,
            token,
            key,
            secret,
            webhook_url,
            webhook_secret,
            no_throttle,
            tls,
            without_customer_data,
        } => {
            let opts = chorus::sim::SimOptions {
                bind,
                webhook_url,
                webhook_secret,
                token,
                key,
                secret,
                throttle: !no_throttle,
                tls,
                customer_data: !without_customer_data,
            };
            telemetry::init(&chorus::config::Settings::defaults().log);
            actix_web::rt::System::new().block_on(chorus::sim::run_forever(&kind, opts))
        }
        Command::Bench { which: BenchKind::Inventory { ops, senders, postgres } } => {
            actix_web::rt::System::new().block_on(chorus::bench::run_inventory_suite(postgres, ops, &senders))
        }
        Command::Bench { which: BenchKind::Propagation { orders, postgres } } => {
            telemetry::init(&chorus::config::LogSettings { filter: "warn".into(), format: "text".into() });
            actix_web::rt::System::new().block_on(chorus::bench::run_propagation_suite(postgres, orders))
        }
        Command::Bench { which: BenchKind::Webhooks { events, subscriptions, postgres } } => {
            telemetry::init(&chorus::config::LogSettings { filter: "warn".into(), format: "text".into() });
            actix_web::rt::System::new().block_on(chorus::bench::run_webhook_suite(postgres, events, subscriptions))
        }
        Command::Bench {
            which: BenchKind::Oversell { seed, skus, channels, modes, factors, minutes, stock_buffer, postgres },
        } => {
            telemetry::init(&chorus::config::LogSettings { filter: "error".into(), format: "text".into() });
            oversell_options(seed, skus, &channels, &modes, factors, minutes, stock_buffer, postgres)
                .and_then(|opts| actix_web::rt::System::new().block_on(chorus::bench::oversell::run_suite(opts)))
        }
        Command::Bench { which: BenchKind::Idle { channels } } => {
            telemetry::init(&chorus::config::LogSettings { filter: "error".into(), format: "text".into() });
            actix_web::rt::System::new().block_on(chorus::bench::idle::run(channels.min(100_000)))
        }
        Command::Bench { which: BenchKind::Import { orders, postgres } } => {
            telemetry::init(&chorus::config::LogSettings { filter: "warn".into(), format: "text".into() });
            actix_web::rt::System::new().block_on(chorus::bench::run_import_suite(postgres, orders))
        }
    };
    if let Err(e) = result {
        eprintln!("chorus: {e:#}");
        std::process::exit(1);
    }
}

fn with_settings(f: impl FnOnce(Settings) -> anyhow::Result<()>) -> anyhow::Result<()> {
    let settings = Settings::load().map_err(|e| anyhow::anyhow!("config error: {e}"))?;
    telemetry::init(&settings.log);
    f(settings)
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let app = Application::build(settings).await?;
    if let Some(token) = app.generated_admin_token() {
        println!("────────────────────────────────────────────────────────────────────────");
        println!(" No auth.admin_token was configured, so Chorus generated one.");
        println!(" It is shown this once (only its hash is stored):");
        println!();
        println!("     {}", token.expose());
        println!();
        println!(" Use it as:  Authorization: Bearer <token>, or sign in to the console with it.");
        println!("────────────────────────────────────────────────────────────────────────");
    }
    tracing::info!(port = app.port(), database = app.backend().name(), "Chorus is listening");
    println!("Chorus listening on http://127.0.0.1:{} ({} database)", app.port(), app.backend().name());
    println!("Console at http://127.0.0.1:{}/ (sign in with the admin token)", app.port());
    app.run_until_stopped().await?;
    Ok(())
}

fn check(settings: Settings) -> anyhow::Result<()> {
    let pool = db::build_pool(&settings.database)?;
    let mut conn = pool.get()?;
    db::migrate(&mut conn)?;
    let books = db::check::load(&mut conn)?;
    let violations = chorus::domain::check::check(&books);
    for v in &violations {
        println!("{}", serde_json::to_string(v)?);
    }
    if violations.is_empty() {
        println!("ok: {} SKUs checked, no violation", books.levels.len());
        Ok(())
    } else {
        anyhow::bail!("{} violation(s) of the stock invariants", violations.len())
    }
}

fn migrate(settings: Settings) -> anyhow::Result<()> {
    let pool = db::build_pool(&settings.database)?;
    let mut conn = pool.get()?;
    let applied = db::migrate(&mut conn)?;
    if applied.is_empty() {
        println!("database is up to date");
    } else {
        for m in applied {
            println!("applied {m}");
        }
    }
    Ok(())
}
