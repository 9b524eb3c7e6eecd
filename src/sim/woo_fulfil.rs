//! WooCommerce simulator, fulfilment side: order notes (`POST/GET /orders/{id}/notes`) and
//! `PUT /orders/{id}` with a status, as WooCommerce has no shipment object.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use super::server::SimState;
use super::store::OrderChange;
use super::webhook::Event;
use super::woo_products::{invalid_json, json_body};
use super::woocommerce::{order_json, wc_error};

fn invalid_order() -> HttpResponse {
    wc_error(StatusCode::NOT_FOUND, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
}

async fn gate(state: &SimState, req: &HttpRequest) -> Option<HttpResponse> {
    if let Some(resp) = state.api_gate().await {
        return Some(resp);
    }
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(req.query_string().as_bytes()).into_owned().collect();
    super::woocommerce::refusal(state, req, &pairs, ("woocommerce_rest_cannot_edit", "Sorry, you are not allowed."))
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

/// `{"status": …}` with WooCommerce's effect on stock: `processing` and `on-hold` reduce it
/// (once), `cancelled` and `pending` restore it (`wc_maybe_increase_stock_levels`),
/// `completed` ships every line (reducing stock if not yet reduced), `refunded` refunds every
/// unit and restocks it. Every change sends `order.updated`.
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
    let Some(id) = path.parse::<u64>().ok().filter(|id| state.store().order(*id).is_some()) else {
        return invalid_order();
    };
    // An address edit in the admin: the fields given replace those stored, as WooCommerce merges.
    if let Some(shipping) = v.get("shipping").and_then(Value::as_object) {
        let given = crate::sim::whole::Person::from_woo(shipping);
        let changed = state.store().edit_shipping(id, |p| p.merge(given));
        if changed == OrderChange::Done && v.get("status").is_none() {
            state.notify(id, Event::Updated);
        }
    }
    let changed = match v.get("status").and_then(Value::as_str) {
        None => None,
        Some(status) => {
            let mut store = state.store();
            let outcome = match status {
                "completed" => store.fulfil_in_admin(id, None),
                "processing" => store.pay(id),
                "on-hold" => store.hold_unpaid(id),
                "cancelled" => store.cancel(id),
                "pending" => store.back_to_pending(id),
                "refunded" => store.refund(id, None, true),
                other => {
                    return wc_error(
                        StatusCode::BAD_REQUEST,
                        "woocommerce_rest_sim_unsupported",
                        &format!("The simulator does not set status {other:?}."),
                    )
                }
            };
            Some(outcome)
        }
    };
    match changed {
        Some(OrderChange::Done) => state.notify(id, Event::Updated),
        // Already in that state: WooCommerce answers the order as it is.
        Some(OrderChange::Conflict(_)) | None => {}
        Some(OrderChange::NotFound) => return invalid_order(),
    }
    let store = state.store();
    match store.order(id) {
        Some(o) => HttpResponse::Ok().json(order_json(o)),
        None => invalid_order(),
    }
}
