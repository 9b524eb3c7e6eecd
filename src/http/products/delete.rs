//! `DELETE /api/v1/products/{sku}`: removes the product with its stock and channel data,
//! unless open orders hold some of it; channels listing it are pushed a zero. Done by the
//! InventoryActor, the one writer of stock.

use actix_web::{web, HttpResponse};

use crate::actors::inventory::DeleteProduct;
use crate::error::ApiResult;
use crate::http::AppState;

#[utoipa::path(
    delete,
    path = "/api/v1/products/{sku}",
    tag = "products",
    operation_id = "delete_product",
    summary = "Delete a product",
    description = "Removes the product with its stock and channel data, unless open orders hold some of it; channels listing it are pushed a zero.",
    params(
        ("sku" = String, Path, description = "The product's SKU."),
    ),
    responses(
        (status = 204, description = "Deleted."),
        (status = 401, description = "No valid admin bearer token (`unauthorized`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No product has this SKU (`unknown_sku`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Open orders hold some of its stock (`sku_allocated`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error (`internal`); the cause is in the server log.", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unreachable (`unavailable`) or busy with another write (`busy`, with `Retry-After`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(skip(state))]
pub async fn delete(state: web::Data<AppState>, sku: web::Path<String>) -> ApiResult<HttpResponse> {
    let sku = sku.into_inner();
    state.inventory.send(DeleteProduct { sku: sku.clone() }).await??;
    state.stock_cache.remove(&sku);
    Ok(HttpResponse::NoContent().finish())
}
