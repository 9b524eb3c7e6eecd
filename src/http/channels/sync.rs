//! `POST /api/v1/channels/{id}/sync`: poll the channel now → 202.

use crate::domain::ids::ChannelId;
use actix_web::{web, HttpResponse};
use serde_json::json;

use super::{parse_id, unknown_channel};
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::http::AppState;

#[utoipa::path(
    post,
    path = "/api/v1/channels/{id}/sync",
    tag = "channels",
    operation_id = "sync_channel",
    summary = "Poll a channel now",
    params(
        ("id" = String, Path, description = "The channel's id."),
    ),
    responses(
        (status = 202, description = "The poll has started.", body = crate::http::openapi::SyncStarted),
        (status = 401, description = "No valid admin bearer token (`unauthorized`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No channel has this id (`unknown_channel`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The channel is disabled (`channel_disabled`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error (`internal`); the cause is in the server log.", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unreachable (`unavailable`) or busy with another write (`busy`, with `Retry-After`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(skip(state))]
pub async fn sync(state: web::Data<AppState>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = parse_id(&id)?;
    let channel = db::run(&state.pool, move |conn| Ok(db::channels::find(conn, id)?)).await?;
    let channel = channel.ok_or_else(|| unknown_channel(id))?;
    if !channel.enabled {
        return Err(ApiError::conflict("channel_disabled", format!("channel {id} is disabled; enable it first")));
    }
    if !state.channels.poll_now(ChannelId(id)) {
        state.channels.ensure(ChannelId(id));
    }
    Ok(HttpResponse::Accepted().json(json!({"channel_id": id, "sync": "started"})))
}
