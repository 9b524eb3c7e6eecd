//! `POST /api/v1/channels/{id}/redact {"customer_email"}`: blank the personal data of every
//! order this customer placed on the channel (a marketplace's customer redaction request)
//! → `{"redacted": n, "order_ids": […]}`.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::{parse_id, unknown_channel};
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::http::{extract::Body, AppState};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = RedactCustomer)]
#[serde(deny_unknown_fields)]
pub struct Request {
    customer_email: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/channels/{id}/redact",
    tag = "channels",
    operation_id = "redact_customer",
    summary = "Redact a customer's orders",
    description = "Blanks the personal data of every order this customer placed on the channel (a marketplace's customer redaction request).",
    params(
        ("id" = String, Path, description = "The channel's id."),
    ),
    request_body = Request,
    responses(
        (status = 200, description = "The orders redacted.", body = crate::http::openapi::CustomerRedacted),
        (status = 400, description = "The body is not JSON (`malformed_json`) or could not be read (`unreadable_body`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid admin bearer token (`unauthorized`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No channel has this id (`unknown_channel`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 408, description = "The body did not arrive in time (`request_timeout`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than allowed (`payload_too_large`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not an email address, or a field missing or unknown (`invalid_value`, naming `field`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error (`internal`); the cause is in the server log.", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unreachable (`unavailable`) or busy with another write (`busy`, with `Retry-After`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(skip(state, body))]
pub async fn redact(state: web::Data<AppState>, id: web::Path<String>, body: Body<Request>) -> ApiResult<HttpResponse> {
    let id = parse_id(&id)?;
    let email = body.0.customer_email.trim().to_lowercase();
    if email.is_empty() || !email.contains('@') {
        return Err(ApiError::validation("customer_email", "an email address"));
    }
    let now = db::now_ms();
    let done = db::run(&state.pool, move |conn| Ok(db::redaction::redact_customer(conn, id, &email, now)?)).await?;
    let ids = done.ok_or_else(|| unknown_channel(id))?;
    // The count only: the email is personal data and stays out of the log.
    tracing::info!(channel_id = id, orders = ids.len(), "customer's orders redacted");
    Ok(HttpResponse::Ok().json(json!({"redacted": ids.len(), "order_ids": ids})))
}
