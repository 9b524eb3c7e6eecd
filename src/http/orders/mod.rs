//! `/api/v1/orders`: imported orders, their lines, status, hold reason and history.

mod action;
mod list;
mod read;
mod redact;

use crate::error::{ApiError, ApiResult};
pub use crate::views::orders::OrderView;
use actix_web::web;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/orders").get(list::list))
        .service(web::resource("/orders/{id}").get(read::read))
        .service(web::resource("/orders/{id}/release").post(action::release))
        .service(web::resource("/orders/{id}/exclude").post(action::exclude))
        .service(web::resource("/orders/{id}/redact").post(redact::redact));
}

pub fn parse_id(raw: &str) -> ApiResult<i64> {
    crate::http::path_id(raw, |raw| ApiError::not_found("unknown_order", format!("no order has id {raw}")))
}
