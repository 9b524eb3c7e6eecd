//! `GET /api/v1/channels`.

use crate::domain::ids::ChannelId;
use actix_web::{web, HttpResponse};
use serde_json::json;

use super::ChannelView;
use crate::db;
use crate::error::ApiResult;
use crate::http::AppState;

#[tracing::instrument(skip(state))]
pub async fn list(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let rows = db::run(&state.pool, |conn| {
        let channels = db::channels::list(conn)?;
        let mut out = Vec::with_capacity(channels.len());
        for c in channels {
            let status = db::orders::channel_state(conn, c.id)?;
            let queue = db::outbox::queue_of(conn, &db::outbox::channel_target(c.id))?;
            out.push((c, status, queue));
        }
        Ok(out)
    })
    .await?;
    let items: Vec<ChannelView> = rows
        .into_iter()
        .map(|(c, s, queue)| {
            let running = state.channels.is_running(ChannelId(c.id));
            ChannelView::new(c, s, queue, running)
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}
