//! `GET /api/v1/products/{sku}`: the product with its channel and plugin product data beside it.

use actix_web::{web, HttpResponse};
use serde_json::json;

use super::ProductView;
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::http::channels::products::ChannelProductView;
use crate::http::AppState;

#[utoipa::path(
    get,
    path = "/api/v1/products/{sku}",
    tag = "products",
    operation_id = "read_product",
    summary = "Read a product",
    description = "The product with each channel's product data for it and each plugin's.",
    params(
        ("sku" = String, Path, description = "The product's SKU."),
    ),
    responses(
        (status = 200, description = "The product.", body = crate::http::openapi::ProductDetail),
        (status = 401, description = "No valid admin bearer token (`unauthorized`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No product has this SKU (`unknown_sku`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error (`internal`); the cause is in the server log.", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unreachable (`unavailable`) or busy with another write (`busy`, with `Retry-After`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(skip(state))]
pub async fn read(state: web::Data<AppState>, sku: web::Path<String>) -> ApiResult<HttpResponse> {
    let sku = sku.into_inner();
    let found = db::run(&state.pool, {
        let sku = sku.clone();
        move |conn| {
            let Some(product) = db::products::find(conn, &sku)? else { return Ok(None) };
            let channels = db::channel_products::list_for_sku(conn, &sku)?;
            let plugins = db::plugin_products::list_for_sku(conn, &sku)?;
            Ok(Some((product, channels, plugins)))
        }
    })
    .await?;
    let (product, channels, plugins) = found.ok_or_else(|| ApiError::unknown_sku(&sku))?;
    let channels: Vec<ChannelProductView> = channels.into_iter().map(Into::into).collect();
    let mut body = serde_json::to_value(ProductView::from(product)).map_err(anyhow::Error::from)?;
    body["channels"] = json!(channels);
    body["plugins"] = plugins
        .into_iter()
        .map(|p| {
            json!({
                "plugin_id": p.plugin_id,
                "data": serde_json::from_str::<serde_json::Value>(&p.data).unwrap_or_default(),
                "updated_at": crate::http::time(p.updated_at),
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(body))
}
