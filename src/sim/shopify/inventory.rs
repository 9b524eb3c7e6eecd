//! Catalogue and stock: `productVariants`, `inventorySetQuantities` (compare-and-set,
//! `@idempotent`) and `fulfillmentCreate`.

use super::*;

/// A listing as a GraphQL `ProductVariant` node (every field, whatever the selection):
/// `inventoryQuantity` is the total over every location, `inventoryItem.inventoryLevel` the
/// level at the location the query asked for (null where the item is not stocked).
pub(super) fn variant_node(sku: &str, l: &Listing, store: &crate::sim::store::Store, level_at: Option<u64>) -> Value {
    let level = level_at.and_then(|at| store.stock_at(at, sku).map(|q| (at, q))).map_or(Value::Null, |(at, q)| {
        json!({
            "id": format!("gid://shopify/InventoryLevel/{}?inventory_item_id={}", at, l.inventory_item_id),
            "location": { "id": format!("gid://shopify/Location/{at}") },
            "quantities": [ { "name": "available", "quantity": q } ],
        })
    });
    let stock = store.total_stock(sku);
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
            "inventoryLevel": level,
        },
    })
}

pub(super) fn product_variants(state: &SimState, selection: &str, vars: &Value) -> HttpResponse {
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
    let level_at = match args_of(selection, "inventoryLevel") {
        None => None,
        Some(args) => match arg(args, "locationId", vars).and_then(|v| location_number(&v)) {
            Some(at) => Some(at),
            None => return gql_error("inventoryLevel: locationId must be a Location id", "INVALID_VARIABLE"),
        },
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
        let nodes: Vec<Value> = page.iter().map(|(sku, l)| variant_node(sku, l, &store, level_at)).collect();
        let cursors: Vec<String> = page.iter().map(|(_, l)| encode_cursor((0, l.variant_id))).collect();
        (nodes, cursors, rest.len() > page.len())
    };
    let actual = 2 + nodes.len() as i64 * 3;
    let data = json!({ "productVariants": connection(nodes, &cursors, has_next, after.is_some()) });
    respond(state, requested, actual, data)
}

/// The number of a `gid://shopify/Location/N`.
pub(super) fn location_number(v: &Value) -> Option<u64> {
    v.as_str()?.strip_prefix("gid://shopify/Location/")?.parse().ok()
}

/// One entry of `inventorySetQuantities(input: {quantities: [...]})`.
#[derive(Debug)]
pub(super) struct SetQuantity {
    item: String,
    location: String,
    quantity: i64,
    /// `None`: the client opted out of compare-and-set with an explicit `null`.
    compare: Option<i64>,
}

/// The `@idempotent(key: "…")` directive (a literal or a `$variable`), else variable `idempotencyKey`.
pub(super) fn idempotency_key(text: &str, vars: &Value) -> Option<String> {
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
pub(super) fn mutation_input(args: &str, vars: &Value) -> Option<Value> {
    let named = Regex::new(r"\binput\s*:\s*\$(\w+)")
        .ok()
        .and_then(|re| re.captures(args)?.get(1).map(|m| m.as_str().to_string()));
    vars.get(named.as_deref().unwrap_or("input")).filter(|v| v.is_object()).cloned()
}

/// Validates the input's shape; `Err` is a top-level GraphQL error message.
pub(super) fn parse_set_input(input: &Value) -> Result<(String, Vec<SetQuantity>), crate::sim::Refusal> {
    let name = input.get("name").and_then(Value::as_str).ok_or("name is required")?.to_string();
    input.get("reason").and_then(Value::as_str).ok_or("reason is required")?;
    let quantities = input.get("quantities").and_then(Value::as_array).ok_or("quantities is required")?;
    if quantities.len() > MAX_SET_QUANTITIES {
        return Err(format!("quantities: too many (max {MAX_SET_QUANTITIES})").into());
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

pub(super) fn user_error(field: Vec<String>, message: &str, code: &str) -> Value {
    json!({ "field": field, "message": message, "code": code })
}

pub(super) fn inventory_set_quantities(state: &SimState, selection: &str, vars: &Value) -> HttpResponse {
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
            let mut resolved: Vec<(String, u64, i64)> = Vec::with_capacity(quantities.len());
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
                let location =
                    location_number(&json!(q.location)).filter(|at| SHOPIFY_LOCATIONS.iter().any(|(id, _)| id == at));
                let Some(location) = location else {
                    errors.push(user_error(
                        field("locationId"),
                        "The specified location could not be found.",
                        "INVALID_LOCATION",
                    ));
                    continue;
                };
                let Some(current) = store.stock_at(location, &sku) else {
                    errors.push(user_error(
                        field("locationId"),
                        "The specified inventory item is not stocked at the location.",
                        "ITEM_NOT_STOCKED_AT_LOCATION",
                    ));
                    continue;
                };
                if q.compare.is_some_and(|c| c != current) {
                    errors.push(user_error(
                        field("changeFromQuantity"),
                        "The specified compare quantity does not match the current quantity.",
                        "CHANGE_FROM_QUANTITY_STALE",
                    ));
                }
                resolved.push((sku, location, q.quantity));
            }
            let reason = input.get("reason").cloned().unwrap_or(Value::Null);
            let reply = if errors.is_empty() {
                let mut current: std::collections::HashMap<(&str, u64), i64> = std::collections::HashMap::new();
                let changes: Vec<Value> = resolved
                    .iter()
                    .zip(&quantities)
                    .map(|((sku, at, q), sq)| {
                        let before = *current
                            .entry((sku.as_str(), *at))
                            .or_insert_with(|| store.stock_at(*at, sku).unwrap_or(0));
                        current.insert((sku.as_str(), *at), *q);
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
                for (at, _) in SHOPIFY_LOCATIONS {
                    let here: Vec<(String, i64)> =
                        resolved.iter().filter(|(_, l, _)| *l == at).map(|(s, _, q)| (s.clone(), *q)).collect();
                    if !here.is_empty() {
                        store.push_stock_at(at, &here);
                    }
                }
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
pub(super) fn fulfillment_create(state: &SimState, selection: &str, vars: &Value) -> HttpResponse {
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
    let data = crate::sim::shopify_fulfil::create(&mut state.store(), input);
    respond(state, MUTATION_COST, MUTATION_COST, data)
}
