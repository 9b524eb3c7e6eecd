//! WooCommerce simulator, catalogue side: simple and variable products with their
//! variations (`GET /products`, `GET /products/{id}/variations`), stock updates
//! (`PUT /products/{id}`, `POST /products/batch`, `POST /products/{id}/variations/batch`, at
//! most 100 items a batch), the store's currency and its weight and dimension units
//! (`GET /settings/products`).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use super::server::SimState;
use super::store::{money_in, Listing, Store, DEFAULT_PRICE_MINOR, LISTING_WEIGHT_KG};
use super::woocommerce::{invalid_param, page_of, paged, paging, param, query_pairs, refusal, wc_error};

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/wp-json/wc/v3/products", web::get().to(list_products))
        .route("/wp-json/wc/v3/products/batch", web::post().to(batch_products))
        .route("/wp-json/wc/v3/products/{id}", web::put().to(put_product))
        .route("/wp-json/wc/v3/products/{id}/variations", web::get().to(list_variations))
        .route("/wp-json/wc/v3/products/{id}/variations/batch", web::post().to(batch_variations))
        .route("/wp-json/wc/v3/settings/products", web::get().to(product_settings))
        .route("/wp-json/wc/v3/data/currencies/current", web::get().to(current_currency));
}

/// Most items (`create` + `update` + `delete`) one batch request may carry.
pub const MAX_BATCH: usize = 100;

/// Every simulated item weighs 0.25 kg and measures 30 × 20 × 2 cm; rendered in the store's
/// units (Settings → Products), as WooCommerce stores what the merchant typed in them.
fn measures(units: &(String, String)) -> (String, Value) {
    let grams = LISTING_WEIGHT_KG * 1000.0;
    let weight = match units.0.as_str() {
        "g" => grams,
        "lbs" => grams / 453.592_37,
        "oz" => grams / 28.349_523_125,
        _ => grams / 1000.0,
    };
    let per_mm = match units.1.as_str() {
        "m" => 1000.0,
        "mm" => 1.0,
        "in" => 25.4,
        "yd" => 914.4,
        _ => 10.0,
    };
    let dim = |mm: f64| format!("{}", (mm / per_mm * 10_000.0).round() / 10_000.0);
    (
        format!("{}", (weight * 10_000.0).round() / 10_000.0),
        json!({ "length": dim(300.0), "width": dim(200.0), "height": dim(20.0) }),
    )
}

/// A simple product or a variation as `GET /products` or `GET /products/{id}/variations`
/// renders it (its stock managed).
fn product_json(port: u16, store: &Store, sku: &str, l: &Listing) -> Value {
    let stock = store.stock_of(sku);
    let (weight, dimensions) = measures(&store.units);
    let image = json!({ "src": format!("http://127.0.0.1:{port}/wp-content/uploads/p{}.jpg", l.product_id) });
    let mut p = json!({
        "id": l.product_id,
        "sku": sku,
        "status": "publish",
        "manage_stock": true,
        "stock_quantity": stock,
        "stock_status": if stock > 0 { "instock" } else { "outofstock" },
        "price": money_in(DEFAULT_PRICE_MINOR, &store.currency),
        "regular_price": money_in(DEFAULT_PRICE_MINOR, &store.currency),
        "weight": weight,
        "dimensions": dimensions,
    });
    if l.parent.is_some() {
        p["image"] = image;
        p["attributes"] = json!([ { "id": 0, "name": "Size", "option": sku } ]);
    } else {
        p["name"] = json!(format!("Sim product {sku}"));
        p["type"] = json!("simple");
        p["images"] = json!([image]);
    }
    p
}

/// A variable product: its variations carry the stock.
fn variable_json(store: &Store, sku: &str, id: u64) -> Value {
    let variations: Vec<u64> = store.listings.values().filter(|l| l.parent == Some(id)).map(|l| l.product_id).collect();
    let (weight, dimensions) = measures(&store.units);
    json!({
        "id": id, "name": format!("Sim product {sku}"), "sku": sku, "type": "variable", "status": "publish",
        "manage_stock": false, "stock_quantity": null, "stock_status": "instock",
        "price": money_in(DEFAULT_PRICE_MINOR, &store.currency), "weight": weight, "dimensions": dimensions,
        "variations": variations, "images": [],
    })
}

/// `GET /data/currencies/current`: the store's currency.
async fn current_currency(state: web::Data<SimState>, req: HttpRequest) -> HttpResponse {
    if let Err(resp) = product_gate(&state, &req, false).await {
        return resp;
    }
    let code = state.store().currency.clone();
    let name = iso_currency::Currency::from_code(&code).map_or_else(|| code.clone(), |c| c.name().to_string());
    HttpResponse::Ok().json(json!({ "code": code, "name": name, "symbol": code }))
}

/// `GET /settings/products`: the Products settings group, with the weight and dimension units.
async fn product_settings(state: web::Data<SimState>, req: HttpRequest) -> HttpResponse {
    if let Err(resp) = product_gate(&state, &req, false).await {
        return resp;
    }
    let (weight, dimension) = state.store().units.clone();
    let select = |id: &str, label: &str, value: &str, default: &str, options: Value| {
        json!({ "id": id, "label": label, "description": "", "type": "select", "default": default,
                "value": value, "options": options, "group_id": "products" })
    };
    HttpResponse::Ok().json(json!([
        select(
            "woocommerce_weight_unit",
            "Weight unit",
            &weight,
            "kg",
            json!({ "kg": "kg", "g": "g", "lbs": "lbs", "oz": "oz" })
        ),
        select(
            "woocommerce_dimension_unit",
            "Dimensions unit",
            &dimension,
            "cm",
            json!({ "m": "m", "cm": "cm", "mm": "mm", "in": "in", "yd": "yd" })
        ),
    ]))
}

fn invalid_product() -> Value {
    json!({ "code": "woocommerce_rest_product_invalid_id", "message": "Invalid ID.", "data": { "status": 404 } })
}

/// WooCommerce's answer to a variation addressed through the products endpoints.
fn use_variations_endpoint() -> Value {
    json!({ "code": "woocommerce_rest_invalid_product_id",
            "message": "To manipulate product variations you should use the /products/<product_id>/variations/<id> endpoint.",
            "data": { "status": 404 } })
}

/// Fault gate and consumer key check shared by the product routes.
async fn product_gate(state: &SimState, req: &HttpRequest, edit: bool) -> Result<Vec<(String, String)>, HttpResponse> {
    if let Some(resp) = state.api_gate().await {
        return Err(resp);
    }
    let pairs = query_pairs(req);
    let anonymous = if edit {
        ("woocommerce_rest_cannot_edit", "Sorry, you are not allowed to edit this resource.")
    } else {
        ("woocommerce_rest_cannot_view", "Sorry, you cannot list resources.")
    };
    if let Some(resp) = refusal(state, req, &pairs, anonymous) {
        return Err(resp);
    }
    Ok(pairs)
}

/// A JSON object body; `None` when the body is not one.
pub(super) fn json_body(body: &[u8]) -> Option<Value> {
    serde_json::from_slice::<Value>(body).ok().filter(Value::is_object)
}

pub(super) fn invalid_json() -> HttpResponse {
    wc_error(StatusCode::BAD_REQUEST, "rest_invalid_json", "Invalid JSON body passed.")
}

/// The stock figure an update carries, if it applies: `stock_quantity` counts unless the body
/// turns `manage_stock` off (every simulated product already manages stock).
/// `Err` when `stock_quantity` is not an integer.
fn stock_update(item: &Value) -> Result<Option<i64>, &'static str> {
    if item.get("manage_stock").and_then(Value::as_bool) == Some(false) {
        return Ok(None);
    }
    match item.get("stock_quantity") {
        None | Some(Value::Null) => Ok(None),
        Some(v) => match v.as_i64().or_else(|| v.as_str().and_then(|s| s.trim().parse().ok())) {
            Some(q) => Ok(Some(q)),
            None => Err("stock_quantity is not of type integer."),
        },
    }
}

/// `GET /products`: simple and variable products (never variations), newest first, filtered by
/// `sku` (comma-separated) and `type`.
async fn list_products(state: web::Data<SimState>, req: HttpRequest) -> HttpResponse {
    let pairs = match product_gate(&state, &req, false).await {
        Ok(p) => p,
        Err(resp) => return resp,
    };
    let (page, per_page) = match paging(&pairs) {
        Ok(x) => x,
        Err((name, why)) => return invalid_param(name, why),
    };
    let kind = param(&pairs, "type");
    if kind.is_some_and(|k| !["simple", "grouped", "external", "variable"].contains(&k)) {
        return invalid_param("type", "type is not one of simple, grouped, external, and variable.");
    }
    let skus: Option<Vec<&str>> = param(&pairs, "sku")
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.split(',').map(str::trim).filter(|s| !s.is_empty()).collect());
    let wanted = |sku: &str| skus.as_ref().is_none_or(|want| want.contains(&sku));
    let (total, body) = {
        let store = state.store();
        // (id, rendered), newest first as WooCommerce lists them.
        let mut matched: Vec<(u64, Value)> = Vec::new();
        if kind.is_none_or(|k| k == "simple") {
            matched.extend(
                store
                    .listings
                    .iter()
                    .filter(|(sku, l)| l.parent.is_none() && wanted(sku))
                    .map(|(sku, l)| (l.product_id, product_json(state.port, &store, sku, l))),
            );
        }
        if kind.is_none_or(|k| k == "variable") {
            matched.extend(
                store
                    .variable
                    .iter()
                    .filter(|(sku, _)| wanted(sku))
                    .map(|(sku, id)| (*id, variable_json(&store, sku, *id))),
            );
        }
        matched.sort_by_key(|(id, _)| std::cmp::Reverse(*id));
        let body: Vec<Value> = page_of(&matched, page, per_page).map(|(_, p)| p.clone()).collect();
        (matched.len() as u64, body)
    };
    paged(&req, &pairs, page, per_page, total, body)
}

/// `GET /products/{id}/variations`: the variable product's variations, filtered by `include`.
async fn list_variations(state: web::Data<SimState>, req: HttpRequest, path: web::Path<String>) -> HttpResponse {
    let pairs = match product_gate(&state, &req, false).await {
        Ok(p) => p,
        Err(resp) => return resp,
    };
    let (page, per_page) = match paging(&pairs) {
        Ok(x) => x,
        Err((name, why)) => return invalid_param(name, why),
    };
    let include: Option<Vec<u64>> =
        param(&pairs, "include").map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect());
    let (total, body) = {
        let store = state.store();
        let Some(parent) = path.parse::<u64>().ok().filter(|id| store.variable.values().any(|v| v == id)) else {
            return HttpResponse::NotFound().json(invalid_product());
        };
        let mut matched: Vec<(&String, &Listing)> = store
            .listings
            .iter()
            .filter(|(_, l)| l.parent == Some(parent))
            .filter(|(_, l)| include.as_ref().is_none_or(|ids| ids.contains(&l.product_id)))
            .collect();
        matched.sort_by_key(|(_, l)| std::cmp::Reverse(l.product_id));
        let body: Vec<Value> =
            page_of(&matched, page, per_page).map(|(sku, l)| product_json(state.port, &store, sku, l)).collect();
        (matched.len() as u64, body)
    };
    paged(&req, &pairs, page, per_page, total, body)
}

/// Which items a request may address: products (never variations), or one product's variations.
#[derive(Clone, Copy)]
enum Scope {
    Products,
    Variations(u64),
}

/// The SKU of the item `id` names in `scope`, or WooCommerce's error for it.
fn resolve(store: &Store, scope: Scope, id: u64) -> Result<String, Value> {
    let found = store.listings.iter().find(|(_, l)| l.product_id == id);
    match (scope, found) {
        (Scope::Products, Some((sku, l))) if l.parent.is_none() => Ok(sku.clone()),
        (Scope::Products, Some(_)) => Err(use_variations_endpoint()),
        (Scope::Variations(parent), Some((sku, l))) if l.parent == Some(parent) => Ok(sku.clone()),
        _ => Err(invalid_product()),
    }
}

async fn put_product(
    state: web::Data<SimState>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    if let Err(resp) = product_gate(&state, &req, true).await {
        return resp;
    }
    let Some(v) = json_body(&body) else { return invalid_json() };
    let update = match stock_update(&v) {
        Ok(u) => u,
        Err(why) => return invalid_param("stock_quantity", why),
    };
    let mut store = state.store();
    let sku =
        match path.parse::<u64>().map_err(|_| invalid_product()).and_then(|id| resolve(&store, Scope::Products, id)) {
            Ok(sku) => sku,
            Err(e) => return HttpResponse::NotFound().json(e),
        };
    if let Some(q) = update {
        store.push_stock(&[(sku.clone(), q)]);
    }
    match store.listings.get(&sku) {
        Some(l) => HttpResponse::Ok().json(product_json(state.port, &store, &sku, l)),
        None => HttpResponse::NotFound().json(invalid_product()),
    }
}

fn items<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key).and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[])
}

async fn batch_products(state: web::Data<SimState>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    batch(&state, &req, &body, Scope::Products).await
}

/// `POST /products/{id}/variations/batch`: the variable product's variations, like the products batch.
async fn batch_variations(
    state: web::Data<SimState>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let parent = path.parse::<u64>().ok().filter(|id| state.store().variable.values().any(|v| v == id));
    match parent {
        Some(parent) => batch(&state, &req, &body, Scope::Variations(parent)).await,
        None => HttpResponse::NotFound().json(invalid_product()),
    }
}

/// A batch of `create` / `update` / `delete` (stock updates only), at most [`MAX_BATCH`] items.
async fn batch(state: &SimState, req: &HttpRequest, body: &[u8], scope: Scope) -> HttpResponse {
    if let Err(resp) = product_gate(state, req, true).await {
        return resp;
    }
    let Some(v) = json_body(body) else { return invalid_json() };
    let (create, update, delete) = (items(&v, "create"), items(&v, "update"), items(&v, "delete"));
    if create.len() + update.len() + delete.len() > MAX_BATCH {
        return wc_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "woocommerce_rest_request_entity_too_large",
            &format!("Unable to accept more than {MAX_BATCH} items for this request."),
        );
    }
    let mut store = state.store();
    // First resolve every update, then apply the valid ones as one stock push, then render.
    let mut resolved: Vec<Result<String, Value>> = Vec::with_capacity(update.len());
    let mut pushes: Vec<(String, i64)> = Vec::new();
    for item in update {
        let id = item.get("id").cloned().unwrap_or(Value::Null);
        let sku = match id.as_u64().ok_or_else(invalid_product).and_then(|n| resolve(&store, scope, n)) {
            Ok(sku) => sku,
            Err(e) => {
                resolved.push(Err(json!({ "id": id, "error": e })));
                continue;
            }
        };
        match stock_update(item) {
            Ok(Some(q)) => pushes.push((sku.clone(), q)),
            Ok(None) => {}
            Err(_) => {
                resolved.push(Err(json!({ "id": id, "error": {
                    "code": "rest_invalid_param",
                    "message": "Invalid parameter(s): stock_quantity",
                    "data": { "status": 400 },
                } })));
                continue;
            }
        }
        resolved.push(Ok(sku));
    }
    store.push_stock(&pushes);
    let unsupported = |id: Value| {
        json!({ "id": id, "error": {
            "code": "woocommerce_rest_sim_unsupported",
            "message": "The simulator only updates products; list them with PUT /_sim/stock.",
            "data": { "status": 400 },
        } })
    };
    let updated: Vec<Value> = resolved
        .into_iter()
        .map(|r| match r {
            Ok(sku) => match store.listings.get(&sku) {
                Some(l) => product_json(state.port, &store, &sku, l),
                None => json!({ "id": Value::Null, "error": invalid_product() }),
            },
            Err(e) => e,
        })
        .collect();
    let created: Vec<Value> = create.iter().map(|_| unsupported(json!(0))).collect();
    let deleted: Vec<Value> =
        delete.iter().map(|d| unsupported(d.get("id").cloned().unwrap_or_else(|| d.clone()))).collect();
    let mut out = serde_json::Map::new();
    for (key, list, given) in [("create", created, create), ("update", updated, update), ("delete", deleted, delete)] {
        if !given.is_empty() {
            out.insert(key.to_string(), Value::Array(list));
        }
    }
    HttpResponse::Ok().json(Value::Object(out))
}
