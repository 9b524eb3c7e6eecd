//! Connectors: one folder per marketplace behind one trait. A connector turns the channel's
//! API into domain types and paces itself to the channel's rate limits.

pub mod guard;
pub mod http;
pub mod shopify;
pub mod woocommerce;

use std::rc::Rc;
use std::time::Duration;

use futures::future::LocalBoxFuture;

use crate::domain::channel::ChannelKind;
pub use crate::domain::listing::Listing;
use crate::domain::order::ChannelOrder;
pub use http::{backoff, http_client, retry_after, RateGate, ATTEMPTS};

/// One page of a channel's orders, oldest change first.
#[derive(Debug, Default)]
pub struct OrderPage {
    pub orders: Vec<ChannelOrder>,
    /// Where the next page starts; None when this was the last.
    pub next: Option<String>,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum ConnectorError {
    #[error("the channel refused our credentials: {0}")]
    Unauthorized(String),
    #[error("the channel is rate limiting us (retry after {0:?})")]
    RateLimited(Duration),
    #[error("the channel is unavailable: {0}")]
    Transient(String),
    #[error("the channel refused the request: {0}")]
    Permanent(String),
    #[error("the channel's stored credentials cannot be opened: {0}")]
    Credentials(#[source] crate::secrets::SecretError),
    #[error(transparent)]
    Kind(#[from] crate::domain::channel::UnknownChannelKind),
}

/// What every marketplace connector offers Chorus.
pub trait Connector {
    /// Orders changed at or after `since` (ms, UTC), one page at a time: pass the previous
    /// page's `next` to continue.
    fn fetch_orders(
        &self,
        since: Option<i64>,
        page: Option<String>,
    ) -> LocalBoxFuture<'static, Result<OrderPage, ConnectorError>>;

    /// The channel's listings (SKU, ids, and what it says about the item), a page at a time.
    fn fetch_catalogue(&self, page: Option<String>) -> LocalBoxFuture<'static, Result<CataloguePage, ConnectorError>>;

    /// Sets stock figures on listings, at most [`Connector::max_push_batch`] at once; one
    /// outcome per item, in order.
    fn push_stock(&self, items: Vec<StockPush>) -> LocalBoxFuture<'static, Result<Vec<PushOutcome>, ConnectorError>>;

    /// The most figures one push call may carry.
    fn max_push_batch(&self) -> usize;

    /// Whether the channel refuses a push whose `compare_from` is stale. Without it, Chorus
    /// imports the channel's new orders right before each push.
    fn compares_on_push(&self) -> bool;

    /// Creates the fulfilment on the channel, unless it is already there (after a crash or a
    /// lost reply); returns the channel's reference for it.
    fn send_fulfilment(&self, f: OutboundFulfilment) -> LocalBoxFuture<'static, Result<String, ConnectorError>>;

    /// The figures the channel shows now for these listings (after a stale compare).
    fn read_quantities(&self, skus: Vec<String>)
        -> LocalBoxFuture<'static, Result<Vec<(String, i64)>, ConnectorError>>;
}

/// A fulfilment on its way to the order's channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundFulfilment {
    /// Chorus's id, written where the channel keeps free text so a resend can find it.
    pub chorus_id: i64,
    pub order_external_id: String,
    /// (channel line id, quantity).
    pub lines: Vec<(String, i64)>,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub tracking_url: Option<String>,
    /// Every line of the order is now shipped (WooCommerce then completes the order).
    pub completes_order: bool,
    /// When Chorus recorded it (ms): a resend recognises what an earlier, unanswered attempt
    /// created on the channel by its lines and a time no earlier than this.
    pub created_at: i64,
}

/// One stock figure for one listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockPush {
    pub sku: String,
    pub listing_id: Option<String>,
    pub variant_id: Option<String>,
    pub inventory_item_id: Option<String>,
    pub location_id: Option<String>,
    pub quantity: i64,
    /// The figure Chorus last saw on the channel (compare-and-set), when known.
    pub compare_from: Option<i64>,
}

/// What became of one item of a push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushOutcome {
    Applied,
    /// The channel's figure is not the one compared against: it has a sale Chorus has not seen.
    Stale,
    /// The channel refused this item for good (e.g. the listing no longer exists).
    Rejected(String),
    /// Not applied because another item of the same call was refused; send again.
    NotApplied,
}

/// Builds the connector a channel's kind needs from its address and sealed credentials.
pub fn for_channel(
    kind: ChannelKind,
    base_url: &str,
    sealed_credentials: &str,
    options: &crate::domain::channel::ChannelOptions,
    secrets: &crate::secrets::SecretBox,
    allow_private: bool,
    tap: crate::records::Tap,
) -> Result<Rc<dyn Connector>, ConnectorError> {
    // Names are judged by the client's resolver at every connect; an address written as an IP
    // literal never reaches a resolver, so it is judged here.
    if let Some(why) = guard::forbidden_literal(base_url, allow_private) {
        return Err(ConnectorError::Permanent(format!("base_url: {why}")));
    }
    let client = http::http_client(allow_private);
    let creds = secrets.open_values(sealed_credentials).map_err(ConnectorError::Credentials)?;
    let cred = |k: &str| creds.get(k).and_then(|v| v.as_str()).unwrap_or_default().to_string();
    Ok(match kind {
        ChannelKind::Shopify => Rc::new(
            shopify::Shopify::new(base_url, cred("access_token"), options.location.clone(), client).with_tap(tap),
        ),
        ChannelKind::WooCommerce => Rc::new(
            woocommerce::WooCommerce::new(
                base_url,
                cred("consumer_key"),
                cred("consumer_secret"),
                options.query_string_auth,
                client,
            )
            .with_tap(tap),
        ),
    })
}

/// The order an order webhook carries, in the channel's kind's shape; None when the body is
/// not one (the caller then polls instead).
pub fn webhook_order(kind: ChannelKind, body: &[u8]) -> Option<ChannelOrder> {
    match kind {
        ChannelKind::Shopify => shopify::mapping::rest_order(&serde_json::from_slice(body).ok()?),
        ChannelKind::WooCommerce => woocommerce::mapping::order(serde_json::from_slice(body).ok()?),
    }
}

/// Parses an RFC 3339 time (or one without a zone, taken as UTC) to ms.
pub fn parse_time(s: &str) -> Option<i64> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp_millis());
    }
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S").ok().map(|t| t.and_utc().timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_accepts_fractions() {
        let mut h = awc::http::header::HeaderMap::new();
        h.insert(awc::http::header::RETRY_AFTER, "2.5".parse().unwrap());
        assert_eq!(retry_after(&h), Duration::from_millis(2500));
        h.insert(awc::http::header::RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after(&h), Duration::from_secs(1));
    }

    #[test]
    fn parses_both_time_shapes() {
        assert_eq!(parse_time("1970-01-01T00:00:01Z"), Some(1000));
        assert_eq!(parse_time("1970-01-01T00:00:02"), Some(2000));
        assert_eq!(parse_time("yesterday"), None);
    }
}

#[derive(Debug, Default)]
pub struct CataloguePage {
    pub listings: Vec<Listing>,
    pub next: Option<String>,
    /// The location whose stock the channel manages, where the marketplace has several.
    pub location: Option<Location>,
}

/// A marketplace's stock location, as it names it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Location {
    pub id: String,
    pub name: String,
}
