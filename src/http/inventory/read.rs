//! `GET /api/v1/inventory/{sku}`: sources, on-hand, allocated, available, version.

use actix_web::{web, HttpResponse};

use crate::error::ApiResult;
use crate::http::AppState;

#[tracing::instrument(skip(state))]
pub async fn read(state: web::Data<AppState>, sku: web::Path<String>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(super::view(&state, &sku).await?))
}
