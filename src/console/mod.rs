//! The operator's console: server-rendered pages (maud) for channels, orders, stock, transaction
//! records and webhooks, signed in with the admin token. Pages read and act through the same
//! handlers the API serves, so the console shows and does exactly what the API allows.

mod chart;
mod layout;
mod orders;
mod overview;
pub mod session;
mod stock;
mod transactions;
mod webhooks;

use actix_web::{body::MessageBody, web, HttpResponse};
use serde_json::Value;

use crate::error::{ApiError, ApiResult};

/// A console resource: its errors are answered as pages, not problem+json.
fn page(
    path: &str,
) -> actix_web::Resource<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    web::resource(path).wrap(actix_web::middleware::from_fn(layout::errors_as_pages))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    use crate::http::allow;
    cfg.service(page("/").get(overview::page).default_service(allow("GET")))
        .service(page("/sign-in").get(session::sign_in_page).post(session::sign_in).default_service(allow("GET, POST")))
        .service(page("/sign-out").post(session::sign_out).default_service(allow("POST")))
        .service(web::resource("/console/style.css").get(layout::style).default_service(allow("GET")))
        .service(web::resource("/console/live.js").get(layout::live_js).default_service(allow("GET")))
        .service(page("/orders").get(orders::list).default_service(allow("GET")))
        .service(page("/orders/{id}").get(orders::page).default_service(allow("GET")))
        .service(page("/orders/{id}/release").post(orders::release).default_service(allow("POST")))
        .service(page("/orders/{id}/exclude").post(orders::exclude).default_service(allow("POST")))
        .service(page("/orders/{id}/fulfilments").post(orders::fulfil).default_service(allow("POST")))
        .service(page("/fulfilments/{id}/retry").post(orders::retry).default_service(allow("POST")))
        .service(page("/stock").get(stock::list).default_service(allow("GET")))
        .service(page("/stock/{sku}").get(stock::page).default_service(allow("GET")))
        .service(page("/transactions").get(transactions::list).default_service(allow("GET")))
        .service(page("/webhooks").get(webhooks::list).default_service(allow("GET")))
        .service(
            page("/webhooks/{id}/deliveries/{delivery}/resend").post(webhooks::resend).default_service(allow("POST")),
        )
        .service(page("/webhooks/{id}/replay").post(webhooks::replay).default_service(allow("POST")));
}

/// The JSON an API handler answered with, for a page to render.
async fn json(answer: ApiResult<HttpResponse>) -> ApiResult<Value> {
    let body = answer?.into_body();
    let bytes = body.try_into_bytes().unwrap_or_default();
    serde_json::from_slice(&bytes).map_err(|e| ApiError::Internal(anyhow::anyhow!("unreadable API answer: {e}")))
}

/// A value's text for a cell: strings bare, null as a dash.
fn text(v: &Value) -> String {
    match v {
        Value::Null => "—".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// After an action the API serves: back to `back`, or a page saying why it was refused.
fn act(signed: &session::Signed, done: ApiResult<HttpResponse>, back: &str) -> HttpResponse {
    match done {
        Ok(_) => back_to(back),
        Err(e) => layout::refused(signed, actix_web::ResponseError::status_code(&e), &e.to_string(), back),
    }
}

/// See-other to `to` after an action.
fn back_to(to: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((actix_web::http::header::LOCATION, to.to_string())).finish()
}

/// The items of a list the API answered (`{"items": [...]}`).
fn items(list: &Value) -> impl Iterator<Item = &Value> {
    list["items"].as_array().into_iter().flatten()
}
