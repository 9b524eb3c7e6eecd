//! `GET /api/v1/fulfilments/{id}`: the fulfilment, its lines, status and last error.

use actix_web::{web, HttpResponse};

use super::{parse_id, unknown, FulfilmentView};
use crate::db;
use crate::error::ApiResult;
use crate::http::AppState;

#[utoipa::path(
    get,
    path = "/api/v1/fulfilments/{id}",
    tag = "fulfilments",
    operation_id = "read_fulfilment",
    summary = "Read a fulfilment",
    description = "The fulfilment, its lines, status (`pending`, `sent`, `synced`, `failed`) and last error.",
    params(
        ("id" = String, Path, description = "The fulfilment's id."),
    ),
    responses(
        (status = 200, description = "The fulfilment.", body = FulfilmentView),
        (status = 401, description = "No valid admin bearer token (`unauthorized`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No fulfilment has this id (`unknown_fulfilment`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error (`internal`); the cause is in the server log.", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unreachable (`unavailable`) or busy with another write (`busy`, with `Retry-After`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(skip(state))]
pub async fn read(state: web::Data<AppState>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = parse_id(&id)?;
    let found = db::run(&state.pool, move |conn| Ok(db::fulfilments::find(conn, id)?)).await?;
    let (row, lines) = found.ok_or_else(|| unknown(id))?;
    Ok(HttpResponse::Ok().json(FulfilmentView::new(row, lines)))
}
