//! `PUT /api/v1/plugin/products` `[{sku, external_id?, title?, barcode?, weight_grams?,
//! length_mm?, width_mm?, height_mm?, hs_code?, country_of_origin?}]`: the plugin's own data for
//! SKUs Chorus knows, shown beside the channel product data on `GET /api/v1/products/{sku}`.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::PluginId;
use crate::db::{self, plugin_products::Reported};
use crate::error::{ApiError, ApiResult};
use crate::http::{extract::Body, AppState};

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PluginProductData {
    #[serde(skip_serializing)]
    sku: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    external_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    barcode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    weight_grams: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    length_mm: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    width_mm: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    height_mm: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hs_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    country_of_origin: Option<String>,
}

fn validate(i: usize, p: &PluginProductData) -> ApiResult<()> {
    crate::domain::sku::validate(&p.sku).map_err(|e| ApiError::validation(format!("[{i}].sku"), e.to_string()))?;
    for (name, v) in [
        ("weight_grams", p.weight_grams),
        ("length_mm", p.length_mm),
        ("width_mm", p.width_mm),
        ("height_mm", p.height_mm),
    ] {
        if v.is_some_and(|v| !(0..=100_000_000).contains(&v)) {
            return Err(ApiError::validation(format!("[{i}].{name}"), "must be between 0 and 100000000"));
        }
    }
    for (name, v) in [
        ("external_id", &p.external_id),
        ("title", &p.title),
        ("barcode", &p.barcode),
        ("hs_code", &p.hs_code),
        ("country_of_origin", &p.country_of_origin),
    ] {
        if v.as_ref().is_some_and(|s| s.chars().count() > 255) {
            return Err(ApiError::validation(format!("[{i}].{name}"), "at most 255 characters"));
        }
    }
    Ok(())
}

#[tracing::instrument(skip(state, body), fields(plugin_id = plugin.0))]
pub async fn put(
    state: web::Data<AppState>,
    plugin: web::ReqData<PluginId>,
    body: Body<Vec<PluginProductData>>,
) -> ApiResult<HttpResponse> {
    let items = body.0;
    if items.is_empty() {
        return Err(ApiError::validation("items", "at least one product"));
    }
    for (i, p) in items.iter().enumerate() {
        validate(i, p)?;
    }
    let plugin_id = plugin.0;
    let reported: Vec<(String, serde_json::Value)> = items
        .iter()
        .map(|p| Ok((p.sku.clone(), serde_json::to_value(p).map_err(|e| ApiError::Internal(e.into()))?)))
        .collect::<ApiResult<_>>()?;
    let outcome =
        db::run(&state.pool, move |conn| db::plugin_products::save_many(conn, plugin_id, &reported, db::now_ms()))
            .await?;
    match outcome {
        Reported::Saved { created, updated, unchanged } => {
            Ok(HttpResponse::Ok().json(json!({ "created": created, "updated": updated, "unchanged": unchanged })))
        }
        Reported::UnknownSkus(unknown) => Err(crate::actors::inventory::InventoryError::UnknownSku(unknown).into()),
    }
}
