//! Which queued messages the next transaction takes. A second stock transaction beside one in
//! flight takes only messages whose SKUs the first does not hold: it would otherwise wait on
//! the first's row locks until that commits, and the two would run one after the other.

use std::collections::{HashMap, HashSet};

/// What the scheduler needs to know of one queued message.
pub(super) struct Queued<'a> {
    /// Pure stock work (may run beside another transaction); anything else runs alone.
    pub stock: bool,
    pub weight: usize,
    pub skus: Vec<&'a str>,
}

/// The positions in `queue` the next transaction takes, in queue order: from the head, up to
/// `max_batch` rows (at least one message), stopping at the first message that must run alone
/// unless `alone` is the head's own batch. A stock message naming a SKU in `busy` (held by a
/// transaction in flight) is left queued, and so is every later one naming a SKU it names:
/// messages about one SKU are applied in the order they came.
/// It looks at no more than twice `max_batch` messages, however deep the queue.
pub(super) fn pick<'a>(
    queue: impl IntoIterator<Item = Queued<'a>>,
    busy: &HashMap<String, usize>,
    max_batch: usize,
    alone: bool,
) -> Vec<usize> {
    let mut taken = Vec::new();
    let mut weight = 0;
    let mut held_back: HashSet<&str> = HashSet::new();
    for (i, q) in queue.into_iter().enumerate().take(max_batch.saturating_mul(2).max(1)) {
        if !taken.is_empty() && weight + q.weight > max_batch {
            break;
        }
        if !alone && !q.stock {
            break;
        }
        if q.stock && q.skus.iter().any(|s| busy.contains_key(*s) || held_back.contains(s)) {
            held_back.extend(q.skus.iter().copied());
            continue;
        }
        weight += q.weight;
        taken.push(i);
    }
    taken
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stock(skus: &[&'static str]) -> Queued<'static> {
        Queued { stock: true, weight: skus.len(), skus: skus.to_vec() }
    }

    #[test]
    fn with_nothing_in_flight_everything_up_to_the_limit_is_taken() {
        let queue = || vec![stock(&["A"]), stock(&["B"]), stock(&["A", "C"])];
        assert_eq!(pick(queue(), &HashMap::new(), 10, false), vec![0, 1, 2]);
        assert_eq!(pick(queue(), &HashMap::new(), 2, false), vec![0, 1]);
    }

    #[test]
    fn skus_held_in_flight_wait_and_keep_their_order() {
        let busy = HashMap::from([("A".to_string(), 1)]);
        // "A, C" waits for the first "A"; "C" after it must wait too, or it would overtake it.
        let queue = vec![stock(&["A"]), stock(&["B"]), stock(&["A", "C"]), stock(&["C"]), stock(&["D"])];
        assert_eq!(pick(queue, &busy, 10, false), vec![1, 4]);
    }

    #[test]
    fn a_message_that_must_run_alone_ends_a_stock_batch() {
        let order = Queued { stock: false, weight: 1, skus: Vec::new() };
        let queue = vec![stock(&["A"]), order, stock(&["B"])];
        assert_eq!(pick(queue, &HashMap::new(), 10, false), vec![0]);
    }

    #[test]
    fn a_batch_run_alone_takes_messages_of_every_kind() {
        let order = Queued { stock: false, weight: 1, skus: Vec::new() };
        let queue = vec![order, stock(&["A"])];
        assert_eq!(pick(queue, &HashMap::new(), 10, true), vec![0, 1]);
    }

    #[test]
    fn one_message_over_the_limit_is_still_taken_alone() {
        let queue = vec![stock(&["A", "B", "C"]), stock(&["D"])];
        assert_eq!(pick(queue, &HashMap::new(), 2, false), vec![0]);
    }
}
