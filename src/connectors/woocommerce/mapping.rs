//! From WooCommerce REST v3 orders to domain orders.

use serde::Deserialize;

use crate::connectors::parse_time;
use crate::domain::money::parse_minor;
use crate::domain::order::{ChannelLine, ChannelOrder, Financial, Fulfillment};
use crate::domain::order_details::{
    full_name, text, Address, Customer, Details, LineDetails, Personal, ShippingLine, Totals,
};

#[derive(Debug, Deserialize)]
pub struct WooOrder {
    pub id: i64,
    pub number: Option<String>,
    pub status: String,
    pub date_created_gmt: Option<String>,
    pub date_modified_gmt: Option<String>,
    #[serde(default)]
    pub line_items: Vec<WooLine>,
    pub currency: Option<String>,
    pub date_paid_gmt: Option<String>,
    pub discount_total: Option<String>,
    pub shipping_total: Option<String>,
    pub total: Option<String>,
    pub total_tax: Option<String>,
    pub customer_note: Option<String>,
    #[serde(default)]
    pub billing: WooAddress,
    #[serde(default)]
    pub shipping: WooAddress,
    #[serde(default)]
    pub shipping_lines: Vec<WooShippingLine>,
}

/// `billing` and `shipping` as WooCommerce renders them: every field, `""` when unset.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct WooAddress {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub company: Option<String>,
    pub address_1: Option<String>,
    pub address_2: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postcode: Option<String>,
    pub country: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

impl WooAddress {
    fn address(&self) -> Option<Address> {
        Address {
            name: full_name(self.first_name.as_deref(), self.last_name.as_deref()),
            company: text(self.company.as_deref()),
            address1: text(self.address_1.as_deref()),
            address2: text(self.address_2.as_deref()),
            city: text(self.city.as_deref()),
            province_code: text(self.state.as_deref()),
            postal_code: text(self.postcode.as_deref()),
            country_code: text(self.country.as_deref()).map(|c| c.to_ascii_uppercase()),
            phone: text(self.phone.as_deref()),
        }
        .or_none()
    }
}

#[derive(Debug, Deserialize)]
pub struct WooShippingLine {
    pub method_title: Option<String>,
    pub method_id: Option<String>,
    pub total: Option<String>,
    pub total_tax: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct WooLine {
    pub id: i64,
    pub sku: Option<String>,
    pub quantity: i64,
    /// The product; for a variation, its parent.
    #[serde(default)]
    pub product_id: Option<i64>,
    /// The variation sold (0 for a simple product).
    #[serde(default)]
    pub variation_id: Option<i64>,
    #[serde(default)]
    pub meta_data: Vec<WooMeta>,
    pub name: Option<String>,
    /// Before discounts, before tax.
    pub subtotal: Option<String>,
    /// After discounts, before tax.
    pub total: Option<String>,
    pub total_tax: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct WooMeta {
    pub key: String,
    #[serde(default)]
    pub value: serde_json::Value,
}

impl WooLine {
    /// Units put back in stock by refunds (`_restock_refunded_items`, which WooCommerce keeps on
    /// the order's line when a refund restocks).
    fn restocked(&self) -> i64 {
        self.meta_data
            .iter()
            .find(|m| m.key == "_restock_refunded_items")
            .and_then(|m| m.value.as_i64().or_else(|| m.value.as_str().and_then(|s| s.trim().parse().ok())))
            .unwrap_or(0)
    }
}

/// WooCommerce folds payment and fulfilment into one status.
pub fn statuses(status: &str) -> (Financial, Fulfillment, bool) {
    match status {
        "processing" => (Financial::Paid, Fulfillment::Unfulfilled, false),
        "completed" => (Financial::Paid, Fulfillment::Fulfilled, false),
        "on-hold" | "pending" => (Financial::Pending, Fulfillment::Unfulfilled, false),
        "refunded" => (Financial::Refunded, Fulfillment::Unfulfilled, false),
        "cancelled" | "failed" | "trash" => (Financial::Voided, Fulfillment::Unfulfilled, true),
        _ => (Financial::Other, Fulfillment::Unfulfilled, false),
    }
}

/// WooCommerce reduces its stock when an order enters `on-hold`, `processing` or `completed`
/// and restores it on `cancelled` and `pending`; `refunded` keeps it reduced unless a refund
/// restocked.
pub fn reserves(status: &str) -> bool {
    matches!(status, "on-hold" | "processing" | "completed" | "refunded")
}

/// An amount WooCommerce renders as a decimal string, in minor units of `currency`.
fn minor(amount: Option<&str>, currency: &str) -> Option<i64> {
    parse_minor(amount?.trim(), currency)
}

fn line_details(l: &WooLine, currency: &str) -> LineDetails {
    let subtotal = minor(l.subtotal.as_deref(), currency);
    let total = minor(l.total.as_deref(), currency);
    LineDetails {
        title: text(l.name.as_deref()),
        unit_price_minor: subtotal.filter(|_| l.quantity > 0).map(|s| s / l.quantity),
        discount_minor: match (subtotal, total) {
            (Some(s), Some(t)) => (s - t).max(0),
            _ => 0,
        },
        tax_minor: minor(l.total_tax.as_deref(), currency).unwrap_or(0),
        total_minor: total,
    }
}

/// Number, currency, money and shipping; customer, addresses and note.
fn whole(o: &WooOrder) -> (Details, Personal) {
    let currency = o.currency.clone().unwrap_or_default().to_ascii_uppercase();
    let amount = |s: &Option<String>| minor(s.as_deref(), &currency).unwrap_or(0);
    let paid_at = o.date_paid_gmt.as_deref().and_then(parse_time);
    let total = amount(&o.total);
    let totals = Totals {
        subtotal_minor: o.line_items.iter().filter_map(|l| minor(l.subtotal.as_deref(), &currency)).sum(),
        discounts_minor: amount(&o.discount_total),
        shipping_minor: amount(&o.shipping_total),
        tax_minor: amount(&o.total_tax),
        total_minor: total,
        paid_minor: if paid_at.is_some() { total } else { 0 },
    };
    let details = Details {
        number: o.number.clone().or_else(|| Some(o.id.to_string())),
        currency: text(Some(&currency)),
        totals: Some(totals),
        shipping_lines: o
            .shipping_lines
            .iter()
            .map(|s| ShippingLine {
                title: s.method_title.clone().unwrap_or_default(),
                code: text(s.method_id.as_deref()),
                price_minor: amount(&s.total),
                tax_minor: amount(&s.total_tax),
            })
            .collect(),
        tags: Vec::new(),
        paid_at,
    };
    let b = &o.billing;
    let customer = Customer {
        name: full_name(b.first_name.as_deref(), b.last_name.as_deref()),
        email: text(b.email.as_deref()),
        phone: text(b.phone.as_deref()),
    };
    let personal = Personal {
        customer: (customer != Customer::default()).then_some(customer),
        shipping_address: o.shipping.address(),
        billing_address: o.billing.address(),
        note: text(o.customer_note.as_deref()),
    };
    (details, personal)
}

pub fn order(o: WooOrder) -> Option<ChannelOrder> {
    let (financial, fulfillment, cancelled) = statuses(&o.status);
    let (details, personal) = whole(&o);
    let currency = details.currency.clone().unwrap_or_default();
    let updated_at = parse_time(o.date_modified_gmt.as_deref()?)?;
    let fulfilled = fulfillment == Fulfillment::Fulfilled;
    let refunded = o.status == "refunded";
    let reserved = reserves(&o.status);
    Some(ChannelOrder {
        external_id: o.id.to_string(),
        name: format!("#{}", o.number.unwrap_or_else(|| o.id.to_string())),
        financial,
        fulfillment,
        cancelled_at: cancelled.then_some(updated_at),
        created_at: o.date_created_gmt.as_deref().and_then(parse_time).unwrap_or(updated_at),
        updated_at,
        reserved,
        lines: o
            .line_items
            .into_iter()
            .map(|l| {
                // The line keeps its ordered quantity; restocked units have left it. WooCommerce
                // does not say whether they had shipped, and need not: counted as gone and as
                // returned alike, a restocked unit that never shipped moves on-hand by nothing,
                // one that had shipped comes back.
                let restocked = l.restocked().clamp(0, l.quantity.max(0));
                let live = l.quantity - restocked;
                ChannelLine {
                    external_id: l.id.to_string(),
                    sku: l.sku.clone().filter(|s| !s.is_empty()),
                    quantity: if refunded { 0 } else { live },
                    fulfilled: if fulfilled { live } else { 0 },
                    returned: restocked,
                    // A refunded order's units not restocked stay out of WooCommerce's stock.
                    written_off: if refunded { live.max(0) } else { 0 },
                    product_id: l.product_id.filter(|id| *id > 0).map(|id| id.to_string()),
                    variant_id: l.variation_id.filter(|id| *id > 0).map(|id| id.to_string()),
                    details: line_details(&l, &currency),
                }
            })
            .collect(),
        details,
        personal,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_a_recorded_order() {
        let w: WooOrder = serde_json::from_value(serde_json::json!({
            "id": 42, "number": "42", "status": "processing", "currency": "GBP",
            "date_created_gmt": "2026-11-28T04:00:00", "date_modified_gmt": "2026-11-28T04:00:03",
            "total": "12.00",
            "line_items": [{"id": 7, "product_id": 3, "variation_id": 0, "sku": "SKU-1", "quantity": 2, "price": 6.0}]
        }))
        .unwrap();
        let o = order(w).unwrap();
        assert_eq!(o.external_id, "42");
        assert_eq!(o.name, "#42");
        assert_eq!((o.financial, o.fulfillment, o.cancelled_at), (Financial::Paid, Fulfillment::Unfulfilled, None));
        assert_eq!(o.updated_at - o.created_at, 3000);
        assert_eq!(o.lines[0].quantity, 2);
    }

    #[test]
    fn cancelled_orders_are_closed() {
        assert!(statuses("cancelled").2);
        assert_eq!(statuses("pending").0, Financial::Pending);
        assert_eq!(statuses("completed").1, Fulfillment::Fulfilled);
    }
}

/// The store's units (Settings → Products), as factors to grams and millimetres.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Units {
    pub grams_per_unit: f64,
    pub mm_per_unit: f64,
}

impl Default for Units {
    /// WooCommerce's defaults: kg and cm.
    fn default() -> Self {
        Units { grams_per_unit: 1000.0, mm_per_unit: 10.0 }
    }
}

impl Units {
    /// From `GET /settings/products`: `woocommerce_weight_unit` (kg, g, lbs, oz) and
    /// `woocommerce_dimension_unit` (m, cm, mm, in, yd); an unknown or missing one keeps the default.
    pub fn from_settings(settings: &[serde_json::Value]) -> Units {
        let value = |id: &str| settings.iter().find(|s| s["id"] == id).and_then(|s| s["value"].as_str());
        let default = Units::default();
        Units {
            grams_per_unit: match value("woocommerce_weight_unit") {
                Some("kg") => 1000.0,
                Some("g") => 1.0,
                Some("lbs") => 453.592_37,
                Some("oz") => 28.349_523_125,
                _ => default.grams_per_unit,
            },
            mm_per_unit: match value("woocommerce_dimension_unit") {
                Some("m") => 1000.0,
                Some("cm") => 10.0,
                Some("mm") => 1.0,
                Some("in") => 25.4,
                Some("yd") => 914.4,
                _ => default.mm_per_unit,
            },
        }
    }
}

/// A product from `GET /products` — or, with its parent's id, a variation from
/// `GET /products/{id}/variations` — as channel product data, in the store's units.
pub fn listing(
    p: &serde_json::Value,
    parent: Option<i64>,
    currency: Option<&str>,
    units: Units,
) -> Option<crate::connectors::Listing> {
    let sku = p["sku"].as_str().filter(|s| !s.is_empty())?.to_string();
    let number = |v: &serde_json::Value| v.as_str().and_then(|s| s.trim().parse::<f64>().ok());
    let mm = |v: f64| (v * units.mm_per_unit).round() as i64;
    let dims = &p["dimensions"];
    let dimensions_mm = match (number(&dims["length"]), number(&dims["width"]), number(&dims["height"])) {
        (Some(l), Some(w), Some(h)) => Some((mm(l), mm(w), mm(h))),
        _ => None,
    };
    let id = p["id"].as_i64().map(|id| id.to_string());
    let (listing_id, variant_id) = match parent {
        Some(parent) => (Some(parent.to_string()), id),
        None => (id, None),
    };
    Some(crate::connectors::Listing {
        sku,
        listing_id,
        variant_id,
        image_url: p["images"][0]["src"].as_str().or_else(|| p["image"]["src"].as_str()).map(str::to_string),
        price: currency
            .and_then(|c| Some((crate::domain::money::parse_minor(p["price"].as_str()?, c)?, c.to_string()))),
        weight_grams: number(&p["weight"]).map(|w| (w * units.grams_per_unit).round() as i64),
        dimensions_mm,
        channel_quantity: p["stock_quantity"].as_i64(),
        ..Default::default()
    })
}

#[cfg(test)]
mod catalogue_tests {
    #[test]
    fn maps_a_product_in_default_units() {
        let p = serde_json::json!({"id": 101, "sku": "SKU-1", "weight": "0.25",
            "dimensions": {"length": "30", "width": "20", "height": "2"}, "images": [{"src": "http://x/p.jpg"}]});
        let l = super::listing(&p, None, Some("GBP"), super::Units::default()).unwrap();
        assert_eq!(
            (l.listing_id.as_deref(), l.weight_grams, l.dimensions_mm),
            (Some("101"), Some(250), Some((300, 200, 20)))
        );
        assert!(super::listing(&serde_json::json!({"id": 1, "sku": ""}), None, None, super::Units::default()).is_none());
    }

    #[test]
    fn a_store_in_pounds_and_inches_and_a_variation() {
        let settings = [
            serde_json::json!({"id": "woocommerce_weight_unit", "value": "lbs"}),
            serde_json::json!({"id": "woocommerce_dimension_unit", "value": "in"}),
        ];
        let units = super::Units::from_settings(&settings);
        let v = serde_json::json!({"id": 301, "sku": "TEE-M", "weight": "2",
            "dimensions": {"length": "10", "width": "5", "height": "1"}, "image": {"src": "http://x/m.jpg"}});
        let l = super::listing(&v, Some(300), None, units).unwrap();
        assert_eq!((l.listing_id.as_deref(), l.variant_id.as_deref()), (Some("300"), Some("301")));
        assert_eq!((l.weight_grams, l.dimensions_mm), (Some(907), Some((254, 127, 25))));
        assert_eq!(l.image_url.as_deref(), Some("http://x/m.jpg"));
    }
}

#[cfg(test)]
mod plan_tests {
    use std::collections::BTreeMap;

    use crate::domain::import::{plan, Action, Policy};
    use crate::domain::order::{ImportFilter, Status};

    #[test]
    fn an_order_shipped_and_refunded_before_chorus_saw_it_takes_its_units() {
        let w: super::WooOrder = serde_json::from_value(serde_json::json!({
            "id": 1011, "number": "1011", "status": "refunded",
            "date_created_gmt": "2026-11-28T04:00:00", "date_modified_gmt": "2026-11-28T04:00:09",
            "line_items": [{"id": 7, "sku": "A", "quantity": 3, "meta_data": [{"key": "_reduced_stock", "value": "3"}]}]
        }))
        .unwrap();
        let o = super::order(w).unwrap();
        let policy = Policy { filter: ImportFilter::default(), reserve_unpaid: true, tracked_since: 0 };
        let p = plan(&o, None, &policy, &|sku| (sku == "A").then_some(10));
        assert_eq!((p.action, p.status), (Action::Insert, Status::Cancelled), "{o:?}");
        assert_eq!(p.on_hand, BTreeMap::from([("A".to_string(), -3)]));
    }
}
