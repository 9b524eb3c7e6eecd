//! `GET /schemas/order.v1.json`: no auth; the JSON Schema of the order shape that plugins and
//! webhook subscribers receive, so they can validate what arrives.

use actix_web::HttpResponse;

/// The published schema, compiled into the binary from `src/views/order.v1.schema.json`.
pub const ORDER_V1: &str = include_str!("../views/order.v1.schema.json");

pub async fn order_v1() -> HttpResponse {
    HttpResponse::Ok().content_type("application/schema+json").body(ORDER_V1)
}
