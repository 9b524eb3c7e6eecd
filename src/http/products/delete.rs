//! `DELETE /api/v1/products/{sku}`: removes the product with its stock and channel data,
//! unless open orders hold some of it; channels listing it are pushed a zero. Done by the
//! InventoryActor, the one writer of stock.

use actix_web::{web, HttpResponse};

use crate::actors::inventory::DeleteProduct;
use crate::error::ApiResult;
use crate::http::AppState;

#[tracing::instrument(skip(state))]
pub async fn delete(state: web::Data<AppState>, sku: web::Path<String>) -> ApiResult<HttpResponse> {
    let sku = sku.into_inner();
    state.inventory.send(DeleteProduct { sku: sku.clone() }).await??;
    state.stock_cache.remove(&sku);
    Ok(HttpResponse::NoContent().finish())
}
