//! `GET /api/v1/webhooks`, `GET/PATCH/DELETE /api/v1/webhooks/{id}` (PATCH: url, events,
//! enabled) and `POST /api/v1/webhooks/{id}/rotate` (a new secret, shown once).

use crate::domain::ids::SubscriptionId;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::{new_secret, parse_id, unknown, validate_events, validate_url, SubscriptionView};
use crate::db::{self, webhooks::SubscriptionValues};
use crate::error::ApiResult;
use crate::http::{extract::Body, AppState};

#[tracing::instrument(skip(state))]
pub async fn list(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let subs = db::run(&state.pool, |conn| Ok(db::webhooks::list(conn)?)).await?;
    let items: Vec<SubscriptionView> = subs.into_iter().map(|s| SubscriptionView::new(s, None)).collect();
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

#[tracing::instrument(skip(state))]
pub async fn read(state: web::Data<AppState>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = parse_id(&id)?;
    let sub = db::run(&state.pool, move |conn| Ok(db::webhooks::find(conn, id)?)).await?.ok_or_else(|| unknown(id))?;
    Ok(HttpResponse::Ok().json(SubscriptionView::new(sub, None)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Changes {
    url: Option<String>,
    events: Option<Vec<String>>,
    enabled: Option<bool>,
}

#[tracing::instrument(skip(state, body))]
pub async fn update(state: web::Data<AppState>, id: web::Path<String>, body: Body<Changes>) -> ApiResult<HttpResponse> {
    let id = parse_id(&id)?;
    let current =
        db::run(&state.pool, move |conn| Ok(db::webhooks::find(conn, id)?)).await?.ok_or_else(|| unknown(id))?;
    let c = body.0;
    let mut values = SubscriptionValues {
        url: current.url,
        events: current.events,
        channel_id: current.channel_id,
        enabled: current.enabled,
        disabled_reason: current.disabled_reason,
        updated_at: db::now_ms(),
    };
    if let Some(url) = c.url {
        values.url = validate_url("url", &url, state.webhooks.settings().allow_private_networks).await?;
    }
    if let Some(events) = c.events {
        values.events = validate_events(&events)?;
    }
    if let Some(enabled) = c.enabled {
        values.enabled = enabled;
        values.disabled_reason = if enabled { None } else { Some("disabled by an operator".into()) };
    }
    let enabled = values.enabled;
    let sub = db::run(&state.pool, move |conn| Ok(db::webhooks::update(conn, id, &values)?))
        .await?
        .ok_or_else(|| unknown(id))?;
    if enabled {
        state.webhooks.ensure(SubscriptionId(id));
    } else {
        state.webhooks.retire(SubscriptionId(id));
    }
    Ok(HttpResponse::Ok().json(SubscriptionView::new(sub, None)))
}

#[tracing::instrument(skip(state))]
pub async fn delete(state: web::Data<AppState>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = parse_id(&id)?;
    if db::run(&state.pool, move |conn| Ok(db::webhooks::delete(conn, id)?)).await? {
        state.webhooks.retire(SubscriptionId(id));
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(unknown(id))
    }
}

#[tracing::instrument(skip(state))]
pub async fn rotate(state: web::Data<AppState>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = parse_id(&id)?;
    let secret = new_secret();
    let stored = state.secrets.seal(&secret)?;
    let sub = db::run(&state.pool, move |conn| {
        if !db::webhooks::set_secret(conn, id, &stored, db::now_ms())? {
            return Ok(None);
        }
        Ok(db::webhooks::find(conn, id)?)
    })
    .await?
    .ok_or_else(|| unknown(id))?;
    tracing::info!(subscription_id = id, "webhook secret rotated");
    state.webhooks.ensure(SubscriptionId(id));
    Ok(HttpResponse::Ok().json(SubscriptionView::new(sub, Some(secret))))
}
