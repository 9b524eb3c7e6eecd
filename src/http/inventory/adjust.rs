//! `POST /api/v1/inventory/{sku}/adjustments` `{"source":"api","delta":n}`: a relative change.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::actors::inventory::AdjustQuantity;
use crate::domain::stock::MAX_QUANTITY;
use crate::error::{ApiError, ApiResult};
use crate::http::{extract::Body, AppState};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Adjustment {
    /// `api` (the default) or `plugin:<id>`.
    #[serde(default = "api")]
    source: String,
    /// Non-zero; added to the source's quantity.
    delta: i64,
}

fn api() -> String {
    "api".into()
}

#[utoipa::path(
    post,
    path = "/api/v1/inventory/{sku}/adjustments",
    tag = "inventory",
    operation_id = "adjust_inventory",
    summary = "Adjust a source's quantity",
    description = "A relative change to one source of one SKU.",
    params(
        ("sku" = String, Path, description = "The product's SKU."),
    ),
    request_body = Adjustment,
    responses(
        (status = 200, description = "The SKU's stock.", body = super::InventoryView),
        (status = 400, description = "The body is not JSON (`malformed_json`) or could not be read (`unreadable_body`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid admin bearer token (`unauthorized`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No product has this SKU (`unknown_sku`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 408, description = "The body did not arrive in time (`request_timeout`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The change would break a stock rule, e.g. take a source below what it holds (`negative_stock`); nothing was applied.", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than allowed (`payload_too_large`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad value, or a field missing or unknown (`invalid_value`, naming `field`); a source that is not `api` or `plugin:<id>` (`invalid_source`) or names no plugin (`unknown_plugin`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error (`internal`); the cause is in the server log.", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unreachable (`unavailable`) or busy with another write (`busy`, with `Retry-After`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(skip(state, body))]
pub async fn adjust(
    state: web::Data<AppState>,
    sku: web::Path<String>,
    body: Body<Adjustment>,
) -> ApiResult<HttpResponse> {
    let sku = sku.into_inner();
    let source = super::existing_source(&state, &body.0.source, "source").await?;
    // `unsigned_abs`: i64::MIN has no positive counterpart.
    if body.0.delta == 0 || body.0.delta.unsigned_abs() > MAX_QUANTITY.unsigned_abs() {
        return Err(ApiError::validation("delta", format!("must be non-zero and at most {MAX_QUANTITY} either way")));
    }
    state.inventory.send(AdjustQuantity { sku: sku.clone(), source, delta: body.0.delta }).await??;
    Ok(HttpResponse::Ok().json(super::view(&state, &sku).await?))
}
