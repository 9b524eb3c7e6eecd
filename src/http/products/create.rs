//! `POST /api/v1/products` `{"sku","title"}` → 201 with the product.

use crate::domain::ids::ChannelId;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::{validate_sku, validate_title, ProductView};
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::http::{extract::Body, AppState};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProduct {
    sku: String,
    title: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/products",
    tag = "products",
    operation_id = "create_product",
    summary = "Create a product",
    description = "Adds a product; channels already listing the SKU are linked to it and pushed its stock.",
    request_body = NewProduct,
    responses(
        (status = 201, description = "The product.", body = super::ProductView, headers(("Location" = String, description = "`/api/v1/products/{sku}`"))),
        (status = 400, description = "The body is not JSON (`malformed_json`) or could not be read (`unreadable_body`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid admin bearer token (`unauthorized`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 408, description = "The body did not arrive in time (`request_timeout`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 409, description = "A product with this SKU exists (`sku_taken`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than allowed (`payload_too_large`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad SKU or title, or a field missing or unknown (`invalid_value`, naming `field`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error (`internal`); the cause is in the server log.", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unreachable (`unavailable`) or busy with another write (`busy`, with `Retry-After`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
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
