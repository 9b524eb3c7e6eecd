//! `/api/v1/orders/{id}/fulfilments` and `/api/v1/fulfilments/{id}`: shipping an order's units
//! and following each fulfilment to its channel (`pending`, `sent`, `synced`, `failed`).

pub mod create;
pub(crate) mod read;
pub(crate) mod retry;

use crate::error::{ApiError, ApiResult};
pub use crate::views::fulfilments::FulfilmentView;
use actix_web::web;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/orders/{id}/fulfilments").post(create::create).default_service(crate::http::allow("POST")),
    )
    .service(web::resource("/fulfilments/{id}").get(read::read).default_service(crate::http::allow("GET")))
    .service(web::resource("/fulfilments/{id}/retry").post(retry::retry).default_service(crate::http::allow("POST")));
}

pub fn parse_id(raw: &str) -> ApiResult<i64> {
    crate::http::path_id(raw, |raw| unknown(raw))
}

pub fn unknown(id: impl std::fmt::Display) -> ApiError {
    ApiError::not_found("unknown_fulfilment", format!("no fulfilment has id {id}"))
}
