//! `/api/v1/orders`: imported orders, their lines, status, hold reason and history.

pub(crate) mod action;
pub(crate) mod list;
pub(crate) mod read;
pub(crate) mod redact;

use crate::error::{ApiError, ApiResult};
pub use crate::views::orders::OrderView;
use actix_web::web;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/orders").get(list::list).default_service(crate::http::allow("GET")))
        .service(web::resource("/orders/{id}").get(read::read).default_service(crate::http::allow("GET")))
        .service(
            web::resource("/orders/{id}/release").post(action::release).default_service(crate::http::allow("POST")),
        )
        .service(
            web::resource("/orders/{id}/exclude").post(action::exclude).default_service(crate::http::allow("POST")),
        )
        .service(web::resource("/orders/{id}/redact").post(redact::redact).default_service(crate::http::allow("POST")));
}

pub fn parse_id(raw: &str) -> ApiResult<i64> {
    crate::http::path_id(raw, |raw| ApiError::not_found("unknown_order", format!("no order has id {raw}")))
}
