//! `POST /api/v1/orders/{id}/redact`: blank the order's customer, addresses and note
//! everywhere Chorus holds them (the order, its event snapshots, receivers' answers to them);
//! answers the order as it now reads. The figures and history stay.

use actix_web::{web, HttpResponse};

use super::{parse_id, OrderView};
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::http::AppState;

#[utoipa::path(
    post,
    path = "/api/v1/orders/{id}/redact",
    tag = "orders",
    operation_id = "redact_order",
    summary = "Redact an order's personal data",
    description = "Blanks the order's customer, addresses and note everywhere Chorus holds them; the figures and history stay.",
    params(
        ("id" = String, Path, description = "The order's id."),
    ),
    responses(
        (status = 200, description = "The order as it now reads.", body = OrderView),
        (status = 401, description = "No valid admin bearer token (`unauthorized`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No order has this id (`unknown_order`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error (`internal`); the cause is in the server log.", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unreachable (`unavailable`) or busy with another write (`busy`, with `Retry-After`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(skip(state))]
pub async fn redact(state: web::Data<AppState>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = parse_id(&id)?;
    let now = db::now_ms();
    let view = db::run(&state.pool, move |conn| {
        if !db::redaction::redact_order(conn, id, now)? {
            return Ok(None);
        }
        let Some(order) = db::orders::find(conn, id)? else { return Ok(None) };
        let lines = db::orders::lines_of(conn, &[id])?;
        let history = db::orders::events_of(conn, id)?;
        Ok(Some(OrderView::new(order, Some(lines), Some(history))))
    })
    .await?;
    let view = view.ok_or_else(|| ApiError::not_found("unknown_order", format!("no order has id {id}")))?;
    tracing::info!(order_id = id, "order's personal data redacted");
    Ok(HttpResponse::Ok().json(view))
}
