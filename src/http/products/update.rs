//! `PATCH /api/v1/products/{sku}` `{"title"}`.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::{validate_title, ProductView};
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::http::{extract::Body, AppState};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductChanges {
    title: String,
}

#[utoipa::path(
    patch,
    path = "/api/v1/products/{sku}",
    tag = "products",
    operation_id = "update_product",
    summary = "Rename a product",
    params(
        ("sku" = String, Path, description = "The product's SKU."),
    ),
    request_body = ProductChanges,
    responses(
        (status = 200, description = "The product.", body = super::ProductView),
        (status = 400, description = "The body is not JSON (`malformed_json`) or could not be read (`unreadable_body`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid admin bearer token (`unauthorized`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No product has this SKU (`unknown_sku`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 408, description = "The body did not arrive in time (`request_timeout`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than allowed (`payload_too_large`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad title, or a field missing or unknown (`invalid_value`, naming `field`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error (`internal`); the cause is in the server log.", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unreachable (`unavailable`) or busy with another write (`busy`, with `Retry-After`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(skip(state, body))]
pub async fn update(
    state: web::Data<AppState>,
    sku: web::Path<String>,
    body: Body<ProductChanges>,
) -> ApiResult<HttpResponse> {
    let sku = sku.into_inner();
    let title = body.0.title;
    validate_title(&title)?;
    let updated = db::run(&state.pool, {
        let sku = sku.clone();
        move |conn| Ok(db::products::update_title(conn, &sku, &title, db::now_ms())?)
    })
    .await;
    match updated {
        Ok(product) => Ok(HttpResponse::Ok().json(ProductView::from(product))),
        Err(e) if e.is_not_found() => Err(ApiError::unknown_sku(&sku)),
        Err(e) => Err(e.into()),
    }
}
