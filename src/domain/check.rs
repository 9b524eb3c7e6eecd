//! The stock invariants (DESIGN §2) as a pure check over stored figures: every violation
//! found, none when the books balance.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::stock::pushed_figure;

/// One SKU's stored level.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StoredLevel {
    pub on_hand: i64,
    pub allocated: i64,
}

/// One order line as the check reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckedLine {
    pub order_id: i64,
    pub sku: String,
    pub open: bool,
    pub quantity: i64,
    pub allocated: i64,
}

/// A pending stock push: (channel, SKU) → the `available` it carries; with the channel's buffer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingPush {
    pub channel_id: i64,
    pub sku: String,
    pub available: i64,
    pub buffer: i64,
}

/// Everything the check compares.
#[derive(Clone, Debug, Default)]
pub struct Books {
    pub levels: BTreeMap<String, StoredLevel>,
    /// Σ quantity over each SKU's sources.
    pub source_totals: HashMap<String, i64>,
    pub lines: Vec<CheckedLine>,
    pub pushes: Vec<PendingPush>,
    /// The process's read cache, where there is one: SKU → (on_hand, allocated).
    pub cache: Option<HashMap<String, StoredLevel>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// `on_hand`, `allocated`, `line`, `cache`, `pending_push`.
    pub check: &'static str,
    pub sku: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel_id: Option<i64>,
    pub expected: i64,
    pub found: i64,
    pub detail: String,
}

/// Every violation, SKU by SKU.
pub fn check(books: &Books) -> Vec<Violation> {
    let mut out = Vec::new();
    let v = |check, sku: &str, expected, found, detail: String| Violation {
        check,
        sku: sku.to_string(),
        order_id: None,
        channel_id: None,
        expected,
        found,
        detail,
    };
    let mut held: HashMap<&str, i64> = HashMap::new();
    for l in &books.lines {
        let entry = held.entry(l.sku.as_str()).or_default();
        *entry = entry.saturating_add(l.allocated);
        let bad = if !l.open && l.allocated != 0 {
            Some(("a closed order's line holds stock", 0))
        } else if l.allocated < 0 || l.allocated > l.quantity.max(0) {
            Some(("a line holds less than nothing or more than its quantity", l.quantity.max(0)))
        } else {
            None
        };
        if let Some((why, expected)) = bad {
            out.push(Violation { order_id: Some(l.order_id), ..v("line", &l.sku, expected, l.allocated, why.into()) });
        }
    }
    for (sku, level) in &books.levels {
        let sources = books.source_totals.get(sku).copied().unwrap_or(0);
        if level.on_hand != sources {
            out.push(v("on_hand", sku, sources, level.on_hand, "on_hand is not the sum of the sources".into()));
        }
        let lines = held.get(sku.as_str()).copied().unwrap_or(0);
        if level.allocated != lines {
            out.push(v("allocated", sku, lines, level.allocated, "allocated is not what open lines hold".into()));
        }
        if let Some(cache) = &books.cache {
            if let Some(c) = cache.get(sku) {
                if c != level {
                    let detail = format!("cache has on_hand {} allocated {}", c.on_hand, c.allocated);
                    out.push(v("cache", sku, level.on_hand - level.allocated, c.on_hand - c.allocated, detail));
                }
            }
        }
    }
    for (sku, allocated) in held {
        if allocated != 0 && !books.levels.contains_key(sku) {
            out.push(v("allocated", sku, 0, allocated, "lines hold stock of a SKU that has no level".into()));
        }
    }
    for p in &books.pushes {
        let Some(level) = books.levels.get(&p.sku) else { continue };
        let today = pushed_figure(level.on_hand - level.allocated, p.buffer);
        let pending = pushed_figure(p.available, p.buffer);
        if today != pending {
            out.push(Violation {
                channel_id: Some(p.channel_id),
                ..v("pending_push", &p.sku, today, pending, "a pending push carries an old figure".into())
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn books() -> Books {
        let mut b = Books::default();
        b.levels.insert("A".into(), StoredLevel { on_hand: 10, allocated: 3 });
        b.source_totals.insert("A".into(), 10);
        b.lines.push(CheckedLine { order_id: 1, sku: "A".into(), open: true, quantity: 3, allocated: 3 });
        b.lines.push(CheckedLine { order_id: 2, sku: "A".into(), open: false, quantity: 5, allocated: 0 });
        b.pushes.push(PendingPush { channel_id: 1, sku: "A".into(), available: 7, buffer: 2 });
        b
    }

    #[test]
    fn balanced_books_have_no_violation() {
        assert_eq!(check(&books()), vec![]);
    }

    #[test]
    fn finds_each_kind_of_violation() {
        let mut b = books();
        b.source_totals.insert("A".into(), 9);
        b.lines[1].allocated = 1;
        b.pushes[0].available = 8;
        b.cache = Some([("A".to_string(), StoredLevel { on_hand: 10, allocated: 2 })].into());
        let found: Vec<&str> = check(&b).iter().map(|v| v.check).collect();
        assert_eq!(found, vec!["line", "on_hand", "allocated", "cache", "pending_push"]);
    }

    #[test]
    fn a_push_below_zero_either_way_is_the_same_figure() {
        let mut b = books();
        b.levels.insert("A".into(), StoredLevel { on_hand: 3, allocated: 3 });
        b.source_totals.insert("A".into(), 3);
        b.pushes[0].available = 1;
        assert_eq!(check(&b), vec![], "both push 0 after a buffer of 2");
    }
}
