//! `/api/v1/orders/{id}/fulfilments` and `/api/v1/fulfilments/{id}`: shipping an order's units
//! and following each fulfilment to its channel (`pending`, `sent`, `synced`, `failed`).

pub mod create;
mod read;
mod retry;

use actix_web::web;
use serde::Serialize;

use crate::db::fulfilments::{FulfilmentLine, FulfilmentRow};
use crate::error::{ApiError, ApiResult};
use crate::http::time;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/orders/{id}/fulfilments").post(create::create))
        .service(web::resource("/fulfilments/{id}").get(read::read))
        .service(web::resource("/fulfilments/{id}/retry").post(retry::retry));
}

#[derive(Serialize)]
pub struct FulfilmentView {
    id: i64,
    order_id: i64,
    channel_id: i64,
    source: String,
    status: String,
    carrier: Option<String>,
    tracking_number: Option<String>,
    tracking_url: Option<String>,
    /// The channel's id for it, once created there.
    channel_ref: Option<String>,
    attempts: i32,
    last_error: Option<String>,
    lines: Vec<FulfilmentLineView>,
    created_at: String,
    updated_at: String,
}

#[derive(Serialize)]
pub struct FulfilmentLineView {
    line_id: i64,
    sku: String,
    quantity: i64,
}

impl FulfilmentView {
    pub fn new(f: FulfilmentRow, lines: Vec<FulfilmentLine>) -> Self {
        FulfilmentView {
            id: f.id,
            order_id: f.order_id,
            channel_id: f.channel_id,
            source: f.source,
            status: f.status,
            carrier: f.carrier,
            tracking_number: f.tracking_number,
            tracking_url: f.tracking_url,
            channel_ref: f.channel_ref,
            attempts: f.attempts,
            last_error: f.last_error,
            lines: lines
                .into_iter()
                .map(|l| FulfilmentLineView { line_id: l.order_line_id, sku: l.sku, quantity: l.quantity })
                .collect(),
            created_at: time(f.created_at),
            updated_at: time(f.updated_at),
        }
    }
}

pub fn parse_id(raw: &str) -> ApiResult<i64> {
    raw.parse().map_err(|_| unknown(raw))
}

pub fn unknown(id: impl std::fmt::Display) -> ApiError {
    ApiError::not_found("unknown_fulfilment", format!("no fulfilment has id {id}"))
}
