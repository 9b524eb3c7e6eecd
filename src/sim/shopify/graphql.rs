//! GraphQL plumbing (arguments, the cost throttle, errors) and the order and location queries.

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

/// The text between `field(` and its closing parenthesis, strings respected.
pub(super) fn args_of<'a>(text: &'a str, field: &str) -> Option<&'a str> {
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
pub(super) fn arg(args: &str, name: &str, vars: &Value) -> Option<Value> {
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
    } else if Regex::new(r"\b(locations?|shop)\s*[({]").is_ok_and(|re| re.is_match(selection)) {
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
pub(super) fn respond(state: &SimState, requested: i64, actual: i64, data: Value) -> HttpResponse {
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

fn location_node(id: u64, name: &str) -> Value {
    json!({ "id": format!("gid://shopify/Location/{id}"), "legacyResourceId": id.to_string(), "name": name,
            "isActive": true, "fulfillsOnlineOrders": true })
}

fn shop_node() -> Value {
    json!({ "name": "Chorus simulated shop", "myshopifyDomain": SHOP_DOMAIN, "currencyCode": "GBP" })
}

/// `locations(first:)` sorted by name as Shopify's default sort does (the primary location is
/// not first here), `location(id:)` (without an id: the primary location) and `shop`, in any
/// combination in one query.
pub(super) fn locations(state: &SimState, selection: &str, vars: &Value) -> HttpResponse {
    let listed = args_of(selection, "locations");
    let first = match listed.map(|args| page_size(arg(args, "first", vars), DEFAULT_FIRST, "first")) {
        None => 0,
        Some(Ok(n)) => n,
        Some(Err(e)) => return gql_error(e, "BAD_REQUEST"),
    };
    let single = Regex::new(r"\blocation\s*[({]").is_ok_and(|re| re.is_match(selection));
    let with_shop = Regex::new(r"\bshop\s*\{").is_ok_and(|re| re.is_match(selection));
    let requested = listed.map_or(0, |_| 2 + first) + i64::from(single) + i64::from(with_shop);
    if let Some(resp) = refusal(state, requested) {
        return resp;
    }
    let mut data = json!({});
    let mut actual = i64::from(single) + i64::from(with_shop);
    if listed.is_some() {
        let mut all: Vec<(u64, &str)> = SHOPIFY_LOCATIONS.to_vec();
        all.sort_by_key(|(_, name)| *name);
        let nodes: Vec<Value> =
            all.into_iter().take(first as usize).map(|(id, name)| location_node(id, name)).collect();
        actual += 2 + nodes.len() as i64;
        let cursor = |n: &Value| base64::engine::general_purpose::STANDARD.encode(n["id"].as_str().unwrap_or_default());
        data["locations"] = json!({
            "edges": nodes.iter().map(|n| json!({"node": n, "cursor": cursor(n)})).collect::<Vec<_>>(),
            "pageInfo": { "hasNextPage": false, "hasPreviousPage": false,
                          "endCursor": nodes.last().map(cursor), "startCursor": nodes.first().map(cursor) },
            "nodes": nodes,
        });
    }
    if single {
        let asked = args_of(selection, "location").and_then(|args| arg(args, "id", vars));
        let id = match asked {
            None => Some(PRIMARY_LOCATION),
            Some(v) => v.as_str().and_then(|s| s.strip_prefix("gid://shopify/Location/")).and_then(|n| n.parse().ok()),
        };
        data["location"] = id
            .and_then(|id| SHOPIFY_LOCATIONS.iter().find(|(l, _)| *l == id))
            .map_or(Value::Null, |(id, name)| location_node(*id, name));
    }
    if with_shop {
        data["shop"] = shop_node();
    }
    respond(state, requested, actual, data)
}

/// `order(id:) { lineItems(first:, after:) }`: the rest of a long order's lines.
pub(super) fn order(state: &SimState, selection: &str, vars: &Value) -> HttpResponse {
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
                "fulfillmentOrders": crate::sim::shopify_fulfil::fulfillment_orders(o),
                "fulfillments": crate::sim::shopify_fulfil::fulfillments(&store, o.id),
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

/// `orders(first:, after:, query:, sortKey:)`: a page of the shop's orders.
pub(super) fn orders(state: &SimState, selection: &str, vars: &Value) -> HttpResponse {
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
}
