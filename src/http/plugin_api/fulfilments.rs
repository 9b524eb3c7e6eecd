//! `POST /api/v1/plugin/fulfilments` `{order_id, lines?, carrier, tracking_number,
//! tracking_url}`: the plugin shipped (part of) one of its orders. The units come off the
//! plugin's own stock (`source` = `plugin:<id>`) and the fulfilment flow takes it to the order's
//! channel. An order routed to another plugin, or to none, is refused with 403. With an
//! `Idempotency-Key` header (or `external_id`), a repeat after a lost answer gets the first
//! fulfilment back (200) instead of shipping twice; another body under the key is a 409.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::PluginId;
use crate::db;
use crate::domain::source::Source;
use crate::error::{ApiError, ApiResult};
use crate::http::fulfilments::create::{submit, NewFulfilment, NewLine};
use crate::http::{extract::Body, AppState};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PluginFulfilment {
    order_id: i64,
    lines: Option<Vec<NewLine>>,
    carrier: Option<String>,
    tracking_number: Option<String>,
    tracking_url: Option<String>,
    external_id: Option<String>,
}

#[tracing::instrument(skip(state, req, body), fields(plugin_id = plugin.0))]
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    plugin: web::ReqData<PluginId>,
    body: Body<PluginFulfilment>,
) -> ApiResult<HttpResponse> {
    let b = body.0;
    let order_id = b.order_id;
    // Another plugin's order is answered as an unknown one: order ids cannot be probed.
    let routed_to =
        db::run(&state.pool, move |conn| Ok(db::orders::find(conn, order_id)?.map(|o| o.plugin_id))).await?.flatten();
    if routed_to != Some(plugin.0) {
        return Err(ApiError::not_found("unknown_order", format!("no order {order_id} is routed to this plugin")));
    }
    let fulfilment = NewFulfilment {
        lines: b.lines,
        carrier: b.carrier,
        tracking_number: b.tracking_number,
        tracking_url: b.tracking_url,
        source: None,
        external_id: b.external_id,
    };
    submit(&state, &req, order_id, fulfilment, Source::Plugin(crate::domain::ids::PluginId(plugin.0))).await
}
