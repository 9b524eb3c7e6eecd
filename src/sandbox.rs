//! A running Chorus wired to a Shopify and a WooCommerce simulator — catalogue listed on both,
//! stock set, signed order webhooks flowing — for `chorus demo` and the propagation benchmark.

use std::time::Duration;

use anyhow::Context;
use serde_json::{json, Value};

use crate::actors::inventory::SetMany;
use crate::config::{Secret, Settings};
use crate::db;
use crate::domain::source::Source;
use crate::sim::{self, SimHandle, SimOptions};

pub struct SandboxOptions {
    pub database_url: String,
    /// Where Chorus listens (`127.0.0.1:0` for any free port).
    pub bind: String,
    pub skus: usize,
    /// Starting stock of every SKU, in Chorus and on both channels.
    pub stock: i64,
    /// Shopify's cost throttle in the simulator.
    pub throttle: bool,
    /// A simulated fulfilment centre taking WooCommerce's orders (shipping each after 2 s).
    pub fulfilment_centre: bool,
    /// A webhook receiver subscribed to every event.
    pub receiver: bool,
    /// The channels, in order.
    pub kinds: Vec<&'static str>,
    /// The simulators send signed order webhooks to Chorus; off, Chorus learns of orders by
    /// polling only.
    pub order_webhooks: bool,
    /// Every channel's connector options (e.g. `cadence_ms`).
    pub channel_options: crate::domain::channel::ChannelOptions,
    pub stock_buffer: i64,
    pub poll_interval_secs: i64,
    /// Starting figures per SKU, in place of `skus` SKUs of `stock` each.
    pub starting: Vec<(String, i64)>,
}

impl Default for SandboxOptions {
    /// A Shopify and a WooCommerce shop with order webhooks on, 20 SKUs of 100 units, on no
    /// database yet (`database_url` is to be set).
    fn default() -> Self {
        SandboxOptions {
            database_url: String::new(),
            bind: "127.0.0.1:0".into(),
            skus: 20,
            stock: 100,
            throttle: true,
            fulfilment_centre: false,
            receiver: false,
            kinds: vec!["shopify", "woocommerce"],
            order_webhooks: true,
            channel_options: Default::default(),
            stock_buffer: 0,
            // Webhooks bring orders in at once; the poll is the safety net.
            poll_interval_secs: 30,
            starting: Vec::new(),
        }
    }
}

/// One channel of the sandbox: its simulator and its id in Chorus.
pub struct SandboxChannel {
    pub kind: &'static str,
    pub id: i64,
    pub sim: SimHandle,
}

pub struct Sandbox {
    pub url: String,
    pub admin_token: String,
    pub skus: Vec<String>,
    pub channels: Vec<SandboxChannel>,
    /// The fulfilment centre's simulator and its plugin id, when asked for.
    pub fulfilment_centre: Option<(i64, SimHandle)>,
    /// The webhook receiver and its subscription id, when asked for.
    pub receiver: Option<(i64, SimHandle)>,
    pub pool: db::DbPool,
    pub client: awc::Client,
    registry: crate::actors::registry::ChannelRegistry,
    server: actix_web::dev::ServerHandle,
    stopped: tokio::sync::oneshot::Receiver<()>,
}

impl Sandbox {
    /// Starts Chorus, then both simulators pointing their webhooks at it, lists the catalogue
    /// everywhere and waits until both channels have linked every SKU.
    pub async fn start(opts: SandboxOptions) -> anyhow::Result<Sandbox> {
        let admin_token = hex::encode(rand::random::<[u8; 16]>());
        let mut settings = Settings::defaults();
        settings.database.url = Secret::new(opts.database_url.clone());
        settings.http.bind = opts.bind.clone();
        settings.auth.admin_token = Secret::new(admin_token.clone());
        // The receiver listens on 127.0.0.1.
        settings.webhooks.allow_private_networks = true;
        let app = crate::Application::build(settings).await?;
        let url = format!("http://127.0.0.1:{}", app.port());
        let (pool, registry, inventory, server) =
            (app.pool().clone(), app.channels(), app.inventory(), app.server_handle());
        let (tx, stopped) = tokio::sync::oneshot::channel();
        actix_web::rt::spawn(async move {
            if let Err(e) = app.run_until_stopped().await {
                tracing::error!(error = %e, "the sandbox's Chorus stopped with an error");
            }
            let _ = tx.send(());
        });

        let starting: Vec<(String, i64)> = if opts.starting.is_empty() {
            (1..=opts.skus).map(|i| (format!("DEMO-{i:03}"), opts.stock)).collect()
        } else {
            opts.starting.clone()
        };
        let skus: Vec<String> = starting.iter().map(|(s, _)| s.clone()).collect();
        inventory
            .send(SetMany { source: Source::Api, items: starting.clone(), as_of: None, create_missing: true })
            .await?
            .map_err(|e| anyhow::anyhow!("setting the starting stock: {e}"))?;

        let client = awc::Client::builder().timeout(Duration::from_secs(30)).finish();
        let listing: serde_json::Map<String, Value> = starting
            .iter()
            .map(|(s, q)| (s.clone(), json!(crate::domain::stock::pushed_figure(*q, opts.stock_buffer))))
            .collect();
        let mut channels = Vec::new();
        for (n, &kind) in opts.kinds.iter().enumerate() {
            // A second shop of a kind gets its number.
            let name = match opts.kinds[..n].iter().filter(|k| **k == kind).count() {
                0 => format!("{kind} (simulated)"),
                before => format!("{kind} (simulated, {})", before + 1),
            };
            let webhook_secret = hex::encode(rand::random::<[u8; 16]>());
            // The channel row comes first (disabled), so the simulator can be told its webhook URL.
            let id = insert_channel(&pool, kind, name, &webhook_secret, &opts).await?;
            let sim_opts = SimOptions {
                webhook_url: opts.order_webhooks.then(|| format!("{url}/hooks/channels/{id}")),
                webhook_secret: Some(webhook_secret),
                throttle: opts.throttle,
                ..SimOptions::default()
            };
            let sim = match kind {
                "shopify" => sim::shopify::start(sim_opts).await?,
                _ => sim::woocommerce::start(sim_opts).await?,
            };
            let mut resp = client
                .put(sim.url("/_sim/stock"))
                .send_json(&Value::Object(listing.clone()))
                .await
                .map_err(|e| anyhow::anyhow!("listing the catalogue on the {kind} simulator: {e}"))?;
            let _ = resp.body().limit(16 << 20).await;
            let base_url = sim.base_url.clone();
            db::run(&pool, move |conn| {
                diesel::update(db::schema::channels::table.find(id))
                    .set((db::schema::channels::base_url.eq(base_url), db::schema::channels::enabled.eq(true)))
                    .execute(conn)?;
                Ok(())
            })
            .await?;
            registry.ensure(crate::domain::ids::ChannelId(id));
            channels.push(SandboxChannel { kind, id, sim });
        }
        let mut sandbox = Sandbox {
            url,
            admin_token,
            skus,
            channels,
            fulfilment_centre: None,
            receiver: None,
            pool,
            client,
            registry,
            server,
            stopped,
        };
        if opts.receiver {
            sandbox.receiver = Some(sandbox.start_receiver().await?);
        }
        sandbox.wait_linked().await?;
        if opts.fulfilment_centre {
            sandbox.fulfilment_centre = Some(sandbox.start_fulfilment_centre(opts.stock).await?);
        }
        Ok(sandbox)
    }

    /// A call on Chorus's admin API.
    pub async fn api(&self, method: &str, path: &str, body: Value) -> anyhow::Result<Value> {
        let method = awc::http::Method::from_bytes(method.as_bytes())?;
        let mut resp = self
            .client
            .request(method, format!("{}{path}", self.url))
            .bearer_auth(&self.admin_token)
            .send_json(&body)
            .await
            .map_err(|e| anyhow::anyhow!("Chorus API: {e}"))?;
        let bytes = resp.body().limit(16 << 20).await?;
        if !resp.status().is_success() {
            anyhow::bail!("{path}: {} {}", resp.status(), String::from_utf8_lossy(&bytes));
        }
        Ok(serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    async fn start_receiver(&self) -> anyhow::Result<(i64, SimHandle)> {
        let receiver = sim::receiver::start(SimOptions::default()).await?;
        let events: Vec<&str> = crate::domain::webhook::EVENT_KINDS.to_vec();
        let sub =
            self.api("POST", "/api/v1/webhooks", json!({"url": receiver.url("/events"), "events": events})).await?;
        let id = sub["id"].as_i64().context("no subscription id")?;
        // The receiver checks every signature with the subscription's secret.
        let mut resp = self
            .client
            .put(receiver.url("/_sim/config"))
            .send_json(&json!({"secret": sub["secret"]}))
            .await
            .map_err(|e| anyhow::anyhow!("receiver: {e}"))?;
        let _ = resp.body().await;
        Ok((id, receiver))
    }

    /// A fulfilment centre taking the WooCommerce channel's orders, holding stock of its own.
    async fn start_fulfilment_centre(&self, stock: i64) -> anyhow::Result<(i64, SimHandle)> {
        let fc = sim::plugin::start(SimOptions::default()).await?;
        let woo = self.channels.iter().find(|c| c.kind == "woocommerce").map(|c| c.id).unwrap_or(0);
        let plugin = self
            .api(
                "POST",
                "/api/v1/plugins",
                json!({"name": "Simulated fulfilment centre", "orders_url": fc.url("/orders"),
                       "routing": {"channels": [woo]}}),
            )
            .await?;
        let id = plugin["id"].as_i64().context("no plugin id")?;
        let config = json!({"chorus_url": self.url, "token": plugin["token"], "secret": plugin["secret"],
                            "ship_delay_ms": 2000});
        for (path, body) in
            [("/_sim/config", config), ("/_sim/stock", self.skus.iter().map(|s| (s.clone(), json!(stock))).collect())]
        {
            let mut resp = self
                .client
                .put(fc.url(path))
                .send_json(&body)
                .await
                .map_err(|e| anyhow::anyhow!("fulfilment centre: {e}"))?;
            let _ = resp.body().limit(16 << 20).await;
        }
        Ok((id, fc))
    }

    async fn wait_linked(&self) -> anyhow::Result<()> {
        for _ in 0..1200 {
            let mut all = true;
            for c in &self.channels {
                let id = c.id;
                let linked = db::run(&self.pool, move |conn| {
                    use db::schema::channel_products as cp;
                    use diesel::prelude::*;
                    Ok(cp::table.filter(cp::channel_id.eq(id)).count().get_result::<i64>(conn)?)
                })
                .await?;
                all &= linked as usize >= self.skus.len();
            }
            if all {
                return Ok(());
            }
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
        anyhow::bail!("the channels did not link their catalogues within a minute")
    }

    /// Places a paid order on a channel's simulator (which then sends its signed webhook).
    pub async fn place_order(&self, channel: usize, sku: &str, quantity: i64) -> anyhow::Result<u64> {
        let body = json!({"lines": [{"sku": sku, "quantity": quantity}], "paid": true});
        let v = self.sim_call(channel, "POST", "/_sim/orders", Some(body)).await?;
        v["id"].as_u64().context("the simulator did not return an order id")
    }

    /// A call on a simulator's tester API.
    pub async fn sim_call(
        &self,
        channel: usize,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        let method = awc::http::Method::from_bytes(method.as_bytes())?;
        let req = self.client.request(method, self.channels[channel].sim.url(path));
        let mut resp = match body {
            Some(b) => req.send_json(&b).await,
            None => req.send().await,
        }
        .map_err(|e| anyhow::anyhow!("simulator: {e}"))?;
        let bytes = resp.body().limit(64 << 20).await?;
        if !resp.status().is_success() {
            anyhow::bail!("simulator {path}: {} {}", resp.status(), String::from_utf8_lossy(&bytes));
        }
        Ok(serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    /// A channel's simulator stock for one SKU.
    pub async fn sim_stock(&self, channel: usize, sku: &str) -> anyhow::Result<Option<i64>> {
        Ok(self.sim_call(channel, "GET", "/_sim/stock", None).await?[sku].as_i64())
    }

    /// Stops Chorus gracefully, then the simulators.
    pub async fn stop(self) {
        for c in &self.channels {
            self.registry.retire(crate::domain::ids::ChannelId(c.id));
        }
        self.server.stop(true).await;
        let _ = self.stopped.await;
        for c in &self.channels {
            c.sim.stop().await;
        }
        for (_, s) in self.fulfilment_centre.iter().chain(self.receiver.iter()) {
            s.stop().await;
        }
    }
}

use diesel::prelude::*;

async fn insert_channel(
    pool: &db::DbPool,
    kind: &'static str,
    name: String,
    webhook_secret: &str,
    opts: &SandboxOptions,
) -> anyhow::Result<i64> {
    let credentials = match kind {
        "shopify" => json!({"access_token": "shpat_demo", "webhook_secret": webhook_secret}),
        _ => json!({"consumer_key": "ck_demo", "consumer_secret": "cs_demo", "webhook_secret": webhook_secret}),
    };
    let now = db::now_ms();
    let values = db::channels::ChannelValues {
        name,
        kind: kind.into(),
        base_url: "http://127.0.0.1:1".into(),
        credentials: credentials.to_string(),
        poll_interval_secs: opts.poll_interval_secs,
        import_unpaid: false,
        import_fulfilled: false,
        stock_buffer: opts.stock_buffer,
        enabled: false,
        updated_at: now,
        ships_from: "api".into(),
        reserve_unpaid: true,
        options: serde_json::to_string(&opts.channel_options)?,
    };
    Ok(db::run(pool, move |conn| Ok(db::channels::insert(conn, &values, now)?)).await?.id)
}
