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

#[tracing::instrument(skip(state, req, payload), fields(channel_id))]
pub async fn channel_webhook(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
    mut payload: web::Payload,
) -> ApiResult<HttpResponse> {
    // Unknown channels get the same 401 as bad signatures: no probing for which ids exist.
    let id: i64 = id.parse().map_err(|_| ApiError::Unauthorized)?;
    tracing::Span::current().record("channel_id", id);
    let body = read_body(&mut payload, state.max_body_bytes).await?;
    let channel =
        db::run(&state.pool, move |conn| Ok(db::channels::find(conn, id)?)).await?.ok_or(ApiError::Unauthorized)?;
    let creds = state.secrets.open_values(&channel.credentials).unwrap_or_default();
    let secret = creds.get("webhook_secret").and_then(|v| v.as_str()).unwrap_or_default().to_string();

    let kind = crate::http::channels::stored_kind(&channel.kind)?;
    let (signature, webhook_id, topic) = match kind {
        ChannelKind::Shopify => (
            header(&req, "x-shopify-hmac-sha256"),
            header(&req, "x-shopify-webhook-id"),
            header(&req, "x-shopify-topic"),
        ),
        ChannelKind::WooCommerce => {
            let signature = header(&req, "x-wc-webhook-signature");
            // WooCommerce pings a new webhook with an unsigned form body `webhook_id=N`.
            if signature.is_none() && body.starts_with(b"webhook_id=") {
                return Ok(HttpResponse::Ok().json(json!({"ping": "ok"})));
            }
            (signature, header(&req, "x-wc-webhook-delivery-id"), header(&req, "x-wc-webhook-topic"))
        }
    };
    // Only order topics carry an order to import; anything else just makes the channel poll.
    let order_topic = topic.is_some_and(|t| t.starts_with("orders/") || t.starts_with("order."));
    let valid = !secret.is_empty() && signature.is_some_and(|sig| signature::verify(secret.as_bytes(), &body, sig));
    if !valid {
        tracing::warn!(
            channel_id = id,
            has_signature = signature.is_some(),
            "webhook refused: bad or missing signature"
        );
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
            Ok(Ok(outcome)) => return Ok(HttpResponse::Ok().json(json!({"accepted": true, "imported": outcome}))),
            Ok(Err(e)) => tracing::warn!(channel_id = id, error = %e, "importing a webhook's order failed; polling"),
            Err(e) => tracing::warn!(channel_id = id, error = %e, "inventory actor unreachable; polling"),
        }
    }
    if !state.channels.poll_now(ChannelId(id)) {
        state.channels.ensure(ChannelId(id));
    }
    Ok(HttpResponse::Ok().json(json!({"accepted": true})))
}
