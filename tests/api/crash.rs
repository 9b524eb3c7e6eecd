//! Crash safety: SIGKILL the real `chorus serve` process in the middle of importing a few
//! thousand orders, start it again, and every order is imported exactly once with `allocated`
//! equal to the sum of open lines for every SKU.

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::*;

const ORDERS: usize = 3000;
const SKUS: usize = 20;

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The `chorus serve` child, killed when dropped, so a failing test leaves no process behind.
pub(crate) struct Chorus(Child);

impl Chorus {
    pub(crate) fn kill(&mut self) -> std::io::Result<()> {
        self.0.kill()
    }
    pub(crate) fn id(&self) -> u32 {
        self.0.id()
    }
    pub(crate) fn wait(&mut self) -> std::io::Result<std::process::ExitStatus> {
        self.0.wait()
    }
}

impl Drop for Chorus {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_chorus(db: &TestDb, port: u16) -> Chorus {
    start_chorus_with(db, port, &[])
}

/// `chorus serve` on `port` with `env` (CHORUS__… settings) beside the test's own.
pub(crate) fn start_chorus_with(db: &TestDb, port: u16, env: &[(&str, &str)]) -> Chorus {
    Chorus(
        Command::new(env!("CARGO_BIN_EXE_chorus"))
            .arg("serve")
            .envs(env.iter().copied())
            .env("CHORUS__DATABASE__URL", &db.url)
            .env("CHORUS__HTTP__BIND", format!("127.0.0.1:{port}"))
            .env("CHORUS__AUTH__ADMIN_TOKEN", TOKEN)
            .env("CHORUS__LOG__FILTER", "warn")
            .env("CHORUS__WEBHOOKS__ALLOW_PRIVATE_NETWORKS", "true")
            .stdout(Stdio::null())
            // TEST_LOG=1 shows the children's warnings beside the test's own output.
            .stderr(if std::env::var("TEST_LOG").is_ok() { Stdio::inherit() } else { Stdio::null() })
            .spawn()
            .expect("chorus starts"),
    )
}

pub(crate) struct Remote {
    base: String,
    client: awc::Client,
}

impl Remote {
    pub(crate) fn new(port: u16) -> Remote {
        Remote {
            base: format!("http://127.0.0.1:{port}"),
            client: awc::Client::builder().timeout(Duration::from_secs(30)).finish(),
        }
    }

    /// Creates a channel of `kind` against `base_url` (hourly polls); returns its id.
    pub(crate) async fn create_channel(&self, kind: &str, base_url: &str) -> i64 {
        let credentials = match kind {
            "shopify" => json!({"access_token": "t"}),
            _ => json!({"consumer_key": "ck", "consumer_secret": "cs"}),
        };
        let body = json!({"name": kind, "kind": kind, "base_url": base_url, "credentials": credentials,
                          "poll_interval_secs": 3600});
        let channel = self.call("POST", "/api/v1/channels", Some(body)).await.expect("channel created");
        channel["id"].as_i64().expect("channel id")
    }

    pub(crate) async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Option<Value> {
        let method = awc::http::Method::from_bytes(method.as_bytes()).ok()?;
        let req = self.client.request(method, format!("{}{}", self.base, path)).bearer_auth(TOKEN);
        let mut resp = match body {
            Some(b) => req.send_json(&b).await.ok()?,
            None => req.send().await.ok()?,
        };
        resp.json::<Value>().limit(64 << 20).await.ok()
    }

    /// A GET answered in plain text (`/metrics`), if it answered at all.
    pub(crate) async fn text(&self, path: &str) -> Option<String> {
        let mut resp = self.client.get(format!("{}{}", self.base, path)).bearer_auth(TOKEN).send().await.ok()?;
        let body = resp.body().limit(16 << 20).await.ok()?;
        Some(String::from_utf8_lossy(&body).into_owned())
    }

    pub(crate) async fn wait_healthy(&self) {
        for _ in 0..400 {
            if self.call("GET", "/health", None).await.is_some_and(|h| h["status"] == "ok") {
                return;
            }
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("chorus did not become healthy");
    }
}

#[actix_web::test]
async fn sigkill_mid_import_loses_and_doubles_nothing() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let woo = Sim::start("woocommerce", None).await;
        let skus: Vec<String> = (0..SKUS).map(|i| format!("K-{i:02}")).collect();
        let mut expected: HashMap<String, i64> = HashMap::new();
        for n in 0..ORDERS {
            let lines: Vec<(&str, i64)> =
                (0..3).map(|j| (skus[(n + j * 7) % SKUS].as_str(), 1 + (n % 3) as i64)).collect();
            for (sku, q) in &lines {
                *expected.entry(sku.to_string()).or_default() += q;
            }
            woo.order(&lines, true).await;
        }

        let port = free_port();
        let remote = Remote::new(port);
        let mut child = start_chorus(&db, port);
        remote.wait_healthy().await;
        let items: Vec<Value> = skus.iter().map(|s| json!({"sku": s, "quantity": 1_000_000})).collect();
        remote.call("PUT", "/api/v1/inventory", Some(json!({"items": items, "create_missing": true}))).await.unwrap();
        let id = remote.create_channel("woocommerce", &woo.url()).await;
        // Kill it as soon as the import is under way.
        let mut seen_before_kill = 0;
        for _ in 0..2000 {
            seen_before_kill = remote
                .call("GET", &format!("/api/v1/channels/{id}"), None)
                .await
                .and_then(|c| c["status"]["orders_imported"].as_i64())
                .unwrap_or(0);
            if seen_before_kill > 0 {
                break;
            }
            actix_web::rt::time::sleep(Duration::from_millis(5)).await;
        }
        child.kill().expect("SIGKILL");
        child.wait().unwrap();
        eprintln!("{backend:?}: killed with {seen_before_kill} of {ORDERS} orders imported");

        let mut child = start_chorus(&db, port);
        remote.wait_healthy().await;
        let mut imported = 0;
        for _ in 0..1200 {
            imported = remote
                .call("GET", &format!("/api/v1/channels/{id}"), None)
                .await
                .and_then(|c| c["status"]["orders_imported"].as_i64())
                .unwrap_or(0);
            if imported as usize >= ORDERS {
                break;
            }
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(imported as usize, ORDERS, "{backend:?}: import did not finish after restart");

        // Every order once: walk all pages and count external ids.
        let mut externals = Vec::new();
        let mut path = "/api/v1/orders?limit=1000".to_string();
        for _ in 0..10 {
            let page = remote.call("GET", &path, None).await.unwrap();
            externals.extend(
                page["items"].as_array().unwrap().iter().map(|o| o["external_id"].as_str().unwrap().to_string()),
            );
            match page["next_cursor"].as_str() {
                Some(c) => path = format!("/api/v1/orders?limit=1000&cursor={c}"),
                None => break,
            }
        }
        let total = externals.len();
        externals.sort();
        externals.dedup();
        assert_eq!((total, externals.len()), (ORDERS, ORDERS), "{backend:?}: orders missing or doubled");
        for sku in &skus {
            let inv = remote.call("GET", &format!("/api/v1/inventory/{sku}"), None).await.unwrap();
            assert_eq!(inv["allocated"].as_i64(), Some(expected[sku]), "{backend:?}: {sku}");
        }
        child.kill().ok();
        child.wait().ok();
        assert_allocation_invariant(&db).await;
    }
}

#[actix_web::test]
async fn a_push_interrupted_by_sigkill_is_sent_after_restart() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let shopify = Sim::start("shopify", None).await;
        shopify.call("PUT", "/_sim/stock", Some(json!({"P-1": 5}))).await;
        let port = free_port();
        let remote = Remote::new(port);
        let mut child = start_chorus(&db, port);
        remote.wait_healthy().await;
        let items = json!({"items": [{"sku": "P-1", "quantity": 5}], "create_missing": true});
        remote.call("PUT", "/api/v1/inventory", Some(items)).await.unwrap();
        let id = remote.create_channel("shopify", &shopify.url()).await;
        eventually(30, "the listing linked and its queue empty", || async {
            let listing = remote.call("GET", &format!("/api/v1/channels/{id}/products/P-1"), None).await;
            let status = remote.call("GET", &format!("/api/v1/channels/{id}"), None).await.map(|c| c["status"].clone());
            match (listing, status) {
                (Some(l), Some(s)) if l["channel_quantity"] == 5 && s["queue_depth"] == 0 => Ok(()),
                other => Err(format!("{other:?}")),
            }
        })
        .await;
        // The next push hangs for 3 s and then fails: Chorus is killed while it waits.
        shopify.call("POST", "/_sim/faults", Some(json!({"status": 503, "delay_ms": 3000}))).await;
        remote.call("PUT", "/api/v1/inventory/P-1/sources/api", Some(json!({"quantity": 77}))).await.unwrap();
        eventually(30, "the push to be in flight", || async {
            let log = shopify.call("GET", "/_sim/requests", None).await["recent"].clone();
            match log.as_array().and_then(|l| l.last()) {
                Some(last) if last["fault_status"] == 503 => Ok(()),
                other => Err(format!("{other:?}")),
            }
        })
        .await;
        child.kill().expect("SIGKILL");
        child.wait().unwrap();
        assert_eq!(shopify.stock().await.get("P-1"), Some(&5), "{backend:?}: nothing applied before the kill");

        let mut child = start_chorus(&db, port);
        remote.wait_healthy().await;
        eventually(60, "the push after restart", || async {
            match shopify.stock().await.get("P-1") {
                Some(77) => Ok(()),
                other => Err(format!("{backend:?}: sim has {other:?}")),
            }
        })
        .await;
        child.kill().ok();
        child.wait().ok();
    }
}

#[actix_web::test]
async fn sigkill_while_a_fulfilment_is_on_its_way_ends_with_exactly_one_on_the_channel() {
    for backend in backends() {
        for kind in ["shopify", "woocommerce"] {
            let db = TestDb::new(backend);
            let sim = Sim::start(kind, None).await;
            sim.call("PUT", "/_sim/stock", Some(json!({"F-1": 5}))).await;
            let port = free_port();
            let remote = Remote::new(port);
            let mut child = start_chorus(&db, port);
            remote.wait_healthy().await;
            let items = json!({"items": [{"sku": "F-1", "quantity": 5}], "create_missing": true});
            remote.call("PUT", "/api/v1/inventory", Some(items)).await.unwrap();
            let id = remote.create_channel(kind, &sim.url()).await;
            sim.order(&[("F-1", 2)], true).await;
            let order = eventually(30, "the order imported and the queue empty", || async {
                remote.call("POST", &format!("/api/v1/channels/{id}/sync"), Some(json!({}))).await;
                let orders = remote.call("GET", "/api/v1/orders", None).await.unwrap_or_default();
                let status = remote.call("GET", &format!("/api/v1/channels/{id}"), None).await.unwrap_or_default();
                match orders["items"][0]["id"].as_i64() {
                    Some(o) if status["status"]["queue_depth"] == 0 => Ok(o),
                    _ => Err(format!("{orders} {status}")),
                }
            })
            .await;
            // The fulfilment's first call goes through; the second (the one that creates it on
            // the channel) is held for 3 s, and Chorus is killed while it waits for the answer.
            let before = sim.call("GET", "/_sim/requests", None).await["count"].as_u64().unwrap();
            sim.call("POST", "/_sim/faults", Some(json!([{"delay_ms": 0}, {"delay_ms": 3000}]))).await;
            let r = remote
                .call("POST", &format!("/api/v1/orders/{order}/fulfilments"), Some(json!({"tracking_number": "TRK-K"})))
                .await
                .unwrap();
            assert!(r["id"].is_i64(), "{r}");
            eventually(30, "the creating call to be in flight", || async {
                let n = sim.call("GET", "/_sim/requests", None).await["count"].as_u64().unwrap();
                if n >= before + 2 {
                    Ok(())
                } else {
                    Err(format!("{n} requests"))
                }
            })
            .await;
            child.kill().expect("SIGKILL");
            child.wait().unwrap();
            // Whatever the channel makes of the call it was sent, let it finish first.
            actix_web::rt::time::sleep(Duration::from_millis(3500)).await;

            let mut child = start_chorus(&db, port);
            remote.wait_healthy().await;
            eventually(60, "the order synced after restart", || async {
                let o = remote.call("GET", &format!("/api/v1/orders/{order}"), None).await.unwrap_or_default();
                if o["status"] == "synced" {
                    Ok(())
                } else {
                    Err(format!("{backend:?} {kind}: {o}"))
                }
            })
            .await;
            let held = sim.call("GET", "/_sim/fulfilments", None).await;
            let count = held.as_array().unwrap().iter().filter(|f| f.to_string().contains("TRK-K")).count();
            assert_eq!(count, 1, "{backend:?} {kind}: exactly one fulfilment on the channel: {held}");
            child.kill().ok();
            child.wait().ok();
        }
    }
}

#[actix_web::test]
async fn sigkill_during_a_burst_of_10000_events_loses_no_webhook() {
    const EVENTS: usize = 10_000;
    for backend in backends() {
        let db = TestDb::new(backend);
        let receiver = Sim::start("receiver", None).await;
        let port = free_port();
        let remote = Remote::new(port);
        let mut child = start_chorus(&db, port);
        remote.wait_healthy().await;
        let sub = remote
            .call(
                "POST",
                "/api/v1/webhooks",
                Some(json!({"url": receiver.handle.url("/hooks"), "events": ["inventory.updated"]})),
            )
            .await
            .expect("subscribed");
        assert!(sub["id"].is_i64(), "{sub}");
        // One bulk call: 10,000 SKUs created and stocked, 10,000 inventory.updated events.
        let items: Vec<Value> = (0..EVENTS).map(|i| json!({"sku": format!("E-{i:05}"), "quantity": 3})).collect();
        remote.call("PUT", "/api/v1/inventory", Some(json!({"items": items, "create_missing": true}))).await.unwrap();
        let stats = || async { receiver.call("GET", "/_sim/stats", None).await };
        // Kill it while the burst is being delivered.
        let mut before = 0;
        for _ in 0..2000 {
            before = stats().await["unique_accepted"].as_u64().unwrap_or(0);
            if before > 0 {
                break;
            }
            actix_web::rt::time::sleep(Duration::from_millis(5)).await;
        }
        child.kill().expect("SIGKILL");
        child.wait().unwrap();
        eprintln!("{backend:?}: killed with {before} of {EVENTS} events delivered");

        let mut child = start_chorus(&db, port);
        remote.wait_healthy().await;
        let done = eventually(180, &format!("{backend:?}: every event delivered"), || async {
            let s = stats().await;
            if s["unique_accepted"].as_u64() == Some(EVENTS as u64) {
                Ok(s)
            } else {
                Err(format!("{s}"))
            }
        })
        .await;
        // At least once each; any duplicate is the same webhook-id (counted once above), and
        // the ids are exactly the burst's events.
        let arrivals = receiver.call("GET", "/_sim/received", None).await;
        let mut skus: Vec<&str> = arrivals
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["status"] == 200)
            .filter_map(|a| a["body"]["data"]["sku"].as_str())
            .collect();
        skus.sort();
        skus.dedup();
        assert_eq!(skus.len(), EVENTS, "{backend:?}: {done}");
        eprintln!("{backend:?}: {done}");
        child.kill().ok();
        child.wait().ok();
    }
}
