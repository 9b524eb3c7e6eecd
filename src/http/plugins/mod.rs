//! `/api/v1/plugins`: fulfilment-centre plugins — where their orders go, which orders they take
//! (`routing`), and their credentials (API token and signing secret, shown once).

pub(crate) mod create;
pub(crate) mod manage;

use actix_web::web;
use serde::Serialize;
use serde_json::Value;

use diesel::QueryResult;

use crate::db::plugins::Plugin;
use crate::db::DbConn;
use crate::error::{ApiError, ApiResult};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/plugins")
            .get(manage::list)
            .post(create::create)
            .default_service(crate::http::allow("GET, POST")),
    )
    .service(
        web::resource("/plugins/{id}")
            .get(manage::read)
            .patch(manage::update)
            .delete(manage::delete)
            .default_service(crate::http::allow("GET, PATCH, DELETE")),
    )
    .service(web::resource("/plugins/{id}/rotate").post(manage::rotate).default_service(crate::http::allow("POST")));
}

pub use crate::domain::routing::Routing;

pub fn validate_routing(r: &Routing) -> ApiResult<()> {
    match r.problem() {
        Some((field, why)) => Err(ApiError::validation(field, why)),
        None => Ok(()),
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PluginView {
    id: i64,
    name: String,
    orders_url: String,
    #[schema(value_type = crate::http::openapi::Routing)]
    routing: Value,
    enabled: bool,
    created_at: String,
    updated_at: String,
    status: PluginStatus,
    /// Shown on creation and rotation only.
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
}

/// How the plugin's order sending goes.
#[derive(Serialize, utoipa::ToSchema)]
struct PluginStatus {
    orders_sent: i64,
    last_sent_at: Option<String>,
    last_error: Option<String>,
    /// Orders waiting to be sent (or retried).
    queue_depth: i64,
}

impl PluginView {
    /// The view of a plugin with its status read now (credentials only on creation/rotation).
    pub fn load(conn: &mut DbConn, p: Plugin, credentials: Option<(String, String)>) -> QueryResult<Self> {
        let depth = crate::db::outbox::depth(conn, &crate::db::plugins::target(p.id))?;
        Ok(Self::new(p, depth, credentials))
    }

    fn new(p: Plugin, queue_depth: i64, credentials: Option<(String, String)>) -> Self {
        let (token, secret) = credentials.map_or((None, None), |(t, s)| (Some(t), Some(s)));
        PluginView {
            id: p.id,
            name: p.name,
            orders_url: p.orders_url,
            routing: serde_json::from_str(&p.routing).unwrap_or(Value::Null),
            enabled: p.enabled,
            created_at: crate::http::time(p.created_at),
            updated_at: crate::http::time(p.updated_at),
            status: PluginStatus {
                orders_sent: p.orders_sent,
                last_sent_at: p.last_sent_at.map(crate::http::time),
                last_error: p.last_error,
                queue_depth,
            },
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
    crate::http::path_id(raw, |raw| unknown(raw))
}

pub fn unknown(id: impl std::fmt::Display) -> ApiError {
    ApiError::not_found("unknown_plugin", format!("no plugin has id {id}"))
}
