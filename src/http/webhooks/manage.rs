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

#[utoipa::path(
    get,
    path = "/api/v1/webhooks",
    tag = "webhooks",
    operation_id = "list_webhooks",
    summary = "List subscriptions",
    responses(
        (status = 200, description = "Every subscription.", body = crate::http::openapi::SubscriptionList),
        (status = 401, description = "No valid admin bearer token (`unauthorized`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error (`internal`); the cause is in the server log.", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unreachable (`unavailable`) or busy with another write (`busy`, with `Retry-After`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(skip(state))]
pub async fn list(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let subs = db::run(&state.pool, |conn| Ok(db::webhooks::list(conn)?)).await?;
    let items: Vec<SubscriptionView> = subs.into_iter().map(|s| SubscriptionView::new(s, None)).collect();
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

#[utoipa::path(
    get,
    path = "/api/v1/webhooks/{id}",
    tag = "webhooks",
    operation_id = "read_webhook",
    summary = "Read a subscription",
    params(
        ("id" = String, Path, description = "The subscription's id."),
    ),
    responses(
        (status = 200, description = "The subscription.", body = SubscriptionView),
        (status = 401, description = "No valid admin bearer token (`unauthorized`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No subscription has this id (`unknown_webhook`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error (`internal`); the cause is in the server log.", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unreachable (`unavailable`) or busy with another write (`busy`, with `Retry-After`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(skip(state))]
pub async fn read(state: web::Data<AppState>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = parse_id(&id)?;
    let sub = db::run(&state.pool, move |conn| Ok(db::webhooks::find(conn, id)?)).await?.ok_or_else(|| unknown(id))?;
    Ok(HttpResponse::Ok().json(SubscriptionView::new(sub, None)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = SubscriptionChanges)]
#[serde(deny_unknown_fields)]
pub struct Changes {
    url: Option<String>,
    events: Option<Vec<String>>,
    enabled: Option<bool>,
}

#[utoipa::path(
    patch,
    path = "/api/v1/webhooks/{id}",
    tag = "webhooks",
    operation_id = "update_webhook",
    summary = "Change a subscription",
    description = "Any of url, events, enabled.",
    params(
        ("id" = String, Path, description = "The subscription's id."),
    ),
    request_body = Changes,
    responses(
        (status = 200, description = "The subscription.", body = SubscriptionView),
        (status = 400, description = "The body is not JSON (`malformed_json`) or could not be read (`unreadable_body`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid admin bearer token (`unauthorized`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No subscription has this id (`unknown_webhook`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 408, description = "The body did not arrive in time (`request_timeout`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than allowed (`payload_too_large`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad URL or event, an unknown channel, or a field missing or unknown (`invalid_value`, naming `field`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error (`internal`); the cause is in the server log.", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unreachable (`unavailable`) or busy with another write (`busy`, with `Retry-After`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
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

#[utoipa::path(
    delete,
    path = "/api/v1/webhooks/{id}",
    tag = "webhooks",
    operation_id = "delete_webhook",
    summary = "Delete a subscription",
    params(
        ("id" = String, Path, description = "The subscription's id."),
    ),
    responses(
        (status = 204, description = "Deleted."),
        (status = 401, description = "No valid admin bearer token (`unauthorized`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No subscription has this id (`unknown_webhook`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error (`internal`); the cause is in the server log.", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unreachable (`unavailable`) or busy with another write (`busy`, with `Retry-After`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
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

#[utoipa::path(
    post,
    path = "/api/v1/webhooks/{id}/rotate",
    tag = "webhooks",
    operation_id = "rotate_webhook_secret",
    summary = "Rotate a subscription's secret",
    description = "A new signing secret, shown this once.",
    params(
        ("id" = String, Path, description = "The subscription's id."),
    ),
    responses(
        (status = 200, description = "The subscription, with its new secret.", body = SubscriptionView),
        (status = 401, description = "No valid admin bearer token (`unauthorized`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No subscription has this id (`unknown_webhook`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error (`internal`); the cause is in the server log.", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unreachable (`unavailable`) or busy with another write (`busy`, with `Retry-After`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
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
