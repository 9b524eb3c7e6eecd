//! `GET /api/v1/channels`.

use crate::domain::ids::ChannelId;
use actix_web::{web, HttpResponse};
use serde_json::json;

use super::ChannelView;
use crate::db;
use crate::error::ApiResult;
use crate::http::AppState;

#[utoipa::path(
    get,
    path = "/api/v1/channels",
    tag = "channels",
    operation_id = "list_channels",
    summary = "List channels",
    description = "Every channel with its settings (never its credentials) and status.",
    responses(
        (status = 200, description = "Every channel.", body = crate::http::openapi::ChannelList),
        (status = 401, description = "No valid admin bearer token (`unauthorized`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error (`internal`); the cause is in the server log.", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unreachable (`unavailable`) or busy with another write (`busy`, with `Retry-After`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(skip(state))]
pub async fn list(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let rows = db::run(&state.pool, |conn| {
        let channels = db::channels::list(conn)?;
        let held = db::cluster::held_targets(conn, "channel", db::now_ms())?;
        let mut out = Vec::with_capacity(channels.len());
        for c in channels {
            let status = db::orders::channel_state(conn, c.id)?;
            let queue = db::outbox::queue_of(conn, &db::outbox::channel_target(c.id))?;
            let owned_elsewhere = held.contains(&c.id);
            out.push((c, status, queue, owned_elsewhere));
        }
        Ok(out)
    })
    .await?;
    let items: Vec<ChannelView> = rows
        .into_iter()
        .map(|(c, s, queue, owned_elsewhere)| {
            // In a cluster the channel's actor may run in another process.
            let running = state.channels.is_running(ChannelId(c.id)) || owned_elsewhere;
            ChannelView::new(c, s, queue, running)
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}
