//! `POST /api/v1/inventory/{sku}/adjustments` `{"source":"api","delta":n}`: a relative change.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::actors::inventory::AdjustQuantity;
use crate::domain::stock::MAX_QUANTITY;
use crate::error::{ApiError, ApiResult};
use crate::http::{extract::Body, AppState};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Adjustment {
    #[serde(default = "api")]
    source: String,
    delta: i64,
}

fn api() -> String {
    "api".into()
}

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
