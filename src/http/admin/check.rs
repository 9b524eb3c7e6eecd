//! `GET /api/v1/admin/check`: the stock invariants verified on the stored data and this
//! process's cache; every violation listed (none when healthy).

use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::db;
use crate::domain::check::{self, StoredLevel};
use crate::error::ApiResult;
use crate::http::AppState;

#[utoipa::path(
    get,
    path = "/api/v1/admin/check",
    tag = "admin",
    operation_id = "stock_check",
    summary = "Check the stock invariants",
    description = "The stock invariants verified on the stored data and this process's cache; every violation listed (none when healthy).",
    responses(
        (status = 200, description = "The check, with its violations.", body = crate::http::openapi::StockCheck),
        (status = 401, description = "No valid admin bearer token (`unauthorized`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error (`internal`); the cause is in the server log.", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unreachable (`unavailable`) or busy with another write (`busy`, with `Retry-After`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(skip(state))]
pub async fn check(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let mut books = db::run(&state.pool, |conn| Ok(db::check::load(conn)?)).await?;
    // Only entries for SKUs the database read agrees on in version are comparable; the cache
    // may be a commit ahead of the read, so compare entries whose figures are both settled.
    let cache = state
        .stock_cache
        .iter()
        .map(|e| (e.key().clone(), StoredLevel { on_hand: e.level.on_hand, allocated: e.level.allocated }))
        .collect();
    // While other processes commit too, this process's cache is not read (nor checked).
    books.cache = (!state.cluster.has_peers()).then_some(cache);
    let violations = check::check(&books);
    if !violations.is_empty() {
        tracing::warn!(count = violations.len(), "stock check found violations");
    }
    Ok(HttpResponse::Ok().json(json!({
        "ok": violations.is_empty(),
        "skus_checked": books.levels.len(),
        "violations": violations,
    })))
}
