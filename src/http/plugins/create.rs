//! `POST /api/v1/plugins` `{name, orders_url, routing}` → 201 with the plugin, its API token
//! and its signing secret, shown this once.

use crate::domain::ids::PluginId;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::{new_credentials, validate_routing, PluginView, Routing};
use crate::db::{self, plugins::PluginValues};
use crate::error::{ApiError, ApiResult};
use crate::http::webhooks::validate_url;
use crate::http::{auth::sha256, extract::Body, AppState};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPlugin {
    name: String,
    /// Where Chorus sends the plugin its orders (signed, Standard Webhooks).
    orders_url: String,
    #[schema(value_type = crate::http::openapi::Routing)]
    routing: Routing,
    #[serde(default = "yes")]
    enabled: bool,
}

fn yes() -> bool {
    true
}

#[utoipa::path(
    post,
    path = "/api/v1/plugins",
    tag = "plugins",
    operation_id = "create_plugin",
    summary = "Add a plugin",
    description = "Registers a fulfilment-centre plugin. The answer carries its API token (`token`, for `/api/v1/plugin/*`) and signing secret (`secret`), shown this once.",
    request_body = NewPlugin,
    responses(
        (status = 201, description = "The plugin, with its token and secret.", body = PluginView, headers(("Location" = String, description = "`/api/v1/plugins/{id}`"))),
        (status = 400, description = "The body is not JSON (`malformed_json`) or could not be read (`unreadable_body`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid admin bearer token (`unauthorized`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 408, description = "The body did not arrive in time (`request_timeout`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than allowed (`payload_too_large`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad name, URL or routing, or a field missing or unknown (`invalid_value`, naming `field`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error (`internal`); the cause is in the server log.", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unreachable (`unavailable`) or busy with another write (`busy`, with `Retry-After`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(skip(state, body))]
pub async fn create(state: web::Data<AppState>, body: Body<NewPlugin>) -> ApiResult<HttpResponse> {
    let b = body.0;
    let name = b.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ApiError::validation("name", "must be 1 to 200 characters"));
    }
    validate_routing(&b.routing)?;
    // Last: it resolves the host.
    let allow_private = state.webhooks.settings().allow_private_networks;
    let orders_url = validate_url("orders_url", &b.orders_url, allow_private).await?;
    let now = db::now_ms();
    let values = PluginValues {
        name,
        orders_url,
        routing: serde_json::to_string(&b.routing).unwrap_or_default(),
        enabled: b.enabled,
        updated_at: now,
    };
    let (token, secret) = new_credentials();
    let digest = hex::encode(sha256(&token));
    let stored_secret = state.secrets.seal(&secret)?;
    let view = db::run(&state.pool, move |conn| {
        let plugin = db::plugins::insert(conn, &values, &digest, &stored_secret, now)?;
        Ok((plugin.id, plugin.enabled, PluginView::load(conn, plugin, Some((token, secret)))?))
    })
    .await?;
    let (id, enabled, view) = view;
    tracing::info!(plugin_id = id, "plugin created");
    if enabled {
        state.plugins.ensure(PluginId(id));
    }
    Ok(HttpResponse::Created().insert_header(("Location", format!("/api/v1/plugins/{id}"))).json(view))
}
