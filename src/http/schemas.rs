//! `GET /schemas/order.v1.json`: no auth; the JSON Schema of the order shape that plugins and
//! webhook subscribers receive, so they can validate what arrives.

use actix_web::HttpResponse;

/// The published schema, compiled into the binary from `src/views/order.v1.schema.json`.
pub const ORDER_V1: &str = include_str!("../views/order.v1.schema.json");

#[utoipa::path(
    get,
    path = "/schemas/order.v1.json",
    tag = "system",
    operation_id = "order_schema_v1",
    summary = "The order shape's JSON Schema",
    description = "The JSON Schema (version 1) of the order that plugins and webhook subscribers receive, \
                   so they can validate what arrives. No authentication.",
    responses(
        (status = 200, description = "The JSON Schema.", body = serde_json::Value, content_type = "application/schema+json"),
    )
)]
pub async fn order_v1() -> HttpResponse {
    HttpResponse::Ok().content_type("application/schema+json").body(ORDER_V1)
}
