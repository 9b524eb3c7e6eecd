//! `/api/v1/orders`: imported orders, their lines, status, hold reason and history.

mod action;
mod list;
mod read;

use actix_web::web;
use serde::Serialize;

use crate::db::orders::{EventRow, LineRow, OrderRow};
use crate::error::{ApiError, ApiResult};
use crate::http::time;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/orders").get(list::list))
        .service(web::resource("/orders/{id}").get(read::read))
        .service(web::resource("/orders/{id}/release").post(action::release))
        .service(web::resource("/orders/{id}/exclude").post(action::exclude));
}

#[derive(Serialize)]
pub struct OrderView {
    id: i64,
    channel_id: i64,
    external_id: String,
    name: String,
    status: String,
    hold_reason: Option<String>,
    financial_status: String,
    fulfillment_status: String,
    channel_created_at: String,
    channel_updated_at: String,
    cancelled_at: Option<String>,
    imported_at: String,
    updated_at: String,
    /// The fulfilment-centre plugin the order was routed to.
    plugin_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    lines: Option<Vec<LineView>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    history: Option<Vec<HistoryView>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fulfilments: Option<Vec<crate::http::fulfilments::FulfilmentView>>,
}

#[derive(Serialize)]
pub struct LineView {
    id: i64,
    external_id: String,
    sku: String,
    quantity: i64,
    fulfilled: i64,
    /// Units shipped through Chorus's fulfilments.
    shipped: i64,
    allocated: i64,
    /// Units shipped (or written off) on the channel itself, taken off the ships-from source.
    shipped_on_channel: i64,
    /// Units the channel restocked after they shipped, put back on the source.
    returned: i64,
    /// Units refunded without restock.
    written_off: i64,
}

#[derive(Serialize)]
pub struct HistoryView {
    at: String,
    kind: String,
    detail: String,
}

impl OrderView {
    pub fn with_fulfilments(mut self, f: Vec<crate::http::fulfilments::FulfilmentView>) -> Self {
        self.fulfilments = Some(f);
        self
    }

    pub fn new(o: OrderRow, lines: Option<Vec<LineRow>>, history: Option<Vec<EventRow>>) -> Self {
        OrderView {
            id: o.id,
            channel_id: o.channel_id,
            external_id: o.external_id,
            name: o.name,
            status: o.status,
            hold_reason: o.hold_reason,
            financial_status: o.financial_status,
            fulfillment_status: o.fulfillment_status,
            channel_created_at: time(o.channel_created_at),
            channel_updated_at: time(o.channel_updated_at),
            cancelled_at: o.cancelled_at.map(time),
            imported_at: time(o.imported_at),
            updated_at: time(o.updated_at),
            plugin_id: o.plugin_id,
            lines: lines.map(|ls| {
                ls.into_iter()
                    .map(|l| LineView {
                        id: l.id,
                        external_id: l.external_id,
                        sku: l.sku,
                        quantity: l.quantity,
                        fulfilled: l.fulfilled,
                        shipped: l.shipped,
                        allocated: l.allocated,
                        shipped_on_channel: l.channel_out,
                        returned: l.returned,
                        written_off: l.written_off,
                    })
                    .collect()
            }),
            history: history.map(|h| {
                h.into_iter().map(|e| HistoryView { at: time(e.at), kind: e.kind, detail: e.detail }).collect()
            }),
            fulfilments: None,
        }
    }
}

pub fn parse_id(raw: &str) -> ApiResult<i64> {
    raw.parse().map_err(|_| ApiError::not_found("unknown_order", format!("no order has id {raw}")))
}
