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
        "price": crate::sim::store::money_in(DEFAULT_PRICE_MINOR, &store.currency),
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

/// `productVariants(first:, after:, query:)` with each variant's level at the location its
/// `inventoryLevel(locationId:)` names.
pub(super) fn product_variants(state: &SimState, p: &Prepared, field: &Field) -> Resolved {
    let first = size_arg(p.arg(field, "first"), DEFAULT_FIRST, "first")?;
    let after = match p.arg(field, "after") {
        None => None,
        Some(v) => match v.as_str().and_then(decode_cursor) {
            Some((_, id)) => Some(id),
            None => return Err(("Invalid cursor for current pagination.".into(), "BAD_REQUEST")),
        },
    };
    let wanted = p.arg(field, "query").and_then(|q| q.as_str().map(sku_terms));
    let level_at = match p.nested_arg(field, "inventoryLevel", "locationId") {
        None => None,
        Some(v) => match location_number(&v) {
            Some(at) => Some(at),
            None => {
                return Err((
                    format!("Invalid global id '{}'", v.as_str().unwrap_or_default()),
                    "argumentLiteralsIncompatible",
                ))
            }
        },
    };
    let store = state.store();
    let mut listed: Vec<(&String, &Listing)> =
        store.listings.iter().filter(|(sku, _)| wanted.as_ref().is_none_or(|w| w.iter().any(|x| x == *sku))).collect();
    listed.sort_by_key(|(_, l)| l.variant_id);
    if p.arg(field, "reverse") == Some(json!(true)) {
        listed.reverse();
    }
    let rest: Vec<(&String, &Listing)> =
        listed.into_iter().filter(|(_, l)| after.is_none_or(|a| l.variant_id > a)).collect();
    let page = &rest[..rest.len().min(first as usize)];
    let nodes: Vec<Value> = page.iter().map(|(sku, l)| variant_node(sku, l, &store, level_at)).collect();
    let cursors: Vec<String> = page.iter().map(|(_, l)| encode_cursor((0, l.variant_id))).collect();
    Ok(connection(nodes, &cursors, rest.len() > page.len(), after.is_some()))
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

/// `inventorySetQuantities(input:) @idempotent(key:)`: all or nothing, compare-and-set per quantity;
/// a repeated key answers the first result (a different input under it is refused).
pub(super) fn inventory_set_quantities(state: &SimState, p: &Prepared, field: &Field) -> Resolved {
    let input = p.arg(field, "input").unwrap_or(Value::Null);
    let (name, quantities) = parse_set_input(&input).map_err(|e| (e.0, "INVALID_VARIABLE"))?;
    let Some(key) = p.directive_arg(field, "idempotent", "key").and_then(|k| k.as_str().map(str::to_string)) else {
        return Err(("The @idempotent directive with a key is required for this mutation.".into(), "BAD_REQUEST"));
    };
    let mut store = state.store();
    if let Some((seen, reply)) = store.idempotency.get(&key) {
        if *seen != input {
            return Err((
                "The same idempotency key was used with different parameters.".into(),
                "IDEMPOTENCY_KEY_PARAMETER_MISMATCH",
            ));
        }
        return Ok(reply.clone());
    }
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
                let before =
                    *current.entry((sku.as_str(), *at)).or_insert_with(|| store.stock_at(*at, sku).unwrap_or(0));
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
        json!({
            "inventoryAdjustmentGroup": {
                "createdAt": created_at,
                "reason": reason,
                "referenceDocumentUri": input.get("referenceDocumentUri").cloned().unwrap_or(Value::Null),
                "changes": changes,
            },
            "userErrors": [],
        })
    } else {
        json!({ "inventoryAdjustmentGroup": null, "userErrors": errors })
    };
    store.idempotency.insert(key, (input.clone(), reply.clone()));
    Ok(reply)
}

/// `fulfillmentCreate(fulfillment:)`.
pub(super) fn fulfillment_create(state: &SimState, p: &Prepared, field: &Field) -> Resolved {
    let input = p.arg(field, "fulfillment").unwrap_or(Value::Null);
    Ok(crate::sim::shopify_fulfil::create(&mut state.store(), &input))
}
