//! `PUT /api/v1/inventory/{sku}/sources/{source}` `{"quantity": n}`: an absolute figure.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::actors::inventory::SetSourceQuantity;
use crate::domain::stock::MAX_QUANTITY;
use crate::error::{ApiError, ApiResult};
use crate::http::{extract::Body, AppState};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Quantity {
    quantity: i64,
}

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
