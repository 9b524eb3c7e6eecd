//! `POST /api/v1/channels/{id}/sync`: poll the channel now → 202.

use crate::domain::ids::ChannelId;
use actix_web::{web, HttpResponse};
use serde_json::json;

use super::{parse_id, unknown_channel};
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::http::AppState;

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
