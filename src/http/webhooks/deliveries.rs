//! `GET /api/v1/webhooks/{id}/deliveries?limit=&cursor=` (every attempt, newest first),
//! `POST /api/v1/webhooks/{id}/replay` `{since}` (every event it takes since then, again) and
//! `POST /api/v1/webhooks/{id}/deliveries/{delivery}/resend` (that delivery's event, again).
//! Re-sent events keep their `webhook-id`.

use crate::domain::ids::SubscriptionId;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::{parse_id, unknown};
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::http::{cursor, extract::Body, AppState};

/// At most this many events per replay; replay again from the last one's time for more.
const REPLAY_MAX: i64 = 100_000;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Page {
    /// Page size, 1 to 500 (default 50).
    limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/webhooks/{id}/deliveries",
    tag = "webhooks",
    operation_id = "list_webhook_deliveries",
    summary = "List a subscription's deliveries",
    description = "Every delivery attempt, newest first, a page at a time.",
    params(
        ("id" = String, Path, description = "The subscription's id."),
        Page,
    ),
    responses(
        (status = 200, description = "A page of delivery attempts.", body = crate::http::openapi::DeliveryPage),
        (status = 401, description = "No valid admin bearer token (`unauthorized`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No subscription has this id (`unknown_webhook`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`limit` out of range or a cursor this API did not give out (`invalid_value`), or a malformed query (`invalid_query`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error (`internal`); the cause is in the server log.", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unreachable (`unavailable`) or busy with another write (`busy`, with `Retry-After`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(skip(state))]
pub async fn list(
    state: web::Data<AppState>,
    id: web::Path<String>,
    page: web::Query<Page>,
) -> ApiResult<HttpResponse> {
    let id = parse_id(&id)?;
    let limit = cursor::page_limit(page.limit, 50, 500)?;
    let before = match &page.cursor {
        Some(c) => Some(
            cursor::decode(c)?
                .parse::<i64>()
                .map_err(|_| ApiError::validation("cursor", "not a cursor this API gave out"))?,
        ),
        None => None,
    };
    let rows = db::run(&state.pool, move |conn| {
        if db::webhooks::find(conn, id)?.is_none() {
            return Ok(None);
        }
        Ok(Some(db::webhooks::deliveries(conn, id, before, limit + 1)?))
    })
    .await?
    .ok_or_else(|| unknown(id))?;
    let items: Vec<serde_json::Value> = rows
        .iter()
        .map(|d| {
            json!({
                "id": d.id,
                "event_id": d.event_id,
                "webhook_id": d.webhook_id,
                "attempt": d.attempt,
                "at": crate::http::time(d.attempted_at),
                "status_code": d.status_code,
                "duration_ms": d.duration_ms,
                "error": d.error,
                "response": d.response,
            })
        })
        .collect();
    Ok(cursor::page(items, limit, |d| d["id"].to_string()))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Replay {
    /// RFC 3339.
    since: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/webhooks/{id}/replay",
    tag = "webhooks",
    operation_id = "replay_webhook",
    summary = "Replay events",
    description = "Every event the subscription takes since `since` (that it has already been through), again; at most 100000 per call. Re-sent events keep their `webhook-id`.",
    params(
        ("id" = String, Path, description = "The subscription's id."),
    ),
    request_body = Replay,
    responses(
        (status = 202, description = "Queued.", body = crate::http::openapi::Queued),
        (status = 400, description = "The body is not JSON (`malformed_json`) or could not be read (`unreadable_body`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid admin bearer token (`unauthorized`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No subscription has this id (`unknown_webhook`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 408, description = "The body did not arrive in time (`request_timeout`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than allowed (`payload_too_large`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`since` is not an RFC 3339 time, or a field missing or unknown (`invalid_value`, naming `field`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error (`internal`); the cause is in the server log.", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unreachable (`unavailable`) or busy with another write (`busy`, with `Retry-After`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(skip(state, body))]
pub async fn replay(state: web::Data<AppState>, id: web::Path<String>, body: Body<Replay>) -> ApiResult<HttpResponse> {
    let id = parse_id(&id)?;
    let since = chrono::DateTime::parse_from_rfc3339(body.0.since.trim())
        .map_err(|e| ApiError::validation("since", format!("not an RFC 3339 time: {e}")))?
        .timestamp_millis();
    let queued = db::run(&state.pool, move |conn| {
        let Some(sub) = db::webhooks::find(conn, id)? else { return Ok(None) };
        // Only what the subscription has already been through: later events come on their own.
        let ids = db::events::ids_since(conn, since, sub.event_cursor, &sub.kinds(), sub.channel_id, REPLAY_MAX)?;
        Ok(Some(db::webhooks::queue_events(conn, id, &ids, db::now_ms())?))
    })
    .await?
    .ok_or_else(|| unknown(id))?;
    state.webhooks.deliver_now(SubscriptionId(id));
    Ok(HttpResponse::Accepted().json(json!({ "queued": queued })))
}

#[utoipa::path(
    post,
    path = "/api/v1/webhooks/{id}/deliveries/{delivery}/resend",
    tag = "webhooks",
    operation_id = "resend_webhook_delivery",
    summary = "Resend a delivery's event",
    description = "That delivery's event, again, with its `webhook-id`.",
    params(
        ("id" = String, Path, description = "The subscription's id."),
        ("delivery" = String, Path, description = "The delivery's id."),
    ),
    responses(
        (status = 202, description = "Queued.", body = crate::http::openapi::Queued),
        (status = 401, description = "No valid admin bearer token (`unauthorized`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "The subscription has no such delivery (`unknown_delivery`), or there is no such subscription (`unknown_webhook`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error (`internal`); the cause is in the server log.", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unreachable (`unavailable`) or busy with another write (`busy`, with `Retry-After`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(skip(state))]
pub async fn resend(state: web::Data<AppState>, path: web::Path<(String, String)>) -> ApiResult<HttpResponse> {
    let id = parse_id(&path.0)?;
    let delivery: i64 = path.1.parse().map_err(|_| not_found(&path.1))?;
    let queued = db::run(&state.pool, move |conn| {
        let Some(d) = db::webhooks::find_delivery(conn, id, delivery)? else { return Ok(None) };
        Ok(Some(db::webhooks::queue_events(conn, id, &[d.event_id], db::now_ms())?))
    })
    .await?
    .ok_or_else(|| not_found(&path.1))?;
    state.webhooks.deliver_now(SubscriptionId(id));
    Ok(HttpResponse::Accepted().json(json!({ "queued": queued })))
}

fn not_found(delivery: &str) -> ApiError {
    ApiError::not_found("unknown_delivery", format!("this subscription has no delivery {delivery}"))
}
