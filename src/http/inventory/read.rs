//! `GET /api/v1/inventory/{sku}`: sources, on-hand, allocated, available, version.

use actix_web::{web, HttpResponse};

use crate::error::ApiResult;
use crate::http::AppState;

#[utoipa::path(
    get,
    path = "/api/v1/inventory/{sku}",
    tag = "inventory",
    operation_id = "read_inventory",
    summary = "Read a SKU's stock",
    description = "Quantity per source, on hand, allocated, available, and the version of the figure.",
    params(
        ("sku" = String, Path, description = "The product's SKU."),
    ),
    responses(
        (status = 200, description = "The SKU's stock.", body = super::InventoryView),
        (status = 401, description = "No valid admin bearer token (`unauthorized`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No product has this SKU (`unknown_sku`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error (`internal`); the cause is in the server log.", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unreachable (`unavailable`) or busy with another write (`busy`, with `Retry-After`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(skip(state))]
pub async fn read(state: web::Data<AppState>, sku: web::Path<String>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(super::view(&state, &sku).await?))
}
