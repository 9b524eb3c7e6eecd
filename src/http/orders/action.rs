//! `POST /api/v1/orders/{id}/release` (re-evaluate an order On Hold) and
//! `POST /api/v1/orders/{id}/exclude` (take it out of Chorus's hands, releasing its stock).

use actix_web::{web, HttpResponse};

use super::parse_id;
use crate::actors::inventory::orders_api::{OrderAction, OrderActionKind};
use crate::error::ApiResult;
use crate::http::AppState;

async fn act(state: &AppState, raw_id: &str, kind: OrderActionKind) -> ApiResult<HttpResponse> {
    let order_id = parse_id(raw_id)?;
    let outcome = state.inventory.send(OrderAction { order_id: crate::domain::ids::OrderId(order_id), kind }).await??;
    Ok(HttpResponse::Ok().json(outcome))
}

#[tracing::instrument(skip(state))]
pub async fn release(state: web::Data<AppState>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    act(&state, &id, OrderActionKind::Release).await
}

#[tracing::instrument(skip(state))]
pub async fn exclude(state: web::Data<AppState>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    act(&state, &id, OrderActionKind::Exclude).await
}
