//! `/api/v1/webhooks`: subscriptions of other systems (a WMS, an OMS) to Chorus's events, for
//! one store or all, with their signing secret (shown once), status and delivery log.

pub(crate) mod create;
pub(crate) mod deliveries;
pub(crate) mod manage;

use actix_web::web;
use serde::Serialize;
use serde_json::Value;

use crate::db::webhooks::Subscription;
use crate::error::{ApiError, ApiResult};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/webhooks")
            .get(manage::list)
            .post(create::create)
            .default_service(crate::http::allow("GET, POST")),
    )
    .service(
        web::resource("/webhooks/{id}")
            .get(manage::read)
            .patch(manage::update)
            .delete(manage::delete)
            .default_service(crate::http::allow("GET, PATCH, DELETE")),
    )
    .service(web::resource("/webhooks/{id}/rotate").post(manage::rotate).default_service(crate::http::allow("POST")))
    .service(
        web::resource("/webhooks/{id}/deliveries").get(deliveries::list).default_service(crate::http::allow("GET")),
    )
    .service(
        web::resource("/webhooks/{id}/deliveries/{delivery}/resend")
            .post(deliveries::resend)
            .default_service(crate::http::allow("POST")),
    )
    .service(
        web::resource("/webhooks/{id}/replay").post(deliveries::replay).default_service(crate::http::allow("POST")),
    );
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SubscriptionView {
    id: i64,
    url: String,
    #[schema(value_type = Vec<String>)]
    events: Value,
    channel_id: Option<i64>,
    enabled: bool,
    status: StatusView,
    created_at: String,
    updated_at: String,
    /// Shown on creation and rotation only.
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = SubscriptionStatus)]
struct StatusView {
    /// Why deliveries stopped (410 Gone, failing too long), when they did.
    disabled_reason: Option<String>,
    delivered: i64,
    last_delivery_at: Option<String>,
    last_error: Option<String>,
    failing_since: Option<String>,
}

impl SubscriptionView {
    pub fn new(s: Subscription, secret: Option<String>) -> Self {
        SubscriptionView {
            id: s.id,
            events: serde_json::from_str(&s.events).unwrap_or(Value::Null),
            url: s.url,
            channel_id: s.channel_id,
            enabled: s.enabled,
            status: StatusView {
                disabled_reason: s.disabled_reason,
                delivered: s.delivered,
                last_delivery_at: s.last_delivery_at.map(crate::http::time),
                last_error: s.last_error,
                failing_since: s.failing_since.map(crate::http::time),
            },
            created_at: crate::http::time(s.created_at),
            updated_at: crate::http::time(s.updated_at),
            secret,
        }
    }
}

/// A fresh signing secret: `whsec_` + base64 of 32 random bytes.
pub fn new_secret() -> String {
    use base64::Engine;
    format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(rand::random::<[u8; 32]>()))
}

pub fn validate_events(events: &[String]) -> ApiResult<String> {
    if events.is_empty() {
        return Err(ApiError::validation("events", "choose at least one event"));
    }
    for e in events {
        if !crate::domain::webhook::EVENT_KINDS.contains(&e.as_str()) {
            return Err(ApiError::validation(
                "events",
                format!("unknown event \"{e}\"; one of {}", crate::domain::webhook::EVENT_KINDS.join(", ")),
            ));
        }
    }
    let mut sorted = events.to_vec();
    sorted.sort();
    sorted.dedup();
    Ok(serde_json::to_string(&sorted).unwrap_or_default())
}

/// A subscriber's or plugin's URL: the one address rule, and its host must resolve.
pub async fn validate_url(field: &str, raw: &str, allow_private: bool) -> ApiResult<String> {
    crate::http::outbound_url(field, raw, allow_private, crate::http::Resolve::Required).await.map(|u| u.to_string())
}

pub fn parse_id(raw: &str) -> ApiResult<i64> {
    crate::http::path_id(raw, |raw| unknown(raw))
}

pub fn unknown(id: impl std::fmt::Display) -> ApiError {
    ApiError::not_found("unknown_webhook", format!("no webhook subscription has id {id}"))
}
