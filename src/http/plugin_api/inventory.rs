//! `PUT /api/v1/plugin/inventory` `[{sku, quantity, as_of}]`: the plugin's stock levels, kept
//! as source `plugin:<id>`. A report older than the last one applied for a SKU is ignored; the
//! new totals go out to the channels like any other stock change.

use std::collections::BTreeMap;

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::PluginId;
use crate::actors::inventory::{BulkOutcome, SetMany};
use crate::domain::source::Source;
use crate::domain::stock::MAX_QUANTITY;
use crate::error::{ApiError, ApiResult};
use crate::http::{extract::Body, AppState};

/// How far ahead of Chorus's clock a plugin's `as_of` may be (its clock's skew).
const MAX_CLOCK_AHEAD_MS: i64 = 5 * 60_000;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = PluginStockLevel)]
#[serde(deny_unknown_fields)]
pub struct Level {
    sku: String,
    quantity: i64,
    /// When the plugin counted it (RFC 3339).
    as_of: String,
}

#[utoipa::path(
    put,
    path = "/api/v1/plugin/inventory",
    tag = "plugin_api",
    operation_id = "plugin_report_stock",
    summary = "Report the plugin's stock",
    description = "The plugin's stock levels, kept as source `plugin:<id>`. A level older than the last one applied for its SKU is ignored; the new totals go out to the channels like any other stock change.",
    request_body = Vec<Level>,
    responses(
        (status = 200, description = "What changed.", body = crate::http::openapi::PluginStockOutcome),
        (status = 400, description = "The body is not JSON (`malformed_json`) or could not be read (`unreadable_body`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid plugin token, or its plugin is disabled (`unauthorized`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "A SKU has no product (`unknown_sku`); nothing was applied.", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 408, description = "The body did not arrive in time (`request_timeout`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The change would break a stock rule (`negative_stock`); nothing was applied.", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than allowed (`payload_too_large`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "An empty list, a bad SKU, quantity or `as_of` (more than 5 minutes ahead counts as bad), a SKU twice, or a field missing or unknown (`invalid_value`, naming `field`, e.g. `[2].quantity`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error (`internal`); the cause is in the server log.", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unreachable (`unavailable`) or busy with another write (`busy`, with `Retry-After`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("plugin_bearer" = []))
)]
#[tracing::instrument(skip(state, body), fields(plugin_id = plugin.0))]
pub async fn put(
    state: web::Data<AppState>,
    plugin: web::ReqData<PluginId>,
    body: Body<Vec<Level>>,
) -> ApiResult<HttpResponse> {
    if body.0.is_empty() {
        return Err(ApiError::validation("items", "at least one level"));
    }
    // One message per report time (usually one): each carries its own `as_of`.
    let mut by_time: BTreeMap<i64, Vec<(String, i64)>> = BTreeMap::new();
    let mut seen = std::collections::HashSet::new();
    // A count dated ahead of now (beyond clock skew) would make every later report look stale.
    let latest = crate::db::now_ms() + MAX_CLOCK_AHEAD_MS;
    for (i, l) in body.0.into_iter().enumerate() {
        crate::domain::sku::validate(&l.sku).map_err(|e| ApiError::validation(format!("[{i}].sku"), e.to_string()))?;
        if !(0..=MAX_QUANTITY).contains(&l.quantity) {
            return Err(ApiError::validation(format!("[{i}].quantity"), format!("must be 0 to {MAX_QUANTITY}")));
        }
        let as_of = crate::connectors::parse_time(&l.as_of)
            .ok_or_else(|| ApiError::validation(format!("[{i}].as_of"), "must be an RFC 3339 time"))?;
        if as_of > latest {
            return Err(ApiError::validation(
                format!("[{i}].as_of"),
                format!("is more than {} minutes ahead of Chorus's clock", MAX_CLOCK_AHEAD_MS / 60_000),
            ));
        }
        if !seen.insert(l.sku.clone()) {
            return Err(ApiError::validation(format!("[{i}].sku"), format!("\"{}\" appears twice", l.sku)));
        }
        by_time.entry(as_of).or_default().push((l.sku, l.quantity));
    }
    let source = Source::Plugin(crate::domain::ids::PluginId(plugin.0));
    let mut total = BulkOutcome::default();
    for (as_of, items) in by_time {
        let msg = SetMany { source: source.clone(), items, as_of: Some(as_of), create_missing: false };
        let o = state.inventory.send(msg).await??;
        total.changed += o.changed;
        total.unchanged += o.unchanged;
        total.stale += o.stale;
    }
    Ok(HttpResponse::Ok().json(json!({ "changed": total.changed, "unchanged": total.unchanged, "stale": total.stale })))
}
