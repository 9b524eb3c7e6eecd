//! `TestApp`: starts the real application on port 0 against a fresh database, and offers
//! typed calls. `backends()` lists the databases every scenario runs against.

use std::time::Duration;

use awc::http::StatusCode;
use chorus::config::{Secret, Settings};
use chorus::Application;
use diesel::connection::SimpleConnection;
use diesel::Connection;
use serde_json::{json, Value};

pub const TOKEN: &str = "test-admin-token";

/// The HTTP client every test call to a simulator or receiver uses; it trusts the
/// simulators' test certificate (`--tls`).
pub fn client() -> awc::Client {
    static TLS: std::sync::OnceLock<openssl::ssl::SslConnector> = std::sync::OnceLock::new();
    let tls = TLS.get_or_init(|| {
        let mut tls = openssl::ssl::SslConnector::builder(openssl::ssl::SslMethod::tls()).expect("tls");
        tls.set_ca_file(concat!(env!("CARGO_MANIFEST_DIR"), "/src/sim/tls/sim-cert.pem")).expect("test certificate");
        tls.set_alpn_protos(b"\x08http/1.1").expect("alpn");
        tls.build()
    });
    awc::Client::builder()
        .timeout(Duration::from_secs(30))
        .connector(awc::Connector::new().openssl(tls.clone()))
        .finish()
}

/// A JSON request (`POST`, `PUT`, `PATCH`, `DELETE`, or `GET` without a body) to a simulator on
/// loopback: its status and its body (`Null` if not JSON), whatever the status.
pub async fn send_json(method: &str, url: &str, body: Option<Value>) -> (StatusCode, Value) {
    let method = awc::http::Method::from_bytes(method.as_bytes()).expect("method");
    let req = client().request(method, url);
    let mut resp = match body {
        Some(b) => req.send_json(&b).await,
        None => req.send().await,
    }
    .expect("request");
    let status = resp.status();
    (status, resp.json::<Value>().limit(64 << 20).await.unwrap_or(Value::Null))
}

/// A `GET` that must succeed, and its JSON body.
pub async fn get_json(url: &str) -> Value {
    let (status, v) = send_json("GET", url, None).await;
    assert!(status.is_success(), "GET {url} → {status}");
    v
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// SQLite always; PostgreSQL when TEST_DATABASE_URL names a server to create databases on.
pub fn backends() -> Vec<Backend> {
    let mut v = vec![Backend::Sqlite];
    if std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty()) {
        v.push(Backend::Postgres);
    }
    v
}

/// A database of the test's own, removed when dropped.
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg_admin: Option<(String, String)>,
}

impl TestDb {
    pub fn new(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}/chorus.db", dir.path().display());
                TestDb { url, _dir: Some(dir), pg_admin: None }
            }
            Backend::Postgres => {
                let admin_url = std::env::var("TEST_DATABASE_URL").expect("TEST_DATABASE_URL");
                let name = format!("chorus_test_{}", uuid_like());
                let mut admin = diesel::PgConnection::establish(&admin_url).expect("connect to TEST_DATABASE_URL");
                admin.batch_execute(&format!("CREATE DATABASE {name}")).expect("create test database");
                let mut url = url::Url::parse(&admin_url).expect("TEST_DATABASE_URL is a URL");
                url.set_path(&name);
                TestDb { url: url.to_string(), _dir: None, pg_admin: Some((admin_url, name)) }
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = &self.pg_admin {
            if let Ok(mut admin) = diesel::PgConnection::establish(admin_url) {
                let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        }
    }
}

fn uuid_like() -> String {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    (0..16).map(|_| char::from(b'a' + rng.gen_range(0..26))).collect()
}

pub fn settings_for(db: &TestDb) -> Settings {
    let mut s = Settings::defaults();
    s.http.bind = "127.0.0.1:0".into();
    s.database.url = Secret::new(db.url.clone());
    s.database.pool_size = 4;
    s.auth.admin_token = Secret::new(TOKEN);
    // The simulators and receivers all listen on 127.0.0.1.
    s.webhooks.allow_private_networks = true;
    // The simulators' --tls certificate (test material, loopback only).
    s.http.extra_ca_file = concat!(env!("CARGO_MANIFEST_DIR"), "/src/sim/tls/sim-cert.pem").into();
    s
}

pub struct TestApp {
    pub address: String,
    pub client: awc::Client,
    pub handle: actix_web::dev::ServerHandle,
    pub app_inventory: actix::Addr<chorus::actors::inventory::InventoryActor>,
    pub generated_token: Option<String>,
    pub channels: chorus::actors::registry::ChannelRegistry,
    stopped: Option<tokio::sync::oneshot::Receiver<()>>,
}

pub async fn spawn_app(db: &TestDb) -> TestApp {
    spawn_with(settings_for(db)).await
}

pub async fn spawn_with(settings: Settings) -> TestApp {
    if std::env::var("TEST_LOG").is_ok() {
        chorus::telemetry::init(&settings.log);
    }
    let app = Application::build(settings).await.expect("application builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let handle = app.server_handle();
    let app_inventory = app.inventory();
    let generated_token = app.generated_admin_token().map(|t| t.expose().to_string());
    let channels = app.channels();
    let (tx, rx) = tokio::sync::oneshot::channel();
    actix_web::rt::spawn(async move {
        let _ = app.run_until_stopped().await;
        let _ = tx.send(());
    });
    let client = awc::Client::builder().timeout(Duration::from_secs(30)).finish();
    TestApp { address, client, handle, app_inventory, generated_token, channels, stopped: Some(rx) }
}

/// A response with its status and JSON body (Null when empty or not JSON).
pub struct Reply {
    pub status: StatusCode,
    pub content_type: String,
    pub body: Value,
}

impl TestApp {
    pub async fn request(&self, method: &str, path: &str, body: Option<Value>, token: Option<&str>) -> Reply {
        self.request_with(method, path, body, token, &[]).await
    }

    /// `request` with extra headers.
    pub async fn request_with(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        token: Option<&str>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let method = awc::http::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self.client.request(method, format!("{}{}", self.address, path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        for (name, value) in headers {
            req = req.insert_header((*name, *value));
        }
        let mut resp = match body {
            Some(b) => req.send_json(&b).await,
            None => req.send().await,
        }
        .expect("request reaches the app");
        let bytes = resp.body().limit(64 << 20).await.expect("body");
        Reply {
            status: resp.status(),
            content_type: resp
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string(),
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        }
    }

    pub async fn raw(&self, method: &str, path: &str, body: Vec<u8>) -> Reply {
        let method = awc::http::Method::from_bytes(method.as_bytes()).expect("method");
        let mut resp = self
            .client
            .request(method, format!("{}{}", self.address, path))
            .bearer_auth(TOKEN)
            .insert_header(("content-type", "application/json"))
            .send_body(body)
            .await
            .expect("request reaches the app");
        let bytes = resp.body().limit(64 << 20).await.unwrap_or_default();
        Reply {
            status: resp.status(),
            content_type: resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().into(),
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.request("GET", path, None, Some(TOKEN)).await
    }
    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.request("POST", path, Some(body), Some(TOKEN)).await
    }
    pub async fn put(&self, path: &str, body: Value) -> Reply {
        self.request("PUT", path, Some(body), Some(TOKEN)).await
    }
    pub async fn patch(&self, path: &str, body: Value) -> Reply {
        self.request("PATCH", path, Some(body), Some(TOKEN)).await
    }
    pub async fn delete(&self, path: &str) -> Reply {
        self.request("DELETE", path, None, Some(TOKEN)).await
    }

    pub async fn create_product(&self, sku: &str) -> Reply {
        let r = self.post("/api/v1/products", json!({"sku": sku, "title": format!("Product {sku}")})).await;
        assert_eq!(r.status, StatusCode::CREATED, "create {sku}: {}", r.body);
        r
    }

    pub async fn set_stock(&self, sku: &str, quantity: i64) -> Reply {
        self.put(&format!("/api/v1/inventory/{sku}/sources/api"), json!({"quantity": quantity})).await
    }

    pub async fn inventory(&self, sku: &str) -> Value {
        let r = self.get(&format!("/api/v1/inventory/{sku}")).await;
        assert_eq!(r.status, StatusCode::OK, "inventory {sku}: {}", r.body);
        r.body
    }

    /// Creates a channel of `kind` against a simulator; polls only when asked (or webhooked).
    pub async fn create_channel(&self, kind: &str, base_url: &str, webhook_secret: &str) -> i64 {
        let credentials = match kind {
            "shopify" => json!({"access_token": "shpat_test", "webhook_secret": webhook_secret}),
            _ => json!({"consumer_key": "ck_test", "consumer_secret": "cs_test", "webhook_secret": webhook_secret}),
        };
        let r = self
            .post(
                "/api/v1/channels",
                json!({"name": format!("{kind} sim"), "kind": kind, "base_url": base_url,
                       "credentials": credentials, "poll_interval_secs": 3600}),
            )
            .await;
        assert_eq!(r.status.as_u16(), 201, "create channel: {}", r.body);
        r.body["id"].as_i64().expect("channel id")
    }

    /// Registers a plugin that takes no channel's orders (a stock source only); returns its id
    /// and token.
    pub async fn create_plugin(&self, name: &str) -> (i64, String) {
        let body = json!({"name": name, "orders_url": "http://127.0.0.1:9/orders", "routing": {"channels": [999]}});
        let p = self.post("/api/v1/plugins", body).await;
        assert_eq!(p.status.as_u16(), 201, "create plugin: {}", p.body);
        (p.body["id"].as_i64().expect("plugin id"), p.body["token"].as_str().expect("token").to_string())
    }

    /// Asks for a poll and waits until one has finished after the ask; returns the channel.
    pub async fn poll_once(&self, channel_id: i64) -> Value {
        let path = format!("/api/v1/channels/{channel_id}");
        let before = self.get(&path).await.body["status"]["last_poll_at"].clone();
        self.sync(channel_id).await;
        self.wait_for(&path, 60, |c| c["status"]["last_poll_at"] != before && !c["status"]["last_poll_at"].is_null())
            .await
    }

    pub async fn sync(&self, channel_id: i64) {
        let r = self.post(&format!("/api/v1/channels/{channel_id}/sync"), json!({})).await;
        assert_eq!(r.status.as_u16(), 202, "sync: {}", r.body);
    }

    /// All orders (one page of up to 1000).
    pub async fn orders(&self, query: &str) -> Vec<Value> {
        let r = self.get(&format!("/api/v1/orders?limit=1000{query}")).await;
        assert_eq!(r.status.as_u16(), 200, "orders: {}", r.body);
        r.body["items"].as_array().cloned().unwrap_or_default()
    }

    pub async fn channel(&self, id: i64) -> Value {
        self.get(&format!("/api/v1/channels/{id}")).await.body
    }

    /// Syncs `channel_id` until `done` holds for its orders; gives up after a bounded number
    /// of rounds (the channel's poll may already be running: a sync then queues another).
    /// The bound is a minute: under Shopify's cost throttle, with pushes spending the same
    /// budget, one poll can take well over the 15 s this allowed before.
    pub async fn sync_until(&self, channel_id: i64, what: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        for round in 0..1200 {
            if round % 10 == 0 {
                self.sync(channel_id).await;
            }
            let orders = self.orders(&format!("&channel_id={channel_id}")).await;
            if done(&orders) {
                return orders;
            }
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("gave up waiting for {what} on channel {channel_id}: {:?}", self.channel(channel_id).await["status"]);
    }

    /// Stops the server gracefully and waits until the app has finished.
    /// GETs `path` until `done` holds (for at most `secs` seconds) and returns that body.
    pub async fn wait_for(&self, path: &str, secs: u64, done: impl Fn(&Value) -> bool) -> Value {
        let done = &done;
        eventually(secs, &format!("GET {path}"), || async move {
            let body = self.get(path).await.body;
            if done(&body) {
                Ok(body)
            } else {
                Err(format!("{body}"))
            }
        })
        .await
    }

    /// `GET /api/v1/admin/check`, asserted healthy.
    pub async fn assert_books_balance(&self) {
        let r = self.get("/api/v1/admin/check").await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert_eq!(r.body["ok"], true, "stock check: {:#}", r.body["violations"]);
    }

    pub async fn stop(mut self) {
        self.handle.stop(true).await;
        if let Some(rx) = self.stopped.take() {
            let _ = rx.await;
        }
    }
}

/// Asserts a problem+json error with the given status and code.
pub fn assert_problem(r: &Reply, status: u16, code: &str) {
    assert_eq!(r.status.as_u16(), status, "status; body: {}", r.body);
    assert!(r.content_type.starts_with("application/problem+json"), "content-type {}", r.content_type);
    assert_eq!(r.body["code"], code, "code; body: {}", r.body);
    assert_eq!(r.body["status"], status);
}

/// A simulator in this test's process, with typed calls on its `/_sim/` API.
pub struct Sim {
    pub handle: chorus::sim::SimHandle,
}

impl Sim {
    pub async fn start(kind: &str, webhook: Option<(String, String)>) -> Sim {
        let mut opts = chorus::sim::SimOptions::default();
        if let Some((url, secret)) = webhook {
            opts.webhook_url = Some(url);
            opts.webhook_secret = Some(secret);
        }
        Sim::start_with(kind, opts).await
    }

    pub async fn start_with(kind: &str, opts: chorus::sim::SimOptions) -> Sim {
        let handle = match kind {
            "shopify" => chorus::sim::shopify::start(opts).await,
            "plugin" => chorus::sim::plugin::start(opts).await,
            "receiver" => chorus::sim::receiver::start(opts).await,
            _ => chorus::sim::woocommerce::start(opts).await,
        }
        .expect("simulator starts");
        Sim { handle }
    }

    pub fn url(&self) -> String {
        self.handle.base_url.clone()
    }

    pub async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let (status, v) = send_json(method, &format!("{}{}", self.handle.base_url, path), body).await;
        assert!(status.is_success(), "sim {path}: {status}");
        v
    }

    /// The simulator's stock per SKU.
    pub async fn stock(&self) -> std::collections::BTreeMap<String, i64> {
        serde_json::from_value(self.call("GET", "/_sim/stock", None).await).expect("stock map")
    }

    /// The stock pushes the simulator accepted, oldest first.
    pub async fn stock_calls(&self) -> Vec<Value> {
        self.call("GET", "/_sim/stock_calls", None).await.as_array().cloned().unwrap_or_default()
    }

    /// Creates an order; returns the id Chorus will know it by (Shopify gid / Woo id).
    pub async fn order(&self, lines: &[(&str, i64)], paid: bool) -> (i64, String) {
        let lines: Vec<Value> = lines.iter().map(|(s, q)| json!({"sku": s, "quantity": q})).collect();
        let r = self.call("POST", "/_sim/orders", Some(json!({"lines": lines, "paid": paid}))).await;
        let id = r["id"].as_i64().expect("sim order id");
        let external = r["gid"].as_str().map(str::to_string).unwrap_or_else(|| id.to_string());
        (id, external)
    }
}

/// Polls `check` every 50 ms until it returns Some, for at most `secs` seconds; panics with
/// `what` and the last value seen otherwise.
pub async fn eventually<T, F, Fut>(secs: u64, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, String>>,
{
    let mut last = String::new();
    for _ in 0..secs * 20 {
        match check().await {
            Ok(v) => return v,
            Err(seen) => last = seen,
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("gave up waiting for {what}; last seen: {last}");
}

/// DESIGN §2, the whole invariant check (`chorus check`): on_hand is the sum of the sources,
/// allocated what open lines hold, closed orders hold nothing, pending pushes carry today's
/// figure. Panics listing every violation.
pub async fn assert_allocation_invariant(db: &TestDb) {
    let pool = chorus::db::build_pool(&settings_for(db).database).expect("pool");
    let books = chorus::db::run(&pool, |conn| Ok(chorus::db::check::load(conn)?)).await.expect("reads");
    let violations = chorus::domain::check::check(&books);
    assert!(violations.is_empty(), "stock invariants violated: {violations:#?}");
}
