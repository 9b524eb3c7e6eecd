//! Prometheus metrics: counters and histograms noted where things happen, gauges read from the
//! database when `/metrics` is scraped (so several processes agree on them). The README names
//! each metric.

use std::sync::OnceLock;
use std::time::Duration;

use diesel::prelude::*;
use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::db::{self, DbConn};

/// Seconds: from a millisecond call to a minute-long sync lag.
const SECONDS_BUCKETS: &[f64] = &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0];
/// Mutations per InventoryActor batch.
const BATCH_BUCKETS: &[f64] = &[1.0, 2.0, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 1000.0, 10000.0];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process's recorder once (every application built in this process shares it).
pub fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let built = PrometheusBuilder::new()
                .set_buckets(SECONDS_BUCKETS)
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        metrics_exporter_prometheus::Matcher::Full("chorus_inventory_batch_size".into()),
                        BATCH_BUCKETS,
                    )
                })
                .map(|b| b.install_recorder());
            match built {
                Ok(Ok(handle)) => Some(handle),
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "metrics recorder not installed; /metrics shows gauges only");
                    None
                }
                Err(e) => {
                    tracing::warn!(error = %e, "metrics recorder not built");
                    None
                }
            }
        })
        .as_ref()
}

/// One outbound call ended (see `records`).
pub fn outbound(kind: &'static str, id: i64, ok: bool, took: Duration) {
    let outcome = if ok { "ok" } else { "failed" };
    match kind {
        "channel" => {
            counter!("chorus_channel_calls_total", "channel" => id.to_string(), "outcome" => outcome).increment(1);
            histogram!("chorus_channel_call_duration_seconds", "channel" => id.to_string()).record(took);
        }
        "plugin" => {
            counter!("chorus_plugin_sends_total", "plugin" => id.to_string(), "outcome" => outcome).increment(1);
            histogram!("chorus_plugin_send_duration_seconds", "plugin" => id.to_string()).record(took);
        }
        "subscriber" => {
            counter!("chorus_webhook_deliveries_total", "outcome" => outcome).increment(1);
            histogram!("chorus_webhook_delivery_duration_seconds").record(took);
        }
        _ => {}
    }
}

/// What one import did, counted by channel and by what became of the orders (`new`, `updated`,
/// `on_hold`, `awaiting_payment`, `fulfilled_on_channel`, `skipped`; an order can be new and
/// on hold at once).
pub fn import(channel: i64, o: &crate::actors::inventory::ImportOutcome) {
    for (status, count) in [
        ("new", o.new),
        ("updated", o.updated),
        ("on_hold", o.on_hold),
        ("awaiting_payment", o.awaiting_payment),
        ("fulfilled_on_channel", o.fulfilled_on_channel),
        ("skipped", o.skipped),
    ] {
        if count > 0 {
            counter!("chorus_orders_imported_total", "channel" => channel.to_string(), "status" => status)
                .increment(count as u64);
        }
    }
}

/// One stock push call to a channel and how many figures it confirmed.
pub fn pushed(channel: i64, confirmed: usize, ok: bool, took: Duration) {
    let outcome = if ok { "ok" } else { "failed" };
    counter!("chorus_pushes_total", "channel" => channel.to_string(), "outcome" => outcome).increment(1);
    counter!("chorus_figures_confirmed_total", "channel" => channel.to_string()).increment(confirmed as u64);
    histogram!("chorus_push_duration_seconds", "channel" => channel.to_string()).record(took);
}

/// From a figure queued to its confirmation on the channel.
pub fn sync_lag(channel: i64, lag: Duration) {
    histogram!("chorus_sync_lag_seconds", "channel" => channel.to_string()).record(lag);
}

/// One InventoryActor batch: its mutations and its transaction's time.
pub fn inventory_batch(size: usize, took: Duration) {
    histogram!("chorus_inventory_batch_size").record(size as f64);
    histogram!("chorus_inventory_transaction_seconds").record(took);
}

/// One HTTP request served, by route pattern (never the raw path: ids would explode the series).
pub fn http_request(route: &str, method: &str, status: u16, took: Duration) {
    let labels = [("route", route.to_string()), ("method", method.to_string()), ("status", status.to_string())];
    counter!("chorus_http_requests_total", &labels).increment(1);
    histogram!("chorus_http_request_duration_seconds", &labels[..2]).record(took);
}

/// Fulfilments by status.
fn fulfilments(conn: &mut DbConn) -> QueryResult<Vec<(String, i64)>> {
    use crate::db::schema::fulfilments;
    fulfilments::table.group_by(fulfilments::status).select((fulfilments::status, diesel::dsl::count_star())).load(conn)
}

static SEEN_FULFILMENT_STATUSES: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
static SEEN_HOLD_REASONS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// Sets one gauge per label value, and back to zero those seen before and gone now (a gauge
/// left at its last value would read as a hold that never clears).
fn set_labelled(
    name: &'static str,
    label: &'static str,
    values: Vec<(String, i64)>,
    seen: &std::sync::Mutex<Vec<String>>,
) {
    let mut seen = seen.lock().unwrap_or_else(|e| e.into_inner());
    for old in seen.iter() {
        if !values.iter().any(|(v, _)| v == old) {
            gauge!(name, label => old.clone()).set(0.0);
        }
    }
    for (value, count) in values {
        gauge!(name, label => value.clone()).set(count as f64);
        if !seen.contains(&value) {
            seen.push(value);
        }
    }
}

/// The gauges read at scrape time.
struct Snapshot {
    queues: Vec<(String, i64, Option<i64>)>,
    targets: Vec<String>,
    fulfilments: Vec<(String, i64)>,
    holds: Vec<(Option<String>, i64)>,
}

/// Sets the gauges from the database and renders every metric in Prometheus's text format.
pub async fn render(pool: &db::DbPool) -> Result<String, db::DbError> {
    let snapshot = db::run(pool, |conn| {
        let mut targets: Vec<String> =
            db::channels::list(conn)?.into_iter().map(|c| db::outbox::channel_target(c.id)).collect();
        targets.extend(db::plugins::list(conn)?.into_iter().map(|p| db::plugins::target(p.id)));
        Ok(Snapshot {
            queues: db::outbox::queues(conn)?,
            targets,
            fulfilments: fulfilments(conn)?,
            holds: db::orders::holds(conn)?,
        })
    })
    .await?;
    let now = db::now_ms();
    // Every known target is set, to zero when its queue is empty, so a drained queue reads 0.
    for target in &snapshot.targets {
        let found = snapshot.queues.iter().find(|(t, _, _)| t == target);
        let (depth, oldest) = found.map(|(_, d, o)| (*d, *o)).unwrap_or((0, None));
        let age = oldest.map(|at| (now - at).max(0) as f64 / 1000.0).unwrap_or(0.0);
        gauge!("chorus_queue_depth", "target" => target.clone()).set(depth as f64);
        gauge!("chorus_queue_oldest_age_seconds", "target" => target.clone()).set(age);
    }
    set_labelled("chorus_fulfilments", "status", snapshot.fulfilments, &SEEN_FULFILMENT_STATUSES);
    let holds = snapshot.holds.into_iter().map(|(reason, n)| (reason.unwrap_or_else(|| "none".into()), n)).collect();
    set_labelled("chorus_orders_on_hold", "reason", holds, &SEEN_HOLD_REASONS);
    let state = pool.state();
    gauge!("chorus_db_pool_connections", "state" => "idle").set(state.idle_connections as f64);
    gauge!("chorus_db_pool_connections", "state" => "in_use")
        .set(state.connections.saturating_sub(state.idle_connections) as f64);
    gauge!("chorus_db_pool_max_connections").set(pool.max_size() as f64);
    Ok(install().map(|h| h.render()).unwrap_or_default())
}
