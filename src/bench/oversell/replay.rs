//! One mode of the oversell benchmark: a sandbox of simulated shops, the storm replayed on the
//! compressed clock, then everything drained, checked and counted.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::{json, Value};

use super::Mode;
use crate::db;
use crate::domain::channel::ChannelOptions;
use crate::domain::stock::pushed_figure;
use crate::domain::storm::{Happening, Storm};
use crate::sandbox::{Sandbox, SandboxOptions};

/// What one mode did with the storm.
#[derive(Clone, Debug, Default)]
pub struct ModeResult {
    pub mode: String,
    pub factor: f64,
    /// Sales the channels accepted and refused (their own figure could not cover them).
    pub accepted: usize,
    pub refused: usize,
    pub cancelled: usize,
    /// Orders Chorus imported that found too little stock (on hold `insufficient_stock` at any
    /// time), and their units.
    pub oversold_orders: i64,
    pub oversold_units: i64,
    /// Units the channels sold (accepted, not cancelled) and units of Chorus's orders that are
    /// not cancelled: equal once drained.
    pub channel_units: i64,
    pub imported_units: i64,
    /// "Sale on one channel → a new figure for that SKU on each other channel", in shop seconds,
    /// for the sales Chorus could fill (an oversold sale moves no figure).
    pub figure_lag_secs: Vec<f64>,
    /// (sale, other channel) pairs left out of the lag: that channel sold the SKU itself before
    /// a new figure reached it (its own sale moved its figure, and no write was needed), or it
    /// got no new figure afterwards at all.
    pub moved_by_shop: usize,
    pub no_new_figure: usize,
    /// Stock calls made to the channels during the storm and drain, and figures they carried.
    pub push_calls: usize,
    pub push_figures: usize,
    /// How late the replay ran behind the storm's clock at worst (real ms).
    pub late_ms: f64,
    /// Invariant violations found by the check once drained (none expected).
    pub violations: Vec<String>,
}

/// A sale the replay placed: where, when (wall ms) and the shop's order id.
struct Placed {
    channel: usize,
    sku: usize,
    at_ms: i64,
    order_id: u64,
}

fn sku_name(i: usize) -> String {
    format!("OS-{i:04}")
}

/// Replays `storm` through `mode` with time compressed `factor` times, on `database_url`.
pub async fn run_mode(
    database_url: &str,
    storm: &Storm,
    kinds: &[&'static str],
    mode: Mode,
    factor: f64,
    stock_buffer: i64,
) -> anyhow::Result<ModeResult> {
    let cadence = match mode {
        Mode::Poll(every) => Some(every.div_f64(factor).max(Duration::from_millis(100))),
        Mode::Chorus => None,
    };
    let sandbox = Sandbox::start(SandboxOptions {
        database_url: database_url.to_string(),
        // Shopify's cost throttle restores points per real second: under compression it would
        // be F times harsher than on a real day, so it is off here.
        throttle: false,
        kinds: kinds.to_vec(),
        order_webhooks: mode == Mode::Chorus,
        channel_options: ChannelOptions { cadence_ms: cadence.map(|c| c.as_millis() as u64), ..Default::default() },
        stock_buffer,
        starting: storm.stock.iter().enumerate().map(|(i, q)| (sku_name(i), *q)).collect(),
        ..SandboxOptions::default()
    })
    .await?;
    let outcome = replay_and_count(&sandbox, storm, mode, factor, stock_buffer, cadence).await;
    sandbox.stop().await;
    outcome
}

async fn replay_and_count(
    sandbox: &Sandbox,
    storm: &Storm,
    mode: Mode,
    factor: f64,
    buffer: i64,
    cadence: Option<Duration>,
) -> anyhow::Result<ModeResult> {
    let mut result = ModeResult { mode: mode.name(), factor, ..ModeResult::default() };
    let drain_for = Duration::from_secs(60) + cadence.unwrap_or_default() * 3;
    settle(sandbox, buffer, drain_for).await.context("the starting figures did not settle")?;
    let mut calls_before = Vec::new();
    for c in 0..sandbox.channels.len() {
        calls_before.push(stock_calls(sandbox, c).await?.len());
    }

    let mut placed: Vec<Option<Placed>> = Vec::new();
    let started = Instant::now();
    for event in &storm.events {
        let due = started + Duration::from_secs_f64(event.at_secs / factor);
        actix_web::rt::time::sleep_until(due.into()).await;
        result.late_ms = result.late_ms.max(due.elapsed().as_secs_f64() * 1000.0);
        match event.what {
            Happening::Sale { channel, sku, quantity } => {
                let body =
                    json!({"lines": [{"sku": sku_name(sku), "quantity": quantity}], "paid": true, "checkout": true});
                let (status, answer) = post(sandbox, sandbox.channels[channel].sim.url("/_sim/orders"), body).await?;
                placed.push(match status {
                    201 => {
                        result.accepted += 1;
                        let order_id = answer["id"].as_u64().context("the simulator gave no order id")?;
                        Some(Placed { channel, sku, at_ms: db::now_ms(), order_id })
                    }
                    409 => {
                        result.refused += 1;
                        None
                    }
                    other => anyhow::bail!("the simulator answered a sale with {other}: {answer}"),
                });
            }
            Happening::Cancel { sale } => {
                let Some(Some(p)) = placed.get(sale) else { continue };
                let url = sandbox.channels[p.channel].sim.url(&format!("/_sim/orders/{}/cancel", p.order_id));
                match post(sandbox, url, json!({"restock": true})).await? {
                    (200, _) => result.cancelled += 1,
                    (status, answer) => anyhow::bail!("the simulator answered a cancellation with {status}: {answer}"),
                }
            }
            Happening::Restock { sku, set_to } => {
                let path = format!("/api/v1/inventory/{}/sources/api", sku_name(sku));
                sandbox.api("PUT", &path, json!({"quantity": set_to})).await?;
            }
        }
    }

    settle(sandbox, buffer, drain_for)
        .await
        .context("the channels did not settle on Chorus's figures after the storm")?;
    let (books, (held, held_units), tally, held_ids) = db::run(&sandbox.pool, |conn| {
        Ok((
            db::check::load(conn)?,
            db::orders::ever_held(conn, "insufficient_stock")?,
            db::orders::tally_by_status(conn)?,
            db::orders::ever_held_ids(conn, "insufficient_stock")?,
        ))
    })
    .await?;
    // An oversold sale moves no figure (Chorus had none left to show): its lag is not a lag.
    let oversold: std::collections::HashSet<(i64, u64)> =
        held_ids.iter().filter_map(|(channel, external)| Some((*channel, sim_order_number(external)?))).collect();
    result.violations = crate::domain::check::check(&books).iter().map(|v| format!("{v:?}")).collect();
    (result.oversold_orders, result.oversold_units) = (held, held_units);
    result.imported_units = tally.iter().filter(|(s, _, _)| s != "cancelled").map(|(_, _, u)| u).sum();

    let mut writes: Vec<HashMap<String, Vec<i64>>> = Vec::new();
    for (c, before) in calls_before.into_iter().enumerate() {
        let calls = stock_calls(sandbox, c).await?;
        let mut by_sku: HashMap<String, Vec<i64>> = HashMap::new();
        for call in calls.iter().skip(before) {
            result.push_calls += 1;
            let at = call["at_ms"].as_i64().unwrap_or(0);
            for item in call["items"].as_array().into_iter().flatten() {
                result.push_figures += 1;
                by_sku.entry(item["sku"].as_str().unwrap_or_default().to_string()).or_default().push(at);
            }
        }
        writes.push(by_sku);
        for order in sandbox.sim_call(c, "GET", "/_sim/orders", None).await?.as_array().into_iter().flatten() {
            if order["cancelled"] != json!(true) {
                let units: i64 =
                    order["lines"].as_array().into_iter().flatten().filter_map(|l| l["quantity"].as_i64()).sum();
                result.channel_units += units;
            }
        }
    }
    let mut sold_at: HashMap<(usize, usize), Vec<i64>> = HashMap::new();
    for p in placed.iter().flatten() {
        sold_at.entry((p.channel, p.sku)).or_default().push(p.at_ms);
    }
    for p in placed.iter().flatten().filter(|p| !oversold.contains(&(sandbox.channels[p.channel].id, p.order_id))) {
        for (c, by_sku) in writes.iter().enumerate().filter(|(c, _)| *c != p.channel) {
            let written = by_sku.get(&sku_name(p.sku)).map_or(&[][..], |v| v);
            let own = sold_at.get(&(c, p.sku)).map_or(&[][..], |v| v);
            let write = super::report::first_at_or_after(written, p.at_ms);
            match (write, super::report::first_at_or_after(own, p.at_ms)) {
                (Some(w), Some(s)) if s < w => result.moved_by_shop += 1,
                (None, Some(_)) => result.moved_by_shop += 1,
                (Some(w), _) => result.figure_lag_secs.push((w - p.at_ms) as f64 / 1000.0 * factor),
                (None, None) => result.no_new_figure += 1,
            }
        }
    }
    Ok(result)
}

/// The simulator's order number in an order's external id: Shopify's `gid://shopify/Order/N`,
/// WooCommerce's `N`.
fn sim_order_number(external: &str) -> Option<u64> {
    external.rsplit('/').next()?.parse().ok()
}

/// A POST whose status is the answer (a refusal is an outcome here, not an error).
async fn post(sandbox: &Sandbox, url: String, body: Value) -> anyhow::Result<(u16, Value)> {
    let mut resp = sandbox.client.post(url).send_json(&body).await.map_err(|e| anyhow::anyhow!("simulator: {e}"))?;
    let bytes = resp.body().limit(1 << 20).await?;
    Ok((resp.status().as_u16(), serde_json::from_slice(&bytes).unwrap_or(Value::Null)))
}

async fn stock_calls(sandbox: &Sandbox, channel: usize) -> anyhow::Result<Vec<Value>> {
    Ok(sandbox.sim_call(channel, "GET", "/_sim/stock_calls", None).await?.as_array().cloned().unwrap_or_default())
}

/// Waits until Chorus has every sale as the shop has it (open or cancelled), nothing waits to be
/// pushed, and every shop shows Chorus's figure for every SKU.
async fn settle(sandbox: &Sandbox, buffer: i64, within: Duration) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut last = String::new();
    while started.elapsed() < within {
        match settled(sandbox, buffer).await? {
            None => return Ok(()),
            Some(why) => last = why,
        }
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    }
    anyhow::bail!("after {within:?}: {last}")
}

/// Why it is not settled yet, if it is not.
async fn settled(sandbox: &Sandbox, buffer: i64) -> anyhow::Result<Option<String>> {
    let ids: Vec<i64> = sandbox.channels.iter().map(|c| c.id).collect();
    let (statuses, queued, available) = db::run(&sandbox.pool, move |conn| {
        let mut statuses = Vec::new();
        let mut queued = 0;
        for id in &ids {
            statuses.push(db::orders::statuses_of_channel(conn, *id)?);
            queued += db::outbox::depth(conn, &db::outbox::channel_target(*id))?;
        }
        Ok((statuses, queued, db::inventory::availability(conn)?))
    })
    .await?;
    for (c, chorus) in statuses.into_iter().enumerate() {
        let shop = sandbox.sim_call(c, "GET", "/_sim/orders", None).await?;
        if let Some(why) = orders_differ(c, &shop, &chorus) {
            return Ok(Some(why));
        }
    }
    if queued > 0 {
        return Ok(Some(format!("{queued} pushes queued")));
    }
    for c in 0..sandbox.channels.len() {
        let shown = sandbox.sim_call(c, "GET", "/_sim/stock", None).await?;
        for (sku, a) in &available {
            let want = pushed_figure(*a, buffer);
            if shown[sku].as_i64() != Some(want) {
                return Ok(Some(format!("channel {c} shows {} for {sku}, Chorus {want}", shown[sku])));
            }
        }
    }
    Ok(None)
}

/// Where channel `c`'s orders and Chorus's copies of them disagree: every sale open on the shop
/// is open in Chorus, and a cancelled one is cancelled there — or absent, when the shop cancelled
/// it (restocking) before Chorus ever saw it, which leaves nothing to import.
fn orders_differ(c: usize, shop: &Value, chorus: &[(String, String)]) -> Option<String> {
    let in_chorus: HashMap<u64, bool> =
        chorus.iter().filter_map(|(e, s)| Some((sim_order_number(e)?, s == "cancelled"))).collect();
    let on_shop = shop.as_array().map_or(&[][..], |v| v.as_slice());
    if in_chorus.len() != chorus.len() || chorus.len() > on_shop.len() {
        return Some(format!("channel {c}: Chorus holds orders the shop does not"));
    }
    for order in on_shop {
        let id = order["id"].as_u64()?;
        let cancelled = order["cancelled"] == json!(true);
        match (in_chorus.get(&id), cancelled) {
            (Some(false), false) | (Some(true), true) | (None, true) => {}
            (None, false) => return Some(format!("channel {c}: order {id} not imported yet")),
            (Some(_), _) => return Some(format!("channel {c}: order {id} open on one side, cancelled on the other")),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chorus(rows: &[(&str, &str)]) -> Vec<(String, String)> {
        rows.iter().map(|(e, s)| (e.to_string(), s.to_string())).collect()
    }

    #[test]
    fn orders_agree_when_open_is_open_and_cancelled_is_cancelled_or_never_seen() {
        let shop = json!([{"id": 1, "cancelled": false}, {"id": 2, "cancelled": true}, {"id": 3, "cancelled": true}]);
        let rows = chorus(&[("gid://shopify/Order/1", "imported"), ("gid://shopify/Order/2", "cancelled")]);
        assert_eq!(orders_differ(0, &shop, &rows), None);
    }

    #[test]
    fn orders_differ_when_one_is_missing_or_open_on_one_side_only() {
        let shop = json!([{"id": 1, "cancelled": false}, {"id": 2, "cancelled": true}]);
        assert!(orders_differ(0, &shop, &chorus(&[("2", "cancelled")])).is_some(), "1 not imported");
        assert!(orders_differ(0, &shop, &chorus(&[("1", "imported"), ("2", "on_hold")])).is_some(), "2 still open");
        assert!(orders_differ(0, &shop, &chorus(&[("1", "cancelled")])).is_some(), "1 cancelled only in Chorus");
        let extra = chorus(&[("1", "imported"), ("2", "cancelled"), ("9", "imported")]);
        assert!(orders_differ(0, &shop, &extra).is_some(), "9 is not the shop's");
    }

    #[test]
    fn the_simulators_order_number_is_read_from_either_kind_of_id() {
        assert_eq!(sim_order_number("gid://shopify/Order/42"), Some(42));
        assert_eq!(sim_order_number("42"), Some(42));
        assert_eq!(sim_order_number("gid://shopify/Order/x"), None);
    }
}
