//! The ids of Chorus's entities as types of their own, so an order's id cannot be passed where
//! a channel's is meant. They are the database's integer keys: `.get()` gives the integer
//! at the query boundary, and they serialise as plain numbers.

use std::fmt;

macro_rules! entity_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl $name {
            /// The integer key, for a query.
            pub fn get(self) -> i64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<$name> for i64 {
            fn from(id: $name) -> i64 {
                id.0
            }
        }
    };
}

entity_id!(
    /// A sales channel (a Shopify shop, a WooCommerce store).
    ChannelId
);
entity_id!(
    /// An order as Chorus stores it (not the channel's own order id).
    OrderId
);
entity_id!(
    /// A fulfilment-centre plugin.
    PluginId
);
entity_id!(
    /// A webhook subscription.
    SubscriptionId
);
entity_id!(
    /// A fulfilment of an order.
    FulfilmentId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_serialise_as_plain_numbers_and_show_as_them() {
        assert_eq!(serde_json::to_string(&ChannelId(7)).ok().as_deref(), Some("7"));
        assert_eq!(serde_json::from_str::<OrderId>("12").ok(), Some(OrderId(12)));
        assert_eq!(FulfilmentId(3).to_string(), "3");
        assert_eq!(i64::from(PluginId(4)), 4);
    }
}
