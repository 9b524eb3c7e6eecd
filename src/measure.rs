//! Prometheus metrics: the process's recorder, and the counters and histograms noted where
//! things happen (the gauges are read from the database at each scrape, `http::metrics`). The
//! README names each metric.

use std::sync::OnceLock;
use std::time::Duration;

use metrics::{counter, histogram};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

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
pub fn import(channel: i64, counts: &[(&'static str, usize)]) {
    for (status, count) in counts.iter().filter(|(_, n)| *n > 0) {
        counter!("chorus_orders_imported_total", "channel" => channel.to_string(), "status" => *status)
            .increment(*count as u64);
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

/// A write refused because this process no longer holds the lease it was made under (it was
/// paused or cut off past the lease's time and another process took the target over).
pub fn fenced(kind: &'static str) {
    counter!("chorus_fenced_writes_total", "kind" => kind).increment(1);
}

/// One HTTP request served, by route pattern (never the raw path: ids would explode the series).
pub fn http_request(route: &str, method: &str, status: u16, took: Duration) {
    let labels = [("route", route.to_string()), ("method", method.to_string()), ("status", status.to_string())];
    counter!("chorus_http_requests_total", &labels).increment(1);
    histogram!("chorus_http_request_duration_seconds", &labels[..2]).record(took);
}

/// The gauges' text: every metric in Prometheus's text format.
pub fn render() -> String {
    install().map(|h| h.render()).unwrap_or_default()
}
