//! `POST /api/v1/fulfilments/{id}/retry`: send a `failed` fulfilment to its channel again.

use crate::domain::ids::ChannelId;
use actix_web::{web, HttpResponse};

use super::{parse_id, unknown, FulfilmentView};
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::http::AppState;

#[utoipa::path(
    post,
    path = "/api/v1/fulfilments/{id}/retry",
    tag = "fulfilments",
    operation_id = "retry_fulfilment",
    summary = "Retry a failed fulfilment",
    description = "Sends a `failed` fulfilment to its channel again.",
    params(
        ("id" = String, Path, description = "The fulfilment's id."),
    ),
    responses(
        (status = 202, description = "The fulfilment, `pending` again.", body = FulfilmentView),
        (status = 401, description = "No valid admin bearer token (`unauthorized`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No fulfilment has this id (`unknown_fulfilment`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The fulfilment is not `failed` (`fulfilment_state`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error (`internal`); the cause is in the server log.", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unreachable (`unavailable`) or busy with another write (`busy`, with `Retry-After`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(skip(state))]
pub async fn retry(state: web::Data<AppState>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = parse_id(&id)?;
    let outcome = db::run(&state.pool, move |conn| {
        db::write_tx(conn, |conn| {
            let Some((row, _)) = db::fulfilments::find(conn, id)? else { return Ok(Err(unknown(id))) };
            if row.status != "failed" {
                return Ok(Err(ApiError::conflict(
                    "fulfilment_state",
                    format!("fulfilment {id} is {}; only a failed one is retried", row.status),
                )));
            }
            let now = db::now_ms();
            db::fulfilments::set_status(conn, id, "pending", None, row.last_error.as_deref(), now)?;
            let target = db::outbox::channel_target(row.channel_id);
            db::outbox::queue(
                conn,
                &target,
                db::outbox::FULFILMENT,
                &format!("fulfilment:{id}"),
                &id.to_string(),
                now,
            )?;
            Ok::<_, db::DbError>(Ok(row.channel_id))
        })
    })
    .await?;
    state.channels.push_now(ChannelId(outcome?));
    let found = db::run(&state.pool, move |conn| Ok(db::fulfilments::find(conn, id)?)).await?;
    let (row, lines) = found.ok_or_else(|| unknown(id))?;
    Ok(HttpResponse::Accepted().json(FulfilmentView::new(row, lines)))
}
