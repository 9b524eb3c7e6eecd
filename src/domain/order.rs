//! Order rules: what a channel's order looks like to Chorus, which orders are imported, which
//! hold stock, and when an order goes On Hold.

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::order_details::{Details, LineDetails, Personal};
use super::stock::MAX_QUANTITY;

/// Payment state as the channel reports it, reduced to what decides import and allocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Financial {
    Paid,
    Pending,
    Refunded,
    Voided,
    Other,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Fulfillment {
    Unfulfilled,
    PartiallyFulfilled,
    Fulfilled,
}

impl Financial {
    pub fn as_str(self) -> &'static str {
        match self {
            Financial::Paid => "paid",
            Financial::Pending => "pending",
            Financial::Refunded => "refunded",
            Financial::Voided => "voided",
            Financial::Other => "other",
        }
    }
}

impl Fulfillment {
    pub fn as_str(self) -> &'static str {
        match self {
            Fulfillment::Unfulfilled => "unfulfilled",
            Fulfillment::PartiallyFulfilled => "partially_fulfilled",
            Fulfillment::Fulfilled => "fulfilled",
        }
    }
}

/// An order as a connector maps it from the channel's JSON.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelOrder {
    pub external_id: String,
    pub name: String,
    pub financial: Financial,
    pub fulfillment: Fulfillment,
    pub cancelled_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    /// The channel counts this order against its own stock in its current state (Shopify from
    /// creation whatever the payment; WooCommerce in `on-hold`, `processing`, `completed`).
    pub reserved: bool,
    pub lines: Vec<ChannelLine>,
    /// Number, currency, money, shipping, tags.
    pub details: Details,
    /// Customer, addresses, note: personal data.
    pub personal: Personal,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelLine {
    pub external_id: String,
    /// None when the channel's line names no SKU (a custom item).
    pub sku: Option<String>,
    /// The current quantity (after edits, removals and refunds).
    pub quantity: i64,
    /// Of the current quantity, units already fulfilled on the channel (by anyone).
    pub fulfilled: i64,
    /// Units refunded and put back in stock after they had shipped (a return), ever.
    pub returned: i64,
    /// Units refunded without restock (gone for good, shipped or not), ever.
    pub written_off: i64,
    /// The channel's id of the product sold, where the channel said.
    pub product_id: Option<String>,
    /// The channel's id of the variant sold (a Shopify ProductVariant, a WooCommerce
    /// variation), where there is one and the channel said.
    pub variant_id: Option<String>,
    /// Title and money.
    pub details: LineDetails,
}

impl ChannelLine {
    /// A line whose counts are all within [`MAX_QUANTITY`] and consistent.
    pub fn is_valid(&self) -> bool {
        let bounded = |q: i64| (0..=MAX_QUANTITY).contains(&q);
        bounded(self.quantity) && bounded(self.fulfilled) && bounded(self.returned) && bounded(self.written_off)
    }
}

/// Which orders a channel imports beyond the default of paid and unfulfilled.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImportFilter {
    pub unpaid: bool,
    pub fulfilled: bool,
}

/// Chorus's own order status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Imported,
    OnHold,
    /// Unpaid, but the channel already holds stock for it: it allocates, and becomes an
    /// ordinary imported order once paid. Not routed, not fulfillable.
    AwaitingPayment,
    /// Every unit shipped on the channel itself (its admin, another app), not through Chorus.
    FulfilledOnChannel,
    Excluded,
    Cancelled,
    /// Handed to a fulfilment-centre plugin, which has acknowledged it.
    SentToPlugin,
    /// Some units shipped through Chorus, not all of them confirmed by the channel yet.
    PartiallyFulfilled,
    /// Every line fulfilled and every fulfilment confirmed by the channel.
    Synced,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Imported => "imported",
            Status::OnHold => "on_hold",
            Status::AwaitingPayment => "awaiting_payment",
            Status::FulfilledOnChannel => "fulfilled_on_channel",
            Status::Excluded => "excluded",
            Status::Cancelled => "cancelled",
            Status::SentToPlugin => "sent_to_plugin",
            Status::PartiallyFulfilled => "partially_fulfilled",
            Status::Synced => "synced",
        }
    }
    pub fn parse(s: &str) -> Option<Status> {
        Some(match s {
            "imported" => Status::Imported,
            "on_hold" => Status::OnHold,
            "awaiting_payment" => Status::AwaitingPayment,
            "fulfilled_on_channel" => Status::FulfilledOnChannel,
            "excluded" => Status::Excluded,
            "cancelled" => Status::Cancelled,
            "sent_to_plugin" => Status::SentToPlugin,
            "partially_fulfilled" => Status::PartiallyFulfilled,
            "synced" => Status::Synced,
            _ => return None,
        })
    }
    /// Open orders may hold stock.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            Status::Imported
                | Status::OnHold
                | Status::SentToPlugin
                | Status::PartiallyFulfilled
                | Status::AwaitingPayment
        )
    }

    /// Every status an open order can have, for queries.
    pub const OPEN: [Status; 5] =
        [Status::Imported, Status::OnHold, Status::SentToPlugin, Status::PartiallyFulfilled, Status::AwaitingPayment];
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HoldReason {
    InsufficientStock,
    UnknownSku,
    /// A line's quantity is negative or above [`MAX_QUANTITY`]: nothing is allocated.
    InvalidQuantity,
}

impl HoldReason {
    pub fn as_str(self) -> &'static str {
        match self {
            HoldReason::InsufficientStock => "insufficient_stock",
            HoldReason::UnknownSku => "unknown_sku",
            HoldReason::InvalidQuantity => "invalid_quantity",
        }
    }
    pub fn parse(s: &str) -> Option<HoldReason> {
        Some(match s {
            "insufficient_stock" => HoldReason::InsufficientStock,
            "unknown_sku" => HoldReason::UnknownSku,
            "invalid_quantity" => HoldReason::InvalidQuantity,
            _ => return None,
        })
    }
}

/// Whether a channel order Chorus has not seen yet should be imported.
pub fn admits(filter: ImportFilter, order: &ChannelOrder) -> bool {
    if closed_on_channel(order) {
        return false;
    }
    let paid = order.financial == Financial::Paid;
    let fulfilled = order.fulfillment == Fulfillment::Fulfilled;
    (paid || filter.unpaid) && (!fulfilled || filter.fulfilled)
}

/// Cancelled, refunded or voided on the channel: it must hold no stock.
pub fn closed_on_channel(order: &ChannelOrder) -> bool {
    order.cancelled_at.is_some() || matches!(order.financial, Financial::Refunded | Financial::Voided)
}

/// What one line holds: its unfulfilled quantity while the order is open and the SKU known.
pub fn line_allocation(open: bool, sku_known: bool, quantity: i64, fulfilled: i64) -> i64 {
    if open && sku_known {
        (quantity - fulfilled).max(0)
    } else {
        0
    }
}

/// The hold an order deserves after its lines are allocated, if any. `available` answers for
/// known SKUs only (None = unknown to Chorus).
pub fn hold_reason(lines: &[ChannelLine], available: impl Fn(&str) -> Option<i64>) -> Option<HoldReason> {
    if lines.iter().any(|l| !l.is_valid()) {
        return Some(HoldReason::InvalidQuantity);
    }
    hold_for(lines.iter().filter(|l| l.quantity > l.fulfilled).map(|l| l.sku.as_deref()), available)
}

/// The hold deserved by lines that still need stock (by SKU; None = the channel names none).
pub fn hold_for<'a>(
    needing: impl Iterator<Item = Option<&'a str>>,
    available: impl Fn(&str) -> Option<i64>,
) -> Option<HoldReason> {
    let mut short = false;
    for sku in needing {
        match sku.and_then(&available) {
            None => return Some(HoldReason::UnknownSku),
            Some(a) if a < 0 => short = true,
            Some(_) => {}
        }
    }
    short.then_some(HoldReason::InsufficientStock)
}

/// A stable summary of what the channel said, to notice a change that kept its timestamp
/// (channels report `updated_at` to the second).
pub fn digest(order: &ChannelOrder) -> String {
    let mut s = format!(
        "{}|{}|{}|{:?}|{}",
        order.financial.as_str(),
        order.fulfillment.as_str(),
        order.name,
        order.cancelled_at,
        order.reserved
    );
    for l in &order.lines {
        s.push_str(&format!(
            "|{}:{}:{}:{}:{}:{}",
            l.external_id,
            l.sku.as_deref().unwrap_or(""),
            l.quantity,
            l.fulfilled,
            l.returned,
            l.written_off
        ));
    }
    // Only where the channel said more, so an order read before whole orders were kept keeps
    // its digest; hashed, so the stored digest holds no personal data.
    let lines: Vec<&LineDetails> = order.lines.iter().map(|l| &l.details).collect();
    if order.details != Details::default()
        || order.personal != Personal::default()
        || lines.iter().any(|d| **d != LineDetails::default())
    {
        let whole = serde_json::to_string(&(&order.details, &order.personal, lines)).unwrap_or_default();
        s.push('|');
        s.push_str(&hex::encode(Sha256::digest(whole.as_bytes())));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(financial: Financial, fulfillment: Fulfillment) -> ChannelOrder {
        ChannelOrder {
            external_id: "1".into(),
            name: "#1".into(),
            financial,
            fulfillment,
            cancelled_at: None,
            created_at: 0,
            updated_at: 0,
            reserved: true,
            lines: vec![line("A", 2, 0)],
            details: Default::default(),
            personal: Default::default(),
        }
    }

    fn line(sku: &str, quantity: i64, fulfilled: i64) -> ChannelLine {
        ChannelLine {
            external_id: sku.into(),
            sku: Some(sku.into()),
            quantity,
            fulfilled,
            returned: 0,
            written_off: 0,
            product_id: None,
            variant_id: None,
            details: Default::default(),
        }
    }

    #[test]
    fn default_filter_takes_paid_unfulfilled_only() {
        let f = ImportFilter::default();
        assert!(admits(f, &order(Financial::Paid, Fulfillment::Unfulfilled)));
        assert!(admits(f, &order(Financial::Paid, Fulfillment::PartiallyFulfilled)));
        assert!(!admits(f, &order(Financial::Pending, Fulfillment::Unfulfilled)));
        assert!(!admits(f, &order(Financial::Paid, Fulfillment::Fulfilled)));
        let wide = ImportFilter { unpaid: true, fulfilled: true };
        assert!(admits(wide, &order(Financial::Pending, Fulfillment::Fulfilled)));
        let mut cancelled = order(Financial::Paid, Fulfillment::Unfulfilled);
        cancelled.cancelled_at = Some(5);
        assert!(!admits(wide, &cancelled));
        assert!(!admits(wide, &order(Financial::Refunded, Fulfillment::Unfulfilled)));
    }

    #[test]
    fn lines_allocate_their_unfulfilled_quantity_when_open_and_known() {
        assert_eq!(line_allocation(true, true, 3, 1), 2);
        assert_eq!(line_allocation(true, false, 3, 0), 0);
        assert_eq!(line_allocation(false, true, 3, 0), 0);
        assert_eq!(line_allocation(true, true, 1, 3), 0);
    }

    #[test]
    fn unknown_sku_outranks_short_stock() {
        let lines = vec![line("A", 1, 0), line("B", 1, 0)];
        assert_eq!(hold_reason(&lines, |s| (s == "A").then_some(-1)), Some(HoldReason::UnknownSku));
        assert_eq!(hold_reason(&lines, |_| Some(-1)), Some(HoldReason::InsufficientStock));
        assert_eq!(hold_reason(&lines, |_| Some(0)), None);
        // A fully fulfilled line no longer needs stock.
        assert_eq!(hold_reason(&[line("A", 1, 1)], |_| None), None);
    }

    #[test]
    fn digest_notices_changes_within_a_second() {
        let a = order(Financial::Paid, Fulfillment::Unfulfilled);
        let mut b = a.clone();
        assert_eq!(digest(&a), digest(&b));
        b.cancelled_at = Some(1);
        assert_ne!(digest(&a), digest(&b));
    }
}
