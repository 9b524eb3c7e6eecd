//! `GET /api/v1/orders?channel_id=&status=&limit=&cursor=`.

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
    limit: Option<i64>,
    cursor: Option<String>,
}

#[tracing::instrument(skip(state))]
pub async fn list(state: web::Data<AppState>, filter: web::Query<Filter>) -> ApiResult<HttpResponse> {
    let Filter { channel_id, status, limit, cursor } = filter.into_inner();
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
    let rows =
        db::run(&state.pool, move |conn| Ok(db::orders::list(conn, channel_id, status.as_deref(), after, limit + 1)?))
            .await?;
    let items: Vec<OrderView> = rows.into_iter().map(|o| OrderView::new(o, None, None)).collect();
    Ok(crate::http::cursor::page(items, limit, |o| o.id.to_string()))
}
