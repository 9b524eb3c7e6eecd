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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Request {
    customer_email: String,
}

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
