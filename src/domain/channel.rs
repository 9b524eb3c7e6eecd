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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_kinds_are_refused() {
        for kind in ChannelKind::ALL {
            assert_eq!(ChannelKind::parse(kind.name()), Ok(kind));
            assert_eq!(serde_json::to_value(kind).unwrap(), serde_json::json!(kind.name()));
        }
        let err = ChannelKind::parse("etsy").unwrap_err();
        assert_eq!(err.to_string(), "\"etsy\" is not a channel kind; one of shopify, woocommerce");
    }
}
