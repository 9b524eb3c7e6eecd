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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPlugin {
    name: String,
    orders_url: String,
    routing: Routing,
    #[serde(default = "yes")]
    enabled: bool,
}

fn yes() -> bool {
    true
}

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
