//! `GET /api/v1/products?limit=&cursor=`: SKU order, cursor pagination.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::ProductView;
use crate::db;
use crate::error::ApiResult;
use crate::http::AppState;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Page {
    /// Page size, 1 to 1000 (default 100).
    limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/products",
    tag = "products",
    operation_id = "list_products",
    summary = "List products",
    description = "Products in SKU order, a page at a time; `next_cursor` (null on the last page) fetches the next.",
    params(
        Page,
    ),
    responses(
        (status = 200, description = "A page of products.", body = crate::http::openapi::ProductPage),
        (status = 401, description = "No valid admin bearer token (`unauthorized`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`limit` out of range or a cursor this API did not give out (`invalid_value`), or a malformed query (`invalid_query`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error (`internal`); the cause is in the server log.", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unreachable (`unavailable`) or busy with another write (`busy`, with `Retry-After`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(skip(state))]
pub async fn list(state: web::Data<AppState>, page: web::Query<Page>) -> ApiResult<HttpResponse> {
    let limit = crate::http::cursor::page_limit(page.limit, 100, 1000)?;
    let after = page.cursor.as_deref().map(crate::http::cursor::decode).transpose()?;
    let products = db::run(&state.pool, move |conn| Ok(db::products::list(conn, after.as_deref(), limit + 1)?)).await?;
    let items: Vec<ProductView> = products.into_iter().map(Into::into).collect();
    Ok(crate::http::cursor::page(items, limit, |p| p.sku.clone()))
}
