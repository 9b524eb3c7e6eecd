//! `GET /api/v1/products/{sku}`: the product with its channel product data beside it.

use actix_web::{web, HttpResponse};
use serde_json::json;

use super::ProductView;
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::http::channels::products::ChannelProductView;
use crate::http::AppState;

#[tracing::instrument(skip(state))]
pub async fn read(state: web::Data<AppState>, sku: web::Path<String>) -> ApiResult<HttpResponse> {
    let sku = sku.into_inner();
    let found = db::run(&state.pool, {
        let sku = sku.clone();
        move |conn| {
            let Some(product) = db::products::find(conn, &sku)? else { return Ok(None) };
            let channels = db::channel_products::list_for_sku(conn, &sku)?;
            Ok(Some((product, channels)))
        }
    })
    .await?;
    let (product, channels) = found.ok_or_else(|| ApiError::unknown_sku(&sku))?;
    let channels: Vec<ChannelProductView> = channels.into_iter().map(Into::into).collect();
    let mut body = serde_json::to_value(ProductView::from(product)).map_err(anyhow::Error::from)?;
    body["channels"] = json!(channels);
    Ok(HttpResponse::Ok().json(body))
}
