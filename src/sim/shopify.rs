//! The Shopify simulator: Admin GraphQL (`orders`, `locations`, `productVariants`, the
//! `inventorySetQuantities` mutation with compare-and-set and `@idempotent`) with the cost
//! throttle, and order webhooks rendered as Shopify's REST API renders an order, signed with HMAC-SHA256.

use std::cmp::Ordering;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use regex::Regex;
use serde_json::{json, Value};

use super::server::{self, Bucket, SimState};
use super::store::{
    iso_offset, iso_z, money, parse_time, to_second, Kind, Listing, Order, DEFAULT_PRICE_MINOR, LISTING_WEIGHT_KG,
};
use super::webhook::{random_id, sign, Delivery, Event};
use super::{SimHandle, SimOptions};

/// The API version the simulator claims in webhooks.
pub const API_VERSION: &str = "2026-04";
pub const SHOP_DOMAIN: &str = "sim-shop.myshopify.com";
/// The single query cost ceiling.
pub const MAX_COST: i64 = 1000;
const MAX_PAGE: i64 = 250;
const DEFAULT_FIRST: i64 = 50;
const DEFAULT_LINE_ITEMS: i64 = 10;
/// The only location the simulated shop has.
pub const LOCATION_GID: &str = "gid://shopify/Location/1";
/// Most quantities one `inventorySetQuantities` call may carry.
pub const MAX_SET_QUANTITIES: usize = 250;
const MUTATION_COST: i64 = 10;

/// Starts a Shopify simulator on `opts.bind` inside the current actix System.
pub async fn start(opts: SimOptions) -> std::io::Result<SimHandle> {
    server::start(Kind::Shopify, opts, routes).await
}

fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/api/{version}/graphql.json", web::post().to(graphql));
}

/// Shopify's error body for an injected fault's status.
pub fn error_body(status: u16) -> Value {
    match status {
        429 => {
            json!({"errors": "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."})
        }
        401 => json!({"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}),
        404 => json!({"errors": "Not Found"}),
        s if s >= 500 => json!({"errors": "Internal Server Error"}),
        s => json!({"errors": StatusCode::from_u16(s).ok().and_then(|c| c.canonical_reason()).unwrap_or("Error")}),
    }
}

// ---------------------------------------------------------------- rendering

/// `PAID`, `PENDING`, `REFUNDED` (cancelled after payment) or `VOIDED` (cancelled unpaid).
pub fn financial_status(o: &Order) -> &'static str {
    if o.voided {
        return "VOIDED";
    }
    match (o.is_cancelled(), o.paid) {
        (true, true) => "REFUNDED",
        (true, false) => "VOIDED",
        (false, true) if o.fully_refunded() => "REFUNDED",
        (false, true) if !o.refunds.is_empty() => "PARTIALLY_REFUNDED",
        (false, true) => "PAID",
        (false, false) => "PENDING",
    }
}

/// The order's refunds as GraphQL `Refund` objects.
pub fn refunds_json(o: &Order) -> Value {
    Value::Array(
        o.refunds
            .iter()
            .map(|items| {
                let nodes: Vec<Value> = items
                    .iter()
                    .map(|i| json!({
                        "quantity": i.quantity,
                        "restockType": i.restock_type,
                        "restocked": i.restock_type != "NO_RESTOCK",
                        "lineItem": { "id": format!("gid://shopify/LineItem/{}", i.line_id) },
                    }))
                    .collect();
                json!({ "refundLineItems": { "nodes": nodes, "pageInfo": { "hasNextPage": false, "endCursor": null } } })
            })
            .collect(),
    )
}

/// The order's refunds as REST renders them (webhook bodies).
fn rest_refunds(o: &Order) -> Value {
    Value::Array(
        o.refunds
            .iter()
            .map(|items| {
                let lines: Vec<Value> = items
                    .iter()
                    .map(|i| {
                        json!({
                            "line_item_id": i.line_id,
                            "quantity": i.quantity,
                            "restock_type": i.restock_type.to_ascii_lowercase(),
                        })
                    })
                    .collect();
                json!({ "refund_line_items": lines })
            })
            .collect(),
    )
}

pub fn fulfillment_status(o: &Order) -> &'static str {
    let shipped: i64 = o.lines.iter().map(|l| (l.fulfilled - l.refunded_shipped).clamp(0, l.current())).sum();
    let ordered: i64 = o.lines.iter().map(|l| l.current()).sum();
    if shipped == 0 {
        "UNFULFILLED"
    } else if shipped >= ordered {
        "FULFILLED"
    } else {
        "PARTIALLY_FULFILLED"
    }
}

/// A GraphQL connection: nodes, edges with their cursors, and pageInfo.
fn connection(nodes: Vec<Value>, cursors: &[String], has_next: bool, has_previous: bool) -> Value {
    let edges: Vec<Value> = nodes.iter().zip(cursors).map(|(n, c)| json!({"node": n, "cursor": c})).collect();
    json!({
        "nodes": nodes,
        "edges": edges,
        "pageInfo": {
            "hasNextPage": has_next,
            "hasPreviousPage": has_previous,
            "startCursor": cursors.first(),
            "endCursor": cursors.last(),
        },
    })
}

/// The order as a GraphQL `Order` node (every field, whatever the selection).
/// An order's line items as a connection page: `first` lines after line index `after`.
fn line_items(o: &Order, first: usize, after: Option<u64>) -> Value {
    let start = after.map(|a| a as usize + 1).unwrap_or(0).min(o.lines.len());
    let end = (start + first).min(o.lines.len());
    let nodes: Vec<Value> = o.lines[start..end]
        .iter()
        .map(|l| {
            json!({
                "id": format!("gid://shopify/LineItem/{}", l.id),
                "sku": l.sku,
                "quantity": l.quantity,
                "currentQuantity": l.current(),
                "unfulfilledQuantity": o.unfulfilled(l),
                "variant": l.listing.as_ref().map(|li| json!({
                    "id": format!("gid://shopify/ProductVariant/{}", li.variant_id),
                    "inventoryItem": { "id": format!("gid://shopify/InventoryItem/{}", li.inventory_item_id) },
                })),
            })
        })
        .collect();
    let cursors: Vec<String> = (start..end).map(|i| encode_cursor((0, i as u64))).collect();
    connection(nodes, &cursors, end < o.lines.len(), start > 0)
}

/// The order as a GraphQL `Order` node, with its first `line_first` line items.
pub fn order_node(o: &Order, line_first: usize) -> Value {
    json!({
        "id": format!("gid://shopify/Order/{}", o.id),
        "legacyResourceId": o.id.to_string(),
        "name": format!("#{}", 1000 + o.number),
        "createdAt": iso_z(o.created_at),
        "updatedAt": iso_z(o.updated_at),
        "cancelledAt": o.cancelled_at.map(iso_z),
        "displayFinancialStatus": financial_status(o),
        "displayFulfillmentStatus": fulfillment_status(o),
        "lineItems": line_items(o, line_first, None),
    })
}

/// `order(id:) { lineItems(first:, after:) }`: the rest of a long order's lines.
fn order(state: &SimState, selection: &str, vars: &Value) -> HttpResponse {
    let args = args_of(selection, "order").unwrap_or("");
    let id = arg(args, "id", vars)
        .and_then(|v| v.as_str().and_then(|s| s.rsplit('/').next()).and_then(|n| n.parse::<u64>().ok()));
    let lines_args = args_of(selection, "lineItems").unwrap_or("");
    let first = match page_size(arg(lines_args, "first", vars), DEFAULT_LINE_ITEMS, "lineItems.first") {
        Ok(n) => n,
        Err(e) => return gql_error(e, "BAD_REQUEST"),
    };
    let after = arg(lines_args, "after", vars).and_then(|v| v.as_str().and_then(decode_cursor)).map(|(_, i)| i);
    // Refunds: a list of `first` refunds, each with a connection of refunded lines.
    let requested = match args_of(selection, "refunds") {
        None => 3 + first,
        Some(refund_args) => {
            let refunds = arg(refund_args, "first", vars).and_then(|v| v.as_i64()).unwrap_or(10);
            let items = args_of(selection, "refundLineItems")
                .and_then(|a| arg(a, "first", vars))
                .and_then(|v| v.as_i64())
                .unwrap_or(DEFAULT_LINE_ITEMS);
            2 + refunds * (3 + items * 2)
        }
    };
    if let Some(resp) = refusal(state, requested) {
        return resp;
    }
    let (node, actual) = {
        let store = state.store();
        let order = store.orders.iter().find(|o| Some(o.id) == id);
        let node = order.map(|o| {
            json!({
                "id": format!("gid://shopify/Order/{}", o.id),
                "lineItems": line_items(o, first as usize, after),
                "fulfillmentOrders": super::shopify_fulfil::fulfillment_orders(o),
                "fulfillments": super::shopify_fulfil::fulfillments(&store, o.id),
                "refunds": refunds_json(o),
            })
        });
        // Shopify charges what the answer holds, not what was asked for: refunds that are not
        // there cost nothing.
        let actual = match (args_of(selection, "refunds"), order) {
            (Some(_), Some(o)) => 2 + o.refunds.iter().map(|r| 3 + 2 * r.len() as i64).sum::<i64>(),
            (Some(_), None) => 2,
            (None, _) => requested,
        };
        (node, actual.min(requested))
    };
    respond(state, requested, actual, json!({ "order": node }))
}

/// The order as Shopify's REST API renders it (webhook bodies).
pub fn rest_order(o: &Order) -> Value {
    let lines: Vec<Value> = o
        .lines
        .iter()
        .map(|l| {
            json!({
                "id": l.id,
                "admin_graphql_api_id": format!("gid://shopify/LineItem/{}", l.id),
                "sku": l.sku,
                "quantity": l.quantity,
                "current_quantity": l.current(),
                "fulfillable_quantity": o.unfulfilled(l),
                "price": super::store::money(l.price_minor),
                "variant_id": l.listing.as_ref().map(|li| li.variant_id),
                "product_id": l.listing.as_ref().map(|li| li.product_id),
            })
        })
        .collect();
    json!({
        "id": o.id,
        "admin_graphql_api_id": format!("gid://shopify/Order/{}", o.id),
        "name": format!("#{}", 1000 + o.number),
        "order_number": 1000 + o.number,
        "currency": "GBP",
        "total_price": super::store::money(o.total_minor()),
        "financial_status": financial_status(o).to_ascii_lowercase(),
        "fulfillment_status": match fulfillment_status(o) {
            "FULFILLED" => Some("fulfilled"),
            "PARTIALLY_FULFILLED" => Some("partial"),
            _ => None,
        },
        "cancelled_at": o.cancelled_at.map(iso_offset),
        "cancel_reason": o.cancelled_at.map(|_| "customer"),
        "created_at": iso_offset(o.created_at),
        "updated_at": iso_offset(o.updated_at),
        "line_items": lines,
        "refunds": rest_refunds(o),
    })
}

/// The webhooks Shopify sends for an order event: the specific topic, then `orders/updated`.
pub fn webhooks(state: &SimState, o: &Order, event: Event) -> Vec<Delivery> {
    let topics: &[&str] = match event {
        Event::Created => &["orders/create"],
        Event::Paid => &["orders/paid", "orders/updated"],
        Event::Cancelled => &["orders/cancelled", "orders/updated"],
        Event::Updated => &["orders/updated"],
    };
    let body = match serde_json::to_vec(&rest_order(o)) {
        Ok(b) => b,
        Err(_) => return Vec::new(),
    };
    topics
        .iter()
        .map(|topic| {
            let mut headers = vec![
                ("X-Shopify-Topic".to_string(), topic.to_string()),
                ("X-Shopify-Webhook-Id".to_string(), random_id()),
                ("X-Shopify-Event-Id".to_string(), random_id()),
                ("X-Shopify-Shop-Domain".to_string(), SHOP_DOMAIN.to_string()),
                ("X-Shopify-API-Version".to_string(), API_VERSION.to_string()),
                ("X-Shopify-Triggered-At".to_string(), Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)),
            ];
            if let Some(secret) = state.webhook_secret() {
                headers.push(("X-Shopify-Hmac-Sha256".to_string(), sign(secret, &body)));
            }
            Delivery { body: body.clone(), headers }
        })
        .collect()
}

// ---------------------------------------------------------------- GraphQL plumbing

fn cost_json(requested: i64, actual: Option<i64>, available: f64) -> Value {
    json!({
        "requestedQueryCost": requested,
        "actualQueryCost": actual,
        "throttleStatus": {
            "maximumAvailable": Bucket::MAXIMUM,
            "currentlyAvailable": available.floor(),
            "restoreRate": Bucket::RESTORE_RATE,
        }
    })
}

/// HTTP 200 with `errors` and no `data`, as GraphQL reports failures.
fn gql_error(message: impl Into<String>, code: &str) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "errors": [ { "message": message.into(), "extensions": { "code": code } } ] }))
}

/// The text between `field(` and its closing parenthesis, strings respected.
fn args_of<'a>(text: &'a str, field: &str) -> Option<&'a str> {
    let re = Regex::new(&format!(r"\b{}\s*\(", regex::escape(field))).ok()?;
    let m = re.find(text)?;
    let rest = &text[m.end()..];
    let (mut in_str, mut esc) = (false, false);
    for (i, c) in rest.char_indices() {
        if in_str {
            match c {
                _ if esc => esc = false,
                '\\' => esc = true,
                '"' => in_str = false,
                _ => {}
            }
        } else if c == '"' {
            in_str = true;
        } else if c == ')' {
            return Some(&rest[..i]);
        }
    }
    None
}

/// An argument's value: a `$variable` (looked up), a string, number, boolean or enum literal.
fn arg(args: &str, name: &str, vars: &Value) -> Option<Value> {
    let re = Regex::new(&format!(r#"\b{}\s*:\s*(\$\w+|"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?|\w+)"#, regex::escape(name)))
        .ok()?;
    let raw = re.captures(args)?.get(1)?.as_str();
    if let Some(var) = raw.strip_prefix('$') {
        return vars.get(var).filter(|v| !v.is_null()).cloned();
    }
    if raw.starts_with('"') {
        return serde_json::from_str(raw).ok();
    }
    if let Ok(n) = raw.parse::<i64>() {
        return Some(json!(n));
    }
    match raw {
        "true" => Some(json!(true)),
        "false" => Some(json!(false)),
        "null" => None,
        other => Some(json!(other)),
    }
}

/// A page size argument: absent → `default`; otherwise an integer 0..=250.
fn page_size(v: Option<Value>, default: i64, what: &str) -> Result<i64, String> {
    match v {
        None => Ok(default),
        Some(v) => match v.as_i64() {
            Some(n) if (0..=MAX_PAGE).contains(&n) => Ok(n),
            _ => Err(format!("The value of '{what}' must be an integer between 0 and {MAX_PAGE}; received {v}.")),
        },
    }
}

async fn graphql(state: web::Data<SimState>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    if let Some(resp) = state.api_gate().await {
        return resp;
    }
    if let Some(token) = &state.token {
        let given = req.headers().get("X-Shopify-Access-Token").and_then(|v| v.to_str().ok());
        if given != Some(token.as_str()) {
            return HttpResponse::Unauthorized().json(error_body(401));
        }
    }
    let bad = || HttpResponse::BadRequest().json(json!({"errors": {"query": "Required parameter missing or invalid"}}));
    let Ok(payload) = serde_json::from_slice::<Value>(&body) else { return bad() };
    let Some(query) = payload.get("query").and_then(Value::as_str) else { return bad() };
    let vars = match payload.get("variables") {
        None | Some(Value::Null) => json!({}),
        Some(v @ Value::Object(_)) => v.clone(),
        Some(_) => return gql_error("Variables must be an object", "BAD_REQUEST"),
    };
    // The selection set starts at the first brace; what precedes it is the operation header.
    let selection = query.find('{').map(|i| &query[i..]).unwrap_or("");
    if args_of(selection, "inventorySetQuantities").is_some() {
        inventory_set_quantities(&state, selection, &vars)
    } else if args_of(selection, "fulfillmentCreate").is_some() {
        fulfillment_create(&state, selection, &vars)
    } else if args_of(selection, "productVariants").is_some() {
        product_variants(&state, selection, &vars)
    } else if args_of(selection, "orders").is_some() {
        orders(&state, selection, &vars)
    } else if args_of(selection, "order").is_some() {
        order(&state, selection, &vars)
    } else if args_of(selection, "locations").is_some() {
        locations(&state, selection, &vars)
    } else {
        let field: String = selection
            .trim_start_matches('{')
            .trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let root = if query.trim_start().starts_with("mutation") { "Mutation" } else { "QueryRoot" };
        HttpResponse::Ok().json(json!({ "errors": [ {
            "message": format!("Field '{field}' doesn't exist on type '{root}'"),
            "extensions": { "code": "undefinedField", "typeName": root, "fieldName": field },
        } ] }))
    }
}

/// The refusal for an over-limit or throttled query (nothing charged), if it is refused.
fn refusal(state: &SimState, requested: i64) -> Option<HttpResponse> {
    let mut bucket = state.bucket();
    let available = bucket.refill();
    if requested > MAX_COST {
        return Some(HttpResponse::Ok().json(json!({
            "errors": [ {
                "message": format!("Query cost is {requested}, which exceeds the single query max cost limit ({MAX_COST})."),
                "extensions": { "code": "MAX_COST_EXCEEDED", "cost": requested, "maxCost": MAX_COST },
            } ],
            "extensions": { "cost": cost_json(requested, None, available) },
        })));
    }
    if state.throttle && requested as f64 > available {
        let cost = cost_json(requested, None, available);
        return Some(HttpResponse::Ok().json(json!({
            "errors": [ { "message": "Throttled", "extensions": { "code": "THROTTLED", "cost": cost.clone() } } ],
            "extensions": { "cost": cost },
        })));
    }
    None
}

/// Charges the actual cost and renders `data` with the cost extension.
fn respond(state: &SimState, requested: i64, actual: i64, data: Value) -> HttpResponse {
    let mut bucket = state.bucket();
    bucket.refill();
    // Unthrottled, the bucket never drains, so clients pacing by it never wait.
    if state.throttle {
        bucket.charge(actual as f64);
    }
    let available = bucket.refill();
    HttpResponse::Ok()
        .json(json!({ "data": data, "extensions": { "cost": cost_json(requested, Some(actual), available) } }))
}

fn locations(state: &SimState, selection: &str, vars: &Value) -> HttpResponse {
    let args = args_of(selection, "locations").unwrap_or("");
    let first = match page_size(arg(args, "first", vars), DEFAULT_FIRST, "first") {
        Ok(n) => n,
        Err(e) => return gql_error(e, "BAD_REQUEST"),
    };
    let requested = 2 + first;
    if let Some(resp) = refusal(state, requested) {
        return resp;
    }
    // `shop { … }` may ride along in the same query, as GraphQL allows.
    let with_shop = Regex::new(r"\bshop\s*\{").is_ok_and(|re| re.is_match(selection));
    let nodes: Vec<Value> = [json!({"id": "gid://shopify/Location/1", "name": "Main warehouse", "isActive": true})]
        .into_iter()
        .take(first as usize)
        .collect();
    let actual = 2 + nodes.len() as i64;
    let mut data = json!({ "locations": {
        "nodes": nodes,
        "edges": nodes.iter().map(|n| json!({"node": n, "cursor": "bG9jYXRpb246MQ"})).collect::<Vec<_>>(),
        "pageInfo": { "hasNextPage": false, "hasPreviousPage": false, "endCursor": nodes.first().map(|_| "bG9jYXRpb246MQ"), "startCursor": nodes.first().map(|_| "bG9jYXRpb246MQ") },
    } });
    if with_shop {
        data["shop"] =
            json!({ "name": "Chorus simulated shop", "myshopifyDomain": SHOP_DOMAIN, "currencyCode": "GBP" });
    }
    respond(state, requested + i64::from(with_shop), actual + i64::from(with_shop), data)
}

// ---------------------------------------------------------------- catalogue and stock

/// A listing as a GraphQL `ProductVariant` node (every field, whatever the selection).
fn variant_node(sku: &str, l: &Listing, stock: i64) -> Value {
    json!({
        "id": format!("gid://shopify/ProductVariant/{}", l.variant_id),
        "legacyResourceId": l.variant_id.to_string(),
        "sku": sku,
        "price": money(DEFAULT_PRICE_MINOR),
        "inventoryQuantity": stock,
        "product": { "id": format!("gid://shopify/Product/{}", l.product_id), "title": format!("Sim product {sku}") },
        "inventoryItem": {
            "id": format!("gid://shopify/InventoryItem/{}", l.inventory_item_id),
            "tracked": true,
            "harmonizedSystemCode": l.hs_code(),
            "countryCodeOfOrigin": l.country_of_origin(),
            "measurement": { "weight": { "value": LISTING_WEIGHT_KG, "unit": "KILOGRAMS" } },
        },
    })
}

fn product_variants(state: &SimState, selection: &str, vars: &Value) -> HttpResponse {
    let args = args_of(selection, "productVariants").unwrap_or("");
    let first = match page_size(arg(args, "first", vars), DEFAULT_FIRST, "first") {
        Ok(n) => n,
        Err(e) => return gql_error(e, "BAD_REQUEST"),
    };
    let requested = 2 + first * 3;
    if let Some(resp) = refusal(state, requested) {
        return resp;
    }
    let after = match arg(args, "after", vars) {
        None => None,
        Some(v) => match v.as_str().and_then(decode_cursor) {
            Some((_, id)) => Some(id),
            None => return gql_error("Invalid cursor for current pagination.", "BAD_REQUEST"),
        },
    };
    let wanted = match arg(args, "query", vars) {
        None | Some(Value::Null) => None,
        Some(Value::String(q)) => Some(sku_terms(&q)),
        Some(_) => return gql_error("query must be a string", "BAD_REQUEST"),
    };
    let (nodes, cursors, has_next) = {
        let store = state.store();
        let mut listed: Vec<(&String, &Listing)> = store
            .listings
            .iter()
            .filter(|(sku, _)| wanted.as_ref().is_none_or(|w| w.iter().any(|x| x == *sku)))
            .collect();
        listed.sort_by_key(|(_, l)| l.variant_id);
        let rest: Vec<(&String, &Listing)> =
            listed.into_iter().filter(|(_, l)| after.is_none_or(|a| l.variant_id > a)).collect();
        let page = &rest[..rest.len().min(first as usize)];
        let nodes: Vec<Value> = page.iter().map(|(sku, l)| variant_node(sku, l, store.stock_of(sku))).collect();
        let cursors: Vec<String> = page.iter().map(|(_, l)| encode_cursor((0, l.variant_id))).collect();
        (nodes, cursors, rest.len() > page.len())
    };
    let actual = 2 + nodes.len() as i64 * 3;
    let data = json!({ "productVariants": connection(nodes, &cursors, has_next, after.is_some()) });
    respond(state, requested, actual, data)
}

/// The SKUs a `productVariants` search names: `sku:X` terms (quoted or bare) joined by OR.
fn sku_terms(q: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = q;
    while let Some(at) = rest.find("sku:") {
        rest = &rest[at + 4..];
        if let Some(quoted) = rest.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = quoted.char_indices();
            let mut end = quoted.len();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, n)) = chars.next() {
                            value.push(n);
                        }
                    }
                    '"' => {
                        end = i + 1;
                        break;
                    }
                    c => value.push(c),
                }
            }
            out.push(value);
            rest = &quoted[end.min(quoted.len())..];
        } else {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            out.push(rest[..end].to_string());
            rest = &rest[end..];
        }
    }
    out
}

/// One entry of `inventorySetQuantities(input: {quantities: [...]})`.
#[derive(Debug)]
struct SetQuantity {
    item: String,
    location: String,
    quantity: i64,
    /// `None`: the client opted out of compare-and-set with an explicit `null`.
    compare: Option<i64>,
}

/// The `@idempotent(key: "…")` directive (a literal or a `$variable`), else variable `idempotencyKey`.
fn idempotency_key(text: &str, vars: &Value) -> Option<String> {
    let re = Regex::new(r#"@idempotent\s*\(\s*key\s*:\s*("(?:[^"\\]|\\.)*"|\$\w+)\s*\)"#).ok()?;
    if let Some(raw) = re.captures(text).and_then(|c| c.get(1)).map(|m| m.as_str()) {
        return match raw.strip_prefix('$') {
            Some(var) => vars.get(var).and_then(Value::as_str).map(str::to_string),
            None => serde_json::from_str::<String>(raw).ok(),
        };
    }
    vars.get("idempotencyKey").and_then(Value::as_str).map(str::to_string)
}

/// The mutation's `input`, which the simulator reads from a variable (`input: $name`).
fn mutation_input(args: &str, vars: &Value) -> Option<Value> {
    let named = Regex::new(r"\binput\s*:\s*\$(\w+)")
        .ok()
        .and_then(|re| re.captures(args)?.get(1).map(|m| m.as_str().to_string()));
    vars.get(named.as_deref().unwrap_or("input")).filter(|v| v.is_object()).cloned()
}

/// Validates the input's shape; `Err` is a top-level GraphQL error message.
fn parse_set_input(input: &Value) -> Result<(String, Vec<SetQuantity>), String> {
    let name = input.get("name").and_then(Value::as_str).ok_or("name is required")?.to_string();
    input.get("reason").and_then(Value::as_str).ok_or("reason is required")?;
    let quantities = input.get("quantities").and_then(Value::as_array).ok_or("quantities is required")?;
    if quantities.len() > MAX_SET_QUANTITIES {
        return Err(format!("quantities: too many (max {MAX_SET_QUANTITIES})"));
    }
    let mut out = Vec::with_capacity(quantities.len());
    for q in quantities {
        let item = q.get("inventoryItemId").and_then(Value::as_str).ok_or("inventoryItemId is required")?;
        let location = q.get("locationId").and_then(Value::as_str).ok_or("locationId is required")?;
        let quantity = q.get("quantity").and_then(Value::as_i64).ok_or("quantity must be an integer")?;
        let compare = match q.get("changeFromQuantity") {
            None => return Err("changeFromQuantity is required".into()),
            Some(Value::Null) => None,
            Some(v) => Some(v.as_i64().ok_or("changeFromQuantity must be an integer or null")?),
        };
        out.push(SetQuantity { item: item.to_string(), location: location.to_string(), quantity, compare });
    }
    Ok((name, out))
}

fn user_error(field: Vec<String>, message: &str, code: &str) -> Value {
    json!({ "field": field, "message": message, "code": code })
}

fn inventory_set_quantities(state: &SimState, selection: &str, vars: &Value) -> HttpResponse {
    let args = args_of(selection, "inventorySetQuantities").unwrap_or("");
    let Some(input) = mutation_input(args, vars) else {
        return gql_error("input is required (pass it as a variable)", "INVALID_VARIABLE");
    };
    let (name, quantities) = match parse_set_input(&input) {
        Ok(x) => x,
        Err(e) => return gql_error(e, "INVALID_VARIABLE"),
    };
    let Some(key) = idempotency_key(selection, vars) else {
        return gql_error("The @idempotent directive with a key is required for this mutation.", "BAD_REQUEST");
    };
    if let Some(resp) = refusal(state, MUTATION_COST) {
        return resp;
    }
    let data = {
        let mut store = state.store();
        if let Some((seen, reply)) = store.idempotency.get(&key) {
            if *seen != input {
                return gql_error(
                    "The same idempotency key was used with different parameters.",
                    "IDEMPOTENCY_KEY_PARAMETER_MISMATCH",
                );
            }
            reply.clone()
        } else {
            let mut errors = Vec::new();
            if name != "available" {
                errors.push(user_error(
                    vec!["input".into(), "name".into()],
                    "The quantity name must be available.",
                    "INVALID_NAME",
                ));
            }
            let mut resolved: Vec<(String, i64)> = Vec::with_capacity(quantities.len());
            for (i, q) in quantities.iter().enumerate() {
                let field = |f: &str| vec!["input".to_string(), "quantities".into(), i.to_string(), f.into()];
                let sku = q
                    .item
                    .strip_prefix("gid://shopify/InventoryItem/")
                    .and_then(|n| n.parse::<u64>().ok())
                    .and_then(|id| store.sku_by_inventory_item(id));
                let Some(sku) = sku else {
                    errors.push(user_error(
                        field("inventoryItemId"),
                        "The specified inventory item could not be found.",
                        "INVALID_INVENTORY_ITEM",
                    ));
                    continue;
                };
                if q.location != LOCATION_GID {
                    errors.push(user_error(
                        field("locationId"),
                        "The specified location could not be found.",
                        "INVALID_LOCATION",
                    ));
                    continue;
                }
                if q.compare.is_some_and(|c| c != store.stock_of(&sku)) {
                    errors.push(user_error(
                        field("changeFromQuantity"),
                        "The specified compare quantity does not match the current quantity.",
                        "CHANGE_FROM_QUANTITY_STALE",
                    ));
                }
                resolved.push((sku, q.quantity));
            }
            let reason = input.get("reason").cloned().unwrap_or(Value::Null);
            let reply = if errors.is_empty() {
                let mut current: std::collections::HashMap<&str, i64> = std::collections::HashMap::new();
                let changes: Vec<Value> = resolved
                    .iter()
                    .zip(&quantities)
                    .map(|((sku, q), sq)| {
                        let before = *current.entry(sku.as_str()).or_insert_with(|| store.stock_of(sku));
                        current.insert(sku.as_str(), *q);
                        json!({
                            "name": "available",
                            "delta": q.saturating_sub(before),
                            "quantityAfterChange": q,
                            "item": { "id": sq.item },
                            "location": { "id": sq.location },
                        })
                    })
                    .collect();
                let created_at = iso_z(store.clock.tick());
                store.push_stock(&resolved);
                json!({ "inventorySetQuantities": {
                    "inventoryAdjustmentGroup": {
                        "createdAt": created_at,
                        "reason": reason,
                        "referenceDocumentUri": input.get("referenceDocumentUri").cloned().unwrap_or(Value::Null),
                        "changes": changes,
                    },
                    "userErrors": [],
                } })
            } else {
                json!({ "inventorySetQuantities": { "inventoryAdjustmentGroup": null, "userErrors": errors } })
            };
            store.idempotency.insert(key, (input.clone(), reply.clone()));
            reply
        }
    };
    respond(state, MUTATION_COST, MUTATION_COST, data)
}

/// `fulfillmentCreate(fulfillment: $var)`.
fn fulfillment_create(state: &SimState, selection: &str, vars: &Value) -> HttpResponse {
    let args = args_of(selection, "fulfillmentCreate").unwrap_or("");
    let name = Regex::new(r"\bfulfillment\s*:\s*\$(\w+)")
        .ok()
        .and_then(|re| re.captures(args)?.get(1).map(|m| m.as_str().to_string()))
        .unwrap_or_else(|| "fulfillment".into());
    let Some(input) = vars.get(&name).filter(|v| v.is_object()) else {
        return gql_error("fulfillment is required (pass it as a variable)", "INVALID_VARIABLE");
    };
    if let Some(resp) = refusal(state, MUTATION_COST) {
        return resp;
    }
    let data = super::shopify_fulfil::create(&mut state.store(), input);
    respond(state, MUTATION_COST, MUTATION_COST, data)
}

// ---------------------------------------------------------------- orders

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SortKey {
    Id,
    UpdatedAt,
    CreatedAt,
}

#[derive(Clone, Copy, Debug)]
enum Cmp {
    Gt,
    Ge,
    Lt,
    Le,
    Eq,
}

impl Cmp {
    fn holds(self, o: Ordering) -> bool {
        match self {
            Cmp::Gt => o == Ordering::Greater,
            Cmp::Ge => o != Ordering::Less,
            Cmp::Lt => o == Ordering::Less,
            Cmp::Le => o != Ordering::Greater,
            Cmp::Eq => o == Ordering::Equal,
        }
    }
}

/// The parts of Shopify's search syntax the simulator understands; other terms are ignored.
#[derive(Debug, Default)]
struct Search {
    updated: Vec<(Cmp, DateTime<Utc>)>,
    created: Vec<(Cmp, DateTime<Utc>)>,
    financial: Option<String>,
    fulfillment: Option<String>,
    status: Option<String>,
}

fn tokens(q: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    for c in q.chars() {
        match quote {
            Some(qc) if c == qc => {
                quote = None;
                cur.push(c);
            }
            Some(_) => cur.push(c),
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                cur.push(c);
            }
            None if c.is_whitespace() => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            None => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn parse_search(q: &str) -> Search {
    let mut s = Search::default();
    for tok in tokens(q) {
        let Some((key, value)) = tok.split_once(':') else { continue };
        let (cmp, value) = if let Some(v) = value.strip_prefix(">=") {
            (Cmp::Ge, v)
        } else if let Some(v) = value.strip_prefix("<=") {
            (Cmp::Le, v)
        } else if let Some(v) = value.strip_prefix('>') {
            (Cmp::Gt, v)
        } else if let Some(v) = value.strip_prefix('<') {
            (Cmp::Lt, v)
        } else {
            (Cmp::Eq, value)
        };
        let value = value.trim_matches(|c| c == '\'' || c == '"');
        match key.to_ascii_lowercase().as_str() {
            "updated_at" => s.updated.extend(parse_time(value).map(|t| (cmp, t))),
            "created_at" => s.created.extend(parse_time(value).map(|t| (cmp, t))),
            "financial_status" => s.financial = Some(value.to_ascii_uppercase()),
            "fulfillment_status" => s.fulfillment = Some(value.to_ascii_lowercase()),
            "status" => s.status = Some(value.to_ascii_lowercase()),
            _ => {}
        }
    }
    s
}

impl Search {
    fn admits(&self, o: &Order) -> bool {
        let updated = to_second(o.updated_at);
        let created = to_second(o.created_at);
        if !self.updated.iter().all(|(c, t)| c.holds(updated.cmp(t))) {
            return false;
        }
        if !self.created.iter().all(|(c, t)| c.holds(created.cmp(t))) {
            return false;
        }
        if let Some(f) = &self.financial {
            if f != "ANY" && financial_status(o) != f {
                return false;
            }
        }
        if let Some(f) = &self.fulfillment {
            let want = match f.as_str() {
                "unfulfilled" | "unshipped" => "UNFULFILLED",
                "fulfilled" | "shipped" => "FULFILLED",
                "partial" => "PARTIALLY_FULFILLED",
                _ => "",
            };
            if !want.is_empty() && fulfillment_status(o) != want {
                return false;
            }
        }
        match self.status.as_deref() {
            Some("open") => !o.is_cancelled(),
            Some("cancelled") => o.is_cancelled(),
            _ => true,
        }
    }
}

fn sort_key(o: &Order, key: SortKey) -> (i64, u64) {
    match key {
        SortKey::Id => (0, o.id),
        SortKey::UpdatedAt => (to_second(o.updated_at).timestamp(), o.id),
        SortKey::CreatedAt => (to_second(o.created_at).timestamp(), o.id),
    }
}

fn encode_cursor(k: (i64, u64)) -> String {
    base64::engine::general_purpose::STANDARD.encode(json!({"last_id": k.1, "last_value": k.0}).to_string())
}

fn decode_cursor(c: &str) -> Option<(i64, u64)> {
    let raw = base64::engine::general_purpose::STANDARD.decode(c).ok()?;
    let v: Value = serde_json::from_slice(&raw).ok()?;
    Some((v.get("last_value")?.as_i64()?, v.get("last_id")?.as_u64()?))
}

fn orders(state: &SimState, selection: &str, vars: &Value) -> HttpResponse {
    let args = args_of(selection, "orders").unwrap_or("");
    let first = match page_size(
        arg(args, "first", vars).or_else(|| vars.get("first").filter(|v| !v.is_null()).cloned()),
        DEFAULT_FIRST,
        "first",
    ) {
        Ok(n) => n,
        Err(e) => return gql_error(e, "BAD_REQUEST"),
    };
    let line_items = args_of(selection, "lineItems")
        .map(|a| page_size(arg(a, "first", vars), DEFAULT_LINE_ITEMS, "lineItems.first"))
        .unwrap_or(Ok(DEFAULT_LINE_ITEMS));
    let line_items = match line_items {
        Ok(n) => n,
        Err(e) => return gql_error(e, "BAD_REQUEST"),
    };
    let requested = 2 + first * (2 + line_items);
    if let Some(resp) = refusal(state, requested) {
        return resp;
    }
    let sort = match arg(args, "sortKey", vars).as_ref().map(|v| v.as_str()) {
        None => SortKey::Id,
        Some(Some("ID" | "ORDER_NUMBER")) => SortKey::Id,
        Some(Some("UPDATED_AT")) => SortKey::UpdatedAt,
        Some(Some("CREATED_AT" | "PROCESSED_AT")) => SortKey::CreatedAt,
        Some(other) => {
            return gql_error(
                format!("Argument 'sortKey' on Field 'orders' has an invalid value ({other:?})."),
                "argumentLiteralsIncompatible",
            )
        }
    };
    let reverse = arg(args, "reverse", vars).and_then(|v| v.as_bool()).unwrap_or(false);
    let after = match arg(args, "after", vars) {
        None => None,
        Some(v) => match v.as_str().and_then(decode_cursor) {
            Some(k) => Some(k),
            None => return gql_error("Invalid cursor for current pagination.", "BAD_REQUEST"),
        },
    };
    let search = arg(args, "query", vars).and_then(|v| v.as_str().map(parse_search)).unwrap_or_default();

    let (nodes, cursors, has_next) = {
        let store = state.store();
        let mut matched: Vec<&Order> = store.orders.iter().filter(|o| search.admits(o)).collect();
        matched.sort_by_key(|o| sort_key(o, sort));
        if reverse {
            matched.reverse();
        }
        let rest: Vec<&Order> = matched
            .into_iter()
            .filter(|o| match after {
                None => true,
                Some(c) if reverse => sort_key(o, sort) < c,
                Some(c) => sort_key(o, sort) > c,
            })
            .collect();
        let page = &rest[..rest.len().min(first as usize)];
        let nodes: Vec<Value> = page.iter().map(|o| order_node(o, line_items as usize)).collect();
        let cursors: Vec<String> = page.iter().map(|o| encode_cursor(sort_key(o, sort))).collect();
        (nodes, cursors, rest.len() > page.len())
    };
    let actual = 2 + nodes.len() as i64 * (2 + line_items);
    let data = json!({ "orders": connection(nodes, &cursors, has_next, after.is_some()) });
    respond(state, requested, actual, data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_arguments_in_literals_and_variables() {
        let q = r#"{ orders(first: $n, query: "updated_at:>'2026-01-01T00:00:00Z' (x)", sortKey: UPDATED_AT) { nodes { lineItems(first: 5) { nodes { id } } } } }"#;
        let vars = json!({"n": 20});
        let args = args_of(q, "orders").unwrap();
        assert_eq!(arg(args, "first", &vars), Some(json!(20)));
        assert_eq!(arg(args, "sortKey", &vars), Some(json!("UPDATED_AT")));
        assert_eq!(arg(args, "query", &vars), Some(json!("updated_at:>'2026-01-01T00:00:00Z' (x)")));
        assert_eq!(arg(args_of(q, "lineItems").unwrap(), "first", &vars), Some(json!(5)));
        assert_eq!(arg(args, "after", &vars), None);
    }

    #[test]
    fn parses_search_terms() {
        let s = parse_search(
            "updated_at:>='2026-01-01T00:00:00Z' financial_status:paid fulfillment_status:unfulfilled bogus:1",
        );
        assert_eq!(s.updated.len(), 1);
        assert_eq!(s.financial.as_deref(), Some("PAID"));
        assert_eq!(s.fulfillment.as_deref(), Some("unfulfilled"));
        let s = parse_search("updated_at:>2026-01-01T00:00:00Z");
        assert!(matches!(s.updated[0].0, Cmp::Gt));
    }

    #[test]
    fn reads_sku_searches() {
        assert_eq!(sku_terms(r#"sku:"A" OR sku:"B \"x\"" OR sku:C"#), vec!["A", "B \"x\"", "C"]);
    }

    #[test]
    fn cursors_round_trip() {
        assert_eq!(decode_cursor(&encode_cursor((1_700_000_000, 42))), Some((1_700_000_000, 42)));
        assert_eq!(decode_cursor("not a cursor"), None);
    }
}
