//! `POST /api/v1/orders/{id}/release` (re-evaluate an order On Hold) and
//! `POST /api/v1/orders/{id}/exclude` (take it out of Chorus's hands, releasing its stock).

use actix_web::{web, HttpResponse};

use super::parse_id;
use crate::actors::inventory::orders_api::{OrderAction, OrderActionKind};
use crate::error::ApiResult;
use crate::http::AppState;

async fn act(state: &AppState, raw_id: &str, kind: OrderActionKind) -> ApiResult<HttpResponse> {
    let order_id = parse_id(raw_id)?;
    let outcome = state.inventory.send(OrderAction { order_id: crate::domain::ids::OrderId(order_id), kind }).await??;
    Ok(HttpResponse::Ok().json(outcome))
}

#[utoipa::path(
    post,
    path = "/api/v1/orders/{id}/release",
    tag = "orders",
    operation_id = "release_order",
    summary = "Release an order on hold",
    description = "Evaluates an order On Hold again: it allocates and goes on if it now can.",
    params(
        ("id" = String, Path, description = "The order's id."),
    ),
    responses(
        (status = 200, description = "The order's status now.", body = crate::http::openapi::OrderOutcome),
        (status = 401, description = "No valid admin bearer token (`unauthorized`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No order has this id (`unknown_order`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The order is not in a state this applies to (`order_state`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error (`internal`); the cause is in the server log.", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unreachable (`unavailable`) or busy with another write (`busy`, with `Retry-After`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(skip(state))]
pub async fn release(state: web::Data<AppState>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    act(&state, &id, OrderActionKind::Release).await
}

#[utoipa::path(
    post,
    path = "/api/v1/orders/{id}/exclude",
    tag = "orders",
    operation_id = "exclude_order",
    summary = "Exclude an order",
    description = "Takes the order out of Chorus's hands, releasing the stock it holds.",
    params(
        ("id" = String, Path, description = "The order's id."),
    ),
    responses(
        (status = 200, description = "The order's status now.", body = crate::http::openapi::OrderOutcome),
        (status = 401, description = "No valid admin bearer token (`unauthorized`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No order has this id (`unknown_order`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The order is not in a state this applies to (`order_state`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error (`internal`); the cause is in the server log.", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unreachable (`unavailable`) or busy with another write (`busy`, with `Retry-After`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(skip(state))]
pub async fn exclude(state: web::Data<AppState>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    act(&state, &id, OrderActionKind::Exclude).await
}
