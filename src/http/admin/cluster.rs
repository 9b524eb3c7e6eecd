//! `GET /api/v1/cluster`: the processes sharing this database, what each one owns, and when each
//! lease was last renewed.

use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::db;
use crate::error::ApiResult;
use crate::http::AppState;

#[utoipa::path(
    get,
    path = "/api/v1/cluster",
    tag = "admin",
    operation_id = "cluster",
    summary = "The processes sharing the database and their leases",
    description = "Live processes (and those dead in the last ten minutes, `live: false`), each with the channels, plugins and webhook subscriptions it holds the lease of. On SQLite there is one process and no leases (`leasing: false`).",
    responses(
        (status = 200, description = "The cluster as this process sees it.", body = crate::http::openapi::ClusterView),
        (status = 401, description = "No valid admin bearer token (`unauthorized`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error (`internal`); the cause is in the server log.", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unreachable (`unavailable`) or busy with another write (`busy`, with `Retry-After`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(skip(state))]
pub async fn cluster(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let now = db::now_ms();
    let (processes, leases) =
        db::run(&state.pool, move |conn| Ok((db::cluster::processes(conn, now, true)?, db::cluster::leases(conn)?)))
            .await?;
    let processes: Vec<_> = processes
        .iter()
        .map(|p| {
            let held: Vec<_> = leases
                .iter()
                .filter(|l| l.owner.as_deref() == Some(p.id.as_str()) && l.expires_at > now)
                .map(|l| json!({"kind": l.kind, "id": l.target_id, "generation": l.generation, "renewed_at": crate::views::time(l.renewed_at), "expires_at": crate::views::time(l.expires_at)}))
                .collect();
            json!({
                "id": p.id,
                "address": p.address,
                "this": p.id == state.cluster.id(),
                "live": p.expires_at > now,
                "started_at": crate::views::time(p.started_at),
                "renewed_at": crate::views::time(p.renewed_at),
                "leases": held,
            })
        })
        .collect();
    let unowned: Vec<_> = leases
        .iter()
        .filter(|l| l.owner.is_none() || l.expires_at <= now)
        .map(|l| json!({"kind": l.kind, "id": l.target_id, "generation": l.generation}))
        .collect();
    Ok(HttpResponse::Ok().json(json!({
        "leasing": state.cluster.leasing(),
        "lease_ttl_ms": state.cluster.timing().ttl.as_millis() as u64,
        "renew_ms": state.cluster.timing().renew.as_millis() as u64,
        "processes": processes,
        "unowned": unowned,
    })))
}
