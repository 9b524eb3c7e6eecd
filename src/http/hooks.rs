//! `POST /hooks/channels/{id}`: order webhooks from the channels themselves. The signature
//! (Shopify `X-Shopify-Hmac-Sha256`, WooCommerce `X-WC-Webhook-Signature`: base64 HMAC-SHA256
//! of the raw body) is checked in constant time against the channel's `webhook_secret`; a good
//! one imports the order it carries at once (or, if the body is not an order Chorus can read,
//! makes the channel poll), once per webhook id.

use crate::domain::channel::ChannelKind;
use crate::domain::ids::ChannelId;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use super::extract::read_body;
use super::AppState;
use crate::actors::inventory::ImportOrders;
use crate::connectors;
use crate::db;
use crate::domain::signature;
use crate::error::{ApiError, ApiResult};

fn header<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// The largest body a WooCommerce ping (`webhook_id=N`) has.
const PING_MAX_BYTES: usize = 64;

/// WooCommerce's ping of a new webhook: `webhook_id=` and digits, unsigned.
fn is_ping(body: &[u8]) -> bool {
    body.strip_prefix(b"webhook_id=").is_some_and(|n| !n.is_empty() && n.iter().all(u8::is_ascii_digit))
}

fn declared_length(req: &HttpRequest) -> Option<usize> {
    header(req, "content-length").and_then(|v| v.trim().parse().ok())
}

#[utoipa::path(
    post,
    path = "/hooks/channels/{id}",
    tag = "system",
    operation_id = "channel_webhook",
    summary = "A marketplace's order webhook",
    description = "Called by the marketplace itself, not with a bearer token: the request is signed by the \
                   marketplace with the channel's `webhook_secret` (Shopify `X-Shopify-Hmac-Sha256`, \
                   WooCommerce `X-WC-Webhook-Signature`: base64 HMAC-SHA256 of the raw body), checked in \
                   constant time. A good one imports the order it carries at once (or, if the body is not an \
                   order Chorus can read, makes the channel poll), once per webhook id. WooCommerce's unsigned \
                   ping of a new webhook (`webhook_id=N`) is answered 200 for any id. Unknown channels, missing \
                   and bad signatures all get the same 401, so ids cannot be probed.",
    params(
        ("id" = String, Path, description = "The channel's id."),
        ("X-Shopify-Hmac-Sha256" = Option<String>, Header, description = "Shopify channels: base64 HMAC-SHA256 of the raw body."),
        ("X-Shopify-Webhook-Id" = Option<String>, Header, description = "Shopify channels: the webhook's id (a repeat is answered `duplicate`)."),
        ("X-Shopify-Topic" = Option<String>, Header, description = "Shopify channels: `orders/...` topics carry an order to import."),
        ("X-WC-Webhook-Signature" = Option<String>, Header, description = "WooCommerce channels: base64 HMAC-SHA256 of the raw body."),
        ("X-WC-Webhook-Delivery-Id" = Option<String>, Header, description = "WooCommerce channels: the delivery's id (a repeat is answered `duplicate`)."),
        ("X-WC-Webhook-Topic" = Option<String>, Header, description = "WooCommerce channels: `order.*` topics carry an order to import."),
    ),
    request_body(
        description = "The marketplace's webhook body as it sent it (the signature covers the raw bytes), or \
                       WooCommerce's unsigned ping `webhook_id=N`.",
        content(
            (serde_json::Value = "application/json"),
            (String = "application/x-www-form-urlencoded"),
        )
    ),
    responses(
        (status = 200, description = "Accepted, a duplicate, or a ping answered.", body = crate::http::openapi::HookAnswer),
        (status = 400, description = "The body could not be read (`unreadable_body`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed (and not a ping), no such channel, not this channel kind's signature header, or a bad signature (`unauthorized`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 408, description = "The body did not arrive in time (`request_timeout`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than the webhook body limit (`payload_too_large`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error (`internal`); the cause is in the server log.", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Too many of this channel's bodies are being read at once, or the database is busy (`busy`, with `Retry-After`); or the database is unreachable (`unavailable`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip(state, req, payload), fields(channel_id))]
pub async fn channel_webhook(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
    mut payload: web::Payload,
) -> ApiResult<HttpResponse> {
    // Nothing unsigned is read beyond a ping's few bytes, and nothing at all before the channel
    // is known and its signature header is there. Unknown channels, missing and bad signatures
    // all get the same 401, so ids cannot be probed.
    let signed = ["x-shopify-hmac-sha256", "x-wc-webhook-signature"].iter().any(|h| header(&req, h).is_some());
    if !signed {
        // WooCommerce pings a new webhook unsigned and keeps the webhook only if the answer is
        // 200 (`WC_Webhook::deliver_ping`): every id gets it alike, existing or not.
        let body =
            read_body(&mut payload, PING_MAX_BYTES, state.body_timeout).await.map_err(|_| ApiError::Unauthorized)?;
        if is_ping(&body) {
            return Ok(HttpResponse::Ok().json(json!({"ping": "ok"})));
        }
        tracing::warn!("webhook refused: no signature header");
        return Err(ApiError::Unauthorized);
    }
    let id: i64 = id.parse().map_err(|_| ApiError::Unauthorized)?;
    tracing::Span::current().record("channel_id", id);
    let channel =
        db::run(&state.pool, move |conn| Ok(db::channels::find(conn, id)?)).await?.ok_or(ApiError::Unauthorized)?;
    let kind = crate::http::channels::stored_kind(&channel.kind)?;
    let (signature, webhook_id, topic) = match kind {
        ChannelKind::Shopify => (
            header(&req, "x-shopify-hmac-sha256"),
            header(&req, "x-shopify-webhook-id"),
            header(&req, "x-shopify-topic"),
        ),
        ChannelKind::WooCommerce => (
            header(&req, "x-wc-webhook-signature"),
            header(&req, "x-wc-webhook-delivery-id"),
            header(&req, "x-wc-webhook-topic"),
        ),
    };
    let Some(signature) = signature else {
        tracing::warn!(channel_id = id, "webhook refused: not this channel kind's signature header");
        return Err(ApiError::Unauthorized);
    };
    let limit = state.hooks.max_body_bytes;
    if declared_length(&req).is_some_and(|n| n > limit) {
        return Err(ApiError::PayloadTooLarge { limit });
    }
    let Some(_reading) = state.hooks.permit(id) else {
        tracing::warn!(channel_id = id, "webhook refused: too many bodies in flight for this channel");
        return Err(ApiError::Busy);
    };
    let body = read_body(&mut payload, limit, state.body_timeout).await?;
    let creds = state.secrets.open_values(&channel.credentials).unwrap_or_default();
    let secret = creds.get("webhook_secret").and_then(|v| v.as_str()).unwrap_or_default().to_string();

    // Only order topics carry an order to import; anything else just makes the channel poll.
    let order_topic = topic.is_some_and(|t| t.starts_with("orders/") || t.starts_with("order."));
    if secret.is_empty() || !signature::verify(secret.as_bytes(), &body, signature) {
        tracing::warn!(channel_id = id, "webhook refused: bad signature");
        return Err(ApiError::Unauthorized);
    }
    if let Some(webhook_id) = webhook_id.map(|w| crate::domain::channel::inbound_webhook_key(kind, w, &body)) {
        let first =
            db::run(&state.pool, move |conn| Ok(db::orders::first_sighting(conn, id, &webhook_id, db::now_ms())?))
                .await?;
        if !first {
            return Ok(HttpResponse::Ok().json(json!({"duplicate": true})));
        }
    }
    if !channel.enabled {
        return Ok(HttpResponse::Ok().json(json!({"accepted": true})));
    }
    // The order in hand goes straight in: no round trip to the channel, no cost budget spent.
    if let Some(order) = connectors::webhook_order(kind, &body).filter(|_| order_topic) {
        let import = ImportOrders::for_channel(&channel, vec![order], None);
        match state.inventory.send(import).await {
            Ok(Ok(outcome)) => {
                crate::measure::import(id, &outcome.counts());
                return Ok(HttpResponse::Ok().json(json!({"accepted": true, "imported": outcome})));
            }
            Ok(Err(e)) => tracing::warn!(channel_id = id, error = %e, "importing a webhook's order failed; polling"),
            Err(e) => tracing::warn!(channel_id = id, error = %e, "inventory actor unreachable; polling"),
        }
    }
    if !state.channels.poll_now(ChannelId(id)) {
        state.channels.ensure(ChannelId(id));
    }
    Ok(HttpResponse::Ok().json(json!({"accepted": true})))
}
