//! `/api/v1/plugin/*`: what a plugin calls back with, authenticated by its own API token and
//! scoped to it (the admin token does not work here, nor one plugin's token for another).

pub(crate) mod fulfilments;
pub(crate) mod inventory;
pub(crate) mod products;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage};

use super::auth::sha256;
use super::AppState;
use crate::db;
use crate::error::ApiError;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/inventory").put(inventory::put).default_service(crate::http::allow("PUT")))
        .service(web::resource("/fulfilments").post(fulfilments::create).default_service(crate::http::allow("POST")))
        .service(web::resource("/products").put(products::put).default_service(crate::http::allow("PUT")));
}

/// The plugin a request was authenticated as.
#[derive(Clone, Copy, Debug)]
pub struct PluginId(pub i64);

/// Bearer token → the plugin it belongs to (by its SHA-256; the token itself is not stored).
pub async fn require_plugin(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let presented = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| hex::encode(sha256(t.trim())));
    let (Some(digest), Some(state)) = (presented, req.app_data::<web::Data<AppState>>().cloned()) else {
        return Err(ApiError::Unauthorized.into());
    };
    let found =
        db::run(&state.pool, move |conn| Ok(db::plugins::by_token(conn, &digest)?)).await.map_err(ApiError::from)?;
    match found {
        Some(plugin) if plugin.enabled => {
            tracing::Span::current().record("plugin_id", plugin.id);
            req.extensions_mut().insert(PluginId(plugin.id));
            next.call(req).await
        }
        _ => Err(ApiError::Unauthorized.into()),
    }
}
