//! `POST /api/v1/webhooks` `{url, events, channel_id?}` → 201 with the subscription and its
//! signing secret, shown this once. Events from now on reach it.

use crate::domain::ids::SubscriptionId;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::{new_secret, validate_events, validate_url, SubscriptionView};
use crate::db::{self, webhooks::SubscriptionValues};
use crate::error::{ApiError, ApiResult};
use crate::http::{extract::Body, AppState};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSubscription {
    url: String,
    /// The event kinds to receive (at least one).
    events: Vec<String>,
    /// Only this channel's events; absent, every channel's.
    channel_id: Option<i64>,
    #[serde(default = "yes")]
    enabled: bool,
}

fn yes() -> bool {
    true
}

#[utoipa::path(
    post,
    path = "/api/v1/webhooks",
    tag = "webhooks",
    operation_id = "create_webhook",
    summary = "Subscribe to events",
    description = "Events from now on reach the URL, signed (Standard Webhooks) with the secret in the answer, shown this once.",
    request_body = NewSubscription,
    responses(
        (status = 201, description = "The subscription, with its secret.", body = SubscriptionView, headers(("Location" = String, description = "`/api/v1/webhooks/{id}`"))),
        (status = 400, description = "The body is not JSON (`malformed_json`) or could not be read (`unreadable_body`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid admin bearer token (`unauthorized`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 408, description = "The body did not arrive in time (`request_timeout`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than allowed (`payload_too_large`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad URL or event, an unknown channel, or a field missing or unknown (`invalid_value`, naming `field`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error (`internal`); the cause is in the server log.", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unreachable (`unavailable`) or busy with another write (`busy`, with `Retry-After`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(skip(state, body))]
pub async fn create(state: web::Data<AppState>, body: Body<NewSubscription>) -> ApiResult<HttpResponse> {
    let b = body.0;
    let events = validate_events(&b.events)?;
    let url = validate_url("url", &b.url, state.webhooks.settings().allow_private_networks).await?;
    if let Some(channel) = b.channel_id {
        let exists = db::run(&state.pool, move |conn| Ok(db::channels::find(conn, channel)?.is_some())).await?;
        if !exists {
            return Err(ApiError::validation("channel_id", format!("no channel has id {channel}")));
        }
    }
    let now = db::now_ms();
    let values = SubscriptionValues {
        url,
        events,
        channel_id: b.channel_id,
        enabled: b.enabled,
        disabled_reason: None,
        updated_at: now,
    };
    let secret = new_secret();
    let stored = state.secrets.seal(&secret)?;
    let sub = db::run(&state.pool, move |conn| Ok(db::webhooks::insert(conn, &values, &stored, now)?)).await?;
    tracing::info!(subscription_id = sub.id, "webhook subscription created");
    if sub.enabled {
        state.webhooks.ensure(SubscriptionId(sub.id));
    }
    let id = sub.id;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/webhooks/{id}")))
        .json(SubscriptionView::new(sub, Some(secret))))
}
