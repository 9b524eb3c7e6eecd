//! The whole order as Shopify renders it: customer, addresses, money sets, shipping and tax
//! lines, in GraphQL's shape (camelCase, `MoneyBag`s) and in REST's (webhook bodies), from the
//! same stored order, so a client reading either finds the same facts.

use serde_json::{json, Map, Value};

use crate::sim::store::{iso_offset, iso_z, money_in, Line, Order};
use crate::sim::whole::Person;

/// Level-2 protected customer data: what Shopify withholds from an app not approved for it.
pub const PROTECTED_ORDER_FIELDS: [&str; 4] = ["email", "phone", "shippingAddress", "billingAddress"];
pub const PROTECTED_CUSTOMER_FIELDS: [&str; 3] = ["firstName", "lastName", "displayName"];
pub const PROTECTED_REST_FIELDS: [&str; 5] = ["email", "contact_email", "phone", "shipping_address", "billing_address"];

/// `MoneyBag`: the amount in the shop's currency and in the customer's (the same here).
fn money_bag(minor: i64, currency: &str) -> Value {
    let money = json!({ "amount": money_in(minor, currency), "currencyCode": currency });
    json!({ "shopMoney": money, "presentmentMoney": money })
}

/// REST's `*_set`: the same, in snake case.
fn price_set(minor: i64, currency: &str) -> Value {
    let money = json!({ "amount": money_in(minor, currency), "currency_code": currency });
    json!({ "shop_money": money, "presentment_money": money })
}

/// The country names of the codes the simulator's schema lists.
fn country_name(code: &str) -> Option<&'static str> {
    Some(match code {
        "CN" => "China",
        "DE" => "Germany",
        "ES" => "Spain",
        "FR" => "France",
        "GB" => "United Kingdom",
        "IT" => "Italy",
        "PT" => "Portugal",
        "US" => "United States",
        _ => return None,
    })
}

fn full_name(p: &Person) -> Option<String> {
    crate::domain::order_details::full_name(p.first_name.as_deref(), p.last_name.as_deref())
}

/// A stable id per customer email (Shopify keeps one customer per email).
fn customer_id(o: &Order) -> u64 {
    use sha2::Digest;
    let key = o.whole.email().unwrap_or_default().to_ascii_lowercase();
    let digest = sha2::Sha256::digest(key.as_bytes());
    u64::from_be_bytes([0, 0, digest[0], digest[1], digest[2], digest[3], digest[4], digest[5]]) % 1_000_000_000 + 1
}

/// A line's tax lines: one VAT line when it carries tax.
fn tax_lines(minor: i64, price: i64, currency: &str, rest: bool) -> Value {
    if minor == 0 {
        return json!([]);
    }
    let rate = if price > 0 { (minor as f64 / price as f64 * 10_000.0).round() / 10_000.0 } else { 0.0 };
    if rest {
        json!([{ "title": "VAT", "price": money_in(minor, currency), "rate": rate, "price_set": price_set(minor, currency) }])
    } else {
        json!([{ "title": "VAT", "rate": rate, "ratePercentage": rate * 100.0, "priceSet": money_bag(minor, currency) }])
    }
}

fn graphql_address(p: &Person, id: u64) -> Value {
    json!({
        "id": format!("gid://shopify/MailingAddress/{id}?model_name=Address"),
        "name": full_name(p),
        "firstName": p.first_name,
        "lastName": p.last_name,
        "company": p.company,
        "address1": p.address1,
        "address2": p.address2,
        "city": p.city,
        "province": Value::Null,
        "provinceCode": p.province_code,
        "zip": p.zip,
        "country": p.country_code.as_deref().and_then(country_name),
        "countryCodeV2": p.country_code,
        "phone": p.phone,
    })
}

fn rest_address(p: &Person) -> Value {
    json!({
        "first_name": p.first_name,
        "last_name": p.last_name,
        "name": full_name(p),
        "company": p.company,
        "address1": p.address1,
        "address2": p.address2,
        "city": p.city,
        "province": Value::Null,
        "province_code": p.province_code,
        "zip": p.zip,
        "country": p.country_code.as_deref().and_then(country_name),
        "country_code": p.country_code,
        "phone": p.phone,
        "latitude": Value::Null,
        "longitude": Value::Null,
    })
}

/// Shopify's `Order.totalOutstanding`: nothing once paid, everything before.
fn outstanding_minor(o: &Order) -> i64 {
    if o.paid {
        0
    } else {
        o.grand_total_minor()
    }
}

/// The whole-order fields of a GraphQL `Order` node.
pub fn graphql_order(o: &Order) -> Map<String, Value> {
    let c = o.currency.as_str();
    let w = &o.whole;
    let customer = w.customer.as_ref().map(|p| {
        json!({
            "id": format!("gid://shopify/Customer/{}", customer_id(o)),
            "firstName": p.first_name,
            "lastName": p.last_name,
            "displayName": full_name(p).or_else(|| p.email.clone()).unwrap_or_default(),
        })
    });
    let shipping: Vec<Value> = w
        .shipping_line
        .iter()
        .map(|s| {
            json!({
                "id": format!("gid://shopify/ShippingLine/{}", o.id),
                "title": s.title,
                "code": s.code,
                "source": "shopify",
                "originalPriceSet": money_bag(s.price_minor, c),
                "discountedPriceSet": money_bag(s.price_minor, c),
                "taxLines": tax_lines(s.tax_minor, s.price_minor, c, false),
            })
        })
        .collect();
    let cursors: Vec<String> = (0..shipping.len()).map(|i| super::encode_cursor((0, i as u64))).collect();
    let fields = json!({
        "number": 1000 + o.number,
        "processedAt": iso_z(o.created_at),
        "currencyCode": c,
        "email": w.email(),
        "phone": w.customer.as_ref().and_then(|p| p.phone.clone()),
        "note": w.note,
        "tags": w.tags,
        "customer": customer,
        "shippingAddress": w.shipping_address.as_ref().map(|p| graphql_address(p, o.id * 10 + 1)),
        "billingAddress": w.billing_address.as_ref().map(|p| graphql_address(p, o.id * 10 + 2)),
        "subtotalPriceSet": money_bag(o.total_minor() - o.discount_minor(), c),
        "totalDiscountsSet": money_bag(o.discount_minor(), c),
        "totalShippingPriceSet": money_bag(w.shipping_minor(), c),
        "totalTaxSet": money_bag(o.tax_minor(), c),
        "totalPriceSet": money_bag(o.grand_total_minor(), c),
        "totalOutstandingSet": money_bag(outstanding_minor(o), c),
        "shippingLines": super::render::connection(shipping, &cursors, false, false),
    });
    match fields {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// The money and title fields of a GraphQL `LineItem` node.
pub fn graphql_line(o: &Order, l: &Line) -> Map<String, Value> {
    let c = o.currency.as_str();
    let original = l.price_minor.saturating_mul(l.quantity);
    let fields = json!({
        "title": format!("Sim product {}", l.sku),
        "name": format!("Sim product {}", l.sku),
        "product": l.listing.as_ref().map(|li| json!({
            "id": format!("gid://shopify/Product/{}", li.product_id),
            "title": format!("Sim product {}", l.sku),
        })),
        "originalUnitPriceSet": money_bag(l.price_minor, c),
        "originalTotalSet": money_bag(original, c),
        "totalDiscountSet": money_bag(l.discount_minor, c),
        "discountedTotalSet": money_bag(original - l.discount_minor, c),
        "taxLines": tax_lines(l.tax_minor, original - l.discount_minor, c, false),
    });
    match fields {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// The whole-order fields of a REST order (webhook bodies).
pub fn rest_order(o: &Order) -> Map<String, Value> {
    let c = o.currency.as_str();
    let w = &o.whole;
    let money = |minor: i64| money_in(minor, c);
    let shipping: Vec<Value> = w
        .shipping_line
        .iter()
        .map(|s| {
            json!({
                "id": o.id * 10 + 1,
                "title": s.title,
                "code": s.code,
                "source": "shopify",
                "price": money(s.price_minor),
                "price_set": price_set(s.price_minor, c),
                "discounted_price": money(s.price_minor),
                "discounted_price_set": price_set(s.price_minor, c),
                "tax_lines": tax_lines(s.tax_minor, s.price_minor, c, true),
            })
        })
        .collect();
    let customer = w.customer.as_ref().map(|p| {
        json!({
            "id": customer_id(o),
            "email": p.email,
            "first_name": p.first_name,
            "last_name": p.last_name,
            "phone": p.phone,
            "currency": c,
        })
    });
    let fields = json!({
        "number": o.number,
        "order_number": 1000 + o.number,
        "currency": c,
        "presentment_currency": c,
        "processed_at": iso_offset(o.created_at),
        "email": w.email(),
        "contact_email": w.email(),
        "phone": w.customer.as_ref().and_then(|p| p.phone.clone()),
        "note": w.note,
        "tags": w.tags.join(", "),
        "customer": customer,
        "shipping_address": w.shipping_address.as_ref().map(rest_address),
        "billing_address": w.billing_address.as_ref().map(rest_address),
        "subtotal_price": money(o.total_minor() - o.discount_minor()),
        "total_line_items_price": money(o.total_minor()),
        "total_discounts": money(o.discount_minor()),
        "total_shipping_price_set": price_set(w.shipping_minor(), c),
        "total_tax": money(o.tax_minor()),
        "total_price": money(o.grand_total_minor()),
        "total_outstanding": money(outstanding_minor(o)),
        "taxes_included": false,
        "shipping_lines": shipping,
    });
    match fields {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// The money and title fields of a REST line item.
pub fn rest_line(o: &Order, l: &Line) -> Map<String, Value> {
    let c = o.currency.as_str();
    let original = l.price_minor.saturating_mul(l.quantity);
    let fields = json!({
        "title": format!("Sim product {}", l.sku),
        "name": format!("Sim product {}", l.sku),
        "price": money_in(l.price_minor, c),
        "price_set": price_set(l.price_minor, c),
        "total_discount": money_in(l.discount_minor, c),
        "total_discount_set": price_set(l.discount_minor, c),
        "tax_lines": tax_lines(l.tax_minor, original - l.discount_minor, c, true),
        "taxable": l.tax_minor > 0,
    });
    match fields {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// A REST body as an app without protected customer data access receives it: the customer's
/// contact details and addresses withheld.
pub fn withhold_rest(order: &mut Value) {
    for key in PROTECTED_REST_FIELDS {
        if let Some(v) = order.get_mut(key) {
            *v = Value::Null;
        }
    }
    if let Some(customer) = order.get_mut("customer").filter(|c| c.is_object()) {
        for key in ["email", "first_name", "last_name", "phone"] {
            customer[key] = Value::Null;
        }
    }
}
