//! `POST /api/v1/orders/{id}/fulfilments` `{lines?, carrier, tracking_number, tracking_url,
//! source?, external_id?}` → 202 with the fulfilment, `pending` until its channel confirms it.
//! An `Idempotency-Key` header (or `external_id`) makes a repeat answer the first (200).

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::FulfilmentView;
use crate::actors::inventory::{CreateFulfilment, Idempotency};
use crate::db;
use crate::domain::fulfilment::Requested;
use crate::domain::source::Source;
use crate::error::{ApiError, ApiResult};
use crate::http::{extract::Body, orders::parse_id as parse_order_id, AppState};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewFulfilment {
    /// The units shipped; absent, everything the order still has to ship.
    pub lines: Option<Vec<NewLine>>,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub tracking_url: Option<String>,
    /// Where the units come off: `api` (the default) or `plugin:<id>`.
    pub source: Option<String>,
    /// The caller's own id for this shipment; an idempotency key when no header gives one.
    pub external_id: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = NewFulfilmentLine)]
#[serde(deny_unknown_fields)]
pub struct NewLine {
    /// The line, by SKU or by `line_id` (one of the two).
    sku: Option<String>,
    line_id: Option<i64>,
    /// At least 1.
    quantity: i64,
}

fn text(field: &str, v: Option<String>, max: usize) -> ApiResult<Option<String>> {
    match v.map(|s| s.trim().to_string()) {
        Some(s) if s.chars().count() > max => Err(ApiError::validation(field, format!("at most {max} characters"))),
        Some(s) if s.is_empty() => Ok(None),
        other => Ok(other),
    }
}

/// Longest idempotency key taken (Stripe's limit, which clients already respect).
const MAX_KEY: usize = 255;

#[utoipa::path(
    post,
    path = "/api/v1/orders/{id}/fulfilments",
    tag = "fulfilments",
    operation_id = "create_fulfilment",
    summary = "Fulfil (part of) an order",
    description = "Ships units of the order: they come off `source`, and the fulfilment stays `pending` until the order's channel confirms it.",
    params(
        ("id" = String, Path, description = "The order's id."),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a repeat of this request answer the first fulfilment (200) instead of shipping twice; at most 255 characters. `external_id` serves when no header is given; both given must agree."),
    ),
    request_body = NewFulfilment,
    responses(
        (status = 200, description = "A repeat of an earlier request (same idempotency key): the first fulfilment.", body = FulfilmentView, headers(("Idempotent-Replayed" = String, description = "`true`."), ("Location" = String, description = "`/api/v1/fulfilments/{id}`"))),
        (status = 202, description = "The fulfilment, `pending`.", body = FulfilmentView, headers(("Location" = String, description = "`/api/v1/fulfilments/{id}`"))),
        (status = 400, description = "The body is not JSON (`malformed_json`) or could not be read (`unreadable_body`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid admin bearer token (`unauthorized`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No order has this id (`unknown_order`), or a line names an unknown SKU (`unknown_sku`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 408, description = "The body did not arrive in time (`request_timeout`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The order cannot be fulfilled now (`order_state`), the idempotency key was used for another request (`idempotency_key_reused`), or the units are not there (`negative_stock`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than allowed (`payload_too_large`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad lines, tracking or key, or a field missing or unknown (`invalid_value`, naming `field`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error (`internal`); the cause is in the server log.", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unreachable (`unavailable`) or busy with another write (`busy`, with `Retry-After`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(skip(state, req, body))]
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
    body: Body<NewFulfilment>,
) -> ApiResult<HttpResponse> {
    let order_id = parse_order_id(&id)?;
    let b = body.0;
    let source: Source = match b.source.as_deref() {
        None => Source::Api,
        Some(s) => s
            .parse()
            .map_err(|e: crate::domain::source::UnknownSource| ApiError::validation("source", e.to_string()))?,
    };
    submit(&state, &req, order_id, b, source).await
}

/// The request's idempotency key: the `Idempotency-Key` header, else the body's `external_id`;
/// both given must agree.
fn idempotency_key(req: &HttpRequest, external_id: Option<&str>) -> ApiResult<Option<String>> {
    let header = match req.headers().get("Idempotency-Key") {
        None => None,
        Some(v) => Some(
            v.to_str()
                .map_err(|_| ApiError::validation("Idempotency-Key", "must be printable ASCII"))?
                .trim()
                .to_string(),
        ),
    };
    let body = external_id.map(|s| s.trim().to_string());
    if let (Some(h), Some(b)) = (&header, &body) {
        if h != b {
            return Err(ApiError::validation("external_id", "differs from the Idempotency-Key header"));
        }
    }
    match header.or(body) {
        Some(k) if k.is_empty() => Err(ApiError::validation("Idempotency-Key", "must not be empty")),
        Some(k) if k.chars().count() > MAX_KEY => {
            Err(ApiError::validation("Idempotency-Key", format!("at most {MAX_KEY} characters")))
        }
        other => Ok(other),
    }
}

/// What a repeat must match to be the same request: the order, the lines and the tracking,
/// as validated (so `"carrier": ""` and no carrier are one request).
fn request_digest(msg: &CreateFulfilment) -> String {
    let lines: Option<Vec<_>> =
        msg.lines.as_ref().map(|ls| ls.iter().map(|l| (l.sku.as_deref(), l.line_id, l.quantity)).collect());
    let canonical = serde_json::json!([
        msg.order_id.get(),
        lines,
        msg.carrier,
        msg.tracking_number,
        msg.tracking_url,
        msg.source.to_string()
    ]);
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

/// Validates a fulfilment, has the InventoryActor record it (taking the units off `source`)
/// and wakes the order's channel to send it; the admin API and the plugin callback share it.
pub async fn submit(
    state: &AppState,
    req: &HttpRequest,
    order_id: i64,
    b: NewFulfilment,
    source: Source,
) -> ApiResult<HttpResponse> {
    let key = idempotency_key(req, b.external_id.as_deref())?;
    if let Some(url) = &b.tracking_url {
        if !url.starts_with("https://") && !url.starts_with("http://") {
            return Err(ApiError::validation("tracking_url", "must be an http(s) URL"));
        }
    }
    let lines = match b.lines {
        None => None,
        Some(lines) if lines.is_empty() => return Err(ApiError::validation("lines", "the fulfilment ships nothing")),
        Some(lines) => Some(
            lines
                .into_iter()
                .enumerate()
                .map(|(i, l)| {
                    if l.sku.is_none() && l.line_id.is_none() {
                        return Err(ApiError::validation(format!("lines[{i}]"), "needs a sku or a line_id"));
                    }
                    if l.quantity < 1 {
                        return Err(ApiError::validation(format!("lines[{i}].quantity"), "must be at least 1"));
                    }
                    Ok(Requested { sku: l.sku, line_id: l.line_id, quantity: l.quantity })
                })
                .collect::<ApiResult<Vec<_>>>()?,
        ),
    };
    let mut msg = CreateFulfilment {
        order_id: crate::domain::ids::OrderId(order_id),
        lines,
        carrier: text("carrier", b.carrier, 200)?,
        tracking_number: text("tracking_number", b.tracking_number, 200)?,
        tracking_url: text("tracking_url", b.tracking_url, 2000)?,
        source,
        idempotency: None,
    };
    msg.idempotency = key.map(|key| Idempotency { key, digest: request_digest(&msg) });
    let created = state.inventory.send(msg).await??;
    state.channels.push_now(created.channel_id);
    let id = created.id.get();
    let found = db::run(&state.pool, move |conn| Ok(db::fulfilments::find(conn, id)?)).await?;
    let (row, lines) = found.ok_or_else(|| super::unknown(id))?;
    let mut answer = if created.replayed { HttpResponse::Ok() } else { HttpResponse::Accepted() };
    if created.replayed {
        answer.insert_header(("Idempotent-Replayed", "true"));
    }
    Ok(answer.insert_header(("Location", format!("/api/v1/fulfilments/{id}"))).json(FulfilmentView::new(row, lines)))
}
