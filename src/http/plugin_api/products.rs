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

/// The request shape of `PluginProductData` for the OpenAPI document (`sku` is skipped when
/// the data is stored, which the schema derive would take for absent).
#[derive(utoipa::ToSchema)]
#[schema(as = PluginProductData)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct PluginProductDoc {
    /// A SKU Chorus knows.
    sku: String,
    /// The plugin's own id for the product.
    external_id: Option<String>,
    title: Option<String>,
    barcode: Option<String>,
    weight_grams: Option<i64>,
    length_mm: Option<i64>,
    width_mm: Option<i64>,
    height_mm: Option<i64>,
    hs_code: Option<String>,
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

#[utoipa::path(
    put,
    path = "/api/v1/plugin/products",
    tag = "plugin_api",
    operation_id = "plugin_report_products",
    summary = "Report the plugin's product data",
    description = "The plugin's own data for SKUs Chorus knows, shown beside the channel product data on `GET /api/v1/products/{sku}`.",
    request_body = Vec<PluginProductDoc>,
    responses(
        (status = 200, description = "What changed.", body = crate::http::openapi::PluginProductsOutcome),
        (status = 400, description = "The body is not JSON (`malformed_json`) or could not be read (`unreadable_body`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid plugin token, or its plugin is disabled (`unauthorized`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "A SKU has no product (`unknown_sku`); nothing was saved.", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 408, description = "The body did not arrive in time (`request_timeout`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than allowed (`payload_too_large`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "An empty list, a bad SKU, a figure out of range, a text over 255 characters, or a field missing or unknown (`invalid_value`, naming `field`, e.g. `[0].sku`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error (`internal`); the cause is in the server log.", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unreachable (`unavailable`) or busy with another write (`busy`, with `Retry-After`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("plugin_bearer" = []))
)]
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
