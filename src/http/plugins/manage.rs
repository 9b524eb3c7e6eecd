//! `GET/PATCH/DELETE /api/v1/plugins/{id}`, `GET /api/v1/plugins`, and
//! `POST /api/v1/plugins/{id}/rotate` (new token and secret, shown once; the old stop working).

use crate::domain::ids::PluginId;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::{new_credentials, parse_id, unknown, validate_routing, PluginView, Routing};
use crate::db::{self, plugins::PluginValues};
use crate::error::{ApiError, ApiResult};
use crate::http::webhooks::validate_url;
use crate::http::{auth::sha256, extract::Body, AppState};

#[tracing::instrument(skip(state))]
pub async fn list(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let items = db::run(&state.pool, |conn| {
        let plugins = db::plugins::list(conn)?;
        Ok(plugins.into_iter().map(|p| PluginView::load(conn, p, None)).collect::<Result<Vec<_>, _>>()?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

#[tracing::instrument(skip(state))]
pub async fn read(state: web::Data<AppState>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = parse_id(&id)?;
    let view = db::run(&state.pool, move |conn| {
        let Some(plugin) = db::plugins::find(conn, id)? else { return Ok(None) };
        Ok(Some(PluginView::load(conn, plugin, None)?))
    })
    .await?
    .ok_or_else(|| unknown(id))?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PluginChanges {
    name: Option<String>,
    orders_url: Option<String>,
    routing: Option<Routing>,
    enabled: Option<bool>,
}

#[tracing::instrument(skip(state, body))]
pub async fn update(
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: Body<PluginChanges>,
) -> ApiResult<HttpResponse> {
    let id = parse_id(&id)?;
    let current =
        db::run(&state.pool, move |conn| Ok(db::plugins::find(conn, id)?)).await?.ok_or_else(|| unknown(id))?;
    let c = body.0;
    let mut values = PluginValues {
        name: current.name,
        orders_url: current.orders_url,
        routing: current.routing,
        enabled: current.enabled,
        updated_at: db::now_ms(),
    };
    if let Some(name) = c.name {
        let name = name.trim().to_string();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(ApiError::validation("name", "must be 1 to 200 characters"));
        }
        values.name = name;
    }
    if let Some(url) = c.orders_url {
        let allow_private = state.webhooks.settings().allow_private_networks;
        values.orders_url = validate_url("orders_url", &url, allow_private).await?;
    }
    if let Some(routing) = c.routing {
        validate_routing(&routing)?;
        values.routing = serde_json::to_string(&routing).unwrap_or_default();
    }
    if let Some(enabled) = c.enabled {
        values.enabled = enabled;
    }
    let enabled = values.enabled;
    let view = db::run(&state.pool, move |conn| {
        let Some(plugin) = db::plugins::update(conn, id, &values)? else { return Ok(None) };
        Ok(Some(PluginView::load(conn, plugin, None)?))
    })
    .await?
    .ok_or_else(|| unknown(id))?;
    // A disabled plugin's queue is kept: enabling it again sends what waited.
    if enabled {
        state.plugins.ensure(PluginId(id));
    } else {
        state.plugins.retire(PluginId(id));
    }
    Ok(HttpResponse::Ok().json(view))
}

#[tracing::instrument(skip(state))]
pub async fn delete(state: web::Data<AppState>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = parse_id(&id)?;
    let deleted = db::run(&state.pool, move |conn| Ok(db::plugins::delete(conn, id)?)).await?;
    if deleted {
        state.plugins.retire(PluginId(id));
        // Its stock goes with it: nothing will report it again. Zeroed through the
        // InventoryActor, so the levels move and the channels get the new figures.
        let source = crate::domain::source::Source::Plugin(PluginId(id));
        let name = source.to_string();
        let skus = db::run(&state.pool, move |conn| Ok(db::inventory::skus_held_by(conn, &name)?)).await?;
        if !skus.is_empty() {
            let items = skus.into_iter().map(|sku| (sku, 0)).collect();
            let msg = crate::actors::inventory::SetMany { source, items, as_of: None, create_missing: false };
            let outcome = state.inventory.send(msg).await??;
            tracing::info!(plugin_id = id, changed = outcome.changed, "a deleted plugin's stock was removed");
        }
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(unknown(id))
    }
}

#[tracing::instrument(skip(state))]
pub async fn rotate(state: web::Data<AppState>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = parse_id(&id)?;
    let (token, secret) = new_credentials();
    let (digest, stored) = (hex::encode(sha256(&token)), state.secrets.seal(&secret)?);
    let plugin = db::run(&state.pool, move |conn| {
        if !db::plugins::rotate(conn, id, &digest, &stored, db::now_ms())? {
            return Ok(None);
        }
        let Some(plugin) = db::plugins::find(conn, id)? else { return Ok(None) };
        Ok(Some(PluginView::load(conn, plugin, Some((token, secret)))?))
    })
    .await?
    .ok_or_else(|| unknown(id))?;
    tracing::info!(plugin_id = id, "plugin credentials rotated");
    // The actor signs with the new secret from now on.
    state.plugins.ensure(PluginId(id));
    Ok(HttpResponse::Ok().json(plugin))
}
