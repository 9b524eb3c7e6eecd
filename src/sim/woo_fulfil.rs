//! WooCommerce simulator, fulfilment side: order notes (`POST/GET /orders/{id}/notes`) and
//! `PUT /orders/{id}` with a status, as WooCommerce has no shipment object.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use super::server::SimState;
use super::woocommerce::{invalid_json, json_body, order_json, wc_error};

fn invalid_order() -> HttpResponse {
    wc_error(StatusCode::NOT_FOUND, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
}

async fn gate(state: &SimState, req: &HttpRequest) -> Option<HttpResponse> {
    if let Some(resp) = state.api_gate().await {
        return Some(resp);
    }
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(req.query_string().as_bytes()).into_owned().collect();
    if !super::woocommerce::authorised(state, req, &pairs) {
        return Some(wc_error(StatusCode::UNAUTHORIZED, "woocommerce_rest_cannot_edit", "Sorry, you are not allowed."));
    }
    None
}

pub(super) async fn add_note(
    state: web::Data<SimState>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    if let Some(resp) = gate(&state, &req).await {
        return resp;
    }
    let Some(v) = json_body(&body) else { return invalid_json() };
    let Some(note) = v.get("note").and_then(Value::as_str).filter(|n| !n.trim().is_empty()) else {
        return wc_error(StatusCode::BAD_REQUEST, "rest_missing_callback_param", "Missing parameter(s): note");
    };
    let mut store = state.store();
    let Some(order_id) = path.parse::<u64>().ok().filter(|id| store.order(*id).is_some()) else {
        return invalid_order();
    };
    let id = store.fulfilments.len() as u64 + 1;
    let at = super::store::iso_naive(store.clock.tick());
    let customer_note = v.get("customer_note").and_then(Value::as_bool).unwrap_or(false);
    let rendered = json!({ "id": id, "author": "Chorus", "date_created": at, "date_created_gmt": at,
                           "note": note, "customer_note": customer_note });
    store.fulfilments.push(json!({ "kind": "note", "order_id": order_id, "note": rendered }));
    HttpResponse::Created().json(rendered)
}

pub(super) async fn notes(state: web::Data<SimState>, req: HttpRequest, path: web::Path<String>) -> HttpResponse {
    if let Some(resp) = gate(&state, &req).await {
        return resp;
    }
    let store = state.store();
    let Some(order_id) = path.parse::<u64>().ok().filter(|id| store.order(*id).is_some()) else {
        return invalid_order();
    };
    let mine: Vec<Value> = store
        .fulfilments
        .iter()
        .filter(|f| f["order_id"] == order_id && f["kind"] == "note")
        .map(|f| f["note"].clone())
        .rev()
        .collect();
    HttpResponse::Ok().json(mine)
}

/// `{"status": "completed"}` marks every line shipped; other statuses are accepted as they are.
pub(super) async fn update_order(
    state: web::Data<SimState>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    if let Some(resp) = gate(&state, &req).await {
        return resp;
    }
    let Some(v) = json_body(&body) else { return invalid_json() };
    let mut store = state.store();
    let now = store.clock.tick();
    let Some(order) = path.parse::<u64>().ok().and_then(|id| store.orders.iter_mut().find(|o| o.id == id)) else {
        return invalid_order();
    };
    if v.get("status").and_then(Value::as_str) == Some("completed") {
        if order.is_cancelled() {
            return wc_error(StatusCode::BAD_REQUEST, "woocommerce_rest_invalid_status", "The order is cancelled.");
        }
        for line in &mut order.lines {
            line.fulfilled = line.quantity;
        }
        order.updated_at = now;
    }
    HttpResponse::Ok().json(order_json(order))
}
