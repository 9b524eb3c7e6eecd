//! `GET /api/v1/orders/{id}`: the order with its lines and history.

use actix_web::{web, HttpResponse};

use super::{parse_id, OrderView};
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::http::AppState;

#[utoipa::path(
    get,
    path = "/api/v1/orders/{id}",
    tag = "orders",
    operation_id = "read_order",
    summary = "Read an order",
    description = "The order with its lines, history and fulfilments.",
    params(
        ("id" = String, Path, description = "The order's id."),
    ),
    responses(
        (status = 200, description = "The order.", body = OrderView),
        (status = 401, description = "No valid admin bearer token (`unauthorized`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No order has this id (`unknown_order`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error (`internal`); the cause is in the server log.", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unreachable (`unavailable`) or busy with another write (`busy`, with `Retry-After`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(skip(state))]
pub async fn read(state: web::Data<AppState>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = parse_id(&id)?;
    let found = db::run(&state.pool, move |conn| {
        let Some(order) = db::orders::find(conn, id)? else { return Ok(None) };
        let lines = db::orders::lines_of(conn, &[id])?;
        let history = db::orders::events_of(conn, id)?;
        let fulfilments = db::fulfilments::of_order(conn, id)?
            .into_iter()
            .map(|(f, l)| crate::http::fulfilments::FulfilmentView::new(f, l))
            .collect();
        Ok(Some(OrderView::new(order, Some(lines), Some(history)).with_fulfilments(fulfilments)))
    })
    .await?;
    let view = found.ok_or_else(|| ApiError::not_found("unknown_order", format!("no order has id {id}")))?;
    Ok(HttpResponse::Ok().json(view))
}
