//! `GET /metrics` (admin token): every metric in Prometheus's text format; and the middleware
//! that counts and times each HTTP request by route.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse};

use crate::error::ApiResult;
use crate::http::AppState;

#[tracing::instrument(skip(state))]
pub async fn metrics(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let text = crate::measure::render(&state.pool).await?;
    Ok(HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(text))
}

/// Counts and times every request under its route pattern (`/api/v1/orders/{id}`), so ids do
/// not become series of their own; a request no route matched counts as `unmatched`.
pub async fn count_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = std::time::Instant::now();
    let method = req.method().to_string();
    let route = req.match_pattern().unwrap_or_else(|| "unmatched".into());
    let answered = next.call(req).await;
    let status = match &answered {
        Ok(res) => res.status().as_u16(),
        Err(e) => e.as_response_error().status_code().as_u16(),
    };
    crate::measure::http_request(&route, &method, status, started.elapsed());
    answered
}
