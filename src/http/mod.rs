//! The HTTP API: `/health`, and the admin API under `/api/v1`, one small file per endpoint.

mod admin;
pub mod auth;
pub mod channels;
pub mod cursor;
pub mod extract;
pub mod fulfilments;
pub mod health;
pub mod hooks;
pub mod inventory;
pub mod orders;
pub mod plugin_api;
pub mod plugins;
pub mod products;
pub mod schemas;
pub mod webhooks;

use actix::Addr;
use actix_web::web;

use crate::actors::inventory::{InventoryActor, StockCache};
use crate::db::{DatabaseKind, DbPool};
use crate::error::{ApiError, ApiResult};

/// What every handler can reach, handed over as `web::Data<AppState>`.
pub struct AppState {
    pub pool: DbPool,
    pub backend: DatabaseKind,
    pub inventory: Addr<InventoryActor>,
    pub stock_cache: StockCache,
    pub channels: crate::actors::registry::ChannelRegistry,
    pub plugins: crate::actors::plugin::registry::PluginRegistry,
    pub webhooks: crate::actors::webhook::registry::WebhookRegistry,
    pub secrets: crate::secrets::SecretBox,
    pub admin_token_sha256: [u8; 32],
    pub max_body_bytes: usize,
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::PathConfig::default()
            .error_handler(|err, _| ApiError::not_found("not_found", format!("no such resource: {err}")).into()),
    )
    .app_data(web::QueryConfig::default().error_handler(|err, _| {
        ApiError::Validation { code: "invalid_query", field: "query".into(), message: err.to_string() }.into()
    }))
    .route("/health", web::get().to(health::health))
    .route("/schemas/order.v1.json", web::get().to(schemas::order_v1))
    .route("/hooks/channels/{id}", web::post().to(hooks::channel_webhook))
    // Registered before the admin scope, which would otherwise claim its paths.
    .service(
        web::scope("/api/v1/plugin")
            .wrap(actix_web::middleware::from_fn(plugin_api::require_plugin))
            .configure(plugin_api::routes),
    )
    .service(
        web::scope("/api/v1")
            .wrap(actix_web::middleware::from_fn(auth::require_admin))
            .configure(products::routes)
            .configure(inventory::routes)
            .configure(channels::routes)
            .configure(orders::routes)
            .configure(fulfilments::routes)
            .configure(plugins::routes)
            .configure(webhooks::routes)
            .configure(admin::routes),
    )
    .default_service(web::to(not_found));
}

async fn not_found() -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::not_found("not_found", "no such resource or method"))
}

pub use crate::views::time;

/// An id from the path; one that is not a number is as unknown as a missing one, answered with
/// the entity's own 404 so clients see one shape.
pub fn path_id(raw: &str, unknown: impl FnOnce(&str) -> ApiError) -> ApiResult<i64> {
    raw.parse().map_err(|_| unknown(raw))
}
