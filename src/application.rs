//! The app as a value: `Application::build(settings)` opens the database, migrates, starts
//! the actors and binds the HTTP server (port 0 picks a free port); `run_until_stopped` serves
//! until SIGINT/SIGTERM, then lets the stock transaction in hand finish.

use crate::domain::ids::ChannelId;
use crate::domain::ids::PluginId;
use crate::domain::ids::SubscriptionId;
use std::net::TcpListener;

use actix::{Actor, Addr, Arbiter};
use actix_web::dev::Server;
use actix_web::{web, App, HttpServer};
use anyhow::Context;
use dashmap::DashMap;

use crate::actors::cluster::{Cluster, Kind, LeaseTiming, Owned};
use crate::actors::inventory::{Drain, InventoryActor, StockCache};
use crate::actors::plugin::registry::PluginRegistry;
use crate::actors::registry::ChannelRegistry;
use crate::actors::webhook::registry::WebhookRegistry;
use crate::config::{Secret, Settings};
use crate::db::{self, DatabaseKind, DbPool};
use crate::http::{self, AppState};

pub struct Application {
    port: u16,
    server: Server,
    pool: DbPool,
    backend: DatabaseKind,
    inventory: Addr<InventoryActor>,
    stock_cache: StockCache,
    channels: ChannelRegistry,
    cluster: Cluster,
    generated_admin_token: Option<Secret>,
}

impl Application {
    /// Must be called inside an actix `System` (the actors live there).
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        let extra_ca = Some(settings.http.extra_ca_file.trim()).filter(|f| !f.is_empty()).map(std::path::PathBuf::from);
        crate::connectors::http::trust_extra_cas(extra_ca)
            .with_context(|| format!("cannot read http.extra_ca_file {:?}", settings.http.extra_ca_file))?;
        let backend = DatabaseKind::from_url(settings.database.url.expose())?;
        crate::measure::install();
        let db_settings = settings.database.clone();
        let pool = actix_web::rt::task::spawn_blocking(move || db::build_pool(&db_settings))
            .await?
            .with_context(|| format!("cannot open the {} database", backend.name()))?;
        let configured_token = settings.auth.admin_token.expose().to_string();
        let (admin_token_sha256, generated) = db::run(&pool, move |conn| {
            let applied = db::migrate(conn)?;
            if !applied.is_empty() {
                tracing::info!(migrations = ?applied, "database migrated");
            }
            http::auth::resolve_admin_token(conn, &configured_token)
        })
        .await
        .context("cannot prepare the database")?;

        let stock_cache: StockCache = std::sync::Arc::new(DashMap::new());
        let inventory = {
            let (pool, cache, max_batch) = (pool.clone(), stock_cache.clone(), settings.inventory.max_batch);
            InventoryActor::start_in_arbiter(&Arbiter::new().handle(), move |_| {
                InventoryActor::new(pool, backend, cache, max_batch)
            })
        };

        // On PostgreSQL several processes may share the database: what each owns is leased.
        let cluster = Cluster::new(
            pool.clone(),
            backend == DatabaseKind::Postgres,
            LeaseTiming {
                ttl: std::time::Duration::from_millis(settings.cluster.lease_ttl_ms),
                renew: std::time::Duration::from_millis(settings.cluster.renew_ms),
            },
        );
        let leased = cluster.leasing().then(|| cluster.clone());
        cluster.attach_stock_cache(stock_cache.clone());
        inventory
            .do_send(crate::actors::inventory::Listen(crate::actors::inventory::Listener::Cluster(cluster.clone())));
        // Channel actors share one arbiter of their own, away from HTTP workers and stock.
        let secrets =
            crate::secrets::SecretBox::load(settings.auth.secrets_key.expose(), settings.database.url.expose())
                .context("cannot load the key that seals stored secrets (auth.secrets_key)")?;
        let channels = ChannelRegistry::new(
            Arbiter::new().handle(),
            pool.clone(),
            inventory.clone(),
            secrets.clone(),
            settings.webhooks.allow_private_networks,
            leased.clone(),
        );
        let plugins = PluginRegistry::new(
            Arbiter::new().handle(),
            pool.clone(),
            secrets.clone(),
            settings.webhooks.allow_private_networks,
            inventory.clone(),
            leased.clone(),
        );
        {
            let plugins = plugins.clone();
            inventory.do_send(crate::actors::inventory::Listen(crate::actors::inventory::Listener::PluginRevival(
                Box::new(move |id| plugins.ensure(id)),
            )));
        }
        // Webhook actors get an arbiter of their own: a slow subscriber never slows a channel.
        let webhooks = WebhookRegistry::new(
            Arbiter::new().handle(),
            pool.clone(),
            settings.webhooks.clone(),
            secrets.clone(),
            leased.clone(),
        );
        if !cluster.leasing() {
            for channel in db::run(&pool, |conn| Ok(db::channels::list(conn)?)).await?.iter().filter(|c| c.enabled) {
                channels.ensure(ChannelId(channel.id));
            }
            for plugin in db::run(&pool, |conn| Ok(db::plugins::list(conn)?)).await?.iter().filter(|p| p.enabled) {
                plugins.ensure(PluginId(plugin.id));
            }
            for sub in db::run(&pool, |conn| Ok(db::webhooks::list(conn)?)).await?.iter().filter(|s| s.enabled) {
                webhooks.ensure(SubscriptionId(sub.id));
            }
        }
        let watcher = crate::actors::webhook::watch::start(
            pool.clone(),
            webhooks.clone(),
            &inventory,
            std::time::Duration::from_millis(settings.webhooks.watch_interval_ms.clamp(10, 60_000)),
        );
        spawn_pruner(pool.clone(), settings.webhooks.keep_days);
        if backend == DatabaseKind::Sqlite {
            spawn_checkpointer(pool.clone());
        }
        if settings.orders.redact_after_days > 0 {
            spawn_redactor(pool.clone(), settings.orders.redact_after_days);
        }

        let addr = settings.bind_addr()?;
        let listener = TcpListener::bind(addr).with_context(|| format!("cannot listen on {addr} (http.bind)"))?;
        let port = listener.local_addr()?.port();
        cluster.attach(
            vec![
                (Kind::Channel, std::sync::Arc::new(channels.clone()) as std::sync::Arc<dyn Owned>),
                (Kind::Plugin, std::sync::Arc::new(plugins.clone())),
                (Kind::Subscription, std::sync::Arc::new(webhooks.clone())),
            ],
            watcher,
        );
        cluster.set_address(format!("{}:{port}", addr.ip()));
        // What this process owns runs before it serves (on SQLite: everything, started above).
        cluster.start(settings.database.url.expose().to_string()).await;
        let state = web::Data::new(AppState {
            pool: pool.clone(),
            backend,
            inventory: inventory.clone(),
            stock_cache: stock_cache.clone(),
            channels: channels.clone(),
            plugins,
            webhooks,
            secrets,
            admin_token_sha256,
            max_body_bytes: settings.http.max_body_bytes,
            body_timeout: std::time::Duration::from_millis(settings.http.body_timeout_ms),
            hooks: http::HookLimits::new(settings.http.hook_max_body_bytes, settings.http.hook_bodies_per_channel),
            console: Default::default(),
            cluster: cluster.clone(),
        });
        let server = HttpServer::new(move || {
            App::new()
                .wrap(actix_web::middleware::ErrorHandlers::new().default_handler(http::problem_for_bare_errors))
                .wrap(actix_web::middleware::from_fn(http::refuse_nul))
                .wrap(actix_web::middleware::from_fn(http::metrics::count_requests))
                .wrap(tracing_actix_web::TracingLogger::default())
                .app_data(state.clone())
                .configure(crate::console::routes)
                .configure(http::routes)
        })
        // A client that does not finish its headers in time gets 408 and is disconnected.
        .client_request_timeout(std::time::Duration::from_millis(settings.http.request_header_timeout_ms))
        .shutdown_timeout(10)
        .listen(listener)?
        .run();

        Ok(Application {
            port,
            server,
            pool,
            backend,
            inventory,
            stock_cache,
            channels,
            cluster,
            generated_admin_token: generated.map(Secret::new),
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }
    pub fn backend(&self) -> DatabaseKind {
        self.backend
    }
    pub fn pool(&self) -> &DbPool {
        &self.pool
    }
    pub fn inventory(&self) -> Addr<InventoryActor> {
        self.inventory.clone()
    }
    pub fn channels(&self) -> ChannelRegistry {
        self.channels.clone()
    }
    pub fn stock_cache(&self) -> StockCache {
        self.stock_cache.clone()
    }
    /// The admin token generated on this start (first start without `auth.admin_token`).
    pub fn generated_admin_token(&self) -> Option<&Secret> {
        self.generated_admin_token.as_ref()
    }
    /// Stops the HTTP server gracefully from elsewhere (tests, `demo`).
    pub fn server_handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until the server stops (SIGINT/SIGTERM or a handle), then waits for the
    /// InventoryActor to finish what is queued, so no acknowledged change is lost.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        tracing::info!("HTTP server stopped; finishing queued stock changes");
        let _ = self.inventory.send(Drain).await;
        self.cluster.leave().await;
        tracing::info!("stopped cleanly");
        result
    }
}

/// SQLite only: copies the write-ahead log into the database file (`db::checkpoint`) every few
/// milliseconds while the log grows, and looks every half second while nothing is written.
fn spawn_checkpointer(pool: DbPool) {
    const WRITING: std::time::Duration = std::time::Duration::from_millis(5);
    const IDLE: std::time::Duration = std::time::Duration::from_millis(500);
    // A failure that lasts (a full disk) is logged every 10 s, not twice a second; committing
    // connections still checkpoint past their threshold meanwhile.
    const FAILED: std::time::Duration = std::time::Duration::from_secs(10);
    actix_web::rt::spawn(async move {
        let mut last = None;
        loop {
            let progress = db::run(&pool, |conn| Ok(db::checkpoint::passive(conn)?)).await;
            let pause = match progress {
                Ok(now) if std::mem::replace(&mut last, now) != now => WRITING,
                Ok(_) => IDLE,
                Err(e) => {
                    tracing::warn!(error = %e, "copying the write-ahead log into the database failed; trying again in 10 s");
                    FAILED
                }
            };
            actix_web::rt::time::sleep(pause).await;
        }
    });
}

/// Every ten minutes, blanks the personal data of orders closed more than `days` ago
/// (`orders.redact_after_days`), a bounded batch at a time.
fn spawn_redactor(pool: DbPool, days: u64) {
    actix_web::rt::spawn(async move {
        let mut every = actix_web::rt::time::interval(std::time::Duration::from_secs(600));
        loop {
            every.tick().await;
            let before = db::now_ms() - (days.min(36_500) as i64) * 86_400_000;
            for _ in 0..100 {
                let now = db::now_ms();
                let done = db::run(&pool, move |conn| Ok(db::redaction::redact_due(conn, before, 1000, now)?)).await;
                match done {
                    Ok(0) => break,
                    Ok(n) => tracing::info!(orders = n, "closed orders redacted"),
                    Err(e) => {
                        tracing::warn!(error = %e, "redacting closed orders failed; trying again later");
                        break;
                    }
                }
            }
        }
    });
}

/// Every ten minutes, deletes events, delivery log entries and transaction records past `webhooks.keep_days`, a
/// bounded batch at a time so no transaction grows large.
fn spawn_pruner(pool: DbPool, keep_days: u64) {
    actix_web::rt::spawn(async move {
        let mut every = actix_web::rt::time::interval(std::time::Duration::from_secs(600));
        loop {
            every.tick().await;
            let before = db::now_ms() - (keep_days.min(36_500) as i64) * 86_400_000;
            for _ in 0..100 {
                let pruned = db::run(&pool, move |conn| {
                    Ok(db::events::prune(conn, before, 10_000)? + db::transactions::prune(conn, before, 10_000)?)
                });
                match pruned.await {
                    Ok(n) if n >= 10_000 => continue,
                    Ok(n) => {
                        if n > 0 {
                            tracing::info!(rows = n, "old events and transaction records pruned");
                        }
                        break;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "pruning old events failed; trying again later");
                        break;
                    }
                }
            }
        }
    });
}
