//! The WooCommerce simulator: REST v3 orders (`GET /orders` with its filters and pagination
//! headers, `GET /orders/{id}`), products and their stock (`GET /products?sku=`,
//! `PUT /products/{id}`, `POST /products/batch`), consumer key/secret auth, and order webhooks whose bodies escape
//! `/` as WordPress does.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use base64::Engine as _;
use serde_json::{json, Value};

use super::server::{self, SimState};
use super::store::{
    iso_naive, money, parse_time, to_second, Kind, Listing, Order, DEFAULT_PRICE_MINOR, LISTING_WEIGHT_KG,
};
use super::webhook::{sign, Delivery, Event};
use super::{SimHandle, SimOptions};

const STATUSES: &[&str] =
    &["pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed", "trash", "checkout-draft"];

/// Starts a WooCommerce simulator on `opts.bind` inside the current actix System.
pub async fn start(opts: SimOptions) -> std::io::Result<SimHandle> {
    server::start(Kind::WooCommerce, opts, routes).await
}

fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/wp-json/wc/v3/orders", web::get().to(list_orders))
        .service(
            web::resource("/wp-json/wc/v3/orders/{id}")
                .route(web::get().to(get_order))
                .route(web::put().to(super::woo_fulfil::update_order)),
        )
        .service(
            web::resource("/wp-json/wc/v3/orders/{id}/notes")
                .route(web::get().to(super::woo_fulfil::notes))
                .route(web::post().to(super::woo_fulfil::add_note)),
        )
        .route("/wp-json/wc/v3/products", web::get().to(list_products))
        .route("/wp-json/wc/v3/products/batch", web::post().to(batch_products))
        .route("/wp-json/wc/v3/products/{id}", web::put().to(put_product))
        .route("/wp-json/wc/v3/data/currencies/current", web::get().to(current_currency));
}

pub(super) fn wc_error(status: StatusCode, code: &str, message: &str) -> HttpResponse {
    HttpResponse::build(status).json(json!({ "code": code, "message": message, "data": { "status": status.as_u16() } }))
}

/// WooCommerce's error body for an injected fault's status.
pub fn error_body(status: u16) -> Value {
    let (code, message) = match status {
        429 => ("too_many_requests", "Too many requests."),
        s if s >= 500 => ("internal_server_error", "There has been a critical error on this website."),
        _ => ("rest_error", "Error."),
    };
    json!({ "code": code, "message": message, "data": { "status": status } })
}

// ---------------------------------------------------------------- rendering

/// `cancelled`, `completed` (paid and shipped), `processing` (paid) or `pending` (unpaid).
pub fn status(o: &Order) -> &'static str {
    if o.is_cancelled() {
        "cancelled"
    } else if o.fully_refunded() {
        "refunded"
    } else if o.paid && o.lines.iter().any(|l| l.fulfilled > 0) && o.lines.iter().all(|l| l.open_units() == 0) {
        "completed"
    } else if o.paid {
        "processing"
    } else if o.on_hold {
        "on-hold"
    } else {
        "pending"
    }
}

/// WooCommerce's stock bookkeeping on a line, as REST shows it in `meta_data`: units its stock
/// was reduced by, and units refunds put back.
fn line_meta(o: &Order, l: &super::store::Line) -> Vec<Value> {
    let mut meta = Vec::new();
    if o.stock_taken && !o.is_cancelled() {
        meta.push(
            json!({ "id": l.id * 10 + 1, "key": "_reduced_stock", "value": (l.quantity - l.restocked).to_string() }),
        );
    }
    if l.restocked > 0 {
        meta.push(json!({ "id": l.id * 10 + 2, "key": "_restock_refunded_items", "value": l.restocked.to_string() }));
    }
    meta
}

/// The order as `GET /wp-json/wc/v3/orders/{id}` renders it.
pub fn order_json(o: &Order) -> Value {
    let lines: Vec<Value> = o
        .lines
        .iter()
        .map(|l| {
            json!({
                "id": l.id,
                "product_id": l.listing.as_ref().map(|li| li.product_id).unwrap_or(0),
                "variation_id": 0,
                "sku": l.sku,
                "quantity": l.quantity,
                "meta_data": line_meta(o, l),
                "price": l.price_minor as f64 / 100.0,
                "subtotal": super::store::money(l.price_minor * l.quantity),
                "total": super::store::money(l.price_minor * l.quantity),
            })
        })
        .collect();
    json!({
        "id": o.id,
        "number": o.id.to_string(),
        "status": status(o),
        "currency": "GBP",
        "date_created_gmt": iso_naive(o.created_at),
        "date_modified_gmt": iso_naive(o.updated_at),
        "date_paid_gmt": if o.paid { Some(iso_naive(o.created_at)) } else { None },
        "total": super::store::money(o.total_minor()),
        "line_items": lines,
    })
}

/// JSON with every `/` written `\/`, as WordPress encodes webhook bodies.
pub fn wordpress_json(v: &Value) -> Vec<u8> {
    // A `/` can only occur inside a JSON string, where `\/` is a valid escape of it.
    v.to_string().replace('/', "\\/").into_bytes()
}

/// The id of the simulated shop's one order webhook.
const WEBHOOK_ID: u64 = 1;

/// WooCommerce's `X-WC-Webhook-Delivery-ID`: `wp_hash(webhook id . strtotime('now'))`
/// (`WC_Webhook::get_new_delivery_id`), the same for every delivery of one webhook within a
/// second. (wp_hash is an HMAC-MD5 keyed by the site's salt; any hash of the two shows the
/// same collisions.)
pub fn delivery_id(webhook_id: u64, unix_seconds: i64) -> String {
    use sha2::Digest;
    hex::encode(&sha2::Sha256::digest(format!("{webhook_id}{unix_seconds}").as_bytes())[..16])
}

/// `order.created` on creation, `order.updated` on any later change.
pub fn webhooks(state: &SimState, o: &Order, event: Event) -> Vec<Delivery> {
    let (topic, ev) = match event {
        Event::Created => ("order.created", "created"),
        Event::Paid | Event::Cancelled | Event::Updated => ("order.updated", "updated"),
    };
    let body = wordpress_json(&order_json(o));
    let mut headers = vec![
        ("X-WC-Webhook-Source".to_string(), format!("http://127.0.0.1:{}/", state.port)),
        ("X-WC-Webhook-Topic".to_string(), topic.to_string()),
        ("X-WC-Webhook-Resource".to_string(), "order".to_string()),
        ("X-WC-Webhook-Event".to_string(), ev.to_string()),
        ("X-WC-Webhook-ID".to_string(), WEBHOOK_ID.to_string()),
        ("X-WC-Webhook-Delivery-ID".to_string(), delivery_id(WEBHOOK_ID, chrono::Utc::now().timestamp())),
        ("User-Agent".to_string(), "WooCommerce/9.4.0 Hookshot (WordPress/6.7)".to_string()),
    ];
    if let Some(secret) = state.webhook_secret() {
        headers.push(("X-WC-Webhook-Signature".to_string(), sign(secret, &body)));
    }
    vec![Delivery { body, headers }]
}

// ---------------------------------------------------------------- REST

fn query_pairs(req: &HttpRequest) -> Vec<(String, String)> {
    url::form_urlencoded::parse(req.query_string().as_bytes()).into_owned().collect()
}

fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// Checks the consumer key/secret (HTTP Basic, or the query string) when the simulator has them.
pub(super) fn authorised(state: &SimState, req: &HttpRequest, pairs: &[(String, String)]) -> bool {
    if state.key.is_none() && state.secret.is_none() {
        return true;
    }
    let basic = req
        .headers()
        .get("Authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic ").or_else(|| v.strip_prefix("basic ")))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b.trim()).ok())
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.split_once(':').map(|(k, s)| (k.to_string(), s.to_string())));
    let (key, secret) = match basic {
        Some(ks) => ks,
        None => (
            param(pairs, "consumer_key").unwrap_or_default().to_string(),
            param(pairs, "consumer_secret").unwrap_or_default().to_string(),
        ),
    };
    state.key.as_deref().is_none_or(|k| k == key) && state.secret.as_deref().is_none_or(|s| s == secret)
}

fn invalid_param(name: &str, why: impl Into<String>) -> HttpResponse {
    HttpResponse::BadRequest().json(json!({
        "code": "rest_invalid_param",
        "message": format!("Invalid parameter(s): {name}"),
        "data": { "status": 400, "params": { name: why.into() } },
    }))
}

async fn get_order(state: web::Data<SimState>, req: HttpRequest, path: web::Path<String>) -> HttpResponse {
    if let Some(resp) = state.api_gate().await {
        return resp;
    }
    let pairs = query_pairs(&req);
    if !authorised(&state, &req, &pairs) {
        return wc_error(
            StatusCode::UNAUTHORIZED,
            "woocommerce_rest_cannot_view",
            "Sorry, you cannot view this resource.",
        );
    }
    let store = state.store();
    match path.parse::<u64>().ok().and_then(|id| store.order(id)) {
        Some(o) => HttpResponse::Ok().json(order_json(o)),
        None => wc_error(StatusCode::NOT_FOUND, "woocommerce_rest_shop_order_invalid_id", "Invalid ID."),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum OrderBy {
    Date,
    Id,
    Modified,
}

async fn list_orders(state: web::Data<SimState>, req: HttpRequest) -> HttpResponse {
    if let Some(resp) = state.api_gate().await {
        return resp;
    }
    let pairs = query_pairs(&req);
    if !authorised(&state, &req, &pairs) {
        return wc_error(StatusCode::UNAUTHORIZED, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources.");
    }
    let (page, per_page) = match paging(&pairs) {
        Ok(x) => x,
        Err((name, why)) => return invalid_param(name, why),
    };
    let statuses: Option<Vec<String>> = match param(&pairs, "status") {
        None | Some("") | Some("any") => None,
        Some(list) => {
            let wanted: Vec<String> = list.split(',').map(|s| s.trim().to_string()).collect();
            if let Some(bad) = wanted.iter().find(|s| s.as_str() != "any" && !STATUSES.contains(&s.as_str())) {
                return invalid_param(
                    "status",
                    format!("status[0] is not one of any, {} ({bad}).", STATUSES.join(", ")),
                );
            }
            if wanted.iter().any(|s| s == "any") {
                None
            } else {
                Some(wanted)
            }
        }
    };
    let mut bounds = Vec::new();
    for name in ["modified_after", "modified_before", "after", "before"] {
        if let Some(raw) = param(&pairs, name) {
            match parse_time(raw) {
                Some(t) => bounds.push((name, t)),
                None => return invalid_param(name, format!("Invalid date ({raw}).")),
            }
        }
    }
    let orderby = match param(&pairs, "orderby") {
        None | Some("date") => OrderBy::Date,
        Some("id" | "include") => OrderBy::Id,
        Some("modified") => OrderBy::Modified,
        Some(_) => return invalid_param("orderby", "orderby is not one of date, id, include, title, slug, modified."),
    };
    let desc = match param(&pairs, "order") {
        None | Some("desc") => true,
        Some("asc") => false,
        Some(_) => return invalid_param("order", "order is not one of asc, desc."),
    };

    let (total, body) = {
        let store = state.store();
        let mut matched: Vec<&Order> = store
            .orders
            .iter()
            .filter(|o| statuses.as_ref().is_none_or(|s| s.iter().any(|w| w == status(o))))
            .filter(|o| {
                let modified = to_second(o.updated_at);
                let created = to_second(o.created_at);
                bounds.iter().all(|(name, t)| match *name {
                    "modified_after" => modified > *t,
                    "modified_before" => modified < *t,
                    "after" => created > *t,
                    _ => created < *t,
                })
            })
            .collect();
        matched.sort_by_key(|o| match orderby {
            OrderBy::Date => (to_second(o.created_at).timestamp(), o.id),
            OrderBy::Modified => (to_second(o.updated_at).timestamp(), o.id),
            OrderBy::Id => (0, o.id),
        });
        if desc {
            matched.reverse();
        }
        let start = usize::try_from((page - 1).saturating_mul(per_page)).unwrap_or(usize::MAX);
        let body: Vec<Value> = matched.iter().skip(start).take(per_page as usize).map(|o| order_json(o)).collect();
        (matched.len() as u64, body)
    };
    paged(&req, &pairs, page, per_page, total, body)
}

/// `page` and `per_page` (1..=100, default 10) from the query string.
/// `Err` names the bad parameter and why, for `invalid_param`.
fn paging(pairs: &[(String, String)]) -> Result<(u64, u64), (&'static str, &'static str)> {
    let per_page = match param(pairs, "per_page").map(|v| v.parse::<u64>()) {
        None => 10,
        Some(Ok(n)) if (1..=100).contains(&n) => n,
        Some(_) => return Err(("per_page", "per_page must be between 1 (inclusive) and 100 (inclusive)")),
    };
    let page = match param(pairs, "page").map(|v| v.parse::<u64>()) {
        None => 1,
        Some(Ok(n)) if n >= 1 => n,
        Some(_) => return Err(("page", "page must be greater than or equal to 1")),
    };
    Ok((page, per_page))
}

/// A page of a collection with `X-WP-Total`, `X-WP-TotalPages` and `Link` headers.
fn paged(
    req: &HttpRequest,
    pairs: &[(String, String)],
    page: u64,
    per_page: u64,
    total: u64,
    body: Vec<Value>,
) -> HttpResponse {
    let total_pages = total.div_ceil(per_page);

    let link_to = |p: u64| {
        let mut ser = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in pairs.iter().filter(|(k, _)| k != "page") {
            ser.append_pair(k, v);
        }
        ser.append_pair("page", &p.to_string());
        let info = req.connection_info();
        format!("{}://{}{}?{}", info.scheme(), info.host(), req.path(), ser.finish())
    };
    let mut links = Vec::new();
    if page > 1 && total_pages > 0 {
        links.push(format!("<{}>; rel=\"prev\"", link_to((page - 1).min(total_pages))));
    }
    if page < total_pages {
        links.push(format!("<{}>; rel=\"next\"", link_to(page + 1)));
    }
    let mut resp = HttpResponse::Ok();
    resp.insert_header(("X-WP-Total", total.to_string())).insert_header(("X-WP-TotalPages", total_pages.to_string()));
    if !links.is_empty() {
        resp.insert_header(("Link", links.join(", ")));
    }
    resp.json(body)
}

// ---------------------------------------------------------------- products and stock

/// Most items (`create` + `update` + `delete`) one batch request may carry.
pub const MAX_BATCH: usize = 100;

/// A listing as `GET /products` renders it (a simple product whose stock is managed).
fn product_json(port: u16, sku: &str, l: &Listing, stock: i64) -> Value {
    json!({
        "id": l.product_id,
        "name": format!("Sim product {sku}"),
        "sku": sku,
        "type": "simple",
        "status": "publish",
        "manage_stock": true,
        "stock_quantity": stock,
        "stock_status": if stock > 0 { "instock" } else { "outofstock" },
        "price": money(DEFAULT_PRICE_MINOR),
        "regular_price": money(DEFAULT_PRICE_MINOR),
        "weight": LISTING_WEIGHT_KG.to_string(),
        "dimensions": { "length": "30", "width": "20", "height": "2" },
        "images": [ { "src": format!("http://127.0.0.1:{port}/wp-content/uploads/p{}.jpg", l.product_id) } ],
    })
}

/// `GET /data/currencies/current`: the store's currency.
async fn current_currency(state: web::Data<SimState>, req: HttpRequest) -> HttpResponse {
    if let Err(resp) = product_gate(&state, &req, false).await {
        return resp;
    }
    HttpResponse::Ok().json(json!({ "code": "GBP", "name": "Pound sterling", "symbol": "&pound;" }))
}

fn invalid_product() -> Value {
    json!({ "code": "woocommerce_rest_product_invalid_id", "message": "Invalid ID.", "data": { "status": 404 } })
}

/// Fault gate and consumer key check shared by the product routes.
async fn product_gate(state: &SimState, req: &HttpRequest, edit: bool) -> Result<Vec<(String, String)>, HttpResponse> {
    if let Some(resp) = state.api_gate().await {
        return Err(resp);
    }
    let pairs = query_pairs(req);
    if !authorised(state, req, &pairs) {
        let (code, message) = if edit {
            ("woocommerce_rest_cannot_edit", "Sorry, you are not allowed to edit this resource.")
        } else {
            ("woocommerce_rest_cannot_view", "Sorry, you cannot list resources.")
        };
        return Err(wc_error(StatusCode::UNAUTHORIZED, code, message));
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

async fn list_products(state: web::Data<SimState>, req: HttpRequest) -> HttpResponse {
    let pairs = match product_gate(&state, &req, false).await {
        Ok(p) => p,
        Err(resp) => return resp,
    };
    let (page, per_page) = match paging(&pairs) {
        Ok(x) => x,
        Err((name, why)) => return invalid_param(name, why),
    };
    let skus: Option<Vec<&str>> = param(&pairs, "sku")
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.split(',').map(str::trim).filter(|s| !s.is_empty()).collect());
    let (total, body) = {
        let store = state.store();
        let mut matched: Vec<(&String, &Listing)> = store
            .listings
            .iter()
            .filter(|(sku, _)| skus.as_ref().is_none_or(|want| want.contains(&sku.as_str())))
            .collect();
        // WooCommerce lists newest first.
        matched.sort_by_key(|(_, l)| std::cmp::Reverse(l.product_id));
        let start = usize::try_from((page - 1).saturating_mul(per_page)).unwrap_or(usize::MAX);
        let body: Vec<Value> = matched
            .iter()
            .skip(start)
            .take(per_page as usize)
            .map(|(sku, l)| product_json(state.port, sku, l, store.stock_of(sku)))
            .collect();
        (matched.len() as u64, body)
    };
    paged(&req, &pairs, page, per_page, total, body)
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
    let Some(sku) = path.parse::<u64>().ok().and_then(|id| store.sku_by_product(id)) else {
        return HttpResponse::NotFound().json(invalid_product());
    };
    if let Some(q) = update {
        store.push_stock(&[(sku.clone(), q)]);
    }
    match store.listings.get(&sku) {
        Some(l) => HttpResponse::Ok().json(product_json(state.port, &sku, l, store.stock_of(&sku))),
        None => HttpResponse::NotFound().json(invalid_product()),
    }
}

fn items<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key).and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[])
}

async fn batch_products(state: web::Data<SimState>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    if let Err(resp) = product_gate(&state, &req, true).await {
        return resp;
    }
    let Some(v) = json_body(&body) else { return invalid_json() };
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
        let Some(sku) = id.as_u64().and_then(|n| store.sku_by_product(n)) else {
            resolved.push(Err(json!({ "id": id, "error": invalid_product() })));
            continue;
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
                Some(l) => product_json(state.port, &sku, l, store.stock_of(&sku)),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_slashes_like_wordpress() {
        let body = wordpress_json(&json!({"u": "http://x/y", "n": 1}));
        let text = String::from_utf8(body.clone()).unwrap();
        assert!(text.contains(r#""http:\/\/x\/y""#), "{text}");
        let back: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(back["u"], "http://x/y");
    }
}
