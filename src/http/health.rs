//! `GET /health`: no auth; says whether the database answers and which backend it is.

use actix_web::{web, HttpResponse};
use diesel::connection::SimpleConnection;
use serde_json::json;

use super::AppState;
use crate::db;

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
