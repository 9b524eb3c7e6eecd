//! `PUT /api/v1/inventory/{sku}/sources/{source}` `{"quantity": n}`: an absolute figure.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::actors::inventory::SetSourceQuantity;
use crate::domain::stock::MAX_QUANTITY;
use crate::error::{ApiError, ApiResult};
use crate::http::{extract::Body, AppState};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = SourceQuantity)]
#[serde(deny_unknown_fields)]
pub struct Quantity {
    quantity: i64,
}

#[utoipa::path(
    put,
    path = "/api/v1/inventory/{sku}/sources/{source}",
    tag = "inventory",
    operation_id = "set_source_quantity",
    summary = "Set a source's quantity",
    description = "An absolute figure for one source of one SKU.",
    params(
        ("sku" = String, Path, description = "The product's SKU."),
        ("source" = String, Path, description = "`api` or `plugin:<id>`."),
    ),
    request_body = Quantity,
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
pub async fn set_source(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: Body<Quantity>,
) -> ApiResult<HttpResponse> {
    let (sku, source) = path.into_inner();
    let source = super::existing_source(&state, &source, "source").await?;
    if !(0..=MAX_QUANTITY).contains(&body.0.quantity) {
        return Err(ApiError::validation("quantity", format!("must be between 0 and {MAX_QUANTITY}")));
    }
    state
        .inventory
        .send(SetSourceQuantity { sku: sku.clone(), source, quantity: body.0.quantity, as_of: None })
        .await??;
    Ok(HttpResponse::Ok().json(super::view(&state, &sku).await?))
}
