//! `GET /health`: no auth; says whether the database answers and which backend it is.

use actix_web::{web, HttpResponse};
use diesel::connection::SimpleConnection;
use serde_json::json;

use super::AppState;
use crate::db;

#[utoipa::path(
    get,
    path = "/health",
    tag = "system",
    operation_id = "health",
    summary = "Health",
    description = "Whether the database answers, and which backend it is. No authentication.",
    responses(
        (status = 200, description = "The database answers.", body = crate::http::openapi::Health),
        (status = 503, description = "The database does not answer (`status`: `unavailable`); a JSON body, not a problem.", body = crate::http::openapi::Health),
    )
)]
#[tracing::instrument(skip(state))]
pub async fn health(state: web::Data<AppState>) -> HttpResponse {
    let backend = state.backend.name();
    let ok = db::run(&state.pool, |conn| conn.batch_execute("SELECT 1").map_err(Into::into)).await;
    match ok {
        Ok(()) => {
            HttpResponse::Ok().json(json!({"status": "ok", "database": backend, "version": env!("CARGO_PKG_VERSION")}))
        }
        Err(e) => {
            tracing::warn!(error = %e, "health check: database unreachable");
            HttpResponse::ServiceUnavailable().json(json!({"status": "unavailable", "database": backend}))
        }
    }
}
