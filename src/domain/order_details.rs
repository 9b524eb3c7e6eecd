//! The whole order as its channel sold it: who bought, where it goes, what it cost and how it
//! ships. Money in integer minor units of the order's currency; addresses in one shape whatever
//! the channel's. What identifies a person (customer, addresses, note) is kept apart from the
//! rest, so a redaction can blank it without touching the figures.

use serde::{Deserialize, Serialize};

/// A postal address, normalised: the channels' `address_1`/`address1`, `state`/`provinceCode`,
/// `postcode`/`zip` and first and last names all land here.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Address {
    pub name: Option<String>,
    pub company: Option<String>,
    pub address1: Option<String>,
    pub address2: Option<String>,
    pub city: Option<String>,
    /// ISO 3166-2 subdivision code without the country (`CA`, `ON`), as the channels give it.
    pub province_code: Option<String>,
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country_code: Option<String>,
    pub phone: Option<String>,
}

impl Address {
    /// None when the channel gave nothing (WooCommerce sends every field as `""`).
    pub fn or_none(self) -> Option<Address> {
        (self != Address::default()).then_some(self)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Customer {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// The personal data of an order: blanked by a redaction, never logged.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Personal {
    pub customer: Option<Customer>,
    pub shipping_address: Option<Address>,
    pub billing_address: Option<Address>,
    /// The customer's note at checkout.
    pub note: Option<String>,
}

impl Personal {
    /// The customer's email, lower-cased, for finding their orders.
    pub fn email_key(&self) -> Option<String> {
        self.customer.as_ref()?.email.as_deref().map(|e| e.trim().to_lowercase()).filter(|e| !e.is_empty())
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ShippingLine {
    pub title: String,
    /// The channel's code for the method (`flat_rate`, a carrier service code).
    pub code: Option<String>,
    pub price_minor: i64,
    pub tax_minor: i64,
}

/// The order's money, in minor units of its currency.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Totals {
    /// Lines before discounts.
    pub subtotal_minor: i64,
    pub discounts_minor: i64,
    pub shipping_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
    /// Received from the customer so far.
    pub paid_minor: i64,
}

/// What the order says beyond its lines' counts, without personal data.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Details {
    /// The channel's order number as the merchant and customer know it (`1001`).
    pub number: Option<String>,
    /// ISO 4217.
    pub currency: Option<String>,
    pub totals: Option<Totals>,
    pub shipping_lines: Vec<ShippingLine>,
    pub tags: Vec<String>,
    /// When the channel took the payment (ms).
    pub paid_at: Option<i64>,
}

/// A line's money and title.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LineDetails {
    pub title: Option<String>,
    pub unit_price_minor: Option<i64>,
    pub discount_minor: i64,
    pub tax_minor: i64,
    /// After discounts, before tax.
    pub total_minor: Option<i64>,
}

/// What a fulfilment centre ships from: where to, for whom, how, and which units. An order a
/// plugin holds whose facts change is sent to it again (`orders.updated`).
#[derive(Debug, PartialEq, Eq)]
pub struct ShipmentFacts {
    ship_to: Option<Address>,
    customer: Option<Customer>,
    methods: Vec<(String, Option<String>)>,
    /// (line id, SKU, quantity), sorted.
    units: Vec<(String, String, i64)>,
}

impl ShipmentFacts {
    pub fn new(personal: &Personal, details: &Details, mut units: Vec<(String, String, i64)>) -> ShipmentFacts {
        units.sort();
        ShipmentFacts {
            ship_to: personal.shipping_address.clone(),
            customer: personal.customer.clone(),
            methods: details.shipping_lines.iter().map(|s| (s.title.clone(), s.code.clone())).collect(),
            units,
        }
    }
}

/// `Some(text)` unless blank.
pub fn text(s: Option<&str>) -> Option<String> {
    s.map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

/// "First Last" from the parts a channel gives, or None.
pub fn full_name(first: Option<&str>, last: Option<&str>) -> Option<String> {
    let joined = [text(first), text(last)].into_iter().flatten().collect::<Vec<_>>().join(" ");
    text(Some(&joined))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_addresses_and_names_are_none() {
        assert_eq!(Address { city: Some(String::new()).and(None), ..Default::default() }.or_none(), None);
        assert_eq!(full_name(Some(" "), Some("")), None);
        assert_eq!(full_name(Some("Ada"), Some("Lovelace")).as_deref(), Some("Ada Lovelace"));
        assert_eq!(full_name(None, Some("Lovelace")).as_deref(), Some("Lovelace"));
    }

    #[test]
    fn shipment_facts_see_address_method_and_units_but_not_money() {
        let address = |city: &str| Address { city: Some(city.into()), ..Default::default() };
        let personal = |city: &str| Personal { shipping_address: Some(address(city)), ..Default::default() };
        let units = || vec![("2".to_string(), "B".to_string(), 1), ("1".to_string(), "A".to_string(), 2)];
        let details = Details::default();
        let before = ShipmentFacts::new(&personal("Leeds"), &details, units());
        let mut reordered = units();
        reordered.reverse();
        assert_eq!(before, ShipmentFacts::new(&personal("Leeds"), &details, reordered));
        let repriced = Details { totals: Some(Totals { total_minor: 5, ..Default::default() }), ..Default::default() };
        assert_eq!(before, ShipmentFacts::new(&personal("Leeds"), &repriced, units()));
        assert_ne!(before, ShipmentFacts::new(&personal("York"), &details, units()));
        let fewer = vec![("1".to_string(), "A".to_string(), 1), ("2".to_string(), "B".to_string(), 1)];
        assert_ne!(before, ShipmentFacts::new(&personal("Leeds"), &details, fewer));
        let express = Details {
            shipping_lines: vec![ShippingLine { title: "Express".into(), ..Default::default() }],
            ..Default::default()
        };
        assert_ne!(before, ShipmentFacts::new(&personal("Leeds"), &express, units()));
    }

    #[test]
    fn the_email_key_is_lower_case() {
        let p = Personal {
            customer: Some(Customer { email: Some(" Ada@Example.COM ".into()), ..Default::default() }),
            ..Default::default()
        };
        assert_eq!(p.email_key().as_deref(), Some("ada@example.com"));
        assert_eq!(Personal::default().email_key(), None);
    }
}
