//! `POST /api/v1/products` `{"sku","title"}` → 201 with the product.

use crate::domain::ids::ChannelId;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::{validate_sku, validate_title, ProductView};
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::http::{extract::Body, AppState};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewProduct {
    sku: String,
    title: String,
}

#[tracing::instrument(skip(state, body), fields(sku = %body.0.sku))]
pub async fn create(state: web::Data<AppState>, body: Body<NewProduct>) -> ApiResult<HttpResponse> {
    let NewProduct { sku, title } = body.0;
    validate_sku(&sku)?;
    validate_title(&title)?;
    let created = db::run(&state.pool, {
        let sku = sku.clone();
        move |conn| Ok(db::products::insert(conn, &sku, &title, db::now_ms())?)
    })
    .await;
    match created {
        Ok((product, linked)) => {
            linked.into_iter().for_each(|channel| state.channels.push_now(ChannelId(channel)));
            Ok(HttpResponse::Created()
                .insert_header(("Location", format!("/api/v1/products/{}", product.sku)))
                .json(ProductView::from(product)))
        }
        Err(e) if e.is_unique_violation() => {
            Err(ApiError::conflict("sku_taken", format!("a product with SKU \"{sku}\" already exists")))
        }
        Err(e) => Err(e.into()),
    }
}
