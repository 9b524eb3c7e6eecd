//! `GET/PATCH/DELETE /api/v1/plugins/{id}`, `GET /api/v1/plugins`, and
//! `POST /api/v1/plugins/{id}/rotate` (new token and secret, shown once; the old stop working).

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::{new_credentials, parse_id, unknown, validate_routing, validate_url, PluginView, Routing};
use crate::db::{self, plugins::PluginValues};
use crate::error::{ApiError, ApiResult};
use crate::http::{auth::sha256, extract::Body, AppState};

#[tracing::instrument(skip(state))]
pub async fn list(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let plugins = db::run(&state.pool, |conn| Ok(db::plugins::list(conn)?)).await?;
    let items: Vec<PluginView> = plugins.into_iter().map(|p| PluginView::new(p, None)).collect();
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

#[tracing::instrument(skip(state))]
pub async fn read(state: web::Data<AppState>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = parse_id(&id)?;
    let plugin =
        db::run(&state.pool, move |conn| Ok(db::plugins::find(conn, id)?)).await?.ok_or_else(|| unknown(id))?;
    Ok(HttpResponse::Ok().json(PluginView::new(plugin, None)))
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
        values.orders_url = validate_url(&url)?;
    }
    if let Some(routing) = c.routing {
        validate_routing(&routing)?;
        values.routing = serde_json::to_string(&routing).unwrap_or_default();
    }
    if let Some(enabled) = c.enabled {
        values.enabled = enabled;
    }
    let plugin = db::run(&state.pool, move |conn| Ok(db::plugins::update(conn, id, &values)?))
        .await?
        .ok_or_else(|| unknown(id))?;
    Ok(HttpResponse::Ok().json(PluginView::new(plugin, None)))
}

#[tracing::instrument(skip(state))]
pub async fn delete(state: web::Data<AppState>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = parse_id(&id)?;
    if db::run(&state.pool, move |conn| Ok(db::plugins::delete(conn, id)?)).await? {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(unknown(id))
    }
}

#[tracing::instrument(skip(state))]
pub async fn rotate(state: web::Data<AppState>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = parse_id(&id)?;
    let (token, secret) = new_credentials();
    let (digest, stored) = (hex::encode(sha256(&token)), secret.clone());
    let plugin = db::run(&state.pool, move |conn| {
        if !db::plugins::rotate(conn, id, &digest, &stored, db::now_ms())? {
            return Ok(None);
        }
        Ok(db::plugins::find(conn, id)?)
    })
    .await?
    .ok_or_else(|| unknown(id))?;
    tracing::info!(plugin_id = id, "plugin credentials rotated");
    Ok(HttpResponse::Ok().json(PluginView::new(plugin, Some((token, secret)))))
}
