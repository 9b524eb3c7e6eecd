//! `PATCH /api/v1/products/{sku}` `{"title"}`.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::{validate_title, ProductView};
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::http::{extract::Body, AppState};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductChanges {
    title: String,
}

#[tracing::instrument(skip(state, body))]
pub async fn update(
    state: web::Data<AppState>,
    sku: web::Path<String>,
    body: Body<ProductChanges>,
) -> ApiResult<HttpResponse> {
    let sku = sku.into_inner();
    let title = body.0.title;
    validate_title(&title)?;
    let updated = db::run(&state.pool, {
        let sku = sku.clone();
        move |conn| Ok(db::products::update_title(conn, &sku, &title, db::now_ms())?)
    })
    .await;
    match updated {
        Ok(product) => Ok(HttpResponse::Ok().json(ProductView::from(product))),
        Err(e) if e.is_not_found() => Err(ApiError::unknown_sku(&sku)),
        Err(e) => Err(e.into()),
    }
}
