//! `/`: every channel, plugin and webhook subscription with its health, the orders on hold,
//! and each channel's sync lag over the last hour.

use actix_web::{web, HttpResponse};
use maud::html;
use serde_json::Value;

use super::layout::{self, ago};
use super::session::Signed;
use super::{chart, items, json, text};
use crate::db;
use crate::error::ApiResult;
use crate::http::AppState;

/// A channel's health in one word, and why.
fn health(c: &Value) -> (&'static str, &'static str) {
    let s = &c["status"];
    if c["enabled"] != Value::Bool(true) {
        ("disabled", "")
    } else if !s["last_error"].is_null() || !s["last_push_error"].is_null() {
        ("failing", "bad")
    } else if s["oldest_pending_age_secs"].as_i64().unwrap_or(0) > 60 {
        ("lagging", "warn")
    } else if s["running"] == Value::Bool(true) {
        ("healthy", "ok")
    } else {
        ("starting", "warn")
    }
}

#[tracing::instrument(skip_all)]
pub async fn page(state: web::Data<AppState>, signed: Signed) -> ApiResult<HttpResponse> {
    let channels = json(crate::http::channels::list::list(state.clone()).await).await?;
    let plugins = json(crate::http::plugins::manage::list(state.clone()).await).await?;
    let hooks = json(crate::http::webhooks::manage::list(state.clone()).await).await?;
    let cluster = json(crate::http::admin::cluster::cluster(state.clone()).await).await?;
    let since = db::now_ms() - 3_600_000;
    let ids: Vec<i64> = items(&channels).filter_map(|c| c["id"].as_i64()).collect();
    let (holds, lags, queues) = db::run(&state.pool, move |conn| {
        let lags: Vec<(i64, Vec<(i64, i64)>)> = ids
            .into_iter()
            .map(|id| db::transactions::lag_since(conn, id, since).map(|l| (id, l)))
            .collect::<Result<_, _>>()?;
        Ok((db::orders::holds(conn)?, lags, db::outbox::queues(conn)?))
    })
    .await?;
    let median_lag = |id: i64| {
        let mut l: Vec<i64> =
            lags.iter().find(|(i, _)| *i == id).map(|(_, s)| s.iter().map(|(_, l)| *l).collect()).unwrap_or_default();
        l.sort_unstable();
        l.get(l.len() / 2).map(|m| format!("{m} ms")).unwrap_or_else(|| "—".into())
    };
    let plugin_queue = |id: &Value| {
        let target = db::plugins::target(id.as_i64().unwrap_or_default());
        queues.iter().find(|(t, _, _)| *t == target).map(|(_, n, _)| *n).unwrap_or(0)
    };
    let held: i64 = holds.iter().map(|(_, n)| n).sum();
    let content = html! {
        section.cards {
            div.card {
                h2 { "Orders on hold" }
                p { a href="/orders?status=on_hold" { strong { (held) } " on hold" } }
                @for (reason, n) in &holds {
                    @let reason = reason.clone().unwrap_or_else(|| "none".into());
                    p.muted { a href={ "/orders?status=on_hold&hold_reason=" (reason) } { (reason) } ": " (n) }
                }
            }
        }
        h2 { "Channels" }
        div.scroll { table #channels {
            thead { tr { th { "Channel" } th { "Health" } th { "Last poll" } th { "Last push" } th { "Queue" } th { "Oldest pending" } th { "Sync lag (median, 1 h)" } th { "Orders" } th { "Last error" } } }
            tbody {
                @for c in items(&channels) {
                    @let s = &c["status"];
                    @let (word, class) = health(c);
                    tr data-channel=(text(&c["id"])) {
                        td { strong { (text(&c["name"])) } br; span.muted { (text(&c["kind"])) " #" (text(&c["id"])) } }
                        td { span class={ "badge " (class) } { (word) } }
                        td { (s["last_poll_at"].as_str().map(ago).unwrap_or_else(|| "never".into())) }
                        td { (s["last_push_at"].as_str().map(ago).unwrap_or_else(|| "never".into())) }
                        td { (text(&s["queue_depth"])) }
                        td { (s["oldest_pending_age_secs"].as_i64().map(|a| format!("{a} s")).unwrap_or_else(|| "—".into())) }
                        td { (median_lag(c["id"].as_i64().unwrap_or_default())) }
                        td { (text(&s["orders_imported"])) }
                        td.wrap { (s["last_error"].as_str().or(s["last_push_error"].as_str()).unwrap_or("—")) }
                    }
                }
            }
        } }
        h2 { "Sync lag, last hour" }
        p.muted { "From a stock change to its confirmation on the channel, per push." }
        div.charts {
            @for c in items(&channels) {
                @let id = c["id"].as_i64().unwrap_or_default();
                @let samples = lags.iter().find(|(i, _)| *i == id).map(|(_, l)| l.as_slice()).unwrap_or(&[]);
                div.card { h2 { (text(&c["name"])) } (chart::sync_lag(samples, since, db::now_ms())) }
            }
        }
        h2 { "Plugins" }
        div.scroll { table {
            thead { tr { th { "Plugin" } th { "Enabled" } th { "Orders sent" } th { "Queue" } th { "Last sent" } th { "Last error" } } }
            tbody {
                @for p in items(&plugins) {
                    tr {
                        td { (text(&p["name"])) " #" (text(&p["id"])) }
                        td { (text(&p["enabled"])) }
                        td { (text(&p["status"]["orders_sent"])) }
                        td { (plugin_queue(&p["id"])) }
                        td { (p["status"]["last_sent_at"].as_str().map(ago).unwrap_or_else(|| "never".into())) }
                        td.wrap { (text(&p["status"]["last_error"])) }
                    }
                }
            }
        } }
        h2 { "Webhook subscriptions" }
        div.scroll { table {
            thead { tr { th { "URL" } th { "Enabled" } th { "Delivered" } th { "Last delivery" } th { "Last error" } } }
            tbody {
                @for h in items(&hooks) {
                    tr {
                        td.wrap { a href={ "/webhooks#sub-" (text(&h["id"])) } { (text(&h["url"])) } }
                        td { (text(&h["enabled"])) }
                        td { (text(&h["status"]["delivered"])) }
                        td { (h["status"]["last_delivery_at"].as_str().map(ago).unwrap_or_else(|| "never".into())) }
                        td.wrap { (text(&h["status"]["last_error"])) }
                    }
                }
            }
        } }
    };
    let content = html! {
        (content)
        h2 { "Processes" }
        @if cluster["leasing"] != Value::Bool(true) {
            p.muted { "One process (SQLite): it runs every channel, plugin and subscription." }
        }
        div.scroll { table #processes {
            thead { tr { th { "Process" } th { "Address" } th { "State" } th { "Last renewed" } th { "Leases" } } }
            tbody {
                @for p in cluster["processes"].as_array().into_iter().flatten() {
                    @let leases: Vec<String> = p["leases"].as_array().into_iter().flatten()
                        .map(|l| format!("{} #{}", text(&l["kind"]), text(&l["id"]))).collect();
                    tr {
                        td { (text(&p["id"])) @if p["this"] == Value::Bool(true) { " " span.muted { "(this one)" } } }
                        td { (text(&p["address"])) }
                        td { @if p["live"] == Value::Bool(true) { span.badge.ok { "live" } } @else { span.badge.bad { "gone" } } }
                        td { (p["renewed_at"].as_str().map(ago).unwrap_or_else(|| "never".into())) }
                        td.wrap { @if leases.is_empty() { "—" } @else { (leases.join(", ")) } }
                    }
                }
            }
        } }
    };
    Ok(layout::page("Overview", &signed, "/", true, content))
}
