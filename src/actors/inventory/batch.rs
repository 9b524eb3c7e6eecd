//! One transaction's unit of work in memory: the locked stock snapshot and everything the
//! batch's messages did to it, which the commit turns into set-based writes and wake-ups.

use std::collections::{BTreeSet, HashMap, HashSet};

use crate::db::inventory::Snapshot;
use crate::domain::stock::Level;

pub(super) struct Batch {
    /// The SKUs the batch names, locked and read at its start, changed in memory as it goes.
    pub snap: Snapshot,
    /// The levels as read, to tell which moved.
    pub before: HashMap<String, Level>,
    /// SKUs created for this batch (`create_missing`).
    pub created: HashSet<String>,
    /// (SKU, source) rows whose quantity changed.
    pub dirty_sources: HashSet<(String, String)>,
    /// SKUs whose allocation changed.
    pub allocation_moved: HashSet<String>,
    /// (channel, SKU) whose figure the channel moved itself (a sale or cancellation there).
    pub shifted: Vec<(i64, String)>,
    /// Channels given every figure they list again (see `ImportOrders::resend`).
    pub resend: BTreeSet<i64>,
    /// Plugins given orders to send.
    pub routed: BTreeSet<i64>,
    /// Channels with pushes to send for reasons other than a new `available` (a product
    /// zeroed or linked, a catalogue stored, a fulfilment created, an import's own checks).
    pub push_channels: BTreeSet<i64>,
    /// Orders whose rows the transaction holds locked (`db::orders::lock`).
    pub locked_orders: HashSet<i64>,
}

impl Batch {
    pub fn new(snap: Snapshot, created: HashSet<String>, linked_channels: Vec<i64>) -> Batch {
        Batch {
            before: snap.levels.clone(),
            snap,
            created,
            dirty_sources: HashSet::new(),
            allocation_moved: HashSet::new(),
            shifted: Vec::new(),
            resend: BTreeSet::new(),
            routed: BTreeSet::new(),
            push_channels: linked_channels.into_iter().collect(),
            locked_orders: HashSet::new(),
        }
    }

    /// The SKUs whose sources or allocation moved: those whose figures are written again.
    pub fn touched(&self) -> HashSet<&str> {
        let mut touched: HashSet<&str> = self.dirty_sources.iter().map(|(sku, _)| sku.as_str()).collect();
        touched.extend(self.allocation_moved.iter().map(String::as_str));
        touched
    }
}

/// What a message may change in a batch, saved before it runs so its failure undoes it.
pub(super) struct Mark {
    snap: Snapshot,
    dirty_sources: HashSet<(String, String)>,
    allocation_moved: HashSet<String>,
    shifted: usize,
    routed: BTreeSet<i64>,
    push_channels: BTreeSet<i64>,
    /// A savepoint rolled back releases the row locks taken after it.
    locked_orders: HashSet<i64>,
}

impl Batch {
    pub fn mark(&self) -> Mark {
        Mark {
            snap: self.snap.clone(),
            dirty_sources: self.dirty_sources.clone(),
            allocation_moved: self.allocation_moved.clone(),
            shifted: self.shifted.len(),
            routed: self.routed.clone(),
            push_channels: self.push_channels.clone(),
            locked_orders: self.locked_orders.clone(),
        }
    }

    pub fn undo(&mut self, mark: Mark) {
        self.snap = mark.snap;
        self.dirty_sources = mark.dirty_sources;
        self.allocation_moved = mark.allocation_moved;
        self.shifted.truncate(mark.shifted);
        self.routed = mark.routed;
        self.push_channels = mark.push_channels;
        self.locked_orders = mark.locked_orders;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::stock::SourceState;

    #[test]
    fn undo_puts_back_everything_a_failed_message_changed() {
        let mut snap = Snapshot::default();
        snap.levels.insert("A".into(), Level { on_hand: 5, allocated: 1, version: 3 });
        snap.sources.insert(("A".into(), "api".into()), SourceState { quantity: 5, as_of: None });
        let mut batch = Batch::new(snap, HashSet::new(), vec![7]);
        batch.shifted.push((1, "A".into()));
        let mark = batch.mark();

        batch.snap.levels.insert("A".into(), Level { on_hand: 5, allocated: 3, version: 3 });
        batch.snap.sources.insert(("A".into(), "api".into()), SourceState { quantity: 2, as_of: Some(9) });
        batch.dirty_sources.insert(("A".into(), "api".into()));
        batch.allocation_moved.insert("A".into());
        batch.shifted.push((2, "A".into()));
        batch.routed.insert(4);
        batch.push_channels.insert(8);
        batch.locked_orders.insert(5);
        batch.undo(mark);

        assert_eq!(batch.snap.levels["A"], Level { on_hand: 5, allocated: 1, version: 3 });
        assert_eq!(batch.snap.sources[&("A".to_string(), "api".to_string())].quantity, 5);
        assert!(batch.dirty_sources.is_empty() && batch.allocation_moved.is_empty() && batch.routed.is_empty());
        assert_eq!(batch.shifted, vec![(1, "A".to_string())]);
        assert_eq!(batch.push_channels, BTreeSet::from([7]));
        assert!(batch.locked_orders.is_empty(), "a lock taken in a rolled-back savepoint is gone");
        assert_eq!(batch.before["A"].allocated, 1, "what was read stays what was read");
    }
}
