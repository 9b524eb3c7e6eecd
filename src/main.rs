//! The `chorus` command: serve, migrate, bench.

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
    /// Apply pending database migrations and exit.
    Migrate,
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
        /// Also run on this PostgreSQL database (postgres://…).
        #[arg(long, env = "CHORUS_BENCH_POSTGRES_URL")]
        postgres: Option<String>,
    },
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve => with_settings(|s| actix_web::rt::System::new().block_on(serve(s))),
        Command::Migrate => with_settings(migrate),
        Command::Bench { which: BenchKind::Inventory { ops, postgres } } => {
            actix_web::rt::System::new().block_on(chorus::bench::run_inventory_suite(postgres, ops))
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
        println!(" Use it as:  Authorization: Bearer <token>");
        println!("────────────────────────────────────────────────────────────────────────");
    }
    tracing::info!(port = app.port(), database = app.backend().name(), "Chorus is listening");
    println!("Chorus listening on http://127.0.0.1:{} ({} database)", app.port(), app.backend().name());
    app.run_until_stopped().await?;
    Ok(())
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
