//! The tester's API under `/_sim/`, the same on every simulator and never authenticated nor
//! subject to faults: stock, orders and their life cycle, stock pushes and fulfilments received, faults, counts.

use actix_web::{web, HttpResponse};
use serde_json::{json, Map, Value};

use super::server::SimState;
use super::store::{Kind, NewLine, OrderChange, DEFAULT_PRICE_MINOR};
use super::webhook::Event;
use super::Refusal;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/_sim")
            .route("/stock", web::put().to(put_stock))
            .route("/stock", web::get().to(get_stock))
            .route("/stock/{location}", web::put().to(put_stock_at))
            .route("/variable_products", web::put().to(put_variable_products))
            .route("/settings", web::put().to(put_settings))
            .route("/stock/{location}", web::get().to(get_stock_at))
            .route("/orders/{id}/hold", web::post().to(hold_order))
            .route("/orders/{id}/ship_to", web::post().to(ship_to))
            .route("/orders/{id}/release", web::post().to(release_order))
            .route("/orders", web::post().to(create_order))
            .route("/orders", web::get().to(list_orders))
            .route("/orders/{id}/cancel", web::post().to(cancel_order))
            .route("/orders/{id}/pay", web::post().to(pay_order))
            .route("/orders/{id}/void", web::post().to(void_order))
            .route("/orders/{id}/fulfil", web::post().to(fulfil_order))
            .route("/orders/{id}/refund", web::post().to(refund_order))
            .route("/stock_calls", web::get().to(stock_calls))
            .route("/fulfilments", web::get().to(fulfilments))
            .route("/faults", web::post().to(add_faults))
            .route("/faults", web::get().to(get_faults))
            .route("/faults", web::delete().to(clear_faults))
            .route("/requests", web::get().to(requests)),
    );
}

fn bad_request(message: impl Into<String>) -> HttpResponse {
    HttpResponse::BadRequest().json(json!({ "error": message.into() }))
}

fn parse_json(body: &[u8]) -> Result<Value, crate::sim::Refusal> {
    serde_json::from_slice(body).map_err(|e| format!("invalid JSON: {e}").into())
}

async fn put_stock(state: web::Data<SimState>, body: web::Bytes) -> HttpResponse {
    let v = match parse_json(&body) {
        Ok(v) => v,
        Err(e) => return bad_request(e),
    };
    let Some(map) = v.as_object() else { return bad_request("expected {\"SKU\": quantity, …}") };
    let mut parsed = Vec::with_capacity(map.len());
    for (sku, q) in map {
        if sku.is_empty() {
            return bad_request("SKU must not be empty");
        }
        let Some(q) = q.as_i64() else { return bad_request(format!("quantity for {sku} must be an integer")) };
        parsed.push((sku.clone(), q));
    }
    let mut store = state.store();
    for (sku, q) in parsed {
        store.set_stock(&sku, q);
    }
    HttpResponse::Ok().json(&store.stock)
}

/// `PUT /_sim/stock/{location}` `{"SKU": quantity}`: stock at one of the shop's locations
/// (Shopify: 1, the primary, or 2; WooCommerce has only 1).
async fn put_stock_at(state: web::Data<SimState>, location: web::Path<u64>, body: web::Bytes) -> HttpResponse {
    let location = location.into_inner();
    if !known_location(state.kind, location) {
        return bad_request(format!("the shop has no location {location}"));
    }
    let v = match parse_json(&body) {
        Ok(v) => v,
        Err(e) => return bad_request(e),
    };
    let Some(map) = v.as_object() else { return bad_request("expected {\"SKU\": quantity, …}") };
    {
        let mut store = state.store();
        for (sku, q) in map {
            let Some(q) = q.as_i64().filter(|_| !sku.is_empty()) else {
                return bad_request(format!("quantity for {sku:?} must be an integer"));
            };
            store.set_stock_at(location, sku, q);
        }
    }
    get_stock_at(state, web::Path::from(location)).await
}

/// `GET /_sim/stock/{location}`: the SKUs stocked at the location, with their quantities.
async fn get_stock_at(state: web::Data<SimState>, location: web::Path<u64>) -> HttpResponse {
    let location = location.into_inner();
    let store = state.store();
    let at: Map<String, Value> = store
        .listings
        .keys()
        .filter_map(|sku| store.stock_at(location, sku).map(|q| (sku.clone(), json!(q))))
        .collect();
    HttpResponse::Ok().json(at)
}

/// `PUT /_sim/variable_products` `{"TEE": {"variations": {"TEE-S": 3, "TEE-M": 5}}}`
/// (WooCommerce): variable products and their variations' stock; answers their product ids.
async fn put_variable_products(state: web::Data<SimState>, body: web::Bytes) -> HttpResponse {
    if state.kind != Kind::WooCommerce {
        return bad_request(
            "only WooCommerce has variable products; Shopify's variants are listings (PUT /_sim/stock)",
        );
    }
    let v = match parse_json(&body) {
        Ok(v) => v,
        Err(e) => return bad_request(e),
    };
    let Some(products) = v.as_object() else { return bad_request("expected {\"SKU\": {\"variations\": {…}}}") };
    let mut parsed = Vec::with_capacity(products.len());
    for (parent, p) in products {
        let Some(variations) = p.get("variations").and_then(Value::as_object) else {
            return bad_request(format!("{parent}: variations must be an object of SKU → quantity"));
        };
        let mut list = Vec::with_capacity(variations.len());
        for (sku, q) in variations {
            let Some(q) = q.as_i64().filter(|_| !sku.is_empty() && sku != parent) else {
                return bad_request(format!("{parent}: quantity for {sku:?} must be an integer"));
            };
            list.push((sku.clone(), q));
        }
        parsed.push((parent.clone(), list));
    }
    let mut store = state.store();
    let mut out = Map::new();
    for (parent, variations) in parsed {
        let id = store.set_variable(&parent, &variations);
        let ids: Map<String, Value> = variations
            .iter()
            .filter_map(|(s, _)| store.listings.get(s).map(|l| (s.clone(), json!(l.product_id))))
            .collect();
        out.insert(parent, json!({ "id": id, "variations": ids }));
    }
    HttpResponse::Ok().json(Value::Object(out))
}

/// `PUT /_sim/settings` `{"weight_unit": "lbs", "dimension_unit": "in", "currency": "JPY"}`
/// (WooCommerce's settings; Shopify's shop currency): prices are then written in the
/// currency's minor unit (no decimals for JPY).
async fn put_settings(state: web::Data<SimState>, body: web::Bytes) -> HttpResponse {
    let v = match parse_json(&body) {
        Ok(v) => v,
        Err(e) => return bad_request(e),
    };
    let weight = v.get("weight_unit").and_then(Value::as_str);
    let dimension = v.get("dimension_unit").and_then(Value::as_str);
    if weight.is_some_and(|w| !["kg", "g", "lbs", "oz"].contains(&w)) {
        return bad_request("weight_unit: one of kg, g, lbs, oz");
    }
    if dimension.is_some_and(|d| !["m", "cm", "mm", "in", "yd"].contains(&d)) {
        return bad_request("dimension_unit: one of m, cm, mm, in, yd");
    }
    let currency = v.get("currency").and_then(Value::as_str);
    if currency.is_some_and(|c| crate::domain::money::exponent(c).is_none()) {
        return bad_request("currency: an ISO 4217 code with a minor unit");
    }
    let mut store = state.store();
    if let Some(w) = weight {
        store.units.0 = w.to_string();
    }
    if let Some(d) = dimension {
        store.units.1 = d.to_string();
    }
    if let Some(c) = currency {
        store.currency = c.to_string();
    }
    HttpResponse::Ok().json(json!({ "weight_unit": store.units.0, "dimension_unit": store.units.1,
                                    "currency": store.currency }))
}

fn known_location(kind: Kind, location: u64) -> bool {
    match kind {
        Kind::Shopify => crate::sim::store::SHOPIFY_LOCATIONS.iter().any(|(id, _)| *id == location),
        Kind::WooCommerce => location == crate::sim::store::PRIMARY_LOCATION,
    }
}

/// `POST /_sim/orders/{id}/ship_to` `{first_name, address1, …}`: the merchant changes where the
/// order goes in the admin (the fields given replace those stored); the channel says
/// `order.updated` / `orders/updated`.
async fn ship_to(state: web::Data<SimState>, id: web::Path<u64>, body: web::Bytes) -> HttpResponse {
    let id = id.into_inner();
    let given: crate::sim::whole::Person = match serde_json::from_slice(&body) {
        Ok(p) => p,
        Err(e) => return bad_request(format!("an address: {e}")),
    };
    let change = state.store().edit_shipping(id, |p| p.merge(given));
    if change != OrderChange::Done {
        return HttpResponse::NotFound().json(json!({ "error": "no such order" }));
    }
    state.notify(id, Event::Updated);
    match state.store().order(id) {
        Some(o) => HttpResponse::Ok().json(o.to_sim_json()),
        None => HttpResponse::NotFound().json(json!({ "error": "no such order" })),
    }
}

/// `POST /_sim/orders/{id}/hold` `{"location": 1}`: the merchant holds the order's
/// fulfillment order at that location (Shopify `ON_HOLD`); `/release` lifts it.
async fn hold_order(state: web::Data<SimState>, id: web::Path<u64>, body: web::Bytes) -> HttpResponse {
    set_hold(&state, id.into_inner(), &body, true)
}

async fn release_order(state: web::Data<SimState>, id: web::Path<u64>, body: web::Bytes) -> HttpResponse {
    set_hold(&state, id.into_inner(), &body, false)
}

fn set_hold(state: &SimState, id: u64, body: &[u8], hold: bool) -> HttpResponse {
    let location = if body.is_empty() {
        crate::sim::store::PRIMARY_LOCATION
    } else {
        match parse_json(body).map(|v| v.get("location").and_then(Value::as_u64)) {
            Ok(Some(l)) => l,
            Ok(None) => crate::sim::store::PRIMARY_LOCATION,
            Err(e) => return bad_request(e),
        }
    };
    let mut store = state.store();
    let now = store.clock.tick();
    let Some(order) = store.orders.iter_mut().find(|o| o.id == id) else {
        return HttpResponse::NotFound().json(json!({"error": "no such order"}));
    };
    order.holds.retain(|l| *l != location);
    if hold {
        order.holds.push(location);
    }
    order.updated_at = now;
    HttpResponse::Ok().json(order.to_sim_json())
}

async fn get_stock(state: web::Data<SimState>) -> HttpResponse {
    HttpResponse::Ok().json(&state.store().stock)
}

fn parse_lines(v: &Value) -> Result<(Vec<NewLine>, bool), crate::sim::Refusal> {
    let lines = v.get("lines").and_then(Value::as_array).ok_or("lines must be an array")?;
    if lines.is_empty() {
        return Err("an order needs at least one line".into());
    }
    let mut out = Vec::with_capacity(lines.len());
    for l in lines {
        let sku = l.get("sku").and_then(Value::as_str).filter(|s| !s.is_empty()).ok_or("each line needs a sku")?;
        let quantity = l
            .get("quantity")
            .and_then(Value::as_i64)
            .filter(|q| (1..=1_000_000).contains(q))
            .ok_or("quantity must be an integer 1..=1000000")?;
        // Minor units of the store's currency; `price` (two decimals) is the older way to say it.
        let amount = |key: &str| match l.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(a) => a
                .as_i64()
                .filter(|a| (0..1_000_000_000_000).contains(a))
                .map(Some)
                .ok_or_else(|| Refusal(format!("{key} must be a whole number of minor units ≥ 0"))),
        };
        let price_minor = match (amount("price_minor")?, l.get("price")) {
            (Some(minor), _) => minor,
            (None, None | Some(Value::Null)) => DEFAULT_PRICE_MINOR,
            (None, Some(p)) => {
                let p = p.as_f64().filter(|p| (0.0..1e9).contains(p)).ok_or("price must be a non-negative number")?;
                (p * 100.0).round() as i64
            }
        };
        let discount_minor = amount("discount_minor")?.unwrap_or(0);
        if discount_minor > price_minor.saturating_mul(quantity) {
            return Err("discount_minor is more than the line's price".into());
        }
        let tax_minor = amount("tax_minor")?.unwrap_or(0);
        let location = match l.get("location") {
            None | Some(Value::Null) => crate::sim::store::PRIMARY_LOCATION,
            Some(v) => v.as_u64().ok_or("location must be a location id")?,
        };
        out.push(NewLine { sku: sku.to_string(), quantity, price_minor, location, discount_minor, tax_minor });
    }
    let paid = match v.get("paid") {
        None | Some(Value::Null) => true,
        Some(p) => p.as_bool().ok_or("paid must be a boolean")?,
    };
    Ok((out, paid))
}

/// Optional `{"lines":[{"sku","quantity"}]}`: None when absent (everything).
fn named_lines(v: &Value) -> Result<Option<Vec<(String, i64)>>, crate::sim::Refusal> {
    let Some(lines) = v.get("lines").filter(|l| !l.is_null()) else { return Ok(None) };
    let lines = lines.as_array().ok_or("lines must be an array")?;
    let mut out = Vec::with_capacity(lines.len());
    for l in lines {
        let sku = l.get("sku").and_then(Value::as_str).filter(|s| !s.is_empty()).ok_or("each line needs a sku")?;
        let q = l.get("quantity").and_then(Value::as_i64).filter(|q| (1..=1_000_000).contains(q));
        out.push((sku.to_string(), q.ok_or("quantity must be an integer 1..=1000000")?));
    }
    Ok(Some(out))
}

/// The body of a life-cycle call: empty means `{}`.
fn optional_body(body: &[u8]) -> Result<Value, crate::sim::Refusal> {
    if body.iter().all(u8::is_ascii_whitespace) {
        Ok(json!({}))
    } else {
        parse_json(body)
    }
}

async fn create_order(state: web::Data<SimState>, body: web::Bytes) -> HttpResponse {
    let v = match parse_json(&body) {
        Ok(v) => v,
        Err(e) => return bad_request(e),
    };
    let (lines, paid) = match parse_lines(&v) {
        Ok(x) => x,
        Err(e) => return bad_request(e),
    };
    if let Some(l) = lines.iter().find(|l| !known_location(state.kind, l.location)) {
        return bad_request(format!("the shop has no location {}", l.location));
    }
    // WooCommerce's `on-hold`: unpaid (a bank transfer awaited), stock already reduced.
    let on_hold = match v.get("status").and_then(Value::as_str) {
        None => false,
        Some("on-hold") if state.kind == Kind::WooCommerce => true,
        Some(other) => return bad_request(format!("status {other:?}: only \"on-hold\", on WooCommerce")),
    };
    let whole = match crate::sim::whole::Whole::from_body(&v) {
        Ok(w) => w,
        Err(e) => return bad_request(e.0),
    };
    // `"checkout": true`: placed by a customer at the storefront, which refuses what the shop's
    // figure cannot cover (the admin's own orders, without it, are taken whatever the figure).
    let checkout = v.get("checkout").and_then(Value::as_bool).unwrap_or(false);
    let id = {
        let mut store = state.store();
        if let Some((sku, figure)) = checkout.then(|| store.checkout_refusal(&lines)).flatten() {
            return HttpResponse::Conflict().json(json!({
                "error": format!("out of stock: {sku} shows {figure}"), "sku": sku, "available": figure
            }));
        }
        store.create_whole_order(lines, paid, on_hold, whole)
    };
    state.notify(id, Event::Created);
    let mut out = Map::new();
    out.insert("id".into(), json!(id));
    if state.kind == Kind::Shopify {
        out.insert("gid".into(), json!(format!("gid://shopify/Order/{id}")));
    }
    HttpResponse::Created().json(Value::Object(out))
}

async fn list_orders(state: web::Data<SimState>) -> HttpResponse {
    let store = state.store();
    HttpResponse::Ok().json(store.orders.iter().map(|o| o.to_sim_json()).collect::<Vec<_>>())
}

/// A change to an order, as the shop's admin would make it.
enum Change {
    Pay,
    Cancel { restock: bool },
    Void,
    Fulfil(Option<Vec<(String, i64)>>),
    Refund { lines: Option<Vec<(String, i64)>>, restock: bool },
}

async fn change(state: web::Data<SimState>, raw: &str, change: Change) -> HttpResponse {
    let Ok(id) = raw.parse::<u64>() else { return bad_request("order id must be a number") };
    let (outcome, event) = {
        let mut store = state.store();
        match change {
            Change::Pay => (store.pay(id), Event::Paid),
            Change::Cancel { restock } => (store.cancel_with(id, restock), Event::Cancelled),
            Change::Void => (store.void(id), Event::Cancelled),
            Change::Fulfil(lines) => (store.fulfil_in_admin(id, lines.as_deref()), Event::Updated),
            Change::Refund { lines, restock } => (store.refund(id, lines.as_deref(), restock), Event::Updated),
        }
    };
    match outcome {
        OrderChange::NotFound => HttpResponse::NotFound().json(json!({ "error": "no such order" })),
        OrderChange::Conflict(why) => HttpResponse::Conflict().json(json!({ "error": why })),
        OrderChange::Done => {
            state.notify(id, event);
            let store = state.store();
            match store.order(id) {
                Some(o) => HttpResponse::Ok().json(o.to_sim_json()),
                None => HttpResponse::NotFound().json(json!({ "error": "no such order" })),
            }
        }
    }
}

fn restock_flag(v: &Value) -> Result<bool, crate::sim::Refusal> {
    match v.get("restock") {
        None | Some(Value::Null) => Ok(true),
        Some(r) => r.as_bool().ok_or_else(|| "restock must be a boolean".into()),
    }
}

/// `POST /_sim/orders/{id}/cancel` `{"restock": true}` (the default).
async fn cancel_order(state: web::Data<SimState>, path: web::Path<String>, body: web::Bytes) -> HttpResponse {
    let restock = match optional_body(&body).and_then(|v| restock_flag(&v)) {
        Ok(r) => r,
        Err(e) => return bad_request(e),
    };
    change(state, &path, Change::Cancel { restock }).await
}

async fn pay_order(state: web::Data<SimState>, path: web::Path<String>) -> HttpResponse {
    change(state, &path, Change::Pay).await
}

async fn void_order(state: web::Data<SimState>, path: web::Path<String>) -> HttpResponse {
    change(state, &path, Change::Void).await
}

/// `POST /_sim/orders/{id}/fulfil` `{"lines":[{"sku","quantity"}]}` (omit lines: everything):
/// shipped in the shop's own admin.
async fn fulfil_order(state: web::Data<SimState>, path: web::Path<String>, body: web::Bytes) -> HttpResponse {
    let lines = match optional_body(&body).and_then(|v| named_lines(&v)) {
        Ok(l) => l,
        Err(e) => return bad_request(e),
    };
    change(state, &path, Change::Fulfil(lines)).await
}

/// `POST /_sim/orders/{id}/refund` `{"lines":[…]?, "restock": true}`.
async fn refund_order(state: web::Data<SimState>, path: web::Path<String>, body: web::Bytes) -> HttpResponse {
    let parsed = optional_body(&body).and_then(|v| Ok((named_lines(&v)?, restock_flag(&v)?)));
    let (lines, restock) = match parsed {
        Ok(x) => x,
        Err(e) => return bad_request(e),
    };
    change(state, &path, Change::Refund { lines, restock }).await
}

async fn stock_calls(state: web::Data<SimState>) -> HttpResponse {
    HttpResponse::Ok().json(&state.store().stock_calls)
}

async fn fulfilments(state: web::Data<SimState>) -> HttpResponse {
    HttpResponse::Ok().json(&state.store().fulfilments)
}

async fn add_faults(state: web::Data<SimState>, body: web::Bytes) -> HttpResponse {
    let v = match parse_json(&body) {
        Ok(v) => v,
        Err(e) => return bad_request(e),
    };
    let mut faults = state.faults();
    match faults.push_json(&v) {
        Ok(added) => HttpResponse::Ok().json(json!({ "added": added, "pending": faults.pending() })),
        Err(e) => bad_request(e),
    }
}

async fn get_faults(state: web::Data<SimState>) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "pending": state.faults().pending() }))
}

async fn clear_faults(state: web::Data<SimState>) -> HttpResponse {
    state.faults().clear();
    HttpResponse::Ok().json(json!({ "pending": 0 }))
}

async fn requests(state: web::Data<SimState>) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "count": state.requests_served(), "recent": state.request_log() }))
}
