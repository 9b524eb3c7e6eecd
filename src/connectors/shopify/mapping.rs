//! From Shopify's GraphQL order nodes to domain orders.

use serde::Deserialize;

use super::whole::{line_details, split_tags, whole, AddressFacts, LineFacts, OrderFacts, ShippingFacts};
use crate::connectors::parse_time;
use crate::domain::order::{ChannelLine, ChannelOrder, Financial, Fulfillment};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderNode {
    pub id: String,
    pub name: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub cancelled_at: Option<String>,
    pub display_financial_status: Option<String>,
    pub display_fulfillment_status: Option<String>,
    pub line_items: Option<Connection<LineNode>>,
    /// Read in a follow-up query, for orders whose lines lost units (refunds, cancellations).
    #[serde(default)]
    pub refunds: Option<Vec<RefundNode>>,
    #[serde(default)]
    pub number: Option<i64>,
    #[serde(default)]
    pub processed_at: Option<String>,
    #[serde(default)]
    pub currency_code: Option<String>,
    /// Protected customer data: null when the app is not approved for it.
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    #[serde(default)]
    pub customer: Option<CustomerNode>,
    #[serde(default)]
    pub shipping_address: Option<AddressFacts>,
    #[serde(default)]
    pub billing_address: Option<AddressFacts>,
    #[serde(default)]
    pub total_discounts_set: Option<MoneyBag>,
    #[serde(default)]
    pub total_shipping_price_set: Option<MoneyBag>,
    #[serde(default)]
    pub total_tax_set: Option<MoneyBag>,
    #[serde(default)]
    pub total_price_set: Option<MoneyBag>,
    #[serde(default)]
    pub total_outstanding_set: Option<MoneyBag>,
    #[serde(default)]
    pub shipping_lines: Option<Connection<ShippingLineNode>>,
}

/// `MoneyBag { shopMoney { amount } }`: the amount in the shop's currency.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MoneyBag {
    #[serde(default)]
    pub shop_money: Option<MoneyV2>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct MoneyV2 {
    #[serde(default)]
    pub amount: Option<String>,
}

fn shop_amount(bag: &Option<MoneyBag>) -> Option<String> {
    bag.as_ref()?.shop_money.as_ref()?.amount.clone()
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaxLineNode {
    #[serde(default)]
    pub price_set: Option<MoneyBag>,
}

fn tax_amounts(lines: &Option<Vec<TaxLineNode>>) -> Vec<String> {
    lines.iter().flatten().filter_map(|t| shop_amount(&t.price_set)).collect()
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerNode {
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShippingLineNode {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub original_price_set: Option<MoneyBag>,
    #[serde(default)]
    pub tax_lines: Option<Vec<TaxLineNode>>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundNode {
    pub refund_line_items: Connection<RefundLineNode>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundLineNode {
    pub quantity: i64,
    pub restock_type: Option<String>,
    pub line_item: IdOnly,
}

#[derive(Clone, Debug, Deserialize)]
pub struct IdOnly {
    pub id: String,
}

/// Refunded units per line id: (returned: restocked after shipping, written off: not restocked).
/// `CANCEL` restocks units that never shipped: they just leave the line's current quantity.
pub fn refund_counts<'a>(
    items: impl Iterator<Item = (&'a str, i64, &'a str)>,
) -> std::collections::HashMap<String, (i64, i64)> {
    let mut out: std::collections::HashMap<String, (i64, i64)> = std::collections::HashMap::new();
    for (line, quantity, restock) in items {
        let entry = out.entry(line.to_string()).or_default();
        match restock.to_ascii_uppercase().as_str() {
            "RETURN" | "LEGACY_RESTOCK" => entry.0 = entry.0.saturating_add(quantity),
            "NO_RESTOCK" => entry.1 = entry.1.saturating_add(quantity),
            _ => {}
        }
    }
    out
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Connection<T> {
    pub nodes: Vec<T>,
    #[serde(default)]
    pub page_info: Option<PageInfo>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageInfo {
    pub has_next_page: bool,
    pub end_cursor: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LineNode {
    pub id: String,
    pub sku: Option<String>,
    pub quantity: i64,
    pub current_quantity: Option<i64>,
    pub unfulfilled_quantity: Option<i64>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub variant: Option<IdOnly>,
    #[serde(default)]
    pub product: Option<IdOnly>,
    #[serde(default)]
    pub original_unit_price_set: Option<MoneyBag>,
    #[serde(default)]
    pub total_discount_set: Option<MoneyBag>,
    #[serde(default)]
    pub tax_lines: Option<Vec<TaxLineNode>>,
}

impl LineNode {
    fn facts(&self) -> LineFacts {
        LineFacts {
            title: self.title.clone(),
            unit_price: shop_amount(&self.original_unit_price_set),
            discount: shop_amount(&self.total_discount_set),
            taxes: tax_amounts(&self.tax_lines),
        }
    }
}

impl OrderNode {
    fn facts(&self) -> OrderFacts {
        OrderFacts {
            currency: self.currency_code.clone(),
            number: self.number.map(|n| n.to_string()),
            processed_at: self.processed_at.clone(),
            email: self.email.clone(),
            phone: self.phone.clone(),
            customer_first_name: self.customer.as_ref().and_then(|c| c.first_name.clone()),
            customer_last_name: self.customer.as_ref().and_then(|c| c.last_name.clone()),
            shipping_address: self.shipping_address.clone(),
            billing_address: self.billing_address.clone(),
            note: self.note.clone(),
            tags: self.tags.clone().unwrap_or_default(),
            discounts: shop_amount(&self.total_discounts_set),
            shipping: shop_amount(&self.total_shipping_price_set),
            tax: shop_amount(&self.total_tax_set),
            total: shop_amount(&self.total_price_set),
            outstanding: shop_amount(&self.total_outstanding_set),
            shipping_lines: self
                .shipping_lines
                .iter()
                .flat_map(|c| c.nodes.iter())
                .map(|s| ShippingFacts {
                    title: s.title.clone(),
                    code: s.code.clone(),
                    price: shop_amount(&s.original_price_set),
                    taxes: tax_amounts(&s.tax_lines),
                })
                .collect(),
        }
    }
}

pub fn financial(s: Option<&str>) -> Financial {
    match s.unwrap_or_default() {
        "PAID" | "PARTIALLY_REFUNDED" => Financial::Paid,
        "PENDING" | "AUTHORIZED" | "PARTIALLY_PAID" | "EXPIRED" => Financial::Pending,
        "REFUNDED" => Financial::Refunded,
        "VOIDED" => Financial::Voided,
        _ => Financial::Other,
    }
}

pub fn fulfillment(s: Option<&str>) -> Fulfillment {
    match s.unwrap_or_default() {
        "FULFILLED" => Fulfillment::Fulfilled,
        "PARTIALLY_FULFILLED" => Fulfillment::PartiallyFulfilled,
        _ => Fulfillment::Unfulfilled,
    }
}

/// Does this order's line list say units left it (refunded, removed), so its refunds are worth
/// a follow-up read?
pub fn lost_units(node: &OrderNode) -> bool {
    node.line_items.as_ref().is_some_and(|c| c.nodes.iter().any(|l| l.current_quantity.is_some_and(|c| c < l.quantity)))
}

pub fn order(node: OrderNode) -> Option<ChannelOrder> {
    let facts = node.facts();
    let currency = facts.currency.clone().unwrap_or_default().to_ascii_uppercase();
    let financial = financial(node.display_financial_status.as_deref());
    let refunds = refund_counts(node.refunds.iter().flatten().flat_map(|r| {
        r.refund_line_items
            .nodes
            .iter()
            .map(|i| (i.line_item.id.as_str(), i.quantity, i.restock_type.as_deref().unwrap_or("")))
    }));
    let mut lines = Vec::new();
    let mut priced = Vec::new();
    for l in node.line_items.map(|c| c.nodes).unwrap_or_default() {
        // A quantity out of bounds is kept as sent: the import holds the order for it.
        let quantity = l.current_quantity.unwrap_or(l.quantity);
        let unfulfilled = l.unfulfilled_quantity.unwrap_or(quantity).clamp(0, quantity.max(0));
        let (returned, written_off) = refunds.get(&l.id).copied().unwrap_or_default();
        let details = line_details(&l.facts(), l.quantity, &currency);
        priced.push((details.unit_price_minor, l.quantity));
        lines.push(ChannelLine {
            external_id: l.id,
            sku: l.sku.filter(|s| !s.is_empty()),
            quantity,
            fulfilled: quantity.saturating_sub(unfulfilled).max(0),
            returned,
            written_off,
            product_id: l.product.map(|p| p.id),
            variant_id: l.variant.map(|v| v.id),
            details,
        });
    }
    let (details, personal) = whole(&facts, financial, &priced);
    Some(ChannelOrder {
        name: node.name.unwrap_or_else(|| node.id.clone()),
        external_id: node.id,
        financial,
        fulfillment: fulfillment(node.display_fulfillment_status.as_deref()),
        cancelled_at: node.cancelled_at.as_deref().and_then(parse_time),
        created_at: parse_time(&node.created_at)?,
        updated_at: parse_time(&node.updated_at)?,
        // Shopify commits stock when an order is created, whatever its payment.
        reserved: true,
        lines,
        details,
        personal,
    })
}

/// An order as Shopify's webhooks render it (the REST shape), with the same ids as the GraphQL
/// import gives, so either path recognises what the other stored.
pub fn rest_order(v: &serde_json::Value) -> Option<ChannelOrder> {
    let gid = |v: &serde_json::Value, kind: &str| {
        v["admin_graphql_api_id"]
            .as_str()
            .map(str::to_string)
            .or_else(|| v["id"].as_i64().map(|id| format!("gid://shopify/{kind}/{id}")))
    };
    let external_id = gid(v, "Order")?;
    let mut refund_items = Vec::new();
    for r in v["refunds"].as_array().into_iter().flatten() {
        for i in r["refund_line_items"].as_array().into_iter().flatten() {
            let line = i["line_item"]
                .get("admin_graphql_api_id")
                .and_then(|x| x.as_str())
                .map(str::to_string)
                .or_else(|| i["line_item_id"].as_i64().map(|id| format!("gid://shopify/LineItem/{id}")));
            if let (Some(line), Some(q)) = (line, i["quantity"].as_i64()) {
                refund_items.push((line, q, i["restock_type"].as_str().unwrap_or("").to_string()));
            }
        }
    }
    let refunds = refund_counts(refund_items.iter().map(|(l, q, r)| (l.as_str(), *q, r.as_str())));
    let facts = rest_facts(v);
    let currency = facts.currency.clone().unwrap_or_default().to_ascii_uppercase();
    let financial = financial(v["financial_status"].as_str().map(str::to_ascii_uppercase).as_deref());
    let mut lines = Vec::new();
    let mut priced = Vec::new();
    for l in v["line_items"].as_array()? {
        let quantity = l["current_quantity"].as_i64().or(l["quantity"].as_i64())?;
        let unfulfilled = l["fulfillable_quantity"].as_i64().unwrap_or(quantity).clamp(0, quantity.max(0));
        let external_id = gid(l, "LineItem")?;
        let (returned, written_off) = refunds.get(&external_id).copied().unwrap_or_default();
        let ordered = l["quantity"].as_i64().unwrap_or(quantity);
        let details = line_details(&rest_line_facts(l), ordered, &currency);
        priced.push((details.unit_price_minor, ordered));
        lines.push(ChannelLine {
            external_id,
            sku: l["sku"].as_str().filter(|s| !s.is_empty()).map(str::to_string),
            quantity,
            fulfilled: quantity.saturating_sub(unfulfilled).max(0),
            returned,
            written_off,
            product_id: l["product_id"].as_u64().map(|id| format!("gid://shopify/Product/{id}")),
            variant_id: l["variant_id"].as_u64().map(|id| format!("gid://shopify/ProductVariant/{id}")),
            details,
        });
    }
    let (details, personal) = whole(&facts, financial, &priced);
    let fulfillment_status = match v["fulfillment_status"].as_str() {
        Some("fulfilled") => "FULFILLED",
        Some("partial") => "PARTIALLY_FULFILLED",
        _ => "UNFULFILLED",
    };
    Some(ChannelOrder {
        name: v["name"].as_str().map(str::to_string).unwrap_or_else(|| external_id.clone()),
        external_id,
        financial,
        fulfillment: fulfillment(Some(fulfillment_status)),
        cancelled_at: v["cancelled_at"].as_str().and_then(parse_time),
        created_at: parse_time(v["created_at"].as_str()?)?,
        updated_at: parse_time(v["updated_at"].as_str()?)?,
        reserved: true,
        lines,
        details,
        personal,
    })
}

/// A REST amount: the `*_set`'s shop money, else the plain field (both in the shop's currency).
fn rest_amount(v: &serde_json::Value, field: &str) -> Option<String> {
    let set = &v[format!("{field}_set")]["shop_money"]["amount"];
    let plain = &v[field];
    [set, plain].into_iter().find_map(|a| match a {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

fn rest_text(v: &serde_json::Value) -> Option<String> {
    v.as_str().map(str::to_string)
}

fn rest_taxes(v: &serde_json::Value) -> Vec<String> {
    v["tax_lines"].as_array().into_iter().flatten().filter_map(|t| rest_amount(t, "price")).collect()
}

fn rest_address(a: &serde_json::Value) -> Option<AddressFacts> {
    a.is_object().then(|| serde_json::from_value(a.clone()).ok()).flatten()
}

/// The whole-order facts of a REST order, as the GraphQL poll reads them.
fn rest_facts(v: &serde_json::Value) -> OrderFacts {
    OrderFacts {
        currency: rest_text(&v["currency"]),
        number: v["order_number"].as_i64().map(|n| n.to_string()),
        processed_at: rest_text(&v["processed_at"]),
        email: rest_text(&v["email"]).or_else(|| rest_text(&v["contact_email"])),
        phone: rest_text(&v["phone"]),
        customer_first_name: rest_text(&v["customer"]["first_name"]),
        customer_last_name: rest_text(&v["customer"]["last_name"]),
        shipping_address: rest_address(&v["shipping_address"]),
        billing_address: rest_address(&v["billing_address"]),
        note: rest_text(&v["note"]),
        tags: v["tags"].as_str().map(split_tags).unwrap_or_default(),
        discounts: rest_amount(v, "total_discounts"),
        shipping: rest_text(&v["total_shipping_price_set"]["shop_money"]["amount"]),
        tax: rest_amount(v, "total_tax"),
        total: rest_amount(v, "total_price"),
        outstanding: rest_amount(v, "total_outstanding"),
        shipping_lines: v["shipping_lines"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|s| ShippingFacts {
                title: rest_text(&s["title"]),
                code: rest_text(&s["code"]),
                price: rest_amount(s, "price"),
                taxes: rest_taxes(s),
            })
            .collect(),
    }
}

fn rest_line_facts(l: &serde_json::Value) -> LineFacts {
    LineFacts {
        title: rest_text(&l["title"]),
        unit_price: rest_amount(l, "price"),
        discount: rest_amount(l, "total_discount"),
        taxes: rest_taxes(l),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_webhook_order_matches_the_graphql_one() {
        let rest = serde_json::json!({
            "id": 1001, "admin_graphql_api_id": "gid://shopify/Order/1001", "name": "#1001",
            "financial_status": "paid", "fulfillment_status": "partial", "cancelled_at": null,
            "created_at": "2026-11-28T04:00:00+00:00", "updated_at": "2026-11-28T04:00:05+00:00",
            "line_items": [{"id": 1, "admin_graphql_api_id": "gid://shopify/LineItem/1", "sku": "SKU-1",
                            "quantity": 3, "current_quantity": 2, "fulfillable_quantity": 1}]
        });
        let o = rest_order(&rest).unwrap();
        assert_eq!(o.external_id, "gid://shopify/Order/1001");
        assert_eq!((o.financial, o.fulfillment), (Financial::Paid, Fulfillment::PartiallyFulfilled));
        assert_eq!(o.updated_at - o.created_at, 5000);
        assert_eq!(
            o.lines,
            vec![ChannelLine {
                external_id: "gid://shopify/LineItem/1".into(),
                sku: Some("SKU-1".into()),
                quantity: 2,
                fulfilled: 1,
                returned: 0,
                written_off: 0,
                product_id: None,
                variant_id: None,
                details: Default::default(),
            }]
        );
    }

    #[test]
    fn refunds_say_what_came_back_and_what_was_written_off() {
        let rest = serde_json::json!({
            "id": 7, "name": "#7", "financial_status": "partially_refunded", "cancelled_at": null,
            "created_at": "2026-11-28T04:00:00+00:00", "updated_at": "2026-11-28T04:00:05+00:00",
            "line_items": [{"id": 1, "sku": "A", "quantity": 5, "current_quantity": 2, "fulfillable_quantity": 0}],
            "refunds": [{"refund_line_items": [
                {"line_item_id": 1, "quantity": 1, "restock_type": "return"},
                {"line_item_id": 1, "quantity": 1, "restock_type": "no_restock"},
                {"line_item_id": 1, "quantity": 1, "restock_type": "cancel"}
            ]}]
        });
        let o = rest_order(&rest).unwrap();
        assert_eq!((o.lines[0].quantity, o.lines[0].fulfilled), (2, 2));
        assert_eq!((o.lines[0].returned, o.lines[0].written_off), (1, 1));
    }

    #[test]
    fn maps_a_recorded_order() {
        let node: OrderNode = serde_json::from_value(serde_json::json!({
            "id": "gid://shopify/Order/1001", "legacyResourceId": "1001", "name": "#1001",
            "createdAt": "2026-11-28T04:00:00Z", "updatedAt": "2026-11-28T04:00:05Z", "cancelledAt": null,
            "displayFinancialStatus": "PAID", "displayFulfillmentStatus": "PARTIALLY_FULFILLED",
            "lineItems": {"nodes": [
                {"id": "gid://shopify/LineItem/1", "sku": "SKU-1", "quantity": 3, "currentQuantity": 2, "unfulfilledQuantity": 1},
                {"id": "gid://shopify/LineItem/2", "sku": "", "quantity": 1, "currentQuantity": 1, "unfulfilledQuantity": 1}
            ]}
        }))
        .unwrap();
        let o = order(node).unwrap();
        assert_eq!(o.external_id, "gid://shopify/Order/1001");
        assert_eq!(o.financial, Financial::Paid);
        assert_eq!(o.fulfillment, Fulfillment::PartiallyFulfilled);
        assert_eq!(o.updated_at - o.created_at, 5000);
        assert_eq!(
            o.lines[0],
            ChannelLine {
                external_id: "gid://shopify/LineItem/1".into(),
                sku: Some("SKU-1".into()),
                quantity: 2,
                fulfilled: 1,
                returned: 0,
                written_off: 0,
                product_id: None,
                variant_id: None,
                details: Default::default(),
            }
        );
        assert_eq!(o.lines[1].sku, None);
    }

    #[test]
    fn statuses_map_conservatively() {
        assert_eq!(financial(Some("AUTHORIZED")), Financial::Pending);
        assert_eq!(financial(Some("VOIDED")), Financial::Voided);
        assert_eq!(financial(None), Financial::Other);
        assert_eq!(fulfillment(Some("ON_HOLD")), Fulfillment::Unfulfilled);
    }
}

/// Grams from Shopify's `Weight { value unit }`.
pub fn grams(value: f64, unit: &str) -> Option<i64> {
    let factor = match unit {
        "GRAMS" => 1.0,
        "KILOGRAMS" => 1000.0,
        "POUNDS" => 453.592_37,
        "OUNCES" => 28.349_523,
        _ => return None,
    };
    Some((value * factor).round() as i64)
}

/// A variant node from the catalogue query, as channel product data.
pub fn listing(
    node: &serde_json::Value,
    location_id: Option<&str>,
    currency: Option<&str>,
) -> Option<crate::connectors::Listing> {
    let sku = node["sku"].as_str().filter(|s| !s.is_empty())?.to_string();
    let item = &node["inventoryItem"];
    let weight = &item["measurement"]["weight"];
    let text = |v: &serde_json::Value| v.as_str().filter(|s| !s.is_empty()).map(str::to_string);
    Some(crate::connectors::Listing {
        sku,
        listing_id: text(&node["product"]["id"]),
        variant_id: text(&node["id"]),
        inventory_item_id: text(&item["id"]),
        location_id: location_id.map(str::to_string),
        image_url: None,
        price: currency
            .and_then(|c| Some((crate::domain::money::parse_minor(node["price"].as_str()?, c)?, c.to_string()))),
        weight_grams: weight["value"].as_f64().and_then(|v| grams(v, weight["unit"].as_str().unwrap_or_default())),
        dimensions_mm: None,
        hs_code: text(&item["harmonizedSystemCode"]),
        country_of_origin: text(&item["countryCodeOfOrigin"]),
        channel_quantity: available_at(item),
    })
}

/// The `available` quantity of an inventory item's level at the location asked for; None when
/// the item is not stocked there.
pub fn available_at(item: &serde_json::Value) -> Option<i64> {
    item["inventoryLevel"]["quantities"]
        .as_array()?
        .iter()
        .find(|q| q["name"] == "available")
        .and_then(|q| q["quantity"].as_i64())
}

/// A `Location { id name }` node.
pub fn location(node: &serde_json::Value) -> Option<crate::connectors::Location> {
    Some(crate::connectors::Location {
        id: node["id"].as_str().filter(|s| !s.is_empty())?.to_string(),
        name: node["name"].as_str().unwrap_or_default().to_string(),
    })
}

/// The location a channel's setting names: its global id, the number alone, or its name
/// (case and surrounding spaces ignored).
pub fn pick_location<'a>(
    all: &'a [crate::connectors::Location],
    choice: &str,
) -> Option<&'a crate::connectors::Location> {
    let choice = choice.trim();
    let gid = if choice.chars().all(|c| c.is_ascii_digit()) {
        format!("gid://shopify/Location/{choice}")
    } else {
        choice.to_string()
    };
    all.iter().find(|l| l.id == gid).or_else(|| all.iter().find(|l| l.name.trim().eq_ignore_ascii_case(choice)))
}

#[cfg(test)]
mod catalogue_tests {
    use super::*;

    #[test]
    fn maps_a_variant_with_customs_and_weight() {
        let node = serde_json::json!({
            "id": "gid://shopify/ProductVariant/7", "sku": "SKU-1",
            "product": {"id": "gid://shopify/Product/3", "title": "Shirt"},
            "inventoryItem": {"id": "gid://shopify/InventoryItem/9", "harmonizedSystemCode": "610910",
                "countryCodeOfOrigin": "PT", "measurement": {"weight": {"value": 0.25, "unit": "KILOGRAMS"}},
                "inventoryLevel": {"quantities": [{"name": "available", "quantity": 4}]}}
        });
        let l = listing(&node, Some("gid://shopify/Location/1"), Some("GBP")).unwrap();
        assert_eq!(l.inventory_item_id.as_deref(), Some("gid://shopify/InventoryItem/9"));
        assert_eq!(l.weight_grams, Some(250));
        assert_eq!(l.hs_code.as_deref(), Some("610910"));
        assert!(listing(&serde_json::json!({"sku": ""}), None, None).is_none());
        assert_eq!(grams(1.0, "POUNDS"), Some(454));
        assert_eq!(l.channel_quantity, Some(4));
    }

    #[test]
    fn picks_a_location_by_id_number_or_name() {
        let at = |id: &str, name: &str| crate::connectors::Location { id: id.into(), name: name.into() };
        let all = [at("gid://shopify/Location/2", "Annex"), at("gid://shopify/Location/1", "Main warehouse")];
        assert_eq!(pick_location(&all, "gid://shopify/Location/1").map(|l| l.name.as_str()), Some("Main warehouse"));
        assert_eq!(pick_location(&all, "2").map(|l| l.name.as_str()), Some("Annex"));
        assert_eq!(pick_location(&all, " main WAREHOUSE ").map(|l| l.id.as_str()), Some("gid://shopify/Location/1"));
        assert!(pick_location(&all, "Paris").is_none());
    }
}
