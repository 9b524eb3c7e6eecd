//! `/api/v1/plugins`: fulfilment-centre plugins — where their orders go, which orders they take
//! (`routing`), and their credentials (API token and signing secret, shown once).

mod create;
mod manage;

use actix_web::web;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::db::plugins::Plugin;
use crate::error::{ApiError, ApiResult};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/plugins").get(manage::list).post(create::create))
        .service(web::resource("/plugins/{id}").get(manage::read).patch(manage::update).delete(manage::delete))
        .service(web::resource("/plugins/{id}/rotate").post(manage::rotate));
}

/// Which imported orders a plugin takes: from these channels (or all), optionally only
/// orders with one of these SKUs.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Routing {
    pub channels: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skus: Option<Vec<String>>,
}

pub fn validate_routing(r: &Routing) -> ApiResult<()> {
    let ok = match &r.channels {
        Value::String(s) => s == "all",
        Value::Array(ids) => ids.iter().all(|v| v.as_i64().is_some_and(|id| id > 0)),
        _ => false,
    };
    if !ok {
        return Err(ApiError::validation("routing.channels", "must be \"all\" or a list of channel ids"));
    }
    if let Some(skus) = &r.skus {
        for sku in skus {
            crate::domain::sku::validate(sku).map_err(|e| ApiError::validation("routing.skus", e))?;
        }
    }
    Ok(())
}

pub fn validate_url(raw: &str) -> ApiResult<String> {
    let url = url::Url::parse(raw.trim()).map_err(|e| ApiError::validation("orders_url", e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ApiError::validation("orders_url", "must be an http(s) URL"));
    }
    Ok(url.to_string())
}

#[derive(Serialize)]
pub struct PluginView {
    id: i64,
    name: String,
    orders_url: String,
    routing: Value,
    enabled: bool,
    created_at: String,
    updated_at: String,
    /// Shown on creation and rotation only.
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
}

impl PluginView {
    pub fn new(p: Plugin, credentials: Option<(String, String)>) -> Self {
        let (token, secret) = credentials.map_or((None, None), |(t, s)| (Some(t), Some(s)));
        PluginView {
            id: p.id,
            name: p.name,
            orders_url: p.orders_url,
            routing: serde_json::from_str(&p.routing).unwrap_or(Value::Null),
            enabled: p.enabled,
            created_at: crate::http::time(p.created_at),
            updated_at: crate::http::time(p.updated_at),
            token,
            secret,
        }
    }
}

/// A fresh API token and Standard Webhooks signing secret (`whsec_` + base64 of 24 bytes).
pub fn new_credentials() -> (String, String) {
    use base64::Engine;
    let token = format!("chp_{}", hex::encode(rand::random::<[u8; 24]>()));
    let secret = format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(rand::random::<[u8; 24]>()));
    (token, secret)
}

pub fn parse_id(raw: &str) -> ApiResult<i64> {
    raw.parse().map_err(|_| unknown(raw))
}

pub fn unknown(id: impl std::fmt::Display) -> ApiError {
    ApiError::not_found("unknown_plugin", format!("no plugin has id {id}"))
}
