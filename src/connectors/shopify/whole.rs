//! The whole Shopify order (customer, addresses, money, shipping, tax) in one neutral form that
//! both paths fill — the GraphQL poll and the REST-shaped webhook — and one mapping from it to
//! the domain's, so an order reads the same whichever path brought it last.

use crate::connectors::parse_time;
use crate::domain::money::parse_minor;
use crate::domain::order::Financial;
use crate::domain::order_details::{
    full_name, text, Address, Customer, Details, LineDetails, Personal, ShippingLine, Totals,
};

/// An address as either API gives it: GraphQL's `MailingAddress` (camelCase, `countryCodeV2`)
/// and REST's `shipping_address` (snake_case) both read into it.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct AddressFacts {
    pub name: Option<String>,
    #[serde(alias = "firstName")]
    pub first_name: Option<String>,
    #[serde(alias = "lastName")]
    pub last_name: Option<String>,
    pub company: Option<String>,
    pub address1: Option<String>,
    pub address2: Option<String>,
    pub city: Option<String>,
    #[serde(alias = "provinceCode")]
    pub province_code: Option<String>,
    pub zip: Option<String>,
    #[serde(alias = "countryCodeV2")]
    pub country_code: Option<String>,
    pub phone: Option<String>,
}

impl AddressFacts {
    fn address(&self) -> Option<Address> {
        Address {
            name: full_name(self.first_name.as_deref(), self.last_name.as_deref())
                .or_else(|| text(self.name.as_deref())),
            company: text(self.company.as_deref()),
            address1: text(self.address1.as_deref()),
            address2: text(self.address2.as_deref()),
            city: text(self.city.as_deref()),
            province_code: text(self.province_code.as_deref()),
            postal_code: text(self.zip.as_deref()),
            country_code: text(self.country_code.as_deref()),
            phone: text(self.phone.as_deref()),
        }
        .or_none()
    }
}

/// A shipping line: amounts as the decimal strings Shopify sends, in the shop's currency.
#[derive(Debug, Default)]
pub struct ShippingFacts {
    pub title: Option<String>,
    pub code: Option<String>,
    pub price: Option<String>,
    pub taxes: Vec<String>,
}

/// A line item's title and money.
#[derive(Debug, Default)]
pub struct LineFacts {
    pub title: Option<String>,
    pub unit_price: Option<String>,
    pub discount: Option<String>,
    pub taxes: Vec<String>,
}

/// The order's whole-order facts; amounts in the shop's currency (`shopMoney`).
#[derive(Debug, Default)]
pub struct OrderFacts {
    pub currency: Option<String>,
    pub number: Option<String>,
    pub processed_at: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub customer_first_name: Option<String>,
    pub customer_last_name: Option<String>,
    pub shipping_address: Option<AddressFacts>,
    pub billing_address: Option<AddressFacts>,
    pub note: Option<String>,
    pub tags: Vec<String>,
    pub discounts: Option<String>,
    pub shipping: Option<String>,
    pub tax: Option<String>,
    pub total: Option<String>,
    pub outstanding: Option<String>,
    pub shipping_lines: Vec<ShippingFacts>,
}

/// REST's `tags` ("a, b"): GraphQL's list.
pub fn split_tags(tags: &str) -> Vec<String> {
    tags.split(',').filter_map(|t| text(Some(t))).collect()
}

fn amount(s: Option<&str>, currency: &str) -> Option<i64> {
    parse_minor(s?.trim(), currency)
}

fn sum(amounts: &[String], currency: &str) -> i64 {
    amounts.iter().filter_map(|a| amount(Some(a), currency)).sum()
}

/// A line's money: unit price, its discounts and taxes, and its total after discounts for the
/// `ordered` units.
pub fn line_details(l: &LineFacts, ordered: i64, currency: &str) -> LineDetails {
    let unit = amount(l.unit_price.as_deref(), currency);
    let discount = amount(l.discount.as_deref(), currency).unwrap_or(0);
    LineDetails {
        title: text(l.title.as_deref()),
        unit_price_minor: unit,
        discount_minor: discount,
        tax_minor: sum(&l.taxes, currency),
        total_minor: unit.and_then(|u| u.checked_mul(ordered)).map(|t| t - discount),
    }
}

/// The order's details and personal data. `lines` are (unit price, ordered units) per line,
/// for the subtotal before discounts; `financial` says whether it was paid, and Shopify's
/// processing time stands for the payment time (Shopify gives no other on the order).
pub fn whole(f: &OrderFacts, financial: Financial, lines: &[(Option<i64>, i64)]) -> (Details, Personal) {
    let currency = f.currency.as_deref().map(str::to_ascii_uppercase).unwrap_or_default();
    let money = |s: &Option<String>| amount(s.as_deref(), &currency).unwrap_or(0);
    let total = money(&f.total);
    let totals = Totals {
        subtotal_minor: lines.iter().filter_map(|(unit, n)| unit.and_then(|u| u.checked_mul(*n))).sum(),
        discounts_minor: money(&f.discounts),
        shipping_minor: money(&f.shipping),
        tax_minor: money(&f.tax),
        total_minor: total,
        paid_minor: (total - money(&f.outstanding)).max(0),
    };
    let paid = matches!(financial, Financial::Paid | Financial::Refunded);
    let details = Details {
        number: text(f.number.as_deref()),
        currency: text(Some(&currency)),
        totals: Some(totals),
        shipping_lines: f
            .shipping_lines
            .iter()
            .map(|s| ShippingLine {
                title: s.title.clone().unwrap_or_default(),
                code: text(s.code.as_deref()),
                price_minor: money(&s.price),
                tax_minor: sum(&s.taxes, &currency),
            })
            .collect(),
        tags: f.tags.iter().filter_map(|t| text(Some(t))).collect(),
        paid_at: if paid { f.processed_at.as_deref().and_then(parse_time) } else { None },
    };
    let billing = f.billing_address.as_ref().and_then(AddressFacts::address);
    let customer = Customer {
        name: full_name(f.customer_first_name.as_deref(), f.customer_last_name.as_deref())
            .or_else(|| billing.as_ref().and_then(|b| b.name.clone())),
        email: text(f.email.as_deref()),
        phone: text(f.phone.as_deref()),
    };
    let personal = Personal {
        customer: (customer != Customer::default()).then_some(customer),
        shipping_address: f.shipping_address.as_ref().and_then(AddressFacts::address),
        billing_address: billing,
        note: text(f.note.as_deref()),
    };
    (details, personal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_in_the_shop_currency_and_names_from_the_parts() {
        let f = OrderFacts {
            currency: Some("jpy".into()),
            total: Some("1300".into()),
            outstanding: Some("0".into()),
            shipping_lines: vec![ShippingFacts {
                title: Some("Yamato".into()),
                price: Some("500".into()),
                taxes: vec!["50".into()],
                ..Default::default()
            }],
            billing_address: Some(AddressFacts { name: Some("Ada Lovelace".into()), ..Default::default() }),
            tags: split_tags("vip, , wholesale"),
            processed_at: Some("2026-12-01T10:00:00Z".into()),
            ..Default::default()
        };
        let (d, p) = whole(&f, Financial::Paid, &[(Some(400), 2)]);
        assert_eq!(d.currency.as_deref(), Some("JPY"));
        let t = d.totals.unwrap_or_default();
        assert_eq!((t.subtotal_minor, t.total_minor, t.paid_minor), (800, 1300, 1300));
        assert_eq!(d.shipping_lines[0].tax_minor, 50);
        assert_eq!(d.tags, vec!["vip".to_string(), "wholesale".to_string()]);
        assert!(d.paid_at.is_some());
        assert_eq!(p.customer.and_then(|c| c.name).as_deref(), Some("Ada Lovelace"));
        let (unpaid, _) = whole(&f, Financial::Pending, &[]);
        assert_eq!(unpaid.paid_at, None);
    }

    #[test]
    fn a_line_total_is_after_its_discount() {
        let l = LineFacts {
            title: Some("Shirt".into()),
            unit_price: Some("6.00".into()),
            discount: Some("1.50".into()),
            taxes: vec!["1.00".into(), "0.05".into()],
        };
        let d = line_details(&l, 3, "GBP");
        assert_eq!(
            (d.unit_price_minor, d.discount_minor, d.tax_minor, d.total_minor),
            (Some(600), 150, 105, Some(1650))
        );
    }
}
