//! Which plugin (fulfilment centre) takes an imported order: its channel must be one the
//! plugin serves, and, when the plugin names SKUs, every SKU of the order must be one of them
//! (a centre can only ship what it stocks). The first matching plugin, by id, takes it.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A plugin's routing: `{"channels": [ids] | "all", "skus": [...]?}`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Routing {
    pub channels: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skus: Option<Vec<String>>,
}

impl Routing {
    /// Why the routing is unusable, if it is.
    pub fn problem(&self) -> Option<(&'static str, String)> {
        let ok = match &self.channels {
            Value::String(s) => s == "all",
            Value::Array(ids) => ids.iter().all(|v| v.as_i64().is_some_and(|id| id > 0)),
            _ => false,
        };
        if !ok {
            return Some(("routing.channels", "must be \"all\" or a list of channel ids".into()));
        }
        for sku in self.skus.iter().flatten() {
            if let Err(e) = super::sku::validate(sku) {
                return Some(("routing.skus", e.to_string()));
            }
        }
        None
    }

    /// Whether an order from `channel_id` with these SKUs goes to this plugin.
    pub fn takes(&self, channel_id: i64, skus: &[&str]) -> bool {
        let channel_ok = match &self.channels {
            Value::String(s) => s == "all",
            Value::Array(ids) => ids.iter().any(|v| v.as_i64() == Some(channel_id)),
            _ => false,
        };
        channel_ok
            && match &self.skus {
                None => true,
                Some(list) => !skus.is_empty() && skus.iter().all(|s| list.iter().any(|l| l == s)),
            }
    }
}

/// The first of `plugins` (id, routing), in id order, that takes the order.
pub fn choose(plugins: &[(i64, Routing)], channel_id: i64, skus: &[&str]) -> Option<i64> {
    let mut sorted: Vec<&(i64, Routing)> = plugins.iter().collect();
    sorted.sort_by_key(|(id, _)| *id);
    sorted.into_iter().find(|(_, r)| r.takes(channel_id, skus)).map(|(id, _)| *id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn routing(v: Value) -> Routing {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn all_channels_take_everything() {
        let r = routing(json!({"channels": "all"}));
        assert!(r.takes(7, &["A"]));
        assert!(r.problem().is_none());
    }

    #[test]
    fn listed_channels_only() {
        let r = routing(json!({"channels": [1, 3]}));
        assert!(r.takes(3, &["A"]));
        assert!(!r.takes(2, &["A"]));
    }

    #[test]
    fn sku_list_must_cover_every_line() {
        let r = routing(json!({"channels": "all", "skus": ["A", "B"]}));
        assert!(r.takes(1, &["A", "B"]));
        assert!(!r.takes(1, &["A", "C"]));
        assert!(!r.takes(1, &[]));
    }

    #[test]
    fn first_plugin_by_id_wins() {
        let plugins =
            vec![(5, routing(json!({"channels": "all"}))), (2, routing(json!({"channels": [1], "skus": ["A"]})))];
        assert_eq!(choose(&plugins, 1, &["A"]), Some(2));
        assert_eq!(choose(&plugins, 1, &["B"]), Some(5));
        assert_eq!(choose(&[], 1, &["B"]), None);
    }

    #[test]
    fn bad_routing_is_named() {
        assert_eq!(routing(json!({"channels": "some"})).problem().unwrap().0, "routing.channels");
        assert_eq!(routing(json!({"channels": [0]})).problem().unwrap().0, "routing.channels");
    }
}
