//! An order as the API, the `orders.*` events and the plugins see it: its lines, what each
//! allocates and has shipped, and (when asked for) its history and fulfilments.

use serde::Serialize;

use crate::domain::order_details::{Address, Customer, ShippingLine, Totals};

/// The version of the order shape (`src/views/order.v1.schema.json`): fields are only ever
/// added within a version; a change that could break a receiver makes a new one.
pub const ORDER_SHAPE_VERSION: u32 = 1;

#[derive(Serialize, utoipa::ToSchema)]
pub struct OrderView {
    pub version: u32,
    pub id: i64,
    pub channel_id: i64,
    pub external_id: String,
    pub name: String,
    pub status: String,
    pub hold_reason: Option<String>,
    pub financial_status: String,
    pub fulfillment_status: String,
    pub channel_created_at: String,
    pub channel_updated_at: String,
    pub cancelled_at: Option<String>,
    pub imported_at: String,
    pub updated_at: String,
    /// The fulfilment-centre plugin the order was routed to.
    pub plugin_id: Option<i64>,
    /// The channel's order number, as the merchant and the customer know it.
    pub number: Option<String>,
    /// ISO 4217; every `*_minor` amount is in its minor unit.
    pub currency: Option<String>,
    /// See `/schemas/order.v1.json` for the full shape.
    #[schema(value_type = Option<Object>)]
    pub customer: Option<Customer>,
    #[schema(value_type = Option<Object>)]
    pub shipping_address: Option<Address>,
    #[schema(value_type = Option<Object>)]
    pub billing_address: Option<Address>,
    /// The customer's note at checkout.
    pub note: Option<String>,
    #[schema(value_type = Vec<Object>)]
    pub shipping_lines: Vec<ShippingLine>,
    #[schema(value_type = Option<Object>)]
    pub totals: Option<Totals>,
    pub tags: Vec<String>,
    pub paid_at: Option<String>,
    /// When the customer, addresses and note were blanked; null while they are kept.
    pub redacted_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lines: Option<Vec<LineView>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<HistoryView>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fulfilments: Option<Vec<super::fulfilments::FulfilmentView>>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = OrderLineView)]
pub struct LineView {
    pub id: i64,
    pub external_id: String,
    pub sku: String,
    pub quantity: i64,
    pub fulfilled: i64,
    /// Units shipped through Chorus's fulfilments.
    pub shipped: i64,
    pub allocated: i64,
    /// Units shipped (or written off) on the channel itself, taken off the ships-from source.
    pub shipped_on_channel: i64,
    /// Units the channel restocked after they shipped, put back on the source.
    pub returned: i64,
    /// Units refunded without restock.
    pub written_off: i64,
    /// The channel's id of the product sold (for a WooCommerce variation, its parent).
    pub product_id: Option<String>,
    /// The channel's id of the variant sold: a Shopify ProductVariant gid, a WooCommerce
    /// `variation_id`; null for a simple product or where the channel did not say.
    pub variant_id: Option<String>,
    pub title: Option<String>,
    pub unit_price_minor: Option<i64>,
    pub discount_minor: i64,
    pub tax_minor: i64,
    /// After discounts, before tax.
    pub total_minor: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct HistoryView {
    pub at: String,
    pub kind: String,
    pub detail: String,
}

impl OrderView {
    pub fn with_fulfilments(mut self, f: Vec<super::fulfilments::FulfilmentView>) -> Self {
        self.fulfilments = Some(f);
        self
    }
}
