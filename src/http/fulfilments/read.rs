//! `GET /api/v1/fulfilments/{id}`: the fulfilment, its lines, status and last error.

use actix_web::{web, HttpResponse};

use super::{parse_id, unknown, FulfilmentView};
use crate::db;
use crate::error::ApiResult;
use crate::http::AppState;

#[tracing::instrument(skip(state))]
pub async fn read(state: web::Data<AppState>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = parse_id(&id)?;
    let found = db::run(&state.pool, move |conn| Ok(db::fulfilments::find(conn, id)?)).await?;
    let (row, lines) = found.ok_or_else(|| unknown(id))?;
    Ok(HttpResponse::Ok().json(FulfilmentView::new(row, lines)))
}
