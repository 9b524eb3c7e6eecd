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

#[utoipa::path(
    get,
    path = "/api/v1/plugins",
    tag = "plugins",
    operation_id = "list_plugins",
    summary = "List plugins",
    description = "Every plugin with its status (never its credentials).",
    responses(
        (status = 200, description = "Every plugin.", body = crate::http::openapi::PluginList),
        (status = 401, description = "No valid admin bearer token (`unauthorized`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error (`internal`); the cause is in the server log.", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unreachable (`unavailable`) or busy with another write (`busy`, with `Retry-After`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(skip(state))]
pub async fn list(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let items = db::run(&state.pool, |conn| {
        let plugins = db::plugins::list(conn)?;
        Ok(plugins.into_iter().map(|p| PluginView::load(conn, p, None)).collect::<Result<Vec<_>, _>>()?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

#[utoipa::path(
    get,
    path = "/api/v1/plugins/{id}",
    tag = "plugins",
    operation_id = "read_plugin",
    summary = "Read a plugin",
    params(
        ("id" = String, Path, description = "The plugin's id."),
    ),
    responses(
        (status = 200, description = "The plugin.", body = PluginView),
        (status = 401, description = "No valid admin bearer token (`unauthorized`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No plugin has this id (`unknown_plugin`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error (`internal`); the cause is in the server log.", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unreachable (`unavailable`) or busy with another write (`busy`, with `Retry-After`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
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

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PluginChanges {
    name: Option<String>,
    orders_url: Option<String>,
    #[schema(value_type = Option<crate::http::openapi::Routing>)]
    routing: Option<Routing>,
    enabled: Option<bool>,
}

#[utoipa::path(
    patch,
    path = "/api/v1/plugins/{id}",
    tag = "plugins",
    operation_id = "update_plugin",
    summary = "Change a plugin",
    description = "Any of name, orders_url, routing, enabled. A disabled plugin keeps its queue: enabling it again sends what waited.",
    params(
        ("id" = String, Path, description = "The plugin's id."),
    ),
    request_body = PluginChanges,
    responses(
        (status = 200, description = "The plugin.", body = PluginView),
        (status = 400, description = "The body is not JSON (`malformed_json`) or could not be read (`unreadable_body`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid admin bearer token (`unauthorized`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No plugin has this id (`unknown_plugin`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 408, description = "The body did not arrive in time (`request_timeout`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than allowed (`payload_too_large`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad name, URL or routing, or a field missing or unknown (`invalid_value`, naming `field`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error (`internal`); the cause is in the server log.", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unreachable (`unavailable`) or busy with another write (`busy`, with `Retry-After`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
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

#[utoipa::path(
    delete,
    path = "/api/v1/plugins/{id}",
    tag = "plugins",
    operation_id = "delete_plugin",
    summary = "Delete a plugin",
    description = "Removes the plugin; the stock it reported (source `plugin:<id>`) goes with it.",
    params(
        ("id" = String, Path, description = "The plugin's id."),
    ),
    responses(
        (status = 204, description = "Deleted."),
        (status = 401, description = "No valid admin bearer token (`unauthorized`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No plugin has this id (`unknown_plugin`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error (`internal`); the cause is in the server log.", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unreachable (`unavailable`) or busy with another write (`busy`, with `Retry-After`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
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

#[utoipa::path(
    post,
    path = "/api/v1/plugins/{id}/rotate",
    tag = "plugins",
    operation_id = "rotate_plugin_credentials",
    summary = "Rotate a plugin's credentials",
    description = "A new API token and signing secret, shown this once; the old ones stop working.",
    params(
        ("id" = String, Path, description = "The plugin's id."),
    ),
    responses(
        (status = 200, description = "The plugin, with its new token and secret.", body = PluginView),
        (status = 401, description = "No valid admin bearer token (`unauthorized`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No plugin has this id (`unknown_plugin`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error (`internal`); the cause is in the server log.", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unreachable (`unavailable`) or busy with another write (`busy`, with `Retry-After`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
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
