//! The WooCommerce simulator: REST v3 orders (`GET /orders` with its filters and pagination
//! headers, `GET /orders/{id}`), products and their stock (`GET /products?sku=`,
//! `PUT /products/{id}`, `POST /products/batch`), consumer key/secret auth, and order webhooks whose bodies escape
//! `/` as WordPress does.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use super::server::{self, SimState};
use super::store::{iso_naive, parse_time, to_second, Kind, Order};
use super::webhook::{sign, Delivery, Event};
use super::whole::Person;
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
        .configure(super::woo_products::routes);
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

/// `billing` / `shipping` as WooCommerce renders them: every field, `""` when unset.
fn address_json(p: Option<&Person>, with_email: bool) -> Value {
    let empty = Person::default();
    let p = p.unwrap_or(&empty);
    let s = |v: &Option<String>| v.clone().unwrap_or_default();
    let mut a = json!({
        "first_name": s(&p.first_name), "last_name": s(&p.last_name), "company": s(&p.company),
        "address_1": s(&p.address1), "address_2": s(&p.address2), "city": s(&p.city),
        "state": s(&p.province_code), "postcode": s(&p.zip), "country": s(&p.country_code), "phone": s(&p.phone),
    });
    if with_email {
        a["email"] = json!(s(&p.email));
    }
    a
}

/// The order as `GET /wp-json/wc/v3/orders/{id}` renders it: amounts as decimal strings in the
/// store's currency, line `subtotal` before and `total` after discounts, both before tax.
pub fn order_json(o: &Order) -> Value {
    let money = |minor: i64| super::store::money_in(minor, &o.currency);
    let lines: Vec<Value> = o
        .lines
        .iter()
        .map(|l| {
            let subtotal = l.price_minor * l.quantity;
            let places = crate::domain::money::exponent(&o.currency).unwrap_or(2);
            json!({
                "id": l.id,
                "name": format!("Sim product {}", l.sku),
                "product_id": l.listing.as_ref().map(|li| li.parent.unwrap_or(li.product_id)).unwrap_or(0),
                "variation_id": l.listing.as_ref().filter(|li| li.parent.is_some()).map_or(0, |li| li.product_id),
                "sku": l.sku,
                "quantity": l.quantity,
                "meta_data": line_meta(o, l),
                "price": l.price_minor as f64 / 10f64.powi(places as i32),
                "subtotal": money(subtotal),
                "subtotal_tax": money(l.tax_minor),
                "total": money(subtotal - l.discount_minor),
                "total_tax": money(l.tax_minor),
            })
        })
        .collect();
    let shipping_lines: Vec<Value> = o
        .whole
        .shipping_line
        .iter()
        .map(|s| {
            json!({ "id": o.id * 10 + 1, "method_title": s.title, "method_id": s.code, "instance_id": "1",
                    "total": money(s.price_minor), "total_tax": money(s.tax_minor), "taxes": [] })
        })
        .collect();
    let mut billing = o.whole.billing_address.clone().unwrap_or_default();
    let customer = o.whole.customer.clone().unwrap_or_default();
    // The checkout's customer fields are the billing address's.
    billing.email = billing.email.or(customer.email);
    billing.phone = billing.phone.or(customer.phone);
    billing.first_name = billing.first_name.or(customer.first_name);
    billing.last_name = billing.last_name.or(customer.last_name);
    json!({
        "id": o.id,
        "number": o.id.to_string(),
        "status": status(o),
        "currency": o.currency,
        "prices_include_tax": false,
        "date_created_gmt": iso_naive(o.created_at),
        "date_modified_gmt": iso_naive(o.updated_at),
        "date_paid_gmt": if o.paid { Some(iso_naive(o.created_at)) } else { None },
        "discount_total": money(o.discount_minor()),
        "discount_tax": money(0),
        "shipping_total": money(o.whole.shipping_minor()),
        "shipping_tax": money(o.whole.shipping_tax_minor()),
        "cart_tax": money(o.tax_minor() - o.whole.shipping_tax_minor()),
        "total": money(o.grand_total_minor()),
        "total_tax": money(o.tax_minor()),
        "customer_id": 0,
        "customer_note": o.whole.note.clone().unwrap_or_default(),
        "billing": address_json(Some(&billing), true),
        "shipping": address_json(o.whole.shipping_address.as_ref(), false),
        "line_items": lines,
        "shipping_lines": shipping_lines,
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

pub(super) fn query_pairs(req: &HttpRequest) -> Vec<(String, String)> {
    url::form_urlencoded::parse(req.query_string().as_bytes()).into_owned().collect()
}

pub(super) fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// The refusal for a request that is not authenticated: WooCommerce's authentication error
/// for wrong credentials, else the endpoint's own `anonymous` (code, message) for a request
/// with none it reads; None when it may go on.
pub(super) fn refusal(
    state: &SimState,
    req: &HttpRequest,
    pairs: &[(String, String)],
    anonymous: (&str, &str),
) -> Option<HttpResponse> {
    match super::woo_auth::check(state, req, pairs) {
        Ok(true) => None,
        Ok(false) => Some(wc_error(StatusCode::UNAUTHORIZED, anonymous.0, anonymous.1)),
        Err(super::woo_auth::Refused(why)) => {
            Some(wc_error(StatusCode::UNAUTHORIZED, "woocommerce_rest_authentication_error", why))
        }
    }
}

pub(super) fn invalid_param(name: &str, why: impl Into<String>) -> HttpResponse {
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
    if let Some(resp) =
        refusal(&state, &req, &pairs, ("woocommerce_rest_cannot_view", "Sorry, you cannot view this resource."))
    {
        return resp;
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
    if let Some(resp) =
        refusal(&state, &req, &pairs, ("woocommerce_rest_cannot_view", "Sorry, you cannot list resources."))
    {
        return resp;
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
                if bounds.is_empty() {
                    return true;
                }
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
        // Whole seconds, as WordPress stores them (`timestamp` drops the fraction); each order's
        // key taken once, not twice a comparison (a page sorts every order since the cursor).
        matched.sort_by_cached_key(|o| match orderby {
            OrderBy::Date => (o.created_at.timestamp(), o.id),
            OrderBy::Modified => (o.updated_at.timestamp(), o.id),
            OrderBy::Id => (0, o.id),
        });
        if desc {
            matched.reverse();
        }
        let body: Vec<Value> = page_of(&matched, page, per_page).map(|o| order_json(o)).collect();
        (matched.len() as u64, body)
    };
    paged(&req, &pairs, page, per_page, total, body)
}

/// `page` and `per_page` (1..=100, default 10) from the query string.
/// `Err` names the bad parameter and why, for `invalid_param`.
pub(super) fn paging(pairs: &[(String, String)]) -> Result<(u64, u64), (&'static str, &'static str)> {
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

/// The items of page `page` (from 1) of `per_page` each.
pub(super) fn page_of<T>(items: &[T], page: u64, per_page: u64) -> impl Iterator<Item = &T> {
    let start = usize::try_from((page - 1).saturating_mul(per_page)).unwrap_or(usize::MAX);
    items.iter().skip(start).take(usize::try_from(per_page).unwrap_or(usize::MAX))
}

/// A page of a collection with `X-WP-Total`, `X-WP-TotalPages` and `Link` headers.
pub(super) fn paged(
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
