//! The Shopify Admin GraphQL documents Chorus sends, and what each costs.

/// The pinned Admin API version.
pub const API_VERSION: &str = "2026-04";

/// Line items fetched with each order; an order with more gets the rest in follow-up pages.
pub const LINES_PER_ORDER: i64 = 5;

/// One line item: the line, its variant and product (1 each), two money sets (2 each) and up
/// to three tax lines (a tax line and its money set: 3 each).
pub const LINE_COST: i64 = 1 + 1 + 1 + 2 * 2 + 3 * 3;

/// One order without its lines: the order, its customer and two addresses (1 each), five
/// money sets (2 each), and up to two shipping lines (a connection's 2, then per line the
/// line, its money set and its tax lines: 1 + 2 + 3).
pub const ORDER_COST: i64 = 1 + 3 + 5 * 2 + (2 + 2 * 6);

/// Orders per page, sized so one query stays under the 1,000-point single-query limit:
/// 2 + first × (order + its line connection's 2 + lines) = 882.
pub const ORDERS_PER_PAGE: i64 = 8;

pub fn orders_cost(first: i64) -> f64 {
    (2 + first * (ORDER_COST + 2 + LINES_PER_ORDER * LINE_COST)) as f64
}

/// The largest page (at least 2 orders, at most [`ORDERS_PER_PAGE`]) that `available` points pay for.
pub fn orders_affordable(available: f64) -> i64 {
    (((available - 2.0) / (ORDER_COST + 2 + LINES_PER_ORDER * LINE_COST) as f64).floor() as i64)
        .clamp(2, ORDERS_PER_PAGE)
}

/// A line item's fields: counts, ids, title and money (the shop's currency).
macro_rules! line_fields {
    () => {
        "id sku quantity currentQuantity unfulfilledQuantity title variant { id } product { id } \
         originalUnitPriceSet { shopMoney { amount } } totalDiscountSet { shopMoney { amount } } \
         taxLines(first: 3) { priceSet { shopMoney { amount } } }"
    };
}

/// A `MailingAddress`'s fields.
macro_rules! address_fields {
    () => {
        "{ name firstName lastName company address1 address2 city provinceCode zip countryCodeV2 phone }"
    };
}

/// Orders with their whole-order facts. The customer's name, email, phone and addresses are
/// protected customer data (level 2): Shopify answers null for them, with an `ACCESS_DENIED`
/// error beside the data, when the app is not approved for them.
pub const ORDERS: &str = concat!(
    "query ChorusOrders($first: Int!, $after: String, $query: String) {
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    nodes {
      id legacyResourceId name number createdAt updatedAt processedAt cancelledAt
      displayFinancialStatus displayFulfillmentStatus currencyCode email phone note tags
      customer { firstName lastName }
      shippingAddress ",
    address_fields!(),
    "
      billingAddress ",
    address_fields!(),
    "
      totalDiscountsSet { shopMoney { amount } }
      totalShippingPriceSet { shopMoney { amount } }
      totalTaxSet { shopMoney { amount } }
      totalPriceSet { shopMoney { amount } }
      totalOutstandingSet { shopMoney { amount } }
      shippingLines(first: 2) {
        nodes { title code originalPriceSet { shopMoney { amount } } taxLines { priceSet { shopMoney { amount } } } }
      }
      lineItems(first: 5) {
        nodes { ",
    line_fields!(),
    " }
        pageInfo { hasNextPage endCursor }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}"
);

/// Lines per follow-up page for an order with more than [`LINES_PER_ORDER`] lines:
/// 1 + 2 + 60 × 16 = 963 points.
pub const MORE_LINES_PER_PAGE: i64 = 60;

pub fn order_lines_cost(first: i64) -> f64 {
    (3 + first * LINE_COST) as f64
}

pub const ORDER_LINES: &str = concat!(
    "query ChorusOrderLines($id: ID!, $first: Int!, $after: String) {
  order(id: $id) {
    id
    lineItems(first: $first, after: $after) {
      nodes { ",
    line_fields!(),
    " }
      pageInfo { hasNextPage endCursor }
    }
  }
}"
);

/// Refunds read for an order that lost units, and refunded lines per refund: cost
/// 1 + 5 × (1 + 2 + 10 × 2) = 116 by Shopify's rules (the order, five refunds each with a
/// connection of ten lines and their line items), so re-reading them on every poll of a recently changed order
/// does not starve the pushes of points. An order with more refunds or refunded lines than
/// that is read in part (the README says so).
pub const REFUNDS_COST: f64 = 116.0;

pub const ORDER_REFUNDS: &str = r#"query ChorusOrderRefunds($id: ID!) {
  order(id: $id) {
    id
    refunds(first: 5) {
      refundLineItems(first: 10) { nodes { quantity restockType lineItem { id } } }
    }
  }
}"#;

/// Variants per catalogue page.
pub const VARIANTS_PER_PAGE: i64 = 100;

/// Shopify's rule: a connection costs 2 plus `first` times its node; each object 1 (the variant,
/// its product, inventory item, measurement, weight, inventory level and quantities).
pub fn variants_cost(first: i64) -> f64 {
    (3 + first * 7) as f64
}

/// The shop's primary location: `location` without an id (the Admin API's documented default).
pub const PRIMARY_LOCATION: &str = r#"query ChorusPrimaryLocation { shop { currencyCode } location { id name } }"#;
pub const PRIMARY_LOCATION_COST: f64 = 2.0;

/// Every location, to find the one a channel names.
pub const LOCATIONS: &str = r#"query ChorusLocations { shop { currencyCode } locations(first: 250, includeInactive: false) { nodes { id name } } }"#;
pub const LOCATIONS_COST: f64 = 253.0;

/// Variants with the quantity available at the channel's location (`inventoryLevel`), never
/// the total over every location (`inventoryQuantity`): compare-and-set is made against it.
pub const VARIANTS: &str = r#"query ChorusVariants($first: Int!, $after: String, $location: ID!) {
  productVariants(first: $first, after: $after) {
    nodes {
      id
      sku
      price
      product { id title }
      inventoryItem {
        id
        harmonizedSystemCode
        countryCodeOfOrigin
        measurement { weight { value unit } }
        inventoryLevel(locationId: $location) { quantities(names: ["available"]) { name quantity } }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}"#;

/// Quantities per `inventorySetQuantities` call: Shopify's limit.
pub const SET_QUANTITIES_MAX: usize = 250;
/// A mutation's cost.
pub const MUTATION_COST: f64 = 10.0;

pub const SET_QUANTITIES: &str = r#"mutation ChorusSetStock($input: InventorySetQuantitiesInput!, $idempotencyKey: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $idempotencyKey) {
    inventoryAdjustmentGroup { createdAt changes { name delta quantityAfterChange } }
    userErrors { field message code }
  }
}"#;

pub const ORDER_FULFILMENT: &str = r#"query ChorusFulfilmentOrders($id: ID!) {
  order(id: $id) {
    id
    fulfillments(first: 10) {
      id status createdAt
      trackingInfo { number company url }
      fulfillmentLineItems(first: 10) { nodes { quantity lineItem { id } } }
    }
    fulfillmentOrders(first: 5) {
      nodes {
        id status
        assignedLocation { location { id } }
        lineItems(first: 50) { nodes { id remainingQuantity lineItem { id } } }
      }
    }
  }
}"#;

/// 1 + 10 fulfillments × (1 + 1 + 2 + 10 × 2) + 2 + 5 fulfillment orders × (1 + 2 + 2 + 50 × 2).
pub const ORDER_FULFILMENT_COST: f64 = 768.0;

pub const FULFILLMENT_CREATE: &str = r#"mutation ChorusFulfil($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) {
    fulfillment { id status trackingInfo { number company url } }
    userErrors { field message }
  }
}"#;

/// SKUs per quantity read.
pub const READ_QUANTITIES_PER_CALL: usize = 50;

pub const VARIANT_QUANTITIES: &str = r#"query ChorusQuantities($first: Int!, $query: String!, $location: ID!) {
  productVariants(first: $first, query: $query) {
    nodes {
      sku
      inventoryItem { inventoryLevel(locationId: $location) { quantities(names: ["available"]) { name quantity } } }
    }
  }
}"#;

/// A quantity read's cost: the variant, inventory item, level and quantities per node.
pub fn quantities_cost(first: i64) -> f64 {
    (2 + first * 4) as f64
}

/// A `productVariants` search matching any of these SKUs exactly.
pub fn sku_search(skus: &[String]) -> String {
    skus.iter()
        .map(|s| format!("sku:\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"")))
        .collect::<Vec<_>>()
        .join(" OR ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_shrink_to_the_budget() {
        assert_eq!(orders_affordable(2000.0), ORDERS_PER_PAGE);
        assert_eq!(orders_affordable(300.0), 2);
        assert_eq!(orders_affordable(500.0), 4);
        assert_eq!(orders_affordable(10.0), 2);
    }

    #[test]
    fn searches_skus_quoted() {
        assert_eq!(sku_search(&["A".into(), "B \"x\"".into()]), r#"sku:"A" OR sku:"B \"x\"""#);
    }

    #[test]
    fn a_page_stays_under_the_single_query_limit() {
        assert!(orders_cost(ORDERS_PER_PAGE) <= 1000.0);
        assert!(ORDERS.contains(&format!("lineItems(first: {LINES_PER_ORDER})")));
        assert!(order_lines_cost(MORE_LINES_PER_PAGE) <= 1000.0);
    }
}
