//! The Shopify simulator: Admin GraphQL (`shop`, `location(s)`, `orders`, `order`,
//! `productVariants`, the `inventorySetQuantities` and `fulfillmentCreate` mutations), every
//! document validated against a schema from the public reference and costed by Shopify's rules,
//! with the cost throttle, and order webhooks rendered as Shopify's REST API renders an order, signed with HMAC-SHA256.

use std::cmp::Ordering;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::server::{self, Bucket, SimState};
use super::store::{
    iso_offset, iso_z, parse_time, to_second, Kind, Listing, Order, DEFAULT_PRICE_MINOR, LISTING_WEIGHT_KG,
    PRIMARY_LOCATION, SHOPIFY_LOCATIONS,
};
use super::webhook::{random_id, sign, Delivery, Event};
use super::{SimHandle, SimOptions};

mod access;
mod cost;
pub mod document;
mod graphql;
mod inventory;
mod render;
mod search;
mod shape;
mod whole;
use apollo_compiler::executable::Field;
use cost::Fault;
use document::Prepared;
use graphql::*;
use inventory::*;
use render::*;
pub use render::{financial_status, fulfillment_status, order_node, refunds_json, rest_order, webhooks};
use search::*;

/// The API version the simulator claims in webhooks.
pub const API_VERSION: &str = "2026-04";
pub const SHOP_DOMAIN: &str = "sim-shop.myshopify.com";
/// The single query cost ceiling.
pub const MAX_COST: i64 = 1000;
const MAX_PAGE: i64 = 250;
const DEFAULT_FIRST: i64 = 50;
const DEFAULT_LINE_ITEMS: i64 = 10;
/// Most quantities one `inventorySetQuantities` call may carry.
pub const MAX_SET_QUANTITIES: usize = 250;
const MUTATION_COST: i64 = 10;

/// The cost Shopify's rules put on `query` with `variables` (what the simulator charges before
/// running it), or the refusal's `errors` where the document is invalid.
pub fn requested_cost(query: &str, variables: &Value) -> Result<i64, Value> {
    let vars = variables.as_object().cloned().unwrap_or_default();
    let prepared = document::prepare(query, None, &vars).map_err(Value::Array)?;
    cost::requested(&prepared)
        .map_err(|(message, code)| json!([{ "message": message, "extensions": { "code": code } }]))
}

/// Starts a Shopify simulator on `opts.bind` inside the current actix System.
pub async fn start(opts: SimOptions) -> std::io::Result<SimHandle> {
    server::start(Kind::Shopify, opts, routes).await
}

fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/api/{version}/graphql.json", web::post().to(graphql));
}

/// Shopify's error body for an injected fault's status.
pub fn error_body(status: u16) -> Value {
    match status {
        429 => {
            json!({"errors": "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."})
        }
        401 => json!({"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}),
        404 => json!({"errors": "Not Found"}),
        s if s >= 500 => json!({"errors": "Internal Server Error"}),
        s => json!({"errors": StatusCode::from_u16(s).ok().and_then(|c| c.canonical_reason()).unwrap_or("Error")}),
    }
}
