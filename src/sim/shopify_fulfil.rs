//! Shopify simulator, fulfilment side: an order's `fulfillmentOrders` and `fulfillments`, and
//! the `fulfillmentCreate` mutation, which refuses more than a fulfillment order line has left.

use serde_json::{json, Value};

use super::store::{iso_z, Order, Store};

/// One fulfillment order per order; its line items mirror the order's lines.
pub fn fulfillment_orders(o: &Order) -> Value {
    let lines: Vec<Value> = o
        .lines
        .iter()
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
    json!({ "nodes": [ {
        "id": format!("gid://shopify/FulfillmentOrder/{}", o.id),
        "status": if open { "OPEN" } else { "CLOSED" },
        "lineItems": { "nodes": lines, "pageInfo": { "hasNextPage": false, "endCursor": null } },
    } ] })
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
    json!({ "fulfillmentCreate": { "fulfillment": null,
        "userErrors": [ { "field": ["fulfillment"], "message": message } ] } })
}

/// `fulfillmentCreate(fulfillment: $fulfillment)`: all or nothing.
pub fn create(store: &mut Store, input: &Value) -> Value {
    let Some(groups) = input.get("lineItemsByFulfillmentOrder").and_then(Value::as_array) else {
        return user_error("lineItemsByFulfillmentOrder is required");
    };
    let mut order_id = None;
    let mut shipped: Vec<(u64, i64)> = Vec::new();
    for g in groups {
        let fo =
            g["fulfillmentOrderId"].as_str().and_then(|s| s.rsplit('/').next()).and_then(|n| n.parse::<u64>().ok());
        let Some(fo) = fo.filter(|id| store.order(*id).is_some()) else {
            return user_error("Fulfillment order does not exist.");
        };
        if order_id.is_some_and(|o| o != fo) {
            return user_error("All fulfillment orders must belong to the same order.");
        }
        order_id = Some(fo);
        for item in g["fulfillmentOrderLineItems"].as_array().into_iter().flatten() {
            let line = item["id"].as_str().and_then(|s| s.rsplit('/').next()).and_then(|n| n.parse::<u64>().ok());
            let Some(q) = item["quantity"].as_i64().filter(|q| *q > 0) else {
                return user_error("Quantity must be greater than 0.");
            };
            let Some(line) = line else { return user_error("Invalid fulfillment order line item id.") };
            shipped.push((line, q));
        }
    }
    let Some(order_id) = order_id else { return user_error("No fulfillment order given.") };
    let now = store.clock.tick();
    let fulfilment_no = store.fulfilments.len() as u64 + 1;
    let Some(order) = store.orders.iter_mut().find(|o| o.id == order_id) else {
        return user_error("Fulfillment order does not exist.");
    };
    if order.is_cancelled() {
        return user_error("Fulfillment order is closed.");
    }
    // Check everything before changing anything.
    for (line_id, q) in &shipped {
        let Some(line) = order.lines.iter().find(|l| l.id == *line_id) else {
            return user_error("Invalid fulfillment order line item id.");
        };
        let already: i64 = shipped.iter().filter(|(id, _)| id == line_id).map(|(_, q)| q).sum();
        if already > order.unfulfilled(line) || *q > order.unfulfilled(line) {
            return user_error("Invalid fulfillment order line item quantity requested.");
        }
    }
    let mut lines = Vec::new();
    for (line_id, q) in &shipped {
        if let Some(line) = order.lines.iter_mut().find(|l| l.id == *line_id) {
            line.fulfilled += q;
            lines.push(json!({ "sku": line.sku, "quantity": q }));
        }
    }
    order.updated_at = now;
    let tracking = input.get("trackingInfo").cloned().unwrap_or(Value::Null);
    let fulfillment = json!({
        "id": format!("gid://shopify/Fulfillment/{fulfilment_no}"),
        "status": "SUCCESS",
        "createdAt": iso_z(now),
        "trackingInfo": if tracking.is_null() { json!([]) } else { json!([ {
            "number": tracking["number"], "company": tracking["company"], "url": tracking["url"] } ]) },
    });
    store.fulfilments.push(json!({ "kind": "shopify", "order_id": order_id, "lines": lines,
                                   "tracking": tracking, "fulfillment": fulfillment }));
    json!({ "fulfillmentCreate": { "fulfillment": fulfillment, "userErrors": [] } })
}
