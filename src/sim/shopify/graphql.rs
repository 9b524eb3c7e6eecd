//! The GraphQL endpoint (validate, cost, throttle, resolve each root field, answer in the
//! query's shape) and the shop, location and order queries.

use super::*;

pub(super) fn cost_json(requested: i64, actual: Option<i64>, available: f64) -> Value {
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
pub(super) fn gql_error(message: impl Into<String>, code: &str) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "errors": [ { "message": message.into(), "extensions": { "code": code } } ] }))
}

/// A page size argument: absent → `default`; otherwise an integer 0..=250.
pub(super) fn page_size(v: Option<Value>, default: i64, what: &str) -> Result<i64, crate::sim::Refusal> {
    match v {
        None => Ok(default),
        Some(v) => match v.as_i64() {
            Some(n) if (0..=MAX_PAGE).contains(&n) => Ok(n),
            _ => {
                Err(format!("The value of '{what}' must be an integer between 0 and {MAX_PAGE}; received {v}.").into())
            }
        },
    }
}

/// A root field's full answer (every field; the selection cuts it down), or a top-level error.
pub(super) type Resolved = Result<Value, Fault>;

pub(super) async fn graphql(state: web::Data<SimState>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
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
        None | Some(Value::Null) => serde_json::Map::new(),
        Some(Value::Object(v)) => v.clone(),
        Some(_) => return gql_error("Variables must be an object", "BAD_REQUEST"),
    };
    let operation_name = payload.get("operationName").and_then(Value::as_str);
    let prepared = match document::prepare(query, operation_name, &vars) {
        Ok(p) => p,
        Err(errors) => return HttpResponse::Ok().json(json!({ "errors": errors })),
    };
    let requested = match cost::requested(&prepared) {
        Ok(c) => c,
        Err((message, code)) => return gql_error(message, code),
    };
    if let Some(resp) = refusal(&state, requested) {
        return resp;
    }
    let mut data = serde_json::Map::new();
    let mut errors = Vec::new();
    for field in prepared.root_fields() {
        let full = match resolve(&state, &prepared, field) {
            Ok(v) => v,
            Err((message, code)) => return gql_error(message, code),
        };
        let mut answer = shape::project(&prepared, &field.selection_set, &full);
        if !state.customer_data {
            let mut path = vec![json!(field.response_key().as_str())];
            if access::withhold(&prepared, &field.selection_set, &mut answer, &mut path, &mut errors) {
                answer = Value::Null;
            }
        }
        data.insert(field.response_key().to_string(), answer);
    }
    let data = Value::Object(data);
    let actual = cost::actual(&prepared, &data).min(requested);
    respond(&state, requested, actual, data, errors)
}

fn resolve(state: &SimState, p: &Prepared, field: &Field) -> Resolved {
    match field.name.as_str() {
        "shop" => Ok(shop_node(&state.store().currency)),
        "location" => Ok(location(p, field)),
        "locations" => locations(p, field),
        "productVariants" => product_variants(state, p, field),
        "orders" => orders(state, p, field),
        "order" => order(state, p, field),
        "inventorySetQuantities" => inventory_set_quantities(state, p, field),
        "fulfillmentCreate" => fulfillment_create(state, p, field),
        "__typename" => Ok(json!(if p.is_mutation() { "Mutation" } else { "QueryRoot" })),
        other => Err((format!("Field '{other}' is not served by the simulator"), "NOT_IMPLEMENTED")),
    }
}

/// A page size argument, as a fault.
pub(super) fn size_arg(v: Option<Value>, default: i64, what: &str) -> Result<i64, Fault> {
    page_size(v, default, what).map_err(|e| (e.0, "BAD_REQUEST"))
}

/// The refusal for an over-limit or throttled query (nothing charged), if it is refused.
pub(super) fn refusal(state: &SimState, requested: i64) -> Option<HttpResponse> {
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
pub(super) fn respond(state: &SimState, requested: i64, actual: i64, data: Value, errors: Vec<Value>) -> HttpResponse {
    let mut bucket = state.bucket();
    bucket.refill();
    // Unthrottled, the bucket never drains, so clients pacing by it never wait.
    if state.throttle {
        bucket.charge(actual as f64);
    }
    let available = bucket.refill();
    let mut body = json!({ "data": data, "extensions": { "cost": cost_json(requested, Some(actual), available) } });
    if !errors.is_empty() {
        body["errors"] = Value::Array(errors);
    }
    HttpResponse::Ok().json(body)
}

fn location_node(id: u64, name: &str) -> Value {
    json!({ "id": format!("gid://shopify/Location/{id}"), "legacyResourceId": id.to_string(), "name": name,
            "isActive": true, "fulfillsOnlineOrders": true })
}

/// The shop; its currency is the store's (`PUT /_sim/settings {"currency"}`).
fn shop_node(currency: &str) -> Value {
    json!({ "id": "gid://shopify/Shop/1", "name": "Chorus simulated shop", "myshopifyDomain": SHOP_DOMAIN, "currencyCode": currency })
}

/// `locations(first:)` sorted by name as Shopify's default sort does (the primary location is
/// not first here).
pub(super) fn locations(p: &Prepared, field: &Field) -> Resolved {
    let first = size_arg(p.arg(field, "first"), DEFAULT_FIRST, "first")?;
    let mut all: Vec<(u64, &str)> = SHOPIFY_LOCATIONS.to_vec();
    all.sort_by_key(|(_, name)| *name);
    if p.arg(field, "reverse") == Some(json!(true)) {
        all.reverse();
    }
    let nodes: Vec<Value> = all.into_iter().take(first as usize).map(|(id, name)| location_node(id, name)).collect();
    let cursors: Vec<String> = nodes
        .iter()
        .map(|n| base64::engine::general_purpose::STANDARD.encode(n["id"].as_str().unwrap_or_default()))
        .collect();
    let more = SHOPIFY_LOCATIONS.len() > nodes.len();
    Ok(connection(nodes, &cursors, more, false))
}

/// `location(id:)`; without an id, the shop's primary location (null for an unknown id).
pub(super) fn location(p: &Prepared, field: &Field) -> Value {
    let id = match p.arg(field, "id") {
        None => Some(PRIMARY_LOCATION),
        Some(v) => location_number(&v),
    };
    id.and_then(|id| SHOPIFY_LOCATIONS.iter().find(|(l, _)| *l == id))
        .map_or(Value::Null, |(id, name)| location_node(*id, name))
}

/// `order(id:)`: its line items (`first`, `after`), fulfillment orders, fulfillments and refunds.
pub(super) fn order(state: &SimState, p: &Prepared, field: &Field) -> Resolved {
    let id = p.arg(field, "id").and_then(|v| {
        v.as_str().and_then(|s| s.strip_prefix("gid://shopify/Order/")).and_then(|n| n.parse::<u64>().ok())
    });
    let first = size_arg(p.nested_arg(field, "lineItems", "first"), DEFAULT_LINE_ITEMS, "lineItems.first")?;
    let after =
        p.nested_arg(field, "lineItems", "after").and_then(|v| v.as_str().and_then(decode_cursor)).map(|(_, i)| i);
    let store = state.store();
    let Some(o) = store.orders.iter().find(|o| Some(o.id) == id) else { return Ok(Value::Null) };
    let mut node = order_node(o, 0);
    node["lineItems"] = line_items(o, first as usize, after);
    node["fulfillmentOrders"] = crate::sim::shopify_fulfil::fulfillment_orders(o);
    node["fulfillments"] = crate::sim::shopify_fulfil::fulfillments(&store, o.id);
    node["refunds"] = refunds_json(o);
    Ok(node)
}

/// `orders(first:, after:, query:, sortKey:, reverse:)`: a page of the shop's orders.
pub(super) fn orders(state: &SimState, p: &Prepared, field: &Field) -> Resolved {
    let first = size_arg(p.arg(field, "first"), DEFAULT_FIRST, "first")?;
    let line_items = size_arg(p.nested_arg(field, "lineItems", "first"), DEFAULT_LINE_ITEMS, "lineItems.first")?;
    let sort = match p.arg(field, "sortKey").as_ref().and_then(Value::as_str) {
        Some("ID" | "ORDER_NUMBER") => SortKey::Id,
        Some("UPDATED_AT") => SortKey::UpdatedAt,
        Some("CREATED_AT" | "PROCESSED_AT") | None => SortKey::CreatedAt,
        Some(other) => {
            return Err((format!("The simulator does not sort orders by {other}."), "NOT_IMPLEMENTED"));
        }
    };
    let reverse = p.arg(field, "reverse").and_then(|v| v.as_bool()).unwrap_or(false);
    let after = match p.arg(field, "after") {
        None => None,
        Some(v) => match v.as_str().and_then(decode_cursor) {
            Some(k) => Some(k),
            None => return Err(("Invalid cursor for current pagination.".into(), "BAD_REQUEST")),
        },
    };
    let search = p.arg(field, "query").and_then(|v| v.as_str().map(parse_search)).unwrap_or_default();
    let store = state.store();
    let mut matched: Vec<&Order> = store.orders.iter().filter(|o| search.admits(o)).collect();
    matched.sort_by_cached_key(|o| sort_key(o, sort));
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
    Ok(connection(nodes, &cursors, rest.len() > page.len(), after.is_some()))
}
