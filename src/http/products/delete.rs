//! `DELETE /api/v1/products/{sku}`: removes the product with its stock and channel data,
//! unless open orders hold some of it.

use actix_web::{web, HttpResponse};

use crate::db::{self, products::Deleted};
use crate::error::{ApiError, ApiResult};
use crate::http::AppState;

#[tracing::instrument(skip(state))]
pub async fn delete(state: web::Data<AppState>, sku: web::Path<String>) -> ApiResult<HttpResponse> {
    let sku = sku.into_inner();
    let deleted = db::run(&state.pool, {
        let sku = sku.clone();
        move |conn| Ok(db::products::delete(conn, &sku)?)
    })
    .await?;
    match deleted {
        Deleted::Yes => {
            state.stock_cache.remove(&sku);
            Ok(HttpResponse::NoContent().finish())
        }
        Deleted::NotFound => Err(ApiError::unknown_sku(&sku)),
        Deleted::Allocated(n) => Err(ApiError::conflict(
            "sku_allocated",
            format!("SKU \"{sku}\" is held by open orders ({n} allocated); cancel or fulfil them first"),
        )),
    }
}
