//! `GET /api/v1/channels/{id}`: settings (never credentials) and status — last poll, last
//! error, orders imported, import cursor, queue depth.

use crate::domain::ids::ChannelId;
use actix_web::{web, HttpResponse};

use super::{parse_id, unknown_channel, ChannelView};
use crate::db::{self, channels::Channel};
use crate::error::ApiResult;
use crate::http::AppState;

#[utoipa::path(
    get,
    path = "/api/v1/channels/{id}",
    tag = "channels",
    operation_id = "read_channel",
    summary = "Read a channel",
    description = "Settings (never credentials) and status: last poll, last error, orders imported, import cursor, queue depth.",
    params(
        ("id" = String, Path, description = "The channel's id."),
    ),
    responses(
        (status = 200, description = "The channel.", body = ChannelView),
        (status = 401, description = "No valid admin bearer token (`unauthorized`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No channel has this id (`unknown_channel`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error (`internal`); the cause is in the server log.", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unreachable (`unavailable`) or busy with another write (`busy`, with `Retry-After`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(skip(state))]
pub async fn read(state: web::Data<AppState>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = parse_id(&id)?;
    let channel = db::run(&state.pool, move |conn| Ok(db::channels::find(conn, id)?)).await?;
    respond(&state, channel.ok_or_else(|| unknown_channel(id))?).await
}

pub async fn respond(state: &AppState, channel: Channel) -> ApiResult<HttpResponse> {
    let id = channel.id;
    let (status, queue, owned_elsewhere) = db::run(&state.pool, move |conn| {
        Ok((
            db::orders::channel_state(conn, id)?,
            db::outbox::queue_of(conn, &db::outbox::channel_target(id))?,
            db::cluster::owner_of(conn, "channel", id, db::now_ms())?.is_some(),
        ))
    })
    .await?;
    // In a cluster the channel's actor may run in another process.
    let running = state.channels.is_running(ChannelId(id)) || owned_elsewhere;
    Ok(HttpResponse::Ok().json(ChannelView::new(channel, status, queue, running)))
}
