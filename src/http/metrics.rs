//! `GET /metrics` (admin token): every metric in Prometheus's text format, its gauges read
//! from the database at each scrape (so several processes agree on them); and the middleware
//! that counts and times each HTTP request by route.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse};

use metrics::gauge;

use crate::db;
use crate::error::ApiResult;
use crate::http::AppState;

#[tracing::instrument(skip(state))]
pub async fn metrics(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let text = render(&state.pool, state.cluster.id()).await?;
    Ok(HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(text))
}

/// Counts and times every request under its route pattern (`/api/v1/orders/{id}`), so ids do
/// not become series of their own; a request no route matched counts as `unmatched`.
pub async fn count_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = std::time::Instant::now();
    let method = req.method().to_string();
    let route = req.match_pattern().unwrap_or_else(|| "unmatched".into());
    let answered = next.call(req).await;
    let status = match &answered {
        Ok(res) => res.status().as_u16(),
        Err(e) => e.as_response_error().status_code().as_u16(),
    };
    crate::measure::http_request(&route, &method, status, started.elapsed());
    answered
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
    /// Live processes sharing the database, and the leases this one holds.
    live_processes: usize,
    leases_held: usize,
}

/// Sets the gauges from the database and renders every metric in Prometheus's text format.
async fn render(pool: &db::DbPool, me: &str) -> Result<String, db::DbError> {
    let me = me.to_string();
    let snapshot = db::run(pool, move |conn| {
        let now = db::now_ms();
        let leases = db::cluster::leases(conn)?;
        let mut targets: Vec<String> =
            db::channels::list(conn)?.into_iter().map(|c| db::outbox::channel_target(c.id)).collect();
        targets.extend(db::plugins::list(conn)?.into_iter().map(|p| db::plugins::target(p.id)));
        Ok(Snapshot {
            queues: db::outbox::queues(conn)?,
            targets,
            fulfilments: db::fulfilments::by_status(conn)?,
            holds: db::orders::holds(conn)?,
            live_processes: db::cluster::processes(conn, now, false)?.len(),
            leases_held: leases
                .iter()
                .filter(|l| l.owner.as_deref() == Some(me.as_str()) && l.expires_at > now)
                .count(),
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
    gauge!("chorus_cluster_processes").set(snapshot.live_processes as f64);
    gauge!("chorus_cluster_leases_held").set(snapshot.leases_held as f64);
    Ok(crate::measure::render())
}
