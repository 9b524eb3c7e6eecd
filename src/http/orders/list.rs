//! `GET /api/v1/orders?channel_id=&status=&hold_reason=&customer_email=&number=&created_from=&created_to=&limit=&cursor=`.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::OrderView;
use crate::db;
use crate::domain::order::Status;
use crate::error::{ApiError, ApiResult};
use crate::http::AppState;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Filter {
    /// Only this channel's orders.
    channel_id: Option<i64>,
    /// `imported`, `on_hold`, `partially_fulfilled`, `synced`, `excluded` or `cancelled`.
    status: Option<String>,
    /// Any case; matched whole.
    customer_email: Option<String>,
    /// The channel's order number (`1001`) or name (`#1001`).
    number: Option<String>,
    /// Only orders on hold for this reason.
    hold_reason: Option<String>,
    /// The channel's creation time from this day or time on (`2026-12-01` or RFC 3339).
    created_from: Option<String>,
    /// ... up to and including this day (or before this time).
    created_to: Option<String>,
    /// Page size, 1 to 1000 (default 100).
    limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/orders",
    tag = "orders",
    operation_id = "list_orders",
    summary = "List orders",
    description = "Orders matching every filter given, a page at a time (without lines and history); `next_cursor` (null on the last page) fetches the next.",
    params(
        Filter,
    ),
    responses(
        (status = 200, description = "A page of orders.", body = crate::http::openapi::OrderPage),
        (status = 401, description = "No valid admin bearer token (`unauthorized`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad `status`, date, `limit` or cursor (`invalid_value`, naming `field`), or a malformed query (`invalid_query`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error (`internal`); the cause is in the server log.", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unreachable (`unavailable`) or busy with another write (`busy`, with `Retry-After`).", body = crate::http::openapi::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(skip(state))]
pub async fn list(state: web::Data<AppState>, filter: web::Query<Filter>) -> ApiResult<HttpResponse> {
    let Filter { channel_id, status, customer_email, number, hold_reason, created_from, created_to, limit, cursor } =
        filter.into_inner();
    let created_from =
        created_from.filter(|d| !d.trim().is_empty()).map(|d| day_or_time("created_from", &d, false)).transpose()?;
    let created_before =
        created_to.filter(|d| !d.trim().is_empty()).map(|d| day_or_time("created_to", &d, true)).transpose()?;
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
        hold_reason: hold_reason.map(|r| r.trim().to_string()).filter(|r| !r.is_empty()),
        created_from,
        created_before,
    };
    let rows = db::run(&state.pool, move |conn| Ok(db::orders::list(conn, &filter, after, limit + 1)?)).await?;
    let items: Vec<OrderView> = rows.into_iter().map(|o| OrderView::new(o, None, None)).collect();
    Ok(crate::http::cursor::page(items, limit, |o| o.id.to_string()))
}

/// A day (`2026-12-01`, UTC) or an RFC 3339 time as ms; a day that ends a range counts whole.
fn day_or_time(field: &str, raw: &str, end_of_range: bool) -> ApiResult<i64> {
    let raw = raw.trim();
    if let Ok(day) = chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        let day = if end_of_range { day.succ_opt().unwrap_or(day) } else { day };
        return Ok(day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc().timestamp_millis());
    }
    chrono::DateTime::parse_from_rfc3339(raw)
        .map(|t| t.timestamp_millis())
        .map_err(|_| ApiError::validation(field, "a day (2026-12-01) or an RFC 3339 time"))
}
