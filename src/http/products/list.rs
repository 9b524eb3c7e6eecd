//! `GET /api/v1/products?limit=&cursor=`: SKU order, cursor pagination.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::ProductView;
use crate::db;
use crate::error::ApiResult;
use crate::http::AppState;

#[derive(Debug, Deserialize)]
pub struct Page {
    limit: Option<i64>,
    cursor: Option<String>,
}

#[tracing::instrument(skip(state))]
pub async fn list(state: web::Data<AppState>, page: web::Query<Page>) -> ApiResult<HttpResponse> {
    let limit = crate::http::cursor::page_limit(page.limit, 100, 1000)?;
    let after = page.cursor.as_deref().map(crate::http::cursor::decode).transpose()?;
    let products = db::run(&state.pool, move |conn| Ok(db::products::list(conn, after.as_deref(), limit + 1)?)).await?;
    let items: Vec<ProductView> = products.into_iter().map(Into::into).collect();
    Ok(crate::http::cursor::page(items, limit, |p| p.sku.clone()))
}
