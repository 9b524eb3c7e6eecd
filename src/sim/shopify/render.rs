//! Rendering: orders as Shopify's GraphQL and REST APIs show them, and the order webhooks.

use super::*;

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
pub(super) fn rest_refunds(o: &Order) -> Value {
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
pub(super) fn connection(nodes: Vec<Value>, cursors: &[String], has_next: bool, has_previous: bool) -> Value {
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
pub(super) fn line_items(o: &Order, first: usize, after: Option<u64>) -> Value {
    let start = after.map(|a| a as usize + 1).unwrap_or(0).min(o.lines.len());
    let end = (start + first).min(o.lines.len());
    let nodes: Vec<Value> = o.lines[start..end]
        .iter()
        .map(|l| {
            let mut node = json!({
                "id": format!("gid://shopify/LineItem/{}", l.id),
                "sku": l.sku,
                "quantity": l.quantity,
                "currentQuantity": l.current(),
                "unfulfilledQuantity": o.unfulfilled(l),
                "variant": l.listing.as_ref().map(|li| json!({
                    "id": format!("gid://shopify/ProductVariant/{}", li.variant_id),
                    "inventoryItem": { "id": format!("gid://shopify/InventoryItem/{}", li.inventory_item_id) },
                })),
            });
            extend(&mut node, super::whole::graphql_line(o, l));
            node
        })
        .collect();
    let cursors: Vec<String> = (start..end).map(|i| encode_cursor((0, i as u64))).collect();
    connection(nodes, &cursors, end < o.lines.len(), start > 0)
}

/// The order as a GraphQL `Order` node, with its first `line_first` line items.
pub fn order_node(o: &Order, line_first: usize) -> Value {
    let mut node = json!({
        "id": format!("gid://shopify/Order/{}", o.id),
        "legacyResourceId": o.id.to_string(),
        "name": format!("#{}", 1000 + o.number),
        "createdAt": iso_z(o.created_at),
        "updatedAt": iso_z(o.updated_at),
        "cancelledAt": o.cancelled_at.map(iso_z),
        "displayFinancialStatus": financial_status(o),
        "displayFulfillmentStatus": fulfillment_status(o),
        "lineItems": line_items(o, line_first, None),
    });
    extend(&mut node, super::whole::graphql_order(o));
    node
}

/// Adds `fields` to the object `into`.
fn extend(into: &mut Value, fields: serde_json::Map<String, Value>) {
    if let Value::Object(m) = into {
        m.extend(fields);
    }
}

/// The order as Shopify's REST API renders it (webhook bodies).
pub fn rest_order(o: &Order) -> Value {
    let lines: Vec<Value> = o
        .lines
        .iter()
        .map(|l| {
            let mut line = json!({
                "id": l.id,
                "admin_graphql_api_id": format!("gid://shopify/LineItem/{}", l.id),
                "sku": l.sku,
                "quantity": l.quantity,
                "current_quantity": l.current(),
                "fulfillable_quantity": o.unfulfilled(l),
                "variant_id": l.listing.as_ref().map(|li| li.variant_id),
                "product_id": l.listing.as_ref().map(|li| li.product_id),
            });
            extend(&mut line, super::whole::rest_line(o, l));
            line
        })
        .collect();
    let mut order = json!({
        "id": o.id,
        "admin_graphql_api_id": format!("gid://shopify/Order/{}", o.id),
        "name": format!("#{}", 1000 + o.number),
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
    });
    extend(&mut order, super::whole::rest_order(o));
    order
}

/// The webhooks Shopify sends for an order event: the specific topic, then `orders/updated`.
pub fn webhooks(state: &SimState, o: &Order, event: Event) -> Vec<Delivery> {
    let topics: &[&str] = match event {
        Event::Created => &["orders/create"],
        Event::Paid => &["orders/paid", "orders/updated"],
        Event::Cancelled => &["orders/cancelled", "orders/updated"],
        Event::Updated => &["orders/updated"],
    };
    let mut order = rest_order(o);
    if !state.customer_data {
        super::whole::withhold_rest(&mut order);
    }
    let body = match serde_json::to_vec(&order) {
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
