//! `/api/v1/products`: the catalogue Chorus keeps stock for.

pub(crate) mod create;
pub(crate) mod delete;
pub(crate) mod list;
pub(crate) mod read;
pub(crate) mod update;

use actix_web::web;
use serde::Serialize;

use crate::db::products::Product;
use crate::error::ApiError;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/products")
            .get(list::list)
            .post(create::create)
            .default_service(crate::http::allow("GET, POST")),
    )
    .service(
        web::resource("/products/{sku}")
            .get(read::read)
            .patch(update::update)
            .delete(delete::delete)
            .default_service(crate::http::allow("GET, PATCH, DELETE")),
    );
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ProductView {
    pub sku: String,
    pub title: String,
    pub created_at: String,
    pub updated_at: String,
}

impl From<Product> for ProductView {
    fn from(p: Product) -> Self {
        ProductView {
            sku: p.sku,
            title: p.title,
            created_at: super::time(p.created_at),
            updated_at: super::time(p.updated_at),
        }
    }
}

pub fn validate_sku(sku: &str) -> Result<(), ApiError> {
    crate::domain::sku::validate(sku).map_err(|m| ApiError::validation("sku", format!("SKU {m}")))
}

pub fn validate_title(title: &str) -> Result<(), ApiError> {
    match title.chars().count() {
        0 => Err(ApiError::validation("title", "must not be empty")),
        n if n > 255 => Err(ApiError::validation("title", "at most 255 characters")),
        _ => Ok(()),
    }
}
