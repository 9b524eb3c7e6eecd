//! Planning a Shopify fulfilment: what an earlier unanswered attempt already created, and one
//! `fulfillmentCreate` per location for the rest, from fulfillment orders that can be fulfilled.

use serde_json::{json, Value};

use crate::connectors::{ConnectorError, OutboundFulfilment};

/// What to do for one Chorus fulfilment on one order.
#[derive(Debug, Default, PartialEq)]
pub struct Plan {
    /// Fulfillments already on the order that are this one's (a resend after a lost answer).
    pub existing: Vec<String>,
    /// One `lineItemsByFulfillmentOrder` list per location, for what is left to ship.
    pub calls: Vec<Vec<Value>>,
}

/// Fulfillment order states Shopify lets an app fulfil from.
const FULFILLABLE: [&str; 2] = ["OPEN", "IN_PROGRESS"];
/// States that pass with time or a merchant's action: wait and send again.
const WAITING: [&str; 2] = ["ON_HOLD", "SCHEDULED"];
/// Slack for the channel's clock against Chorus's when matching an earlier attempt by time.
const CLOCK_SLACK_MS: i64 = 120_000;

fn nodes(v: &Value) -> impl Iterator<Item = &Value> {
    v["nodes"].as_array().into_iter().flatten()
}

/// Whether an existing fulfillment is what an earlier attempt at `f` created: it carries our
/// tracking number, or (without one) it is no older than `f` and ships only `f`'s lines.
fn is_ours(fulfillment: &Value, f: &OutboundFulfilment) -> bool {
    if fulfillment["status"] == "CANCELLED" {
        return false;
    }
    let tracking: Vec<&str> =
        fulfillment["trackingInfo"].as_array().into_iter().flatten().filter_map(|t| t["number"].as_str()).collect();
    if let Some(number) = &f.tracking_number {
        return tracking.contains(&number.as_str());
    }
    let created = fulfillment["createdAt"].as_str().and_then(crate::connectors::parse_time);
    if !tracking.is_empty() || created.is_none_or(|at| at + CLOCK_SLACK_MS < f.created_at) {
        return false;
    }
    let mut any = false;
    for item in nodes(&fulfillment["fulfillmentLineItems"]) {
        let line = item["lineItem"]["id"].as_str().unwrap_or_default();
        let quantity = item["quantity"].as_i64().unwrap_or(0);
        match f.lines.iter().find(|(id, _)| id == line) {
            Some((_, ours)) if quantity <= *ours => any = true,
            _ => return false,
        }
    }
    any
}

/// Plans `f` against the order as `ChorusFulfilmentOrders` read it.
pub fn plan(order: &Value, f: &OutboundFulfilment) -> Result<Plan, ConnectorError> {
    let mut plan = Plan::default();
    let mut need: Vec<(String, i64)> = f.lines.clone();
    for fulfillment in order["fulfillments"].as_array().into_iter().flatten().filter(|x| is_ours(x, f)) {
        plan.existing.push(fulfillment["id"].as_str().unwrap_or_default().to_string());
        for item in nodes(&fulfillment["fulfillmentLineItems"]) {
            if let Some(n) = need.iter_mut().find(|(id, _)| item["lineItem"]["id"].as_str() == Some(id)) {
                n.1 -= item["quantity"].as_i64().unwrap_or(0);
            }
        }
        // A fulfillment found by tracking number without its lines listed covers all of it.
        if f.tracking_number.is_some() && nodes(&fulfillment["fulfillmentLineItems"]).next().is_none() {
            need.clear();
        }
    }
    // (location, fulfillment order id, items) in the order first met.
    let mut groups: Vec<(String, String, Vec<Value>)> = Vec::new();
    for (line_id, qty) in need.iter().filter(|(_, q)| *q > 0) {
        let mut left = *qty;
        let mut waiting = None;
        for fo in nodes(&order["fulfillmentOrders"]) {
            let status = fo["status"].as_str().unwrap_or_default();
            let Some(fo_id) = fo["id"].as_str() else { continue };
            for item in nodes(&fo["lineItems"]) {
                if left == 0 || item["lineItem"]["id"].as_str() != Some(line_id.as_str()) {
                    continue;
                }
                let remaining = item["remainingQuantity"].as_i64().unwrap_or(0);
                if remaining <= 0 {
                    continue;
                }
                if !FULFILLABLE.contains(&status) {
                    if WAITING.contains(&status) {
                        waiting = Some((fo_id.to_string(), status.to_string()));
                    }
                    continue;
                }
                let take = left.min(remaining);
                left -= take;
                let location = fo["assignedLocation"]["location"]["id"].as_str().unwrap_or_default().to_string();
                let entry = json!({ "id": item["id"], "quantity": take });
                match groups.iter_mut().find(|(_, id, _)| id == fo_id) {
                    Some((_, _, items)) => items.push(entry),
                    None => groups.push((location, fo_id.to_string(), vec![entry])),
                }
            }
        }
        if left > 0 {
            return Err(match waiting {
                Some((fo, status)) => ConnectorError::Transient(format!(
                    "line {line_id}: fulfillment order {fo} is {status} on Shopify; sent again once it can be fulfilled"
                )),
                None => ConnectorError::Permanent(format!(
                    "line {line_id}: {left} more than the channel has left to fulfil"
                )),
            });
        }
    }
    let mut locations: Vec<&String> = Vec::new();
    for (location, _, _) in &groups {
        if !locations.contains(&location) {
            locations.push(location);
        }
    }
    plan.calls = locations
        .iter()
        .map(|at| {
            groups
                .iter()
                .filter(|(location, _, _)| location == *at)
                .map(|(_, fo, items)| json!({ "fulfillmentOrderId": fo, "fulfillmentOrderLineItems": items }))
                .collect()
        })
        .collect();
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outbound(lines: &[(&str, i64)], tracking: Option<&str>) -> OutboundFulfilment {
        OutboundFulfilment {
            chorus_id: 1,
            order_external_id: "gid://shopify/Order/1".into(),
            lines: lines.iter().map(|(l, q)| (l.to_string(), *q)).collect(),
            carrier: None,
            tracking_number: tracking.map(str::to_string),
            tracking_url: None,
            completes_order: true,
            created_at: 1_000_000_000_000,
        }
    }

    fn fo(id: &str, status: &str, location: &str, items: &[(&str, &str, i64)]) -> Value {
        json!({ "id": id, "status": status, "assignedLocation": { "location": { "id": location } },
            "lineItems": { "nodes": items.iter().map(|(item, line, q)| json!({
                "id": item, "remainingQuantity": q, "lineItem": { "id": line } })).collect::<Vec<_>>() } })
    }

    #[test]
    fn one_call_per_location() {
        let order = json!({ "fulfillments": [], "fulfillmentOrders": { "nodes": [
            fo("FO1", "OPEN", "L1", &[("a", "A", 2)]), fo("FO2", "OPEN", "L2", &[("b", "B", 1)]) ] } });
        let p = plan(&order, &outbound(&[("A", 2), ("B", 1)], None)).unwrap();
        assert_eq!(p.calls.len(), 2);
        assert_eq!(p.calls[0][0]["fulfillmentOrderId"], "FO1");
        assert_eq!(p.calls[1][0]["fulfillmentOrderLineItems"][0]["quantity"], 1);
    }

    #[test]
    fn a_held_fulfillment_order_waits() {
        let order = json!({ "fulfillments": [], "fulfillmentOrders": { "nodes": [
            fo("FO1", "ON_HOLD", "L1", &[("a", "A", 2)]) ] } });
        let e = plan(&order, &outbound(&[("A", 2)], None)).unwrap_err();
        assert!(matches!(e, ConnectorError::Transient(m) if m.contains("ON_HOLD")));
        let closed = json!({ "fulfillments": [], "fulfillmentOrders": { "nodes": [
            fo("FO1", "CLOSED", "L1", &[("a", "A", 0)]) ] } });
        assert!(matches!(plan(&closed, &outbound(&[("A", 2)], None)), Err(ConnectorError::Permanent(_))));
    }

    #[test]
    fn an_earlier_attempt_without_tracking_is_recognised_by_lines_and_time() {
        let made = json!({ "id": "F1", "status": "SUCCESS", "createdAt": "2001-09-09T01:46:41Z", "trackingInfo": [],
            "fulfillmentLineItems": { "nodes": [ { "quantity": 2, "lineItem": { "id": "A" } } ] } });
        let order = json!({ "fulfillments": [made], "fulfillmentOrders": { "nodes": [
            fo("FO1", "CLOSED", "L1", &[("a", "A", 0)]), fo("FO2", "OPEN", "L2", &[("b", "B", 1)]) ] } });
        let p = plan(&order, &outbound(&[("A", 2), ("B", 1)], None)).unwrap();
        assert_eq!(p.existing, vec!["F1".to_string()]);
        assert_eq!(p.calls.len(), 1);
        assert_eq!(p.calls[0][0]["fulfillmentOrderId"], "FO2");
        // A fulfillment older than ours is someone else's.
        let mut old = order.clone();
        old["fulfillments"][0]["createdAt"] = json!("2001-01-01T00:00:00Z");
        assert!(matches!(plan(&old, &outbound(&[("A", 2), ("B", 1)], None)), Err(ConnectorError::Permanent(_))));
    }
}
