//! `GET /api/v1/channels/{id}`.

use actix_web::{web, HttpResponse};

use super::{parse_id, unknown_channel, ChannelView};
use crate::db;
use crate::error::ApiResult;
use crate::http::AppState;

#[tracing::instrument(skip(state))]
pub async fn read(state: web::Data<AppState>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = parse_id(&id)?;
    let channel = db::run(&state.pool, move |conn| Ok(db::channels::find(conn, id)?)).await?;
    let channel = channel.ok_or_else(|| unknown_channel(id))?;
    Ok(HttpResponse::Ok().json(ChannelView::from(channel)))
}
