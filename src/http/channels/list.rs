//! `GET /api/v1/channels`.

use actix_web::{web, HttpResponse};
use serde_json::json;

use super::ChannelView;
use crate::db;
use crate::error::ApiResult;
use crate::http::AppState;

#[tracing::instrument(skip(state))]
pub async fn list(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let channels = db::run(&state.pool, |conn| Ok(db::channels::list(conn)?)).await?;
    let items: Vec<ChannelView> = channels.into_iter().map(Into::into).collect();
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}
