//! A simulated webhook subscriber: accepts POSTs on any path (outside `/_sim/`), checks the
//! Standard Webhooks signature when it knows the secret, records what arrived, and can fail the
//! first N requests or a share of them, or answer slowly. A tester drives it through `/_sim/`:
//! `PUT /_sim/config` `{"secret", "fail_first", "fail_share", "fail_status", "retry_after",
//! "delay_ms"}`, `GET /_sim/received`
//! (every arrival), `GET /_sim/stats` (counts), `DELETE /_sim/received`.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use serde::Serialize;
use serde_json::{json, Value};

use super::{SimHandle, SimOptions};

#[derive(Clone, Debug, Default)]
struct Config {
    secret: Option<String>,
    /// Requests still to fail (then all succeed).
    fail_first: u64,
    /// Share of requests (0..1) to fail at random.
    fail_share: f64,
    fail_status: u16,
    retry_after: Option<String>,
    /// Wait this long before answering (a slow subscriber).
    delay_ms: u64,
}

#[derive(Clone, Debug, Serialize)]
struct Arrival {
    webhook_id: String,
    #[serde(rename = "type")]
    kind: String,
    event_id: Option<i64>,
    channel_id: Option<i64>,
    at_ms: i64,
    /// The status this request was answered with.
    status: u16,
    /// The signature checked out (None: no secret configured).
    verified: Option<bool>,
    body: Value,
    /// The bytes as they arrived and the signature headers, for checks made elsewhere.
    raw: String,
    webhook_timestamp: String,
    webhook_signature: String,
}

#[derive(Default)]
struct State {
    config: Mutex<Config>,
    arrivals: Mutex<Vec<Arrival>>,
    /// Successful (2xx) arrivals per webhook-id.
    accepted: Mutex<HashMap<String, u32>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

pub async fn start(opts: SimOptions) -> std::io::Result<SimHandle> {
    let (listener, port, base_url) = super::bind(opts.bind)?;
    let state = web::Data::new(State {
        config: Mutex::new(Config { secret: opts.secret, fail_status: 500, ..Config::default() }),
        ..State::default()
    });
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(web::PayloadConfig::new(8 << 20))
            .service(
                web::scope("/_sim")
                    .route("/config", web::put().to(put_config))
                    .route("/received", web::get().to(received))
                    .route("/received", web::delete().to(clear))
                    .route("/stats", web::get().to(stats)),
            )
            .default_service(web::post().to(receive))
    })
    .workers(2)
    .backlog(4096)
    .disable_signals()
    .listen(listener)?
    .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    Ok(SimHandle { port, base_url, server: handle })
}

async fn receive(state: web::Data<State>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let config = lock(&state.config).clone();
    if config.delay_ms > 0 {
        actix_web::rt::time::sleep(std::time::Duration::from_millis(config.delay_ms)).await;
    }
    let verified = config.secret.as_deref().map(|s| super::signed::verify(&req, &body, s));
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let webhook_id = header("webhook-id");
    let fail = {
        let mut c = lock(&state.config);
        if c.fail_first > 0 {
            c.fail_first -= 1;
            true
        } else {
            c.fail_share > 0.0 && rand::random::<f64>() < c.fail_share
        }
    };
    let status = match &verified {
        Some(Err(_)) => 401,
        _ if fail => config.fail_status,
        _ => 200,
    };
    let parsed: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    lock(&state.arrivals).push(Arrival {
        webhook_id: webhook_id.clone(),
        kind: parsed["type"].as_str().unwrap_or_default().to_string(),
        event_id: parsed["event_id"].as_i64(),
        channel_id: parsed["data"]["channel_id"].as_i64(),
        at_ms: chrono::Utc::now().timestamp_millis(),
        status,
        verified: verified.as_ref().map(Result::is_ok),
        body: parsed,
        raw: String::from_utf8_lossy(&body).into_owned(),
        webhook_timestamp: header("webhook-timestamp"),
        webhook_signature: header("webhook-signature"),
    });
    if status == 200 {
        *lock(&state.accepted).entry(webhook_id).or_default() += 1;
    }
    let mut resp = HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap_or_default());
    if let (true, Some(ra)) = (status != 200, &config.retry_after) {
        resp.insert_header(("Retry-After", ra.as_str()));
    }
    match verified {
        Some(Err(why)) => resp.json(json!({ "error": why.as_str() })),
        _ => resp.json(json!({ "received": status == 200 })),
    }
}

async fn put_config(state: web::Data<State>, body: web::Bytes) -> HttpResponse {
    let v: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return HttpResponse::BadRequest().json(json!({ "error": format!("invalid JSON: {e}") })),
    };
    let mut c = lock(&state.config);
    if let Some(s) = v.get("secret") {
        c.secret = s.as_str().map(str::to_string);
    }
    if let Some(n) = v.get("fail_first").and_then(Value::as_u64) {
        c.fail_first = n;
    }
    if let Some(share) = v.get("fail_share").and_then(Value::as_f64) {
        c.fail_share = share.clamp(0.0, 1.0);
    }
    if let Some(status) = v.get("fail_status").and_then(Value::as_u64).filter(|s| (400..=599).contains(s)) {
        c.fail_status = status as u16;
    }
    if let Some(d) = v.get("delay_ms").and_then(Value::as_u64) {
        c.delay_ms = d.min(600_000);
    }
    if let Some(ra) = v.get("retry_after") {
        c.retry_after = ra.as_str().map(str::to_string).or_else(|| ra.as_u64().map(|n| n.to_string()));
    }
    HttpResponse::Ok().json(json!({
        "secret_set": c.secret.is_some(),
        "fail_first": c.fail_first,
        "fail_share": c.fail_share,
        "fail_status": c.fail_status,
    }))
}

async fn received(state: web::Data<State>) -> HttpResponse {
    HttpResponse::Ok().json(&*lock(&state.arrivals))
}

async fn clear(state: web::Data<State>) -> HttpResponse {
    lock(&state.arrivals).clear();
    lock(&state.accepted).clear();
    HttpResponse::Ok().json(json!({ "cleared": true }))
}

async fn stats(state: web::Data<State>) -> HttpResponse {
    let arrivals = lock(&state.arrivals).len();
    let accepted = lock(&state.accepted);
    let total: u64 = accepted.values().map(|n| u64::from(*n)).sum();
    HttpResponse::Ok().json(json!({
        "requests": arrivals,
        "accepted": total,
        "unique_accepted": accepted.len(),
    }))
}
