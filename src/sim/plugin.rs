//! A simulated fulfilment centre (plugin): holds its own stock, accepts orders Chorus sends to
//! `POST /orders` (Standard Webhooks signature checked, duplicates recognised by `webhook-id`),
//! drops one cancelled before it ships (`orders.cancelled`), ships the others after a delay, then calls Chorus back with the fulfilment and its new stock levels.
//! A tester drives it through `/_sim/`: `PUT /_sim/config`, `PUT|GET /_sim/stock`,
//! `GET /_sim/orders`, `POST|GET|DELETE /_sim/faults`.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use serde::Serialize;
use serde_json::{json, Value};

use super::faults::FaultQueue;
use super::{SimHandle, SimOptions};

/// Where Chorus is and how the centre behaves; set by `PUT /_sim/config`.
#[derive(Clone, Debug, Default)]
struct Config {
    chorus_url: Option<String>,
    token: Option<String>,
    secret: Option<String>,
    ship_delay_ms: u64,
    carrier: String,
    /// Fulfilment callbacks whose answer is lost: Chorus took them, the centre never hears it
    /// and sends again under the same `Idempotency-Key`, as a real client after a timeout.
    lose_answers: u32,
}

/// An order as the centre received it.
#[derive(Clone, Debug, Serialize)]
struct Received {
    webhook_id: String,
    order_id: i64,
    name: String,
    lines: Vec<(String, i64)>,
    /// How many times this `webhook-id` arrived (1 unless Chorus resent it).
    deliveries: u32,
    received_at_ms: i64,
    /// received → shipped (Chorus took the fulfilment) or callback_failed.
    status: String,
    tracking_number: Option<String>,
    callback_error: Option<String>,
    /// The order as Chorus sent it (`data`), whole: what a real centre ships from; replaced by
    /// each `orders.updated` that arrives before it ships.
    order: Value,
    /// `orders.updated` received for it: (webhook-id, taken: it had not shipped yet).
    updates: Vec<(String, bool)>,
}

#[derive(Default)]
struct State {
    config: Mutex<Config>,
    stock: Mutex<BTreeMap<String, i64>>,
    orders: Mutex<Vec<Received>>,
    by_webhook_id: Mutex<HashMap<String, usize>>,
    faults: Mutex<FaultQueue>,
    refused: AtomicU64,
    requests: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

pub async fn start(opts: SimOptions) -> std::io::Result<SimHandle> {
    let (listener, port, base_url) = super::bind(opts.bind)?;
    let state = web::Data::new(State {
        config: Mutex::new(Config {
            secret: opts.secret,
            ship_delay_ms: 200,
            carrier: "SimFreight".into(),
            ..Config::default()
        }),
        ..State::default()
    });
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(web::PayloadConfig::new(8 << 20))
            .route("/orders", web::post().to(receive_order))
            .service(
                web::scope("/_sim")
                    .route("/config", web::put().to(put_config))
                    .route("/stock", web::put().to(put_stock))
                    .route("/stock", web::get().to(get_stock))
                    .route("/orders", web::get().to(list_orders))
                    .route("/faults", web::post().to(add_faults))
                    .route("/faults", web::get().to(get_faults))
                    .route("/faults", web::delete().to(clear_faults))
                    .route("/requests", web::get().to(requests)),
            )
    })
    .workers(1)
    .disable_signals()
    .listen(listener)?
    .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    Ok(SimHandle { port, base_url, server: handle })
}

fn bad_request(message: impl Into<String>) -> HttpResponse {
    HttpResponse::BadRequest().json(json!({ "error": message.into() }))
}

async fn receive_order(state: web::Data<State>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    state.requests.fetch_add(1, Ordering::Relaxed);
    let fault = lock(&state.faults).take();
    if let Some(applied) = fault {
        if let Some(resp) = super::faults::enact(applied, |s| json!({ "error": format!("simulated {s}") })).await {
            return resp;
        }
    }
    let Some(secret) = lock(&state.config).secret.clone() else {
        return HttpResponse::ServiceUnavailable().json(json!({ "error": "no signing secret configured" }));
    };
    let webhook_id = match super::signed::verify(&req, &body, &secret) {
        Ok(id) => id,
        Err(why) => {
            state.refused.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(reason = why.as_str(), "plugin simulator refused an order");
            return HttpResponse::Unauthorized().json(json!({ "error": why.as_str() }));
        }
    };
    if let Some(&i) = lock(&state.by_webhook_id).get(&webhook_id) {
        if let Some(o) = lock(&state.orders).get_mut(i) {
            o.deliveries += 1;
        }
        return HttpResponse::Ok().json(json!({ "duplicate": true, "webhook_id": webhook_id }));
    }
    let v: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return bad_request(format!("invalid JSON: {e}")),
    };
    let data = &v["data"];
    let Some(order_id) = data["id"].as_i64() else { return bad_request("data.id missing") };
    if v["type"] == "orders.cancelled" {
        lock(&state.by_webhook_id).insert(webhook_id.clone(), usize::MAX);
        let mut orders = lock(&state.orders);
        let Some(o) = orders.iter_mut().find(|o| o.order_id == order_id) else {
            return HttpResponse::Ok().json(json!({ "cancelled": false, "reason": "unknown order" }));
        };
        if o.status != "received" {
            return HttpResponse::Ok().json(json!({ "cancelled": false, "reason": format!("already {}", o.status) }));
        }
        o.status = "cancelled".into();
        return HttpResponse::Ok().json(json!({ "cancelled": true }));
    }
    if v["type"] == "orders.updated" {
        lock(&state.by_webhook_id).insert(webhook_id.clone(), usize::MAX);
        let mut orders = lock(&state.orders);
        let Some(o) = orders.iter_mut().find(|o| o.order_id == order_id) else {
            return HttpResponse::Ok().json(json!({ "updated": false, "reason": "unknown order" }));
        };
        // After shipping, an update cannot change what left: noted for the operator, answered
        // 2xx so it is not sent again.
        let taken = o.status == "received";
        o.updates.push((webhook_id.clone(), taken));
        if taken {
            o.lines = open_lines(data);
            o.order = data.clone();
        }
        return HttpResponse::Ok().json(json!({ "updated": taken }));
    }
    let lines = open_lines(data);
    let index = {
        let mut orders = lock(&state.orders);
        orders.push(Received {
            webhook_id: webhook_id.clone(),
            order_id,
            name: data["name"].as_str().unwrap_or_default().to_string(),
            lines,
            deliveries: 1,
            received_at_ms: chrono::Utc::now().timestamp_millis(),
            status: "received".into(),
            tracking_number: None,
            callback_error: None,
            order: data.clone(),
            updates: Vec::new(),
        });
        orders.len() - 1
    };
    lock(&state.by_webhook_id).insert(webhook_id.clone(), index);
    actix_web::rt::spawn(ship(state.clone(), index));
    HttpResponse::Accepted().json(json!({ "accepted": true, "webhook_id": webhook_id }))
}

/// The units left to ship per SKU in an order snapshot.
fn open_lines(data: &Value) -> Vec<(String, i64)> {
    data["lines"]
        .as_array()
        .map(|ls| {
            ls.iter()
                .filter_map(|l| {
                    let left = l["quantity"].as_i64()? - l["fulfilled"].as_i64().unwrap_or(0);
                    Some((l["sku"].as_str()?.to_string(), left)).filter(|(_, q)| *q > 0)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// After the delay: the units leave the centre's stock, and Chorus hears of the fulfilment and
/// of the new levels.
async fn ship(state: web::Data<State>, index: usize) {
    let delay = lock(&state.config).ship_delay_ms;
    actix_web::rt::time::sleep(Duration::from_millis(delay)).await;
    let (order_id, lines) = {
        let orders = lock(&state.orders);
        // Cancelled while waiting: nothing leaves the shelves.
        if orders[index].status == "cancelled" {
            return;
        }
        (orders[index].order_id, orders[index].lines.clone())
    };
    let levels: Vec<(String, i64)> = {
        let mut stock = lock(&state.stock);
        lines
            .iter()
            .map(|(sku, q)| {
                let left = stock.entry(sku.clone()).or_insert(0);
                *left = (*left - q).max(0);
                (sku.clone(), *left)
            })
            .collect()
    };
    let tracking = format!("SIMFC{order_id:08}");
    let carrier = lock(&state.config).carrier.clone();
    let fulfilment = json!({
        "order_id": order_id,
        "carrier": carrier,
        "tracking_number": tracking,
        "tracking_url": format!("https://track.example/{tracking}"),
    });
    // One key per shipment, kept across the retries of its callback.
    let key = format!("ship-{}", lock(&state.orders)[index].webhook_id);
    let result = call_chorus(&state, "POST", "/api/v1/plugin/fulfilments", &fulfilment, Some(&key)).await;
    {
        let mut orders = lock(&state.orders);
        orders[index].tracking_number = Some(tracking);
        match &result {
            Ok(()) => orders[index].status = "shipped".into(),
            Err(e) => {
                orders[index].status = "callback_failed".into();
                orders[index].callback_error = Some(e.0.clone());
            }
        }
    }
    report(&state, &levels).await;
}

/// Whether this answer is one to lose (`lose_answers` still above zero), counting it down.
fn take_lost_answer(state: &State) -> bool {
    let mut c = lock(&state.config);
    if c.lose_answers == 0 {
        return false;
    }
    c.lose_answers -= 1;
    true
}

/// Reports stock levels to Chorus, stamped now.
async fn report(state: &State, levels: &[(String, i64)]) {
    if levels.is_empty() {
        return;
    }
    let as_of = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let body: Vec<Value> = levels.iter().map(|(sku, q)| json!({"sku": sku, "quantity": q, "as_of": as_of})).collect();
    if let Err(e) = call_chorus(state, "PUT", "/api/v1/plugin/inventory", &json!(body), None).await {
        tracing::warn!(error = %e, "plugin simulator could not report its stock");
    }
}

/// One callback to Chorus with the plugin's token, tried up to 5 times (a bounded loop).
async fn call_chorus(
    state: &State,
    method: &str,
    path: &str,
    body: &Value,
    idempotency_key: Option<&str>,
) -> Result<(), crate::sim::Refusal> {
    let (url, token) = {
        let c = lock(&state.config);
        (c.chorus_url.clone(), c.token.clone())
    };
    let (Some(url), Some(token)) = (url, token) else { return Err("chorus_url and token not configured".into()) };
    let client = awc::Client::builder().timeout(Duration::from_secs(15)).finish();
    let method = awc::http::Method::from_bytes(method.as_bytes()).unwrap_or(awc::http::Method::POST);
    let mut last = String::new();
    for attempt in 0..5u32 {
        let mut request =
            client.request(method.clone(), format!("{}{path}", url.trim_end_matches('/'))).bearer_auth(&token);
        if let Some(key) = idempotency_key {
            request = request.insert_header(("Idempotency-Key", key));
        }
        let sent = request.send_json(body).await;
        match sent {
            Ok(_) if idempotency_key.is_some() && take_lost_answer(state) => {
                last = "the answer was lost (simulated)".into();
            }
            Ok(r) if r.status().is_success() => return Ok(()),
            Ok(mut r) => {
                let text = r.body().await.map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
                last = format!("HTTP {}: {}", r.status(), text.chars().take(300).collect::<String>());
                // A refusal by the rules will not change on retry.
                if r.status().is_client_error() && r.status().as_u16() != 429 {
                    return Err(last.into());
                }
            }
            Err(e) => last = e.to_string(),
        }
        actix_web::rt::time::sleep(Duration::from_millis(300 << attempt)).await;
    }
    Err(last.into())
}

async fn put_config(state: web::Data<State>, body: web::Bytes) -> HttpResponse {
    let v: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return bad_request(format!("invalid JSON: {e}")),
    };
    let mut c = lock(&state.config);
    let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    if let Some(u) = text("chorus_url") {
        c.chorus_url = Some(u);
    }
    if let Some(t) = text("token") {
        c.token = Some(t);
    }
    if let Some(s) = text("secret") {
        c.secret = Some(s);
    }
    if let Some(carrier) = text("carrier") {
        c.carrier = carrier;
    }
    if let Some(n) = v.get("lose_answers") {
        match n.as_u64().filter(|n| *n <= 4) {
            Some(n) => c.lose_answers = n as u32,
            None => return bad_request("lose_answers must be 0..=4 (the callback is tried 5 times)"),
        }
    }
    if let Some(d) = v.get("ship_delay_ms") {
        match d.as_u64().filter(|d| *d <= 600_000) {
            Some(d) => c.ship_delay_ms = d,
            None => return bad_request("ship_delay_ms must be 0..=600000"),
        }
    }
    HttpResponse::Ok().json(json!({
        "chorus_url": c.chorus_url,
        "token_set": c.token.is_some(),
        "secret_set": c.secret.is_some(),
        "ship_delay_ms": c.ship_delay_ms,
        "carrier": c.carrier,
        "lose_answers": c.lose_answers,
    }))
}

/// Sets the centre's stock and reports it to Chorus (when configured) before answering.
async fn put_stock(state: web::Data<State>, body: web::Bytes) -> HttpResponse {
    let v: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return bad_request(format!("invalid JSON: {e}")),
    };
    let Some(map) = v.as_object() else { return bad_request("expected {\"SKU\": quantity, …}") };
    let mut levels = Vec::with_capacity(map.len());
    for (sku, q) in map {
        match q.as_i64().filter(|q| *q >= 0) {
            Some(q) => levels.push((sku.clone(), q)),
            None => return bad_request(format!("quantity for {sku} must be a whole number ≥ 0")),
        }
    }
    lock(&state.stock).extend(levels.iter().cloned());
    let configured = lock(&state.config).chorus_url.is_some();
    if configured {
        report(&state, &levels).await;
    }
    HttpResponse::Ok().json(&*lock(&state.stock))
}

async fn get_stock(state: web::Data<State>) -> HttpResponse {
    HttpResponse::Ok().json(&*lock(&state.stock))
}

async fn list_orders(state: web::Data<State>) -> HttpResponse {
    HttpResponse::Ok().json(&*lock(&state.orders))
}

async fn add_faults(state: web::Data<State>, body: web::Bytes) -> HttpResponse {
    let v: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return bad_request(format!("invalid JSON: {e}")),
    };
    let mut faults = lock(&state.faults);
    match faults.push_json(&v) {
        Ok(added) => HttpResponse::Ok().json(json!({ "added": added, "pending": faults.pending() })),
        Err(e) => bad_request(e),
    }
}

async fn get_faults(state: web::Data<State>) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "pending": lock(&state.faults).pending() }))
}

async fn clear_faults(state: web::Data<State>) -> HttpResponse {
    lock(&state.faults).clear();
    HttpResponse::Ok().json(json!({ "pending": 0 }))
}

async fn requests(state: web::Data<State>) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "count": state.requests.load(Ordering::Relaxed),
        "refused_signatures": state.refused.load(Ordering::Relaxed),
    }))
}
