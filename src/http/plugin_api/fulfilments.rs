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

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PluginFulfilment {
    /// An order routed to this plugin.
    order_id: i64,
    /// The units shipped; absent, everything the order still has to ship.
    lines: Option<Vec<NewLine>>,
    carrier: Option<String>,
    tracking_number: Option<String>,
    tracking_url: Option<String>,
    external_id: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/plugin/fulfilments",
    tag = "plugin_api",
    operation_id = "plugin_fulfil_order",
    summary = "Fulfil (part of) an order",
    description = "The plugin shipped (part of) one of its orders: the units come off the plugin's own stock (source `plugin:<id>`) and the fulfilment goes to the order's channel.",
    params(
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a repeat of this request answer the first fulfilment (200) instead of shipping twice; at most 255 characters. `external_id` serves when no header is given; both given must agree."),
    ),
    request_body = PluginFulfilment,
    responses(
        (status = 200, description = "A repeat of an earlier request (same idempotency key): the first fulfilment.", body = crate::http::fulfilments::FulfilmentView, headers(("Idempotent-Replayed" = String, description = "`true`."), ("Location" = String, description = "`/api/v1/fulfilments/{id}`"))),
        (status = 202, description = "The fulfilment, `pending`.", body = crate::http::fulfilments::FulfilmentView, headers(("Location" = String, description = "`/api/v1/fulfilments/{id}`"))),
        (status = 400, description = "The body is not JSON (`malformed_json`) or could not be read (`unreadable_body`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid plugin token, or its plugin is disabled (`unauthorized`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No order with this id is routed to this plugin (`unknown_order`; another plugin's orders are answered alike), or a line names an unknown SKU (`unknown_sku`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 408, description = "The body did not arrive in time (`request_timeout`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The order cannot be fulfilled now (`order_state`), the idempotency key was used for another request (`idempotency_key_reused`), or the plugin does not hold the units (`negative_stock`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than allowed (`payload_too_large`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad lines, tracking or key, or a field missing or unknown (`invalid_value`, naming `field`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error (`internal`); the cause is in the server log.", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unreachable (`unavailable`) or busy with another write (`busy`, with `Retry-After`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("plugin_bearer" = []))
)]
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
