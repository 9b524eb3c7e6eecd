//! `/metrics` read by a real Prometheus text-format parser (`prometheus-parse`) while a sandbox
//! trades: admin-token protected, every family the README names present, and the counters
//! moving as orders flow.

use std::time::Duration;

use chorus::sandbox::{Sandbox, SandboxOptions};
use prometheus_parse::{Scrape, Value as Sample};
use serde_json::Value;

use crate::helpers::{backends, TestDb};

async fn scrape(sandbox: &Sandbox, token: Option<&str>) -> (u16, String, String) {
    let mut req = sandbox.client.get(format!("{}/metrics", sandbox.url));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let mut resp = req.send().await.expect("metrics answer");
    let body = resp.body().limit(16 << 20).await.expect("metrics body");
    let kind = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    (resp.status().as_u16(), kind, String::from_utf8_lossy(&body).into_owned())
}

fn parse(text: &str) -> Scrape {
    Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).expect("Prometheus text format")
}

/// The sum of a counter's (or gauge's) samples whose labels include `labels`.
fn total(scrape: &Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    scrape
        .samples
        .iter()
        .filter(|s| s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match &s.value {
            Sample::Counter(v) | Sample::Gauge(v) | Sample::Untyped(v) => *v,
            Sample::Histogram(h) => h.last().map(|b| b.count).unwrap_or(0.0),
            Sample::Summary(_) => 0.0,
        })
        .sum()
}

#[actix_web::test]
async fn metrics_parse_and_move_as_orders_flow() {
    for backend in backends() {
        let db = TestDb::new(backend);
        let sandbox = Sandbox::start(SandboxOptions {
            database_url: db.url.clone(),
            bind: "127.0.0.1:0".into(),
            skus: 3,
            stock: 50,
            throttle: false,
            fulfilment_centre: false,
            receiver: true,
            ..SandboxOptions::default()
        })
        .await
        .expect("sandbox starts");
        let (status, _, _) = scrape(&sandbox, None).await;
        assert_eq!(status, 401, "{backend:?}: /metrics without the admin token");
        let (status, kind, text) = scrape(&sandbox, Some(&sandbox.admin_token)).await;
        assert_eq!(status, 200, "{text}");
        assert!(kind.starts_with("text/plain; version=0.0.4"), "{kind}");
        let before = parse(&text);
        let channel = sandbox.channels[0].id.to_string();
        let imported_before =
            total(&before, "chorus_orders_imported_total", &[("channel", &channel), ("status", "new")]);

        for i in 0..3 {
            sandbox.place_order(0, &sandbox.skus[i % sandbox.skus.len()], 1).await.expect("order placed");
        }
        // Bounded: the counters move once the orders are in and their figures pushed.
        let mut after = parse(&scrape(&sandbox, Some(&sandbox.admin_token)).await.2);
        for _ in 0..120 {
            let imported = total(&after, "chorus_orders_imported_total", &[("channel", &channel), ("status", "new")]);
            let lag = total(&after, "chorus_sync_lag_seconds", &[]);
            let delivered = total(&after, "chorus_webhook_deliveries_total", &[("outcome", "ok")]);
            if imported >= imported_before + 3.0 && lag > 0.0 && delivered > 0.0 {
                break;
            }
            actix_web::rt::time::sleep(Duration::from_millis(500)).await;
            after = parse(&scrape(&sandbox, Some(&sandbox.admin_token)).await.2);
        }
        let imported = total(&after, "chorus_orders_imported_total", &[("channel", &channel), ("status", "new")]);
        assert!(imported >= imported_before + 3.0, "{backend:?}: orders imported {imported_before} -> {imported}");
        assert!(total(&after, "chorus_sync_lag_seconds", &[]) > 0.0, "{backend:?}: no sync-lag sample");
        assert!(
            total(&after, "chorus_webhook_deliveries_total", &[("outcome", "ok")]) > 0.0,
            "{backend:?}: no delivery"
        );
        assert!(
            total(&after, "chorus_channel_calls_total", &[("channel", &channel)]) > 0.0,
            "{backend:?}: no channel call"
        );
        assert!(
            total(&after, "chorus_http_requests_total", &[("route", "/metrics"), ("method", "GET"), ("status", "200")])
                >= 1.0,
            "{backend:?}: the scrape itself is counted"
        );
        // Every family the README names, with its type.
        let documented = [
            ("chorus_orders_imported_total", "counter"),
            ("chorus_pushes_total", "counter"),
            ("chorus_push_duration_seconds", "histogram"),
            ("chorus_sync_lag_seconds", "histogram"),
            ("chorus_queue_depth", "gauge"),
            ("chorus_queue_oldest_age_seconds", "gauge"),
            ("chorus_channel_calls_total", "counter"),
            ("chorus_channel_call_duration_seconds", "histogram"),
            ("chorus_webhook_deliveries_total", "counter"),
            ("chorus_webhook_delivery_duration_seconds", "histogram"),
            ("chorus_inventory_batch_size", "histogram"),
            ("chorus_inventory_transaction_seconds", "histogram"),
            ("chorus_http_requests_total", "counter"),
            ("chorus_http_request_duration_seconds", "histogram"),
            ("chorus_db_pool_connections", "gauge"),
        ];
        for (name, kind) in documented {
            let declared = text_type(&scrape(&sandbox, Some(&sandbox.admin_token)).await.2, name);
            assert_eq!(declared.as_deref(), Some(kind), "{backend:?}: {name}");
        }
        // Queues drain to zero and say so (a gauge left at its last value would alert forever).
        let target = format!("channel:{channel}");
        let mut depth = f64::MAX;
        for _ in 0..120 {
            depth = total(
                &parse(&scrape(&sandbox, Some(&sandbox.admin_token)).await.2),
                "chorus_queue_depth",
                &[("target", &target)],
            );
            if depth == 0.0 {
                break;
            }
            actix_web::rt::time::sleep(Duration::from_millis(500)).await;
        }
        assert_eq!(depth, 0.0, "{backend:?}: queue depth of {target}");
        let check = sandbox.api("GET", "/api/v1/admin/check", Value::Null).await.expect("invariant check");
        assert_eq!(check["ok"], true, "{backend:?}: {check}");
        sandbox.stop().await;
    }
}

/// The `# TYPE` a family is declared with.
fn text_type(text: &str, name: &str) -> Option<String> {
    text.lines().find_map(|l| l.strip_prefix(&format!("# TYPE {name} ")).map(|t| t.trim().to_string()))
}
