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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewFulfilment {
    pub lines: Option<Vec<NewLine>>,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub tracking_url: Option<String>,
    pub source: Option<String>,
    /// The caller's own id for this shipment; an idempotency key when no header gives one.
    pub external_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewLine {
    sku: Option<String>,
    line_id: Option<i64>,
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
