//! `PUT /api/v1/inventory` `{"source":"api","items":[{"sku","quantity"}],"create_missing":false}`:
//! sets many SKUs in one transaction, all or nothing.

use std::collections::HashSet;

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::actors::inventory::SetMany;
use crate::domain::stock::MAX_QUANTITY;
use crate::error::{ApiError, ApiResult};
use crate::http::{extract::Body, AppState};

/// Enough for a whole warehouse's stock file in one call.
const MAX_ITEMS: usize = 100_000;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkSet {
    /// `api` (the default) or `plugin:<id>`.
    #[serde(default = "api")]
    source: String,
    items: Vec<Item>,
    /// Create a product for each SKU Chorus does not know; otherwise an
    /// unknown SKU refuses the whole call.
    #[serde(default)]
    create_missing: bool,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = BulkSetItem)]
#[serde(deny_unknown_fields)]
pub struct Item {
    sku: String,
    quantity: i64,
}

fn api() -> String {
    "api".into()
}

#[utoipa::path(
    put,
    path = "/api/v1/inventory",
    tag = "inventory",
    operation_id = "set_inventory",
    summary = "Set many SKUs",
    description = "Sets the quantity of one source for many SKUs (up to 100000) in one transaction, all or nothing.",
    request_body = BulkSet,
    responses(
        (status = 200, description = "What changed.", body = crate::http::openapi::BulkOutcome),
        (status = 400, description = "The body is not JSON (`malformed_json`) or could not be read (`unreadable_body`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid admin bearer token (`unauthorized`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "A SKU has no product and `create_missing` is false (`unknown_sku`); nothing was applied.", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 408, description = "The body did not arrive in time (`request_timeout`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The change would break a stock rule, e.g. take a source below what it holds (`negative_stock`); nothing was applied.", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than allowed (`payload_too_large`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad value, or a field missing or unknown (`invalid_value`, naming `field`); a source that is not `api` or `plugin:<id>` (`invalid_source`) or names no plugin (`unknown_plugin`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error (`internal`); the cause is in the server log.", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unreachable (`unavailable`) or busy with another write (`busy`, with `Retry-After`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(skip(state, body), fields(items = body.0.items.len()))]
pub async fn bulk_set(state: web::Data<AppState>, body: Body<BulkSet>) -> ApiResult<HttpResponse> {
    let BulkSet { source, items, create_missing } = body.0;
    let source = super::existing_source(&state, &source, "source").await?;
    if items.is_empty() {
        return Err(ApiError::validation("items", "must not be empty"));
    }
    if items.len() > MAX_ITEMS {
        return Err(ApiError::validation("items", format!("at most {MAX_ITEMS} items per call")));
    }
    let mut seen = HashSet::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        crate::domain::sku::validate(&item.sku)
            .map_err(|m| ApiError::validation(format!("items[{i}].sku"), format!("SKU {m}")))?;
        if !(0..=MAX_QUANTITY).contains(&item.quantity) {
            return Err(ApiError::validation(
                format!("items[{i}].quantity"),
                format!("must be between 0 and {MAX_QUANTITY}"),
            ));
        }
        if !seen.insert(item.sku.as_str()) {
            return Err(ApiError::validation(format!("items[{i}].sku"), format!("\"{}\" appears twice", item.sku)));
        }
    }
    let outcome = state
        .inventory
        .send(SetMany {
            source,
            items: items.into_iter().map(|i| (i.sku, i.quantity)).collect(),
            as_of: None,
            create_missing,
        })
        .await??;
    Ok(HttpResponse::Ok().json(outcome))
}
