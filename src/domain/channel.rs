//! The marketplaces Chorus connects to, named once: every layer parses a channel's kind into
//! `ChannelKind` at its edge instead of comparing strings.

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ChannelKind {
    #[serde(rename = "shopify")]
    Shopify,
    #[serde(rename = "woocommerce")]
    WooCommerce,
}

/// A stored or submitted kind that names no marketplace Chorus knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{name}\" is not a channel kind; one of {known}", name = .0, known = ChannelKind::names().join(", "))]
pub struct UnknownChannelKind(pub String);

impl ChannelKind {
    pub const ALL: [ChannelKind; 2] = [ChannelKind::Shopify, ChannelKind::WooCommerce];

    pub fn parse(name: &str) -> Result<ChannelKind, UnknownChannelKind> {
        ChannelKind::ALL.into_iter().find(|k| k.name() == name).ok_or_else(|| UnknownChannelKind(name.to_string()))
    }

    /// The name the API, the database and the configuration use.
    pub fn name(self) -> &'static str {
        match self {
            ChannelKind::Shopify => "shopify",
            ChannelKind::WooCommerce => "woocommerce",
        }
    }

    pub fn names() -> Vec<&'static str> {
        ChannelKind::ALL.iter().map(|k| k.name()).collect()
    }

    /// The credential keys a channel of this kind cannot work without.
    pub fn required_credentials(self) -> &'static [&'static str] {
        match self {
            ChannelKind::Shopify => &["access_token"],
            ChannelKind::WooCommerce => &["consumer_key", "consumer_secret"],
        }
    }
}

impl fmt::Display for ChannelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The connector's own settings of a channel (`options` in the API): what only one
/// marketplace's connector reads.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelOptions {
    /// Shopify: the location whose stock the channel manages, by id (`gid://shopify/Location/…`
    /// or the number alone) or name; unset, the shop's primary location.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// WooCommerce over https: send the consumer key and secret in the query string instead of
    /// the `Authorization` header, for servers that strip the header.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub query_string_auth: bool,
    /// For comparisons (`chorus bench oversell`): behave like the polling-cadence systems Chorus
    /// replaces — import every this many milliseconds, send every figure again after each
    /// import (a full sync), and overwrite the channel's figures without a compare and without
    /// importing its sales first. Order webhooks should be off on such a channel. Unset (the
    /// product), none of this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cadence_ms: Option<u64>,
}

impl ChannelOptions {
    /// Options stored by this version; unreadable ones (written by hand) count as none.
    pub fn from_stored(raw: &str) -> ChannelOptions {
        serde_json::from_str(raw).unwrap_or_default()
    }

    /// The option a kind does not read, or a malformed value, as (field, reason).
    pub fn check(&self, kind: ChannelKind) -> Result<(), (&'static str, String)> {
        match kind {
            ChannelKind::Shopify if self.query_string_auth => {
                Err(("options.query_string_auth", "is a WooCommerce option".into()))
            }
            ChannelKind::WooCommerce if self.location.is_some() => {
                Err(("options.location", "is a Shopify option".into()))
            }
            _ if self.cadence_ms.is_some_and(|ms| !(100..=86_400_000).contains(&ms)) => {
                Err(("options.cadence_ms", "must be 100 to 86400000 milliseconds".into()))
            }
            _ => match &self.location {
                Some(l) if l.trim().is_empty() || l.chars().count() > 200 => {
                    Err(("options.location", "must be a location id or name of 1 to 200 characters".into()))
                }
                _ => Ok(()),
            },
        }
    }
}

/// The settings of a channel whose change reaches beyond its own row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SyncSettings {
    pub import_unpaid: bool,
    pub import_fulfilled: bool,
    pub reserve_unpaid: bool,
    pub stock_buffer: i64,
    pub enabled: bool,
}

/// What a change of settings sets off.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ChangeEffects {
    /// The import filter widened: orders it passed over lie behind the cursor, read them again.
    pub reread_orders: bool,
    /// Every listing's figure goes out again: a disabled channel was not queued pushes, and a
    /// new buffer changes every figure sent.
    pub repush_listings: bool,
}

pub fn change_effects(before: SyncSettings, after: SyncSettings) -> ChangeEffects {
    ChangeEffects {
        reread_orders: (after.import_unpaid && !before.import_unpaid)
            || (after.import_fulfilled && !before.import_fulfilled)
            || (after.reserve_unpaid && !before.reserve_unpaid),
        repush_listings: after.enabled && (!before.enabled || after.stock_buffer != before.stock_buffer),
    }
}

/// The key that tells a webhook delivered twice from two webhooks. Shopify's
/// `X-Shopify-Webhook-Id` names one event. WooCommerce's `X-WC-Webhook-Delivery-ID` is
/// `wp_hash(webhook id . current second)` (`WC_Webhook::get_new_delivery_id`), so two events of
/// one webhook in the same second share it: the body (the order as it stands) tells them apart,
/// and a true repeat carries the same body.
pub fn inbound_webhook_key(kind: ChannelKind, delivery_id: &str, body: &[u8]) -> String {
    match kind {
        ChannelKind::Shopify => delivery_id.to_string(),
        ChannelKind::WooCommerce => {
            use sha2::Digest;
            let digest = sha2::Sha256::digest(body);
            format!("{delivery_id}:{}", hex::encode(&digest[..16]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: SyncSettings = SyncSettings {
        import_unpaid: false,
        import_fulfilled: false,
        reserve_unpaid: true,
        stock_buffer: 0,
        enabled: true,
    };

    #[test]
    fn a_wider_filter_rereads_and_a_narrower_one_does_not() {
        let wider = SyncSettings { import_unpaid: true, ..BASE };
        assert!(change_effects(BASE, wider).reread_orders);
        assert!(!change_effects(wider, BASE).reread_orders);
        assert!(change_effects(SyncSettings { reserve_unpaid: false, ..BASE }, BASE).reread_orders);
        assert_eq!(change_effects(BASE, BASE), ChangeEffects::default());
    }

    #[test]
    fn a_new_buffer_or_enabling_repushes_only_an_enabled_channel() {
        assert!(change_effects(BASE, SyncSettings { stock_buffer: 2, ..BASE }).repush_listings);
        assert!(change_effects(SyncSettings { enabled: false, ..BASE }, BASE).repush_listings);
        assert!(!change_effects(BASE, SyncSettings { enabled: false, stock_buffer: 2, ..BASE }).repush_listings);
    }

    #[test]
    fn names_round_trip_and_unknown_kinds_are_refused() {
        for kind in ChannelKind::ALL {
            assert_eq!(ChannelKind::parse(kind.name()), Ok(kind));
            assert_eq!(serde_json::to_value(kind).unwrap(), serde_json::json!(kind.name()));
        }
        let err = ChannelKind::parse("etsy").unwrap_err();
        assert_eq!(err.to_string(), "\"etsy\" is not a channel kind; one of shopify, woocommerce");
    }

    #[test]
    fn two_woocommerce_events_in_one_second_are_two_and_a_repeat_is_one() {
        let first = inbound_webhook_key(ChannelKind::WooCommerce, "abc", br#"{"id":1}"#);
        let second = inbound_webhook_key(ChannelKind::WooCommerce, "abc", br#"{"id":2}"#);
        assert_ne!(first, second);
        assert_eq!(first, inbound_webhook_key(ChannelKind::WooCommerce, "abc", br#"{"id":1}"#));
        assert_eq!(inbound_webhook_key(ChannelKind::Shopify, "w-1", b"x"), "w-1");
    }
}
