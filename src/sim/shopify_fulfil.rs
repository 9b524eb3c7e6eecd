//! Shopify simulator, fulfilment side: an order's `fulfillmentOrders` (one per location its
//! lines sell from) and `fulfillments`, and the `fulfillmentCreate` mutation, which refuses
//! more than a fulfillment order line has left, fulfillment orders of several locations in one
//! call, and fulfillment orders on hold.

use serde_json::{json, Value};

use super::store::{iso_z, Order, Store, SHOPIFY_LOCATIONS};

/// A fulfillment order's number: the order's id and the location's, so one order has one
/// fulfillment order per location.
fn fulfillment_order_id(order: u64, location: u64) -> u64 {
    order * 10 + location
}

fn location_json(location: u64) -> Value {
    let name = SHOPIFY_LOCATIONS.iter().find(|(id, _)| *id == location).map_or("", |(_, n)| *n);
    json!({ "location": { "id": format!("gid://shopify/Location/{location}"), "name": name } })
}

/// One fulfillment order per location the order's lines sell from; its line items mirror them.
pub fn fulfillment_orders(o: &Order) -> Value {
    let mut locations: Vec<u64> = o.lines.iter().map(|l| l.location).collect();
    locations.sort_unstable();
    locations.dedup();
    let nodes: Vec<Value> = locations
        .into_iter()
        .map(|location| {
            let lines: Vec<Value> = o
                .lines
                .iter()
                .filter(|l| l.location == location)
                .map(|l| {
                    json!({
                        "id": format!("gid://shopify/FulfillmentOrderLineItem/{}", l.id),
                        "remainingQuantity": o.unfulfilled(l),
                        "totalQuantity": l.quantity,
                        "lineItem": { "id": format!("gid://shopify/LineItem/{}", l.id), "sku": l.sku },
                    })
                })
                .collect();
            let open = lines.iter().any(|l| l["remainingQuantity"].as_i64().unwrap_or(0) > 0) && !o.is_cancelled();
            let status = match (open, o.holds.contains(&location)) {
                (false, _) => "CLOSED",
                (true, true) => "ON_HOLD",
                (true, false) => "OPEN",
            };
            json!({
                "id": format!("gid://shopify/FulfillmentOrder/{}", fulfillment_order_id(o.id, location)),
                "status": status,
                "assignedLocation": location_json(location),
                "lineItems": { "nodes": lines, "pageInfo": { "hasNextPage": false, "endCursor": null } },
            })
        })
        .collect();
    json!({ "nodes": nodes })
}

/// The fulfillments created on an order, oldest first.
pub fn fulfillments(store: &Store, order_id: u64) -> Value {
    Value::Array(
        store
            .fulfilments
            .iter()
            .filter(|f| f["kind"] == "shopify" && f["order_id"] == order_id)
            .map(|f| f["fulfillment"].clone())
            .collect(),
    )
}

fn user_error(message: &str) -> Value {
    json!({ "fulfillment": null, "userErrors": [ { "field": ["fulfillment"], "message": message } ] })
}

fn number(gid: &Value) -> Option<u64> {
    gid.as_str().and_then(|s| s.rsplit('/').next()).and_then(|n| n.parse::<u64>().ok())
}

/// `fulfillmentCreate(fulfillment: $fulfillment)`: all or nothing.
pub fn create(store: &mut Store, input: &Value) -> Value {
    let Some(groups) = input.get("lineItemsByFulfillmentOrder").and_then(Value::as_array) else {
        return user_error("lineItemsByFulfillmentOrder is required");
    };
    let mut target: Option<(u64, u64)> = None;
    let mut shipped: Vec<(u64, i64)> = Vec::new();
    for g in groups {
        let Some((order_id, location)) =
            number(&g["fulfillmentOrderId"]).map(|fo| (fo / 10, fo % 10)).filter(|(order, location)| {
                store.order(*order).is_some_and(|o| o.lines.iter().any(|l| l.location == *location))
            })
        else {
            return user_error("Fulfillment order does not exist.");
        };
        match target {
            Some((o, _)) if o != order_id => {
                return user_error("All fulfillment orders must belong to the same order.")
            }
            Some((_, l)) if l != location => return user_error("Fulfillment orders must belong to the same location."),
            _ => target = Some((order_id, location)),
        }
        for item in g["fulfillmentOrderLineItems"].as_array().into_iter().flatten() {
            let Some(q) = item["quantity"].as_i64().filter(|q| *q > 0) else {
                return user_error("Quantity must be greater than 0.");
            };
            let Some(line) = number(&item["id"]) else { return user_error("Invalid fulfillment order line item id.") };
            shipped.push((line, q));
        }
    }
    let Some((order_id, location)) = target else { return user_error("No fulfillment order given.") };
    let now = store.clock.tick();
    let fulfilment_no = store.fulfilments.len() as u64 + 1;
    let Some(order) = store.orders.iter_mut().find(|o| o.id == order_id) else {
        return user_error("Fulfillment order does not exist.");
    };
    if order.is_cancelled() {
        return user_error("Fulfillment order is closed.");
    }
    if order.holds.contains(&location) {
        return user_error("The fulfillment order is on hold and cannot be fulfilled.");
    }
    // Check everything before changing anything.
    for (line_id, q) in &shipped {
        let Some(line) = order.lines.iter().find(|l| l.id == *line_id && l.location == location) else {
            return user_error("Invalid fulfillment order line item id.");
        };
        let already: i64 = shipped.iter().filter(|(id, _)| id == line_id).map(|(_, q)| q).sum();
        if already > order.unfulfilled(line) || *q > order.unfulfilled(line) {
            return user_error("Invalid fulfillment order line item quantity requested.");
        }
    }
    let mut lines = Vec::new();
    let mut line_items = Vec::new();
    for (line_id, q) in &shipped {
        if let Some(line) = order.lines.iter_mut().find(|l| l.id == *line_id) {
            line.fulfilled += q;
            lines.push(json!({ "sku": line.sku, "quantity": q, "location": location }));
            line_items
                .push(json!({ "quantity": q, "lineItem": { "id": format!("gid://shopify/LineItem/{}", line.id) } }));
        }
    }
    order.updated_at = now;
    let tracking = input.get("trackingInfo").cloned().unwrap_or(Value::Null);
    let fulfillment = json!({
        "id": format!("gid://shopify/Fulfillment/{fulfilment_no}"),
        "status": "SUCCESS",
        "createdAt": iso_z(now),
        "location": location_json(location)["location"],
        "trackingInfo": if tracking.is_null() { json!([]) } else { json!([ {
            "number": tracking["number"], "company": tracking["company"], "url": tracking["url"] } ]) },
        "fulfillmentLineItems": { "nodes": line_items, "pageInfo": { "hasNextPage": false, "endCursor": null } },
    });
    store.fulfilments.push(json!({ "kind": "shopify", "order_id": order_id, "lines": lines,
                                   "tracking": tracking, "fulfillment": fulfillment }));
    json!({ "fulfillment": fulfillment, "userErrors": [] })
}
