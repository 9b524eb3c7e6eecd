//! What a simulated order carries beyond its lines' counts: customer, addresses, shipping,
//! note and tags, as the tester gives them in one neutral shape; each platform's renderer
//! writes them the way that platform does.

use serde::Deserialize;
use serde_json::Value;

use super::Refusal;

/// A person at an address, in the tester's neutral shape (Shopify's field names, mostly).
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct Person {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub company: Option<String>,
    pub address1: Option<String>,
    pub address2: Option<String>,
    pub city: Option<String>,
    pub province_code: Option<String>,
    pub zip: Option<String>,
    pub country_code: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

impl Person {
    /// An admin edit: each field given replaces the stored one (`""` clears it).
    pub fn merge(&mut self, given: Person) {
        let pairs = [
            (&mut self.first_name, given.first_name),
            (&mut self.last_name, given.last_name),
            (&mut self.company, given.company),
            (&mut self.address1, given.address1),
            (&mut self.address2, given.address2),
            (&mut self.city, given.city),
            (&mut self.province_code, given.province_code),
            (&mut self.zip, given.zip),
            (&mut self.country_code, given.country_code),
            (&mut self.email, given.email),
            (&mut self.phone, given.phone),
        ];
        for (field, value) in pairs {
            if let Some(v) = value {
                *field = Some(v).filter(|v| !v.is_empty());
            }
        }
    }

    /// WooCommerce's `billing` / `shipping` object, in the neutral shape.
    pub fn from_woo(a: &serde_json::Map<String, Value>) -> Person {
        let text = |k: &str| a.get(k).and_then(Value::as_str).map(str::to_string);
        Person {
            first_name: text("first_name"),
            last_name: text("last_name"),
            company: text("company"),
            address1: text("address_1"),
            address2: text("address_2"),
            city: text("city"),
            province_code: text("state"),
            zip: text("postcode"),
            country_code: text("country"),
            email: text("email"),
            phone: text("phone"),
        }
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Shipping {
    pub title: String,
    pub code: String,
    /// In the order currency's minor unit.
    pub price_minor: i64,
    #[serde(default)]
    pub tax_minor: i64,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct Whole {
    pub customer: Option<Person>,
    pub billing_address: Option<Person>,
    pub shipping_address: Option<Person>,
    pub shipping_line: Option<Shipping>,
    pub note: Option<String>,
    pub tags: Vec<String>,
}

impl Whole {
    /// The whole-order fields of a tester's `POST /_sim/orders` body (the others are the lines'
    /// and the payment's).
    pub fn from_body(v: &Value) -> Result<Whole, Refusal> {
        let mut picked = serde_json::Map::new();
        for key in ["customer", "billing_address", "shipping_address", "shipping_line", "note", "tags"] {
            if let Some(x) = v.get(key).filter(|x| !x.is_null()) {
                picked.insert(key.to_string(), x.clone());
            }
        }
        let whole: Whole = serde_json::from_value(Value::Object(picked)).map_err(|e| Refusal(e.to_string()))?;
        if whole.shipping_line.as_ref().is_some_and(|s| s.price_minor < 0 || s.tax_minor < 0) {
            return Err("shipping_line amounts must not be negative".into());
        }
        Ok(whole)
    }

    pub fn shipping_minor(&self) -> i64 {
        self.shipping_line.as_ref().map_or(0, |s| s.price_minor)
    }

    pub fn shipping_tax_minor(&self) -> i64 {
        self.shipping_line.as_ref().map_or(0, |s| s.tax_minor)
    }

    /// The customer's email: their own, else the billing address's.
    pub fn email(&self) -> Option<&str> {
        self.customer
            .as_ref()
            .and_then(|c| c.email.as_deref())
            .or_else(|| self.billing_address.as_ref().and_then(|b| b.email.as_deref()))
    }
}
