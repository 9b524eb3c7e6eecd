//! `GET /api/v1/orders?channel_id=&status=&customer_email=&number=&limit=&cursor=`.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::OrderView;
use crate::db;
use crate::domain::order::Status;
use crate::error::{ApiError, ApiResult};
use crate::http::AppState;

#[derive(Debug, Deserialize)]
pub struct Filter {
    channel_id: Option<i64>,
    status: Option<String>,
    /// Any case; matched whole.
    customer_email: Option<String>,
    /// The channel's order number (`1001`) or name (`#1001`).
    number: Option<String>,
    limit: Option<i64>,
    cursor: Option<String>,
}

#[tracing::instrument(skip(state))]
pub async fn list(state: web::Data<AppState>, filter: web::Query<Filter>) -> ApiResult<HttpResponse> {
    let Filter { channel_id, status, customer_email, number, limit, cursor } = filter.into_inner();
    let limit = crate::http::cursor::page_limit(limit, 100, 1000)?;
    if let Some(s) = &status {
        if Status::parse(s).is_none() {
            return Err(ApiError::validation(
                "status",
                "one of imported, on_hold, partially_fulfilled, synced, excluded, cancelled",
            ));
        }
    }
    let after = match cursor {
        Some(c) => Some(
            crate::http::cursor::decode(&c)?
                .parse::<i64>()
                .map_err(|_| ApiError::validation("cursor", "not a cursor this API gave out"))?,
        ),
        None => None,
    };
    let filter = db::orders::ListFilter {
        channel_id,
        status,
        customer_email: customer_email.map(|e| e.trim().to_lowercase()).filter(|e| !e.is_empty()),
        number: number.map(|n| n.trim().to_string()).filter(|n| !n.is_empty()),
    };
    let rows = db::run(&state.pool, move |conn| Ok(db::orders::list(conn, &filter, after, limit + 1)?)).await?;
    let items: Vec<OrderView> = rows.into_iter().map(|o| OrderView::new(o, None, None)).collect();
    Ok(crate::http::cursor::page(items, limit, |o| o.id.to_string()))
}
