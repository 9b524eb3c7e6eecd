//! `POST /api/v1/orders/{id}/fulfilments` `{lines?, carrier, tracking_number, tracking_url,
//! source?}` → 202 with the fulfilment, `pending` until its channel confirms it.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::FulfilmentView;
use crate::actors::inventory::CreateFulfilment;
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

#[tracing::instrument(skip(state, body))]
pub async fn create(
    state: web::Data<AppState>,
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
    submit(&state, order_id, b, source).await
}

/// Validates a fulfilment, has the InventoryActor record it (taking the units off `source`)
/// and wakes the order's channel to send it; the admin API and the plugin callback share it.
pub async fn submit(state: &AppState, order_id: i64, b: NewFulfilment, source: Source) -> ApiResult<HttpResponse> {
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
    let msg = CreateFulfilment {
        order_id: crate::domain::ids::OrderId(order_id),
        lines,
        carrier: text("carrier", b.carrier, 200)?,
        tracking_number: text("tracking_number", b.tracking_number, 200)?,
        tracking_url: text("tracking_url", b.tracking_url, 2000)?,
        source,
    };
    let created = state.inventory.send(msg).await??;
    state.channels.push_now(created.channel_id);
    let id = created.id.get();
    let found = db::run(&state.pool, move |conn| Ok(db::fulfilments::find(conn, id)?)).await?;
    let (row, lines) = found.ok_or_else(|| super::unknown(id))?;
    Ok(HttpResponse::Accepted()
        .insert_header(("Location", format!("/api/v1/fulfilments/{id}")))
        .json(FulfilmentView::new(row, lines)))
}
