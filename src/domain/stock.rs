//! Stock arithmetic (DESIGN §2): on-hand is the sum of the sources, available is on-hand less
//! what open orders hold, and each channel is pushed available less its buffer, never below 0.

use serde::Serialize;

/// The largest quantity Chorus accepts anywhere — one source's figure, an adjustment, an order
/// line from a channel or a plugin: far above any real stock (a billion units), and so far
/// below `i64::MAX` that sums over millions of sources and order lines cannot overflow.
pub const MAX_QUANTITY: i64 = 1_000_000_000;

/// The figures kept per SKU.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Level {
    pub on_hand: i64,
    pub allocated: i64,
    pub version: i64,
}

impl Level {
    /// May be negative: that is an oversell, and it must stay visible.
    pub fn available(&self) -> i64 {
        self.on_hand - self.allocated
    }
}

/// The figure a channel is sent: `max(0, available − buffer)`.
pub fn pushed_figure(available: i64, buffer: i64) -> i64 {
    available.saturating_sub(buffer.max(0)).max(0)
}

/// A change to one source's quantity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceChange {
    /// An absolute figure; `as_of` (ms) lets an older report be recognised and ignored.
    Set { quantity: i64, as_of: Option<i64> },
    /// A relative change, e.g. +1 for a returned item.
    Adjust { delta: i64 },
}

/// The state of one source before a change: its quantity and the `as_of` last applied.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SourceState {
    pub quantity: i64,
    pub as_of: Option<i64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Applied(SourceState),
    /// A report older than the one already applied: nothing changes.
    Stale,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StockRuleError {
    #[error("quantity must not be negative (got {0})")]
    NegativeQuantity(i64),
    #[error("quantity {0} is above the largest accepted, {MAX_QUANTITY}")]
    TooLarge(i64),
    #[error("adjusting {current} by {delta} would leave a negative quantity")]
    WouldGoNegative { current: i64, delta: i64 },
}

/// Applies one change to one source.
pub fn apply(state: SourceState, change: SourceChange) -> Result<Outcome, StockRuleError> {
    match change {
        SourceChange::Set { quantity, .. } if quantity < 0 => Err(StockRuleError::NegativeQuantity(quantity)),
        SourceChange::Set { quantity, .. } if quantity > MAX_QUANTITY => Err(StockRuleError::TooLarge(quantity)),
        SourceChange::Set { quantity, as_of } => match (as_of, state.as_of) {
            (Some(new), Some(old)) if new < old => Ok(Outcome::Stale),
            _ => Ok(Outcome::Applied(SourceState { quantity, as_of: as_of.or(state.as_of) })),
        },
        SourceChange::Adjust { delta } => match state.quantity.checked_add(delta) {
            Some(q) if q > MAX_QUANTITY => Err(StockRuleError::TooLarge(q)),
            Some(q) if q >= 0 => Ok(Outcome::Applied(SourceState { quantity: q, as_of: state.as_of })),
            _ => Err(StockRuleError::WouldGoNegative { current: state.quantity, delta }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn available_may_go_below_zero() {
        let l = Level { on_hand: 2, allocated: 5, version: 1 };
        assert_eq!(l.available(), -3);
    }

    #[test]
    fn pushed_figure_never_negative_and_respects_buffer() {
        assert_eq!(pushed_figure(10, 0), 10);
        assert_eq!(pushed_figure(10, 3), 7);
        assert_eq!(pushed_figure(2, 3), 0);
        assert_eq!(pushed_figure(-4, 0), 0);
        assert_eq!(pushed_figure(5, -2), 5);
        assert_eq!(pushed_figure(i64::MIN, 5), 0);
    }

    #[test]
    fn set_replaces_and_adjust_adds() {
        let s = SourceState { quantity: 4, as_of: None };
        assert_eq!(
            apply(s, SourceChange::Set { quantity: 9, as_of: None }),
            Ok(Outcome::Applied(SourceState { quantity: 9, as_of: None }))
        );
        assert_eq!(
            apply(s, SourceChange::Adjust { delta: -4 }),
            Ok(Outcome::Applied(SourceState { quantity: 0, as_of: None }))
        );
    }

    #[test]
    fn refuses_negative_results() {
        let s = SourceState { quantity: 1, as_of: None };
        assert!(apply(s, SourceChange::Adjust { delta: -2 }).is_err());
        assert!(apply(s, SourceChange::Set { quantity: -1, as_of: None }).is_err());
        assert!(apply(SourceState { quantity: i64::MAX, as_of: None }, SourceChange::Adjust { delta: 1 }).is_err());
        assert!(apply(s, SourceChange::Set { quantity: MAX_QUANTITY + 1, as_of: None }).is_err());
        assert!(apply(s, SourceChange::Adjust { delta: MAX_QUANTITY }).is_err());
    }

    #[test]
    fn older_reports_are_stale_newer_apply() {
        let s = SourceState { quantity: 5, as_of: Some(1_000) };
        assert_eq!(apply(s, SourceChange::Set { quantity: 1, as_of: Some(999) }), Ok(Outcome::Stale));
        assert_eq!(
            apply(s, SourceChange::Set { quantity: 1, as_of: Some(1_000) }),
            Ok(Outcome::Applied(SourceState { quantity: 1, as_of: Some(1_000) }))
        );
        // A report without as_of keeps the last as_of so later stale reports are still caught.
        assert_eq!(
            apply(s, SourceChange::Set { quantity: 2, as_of: None }),
            Ok(Outcome::Applied(SourceState { quantity: 2, as_of: Some(1_000) }))
        );
    }

    #[test]
    fn adjustments_commute_in_total() {
        // Any order of +1/-1 steps that never dips below zero ends at the same total.
        let deltas = [3, -1, 2, -2, 5, -4, 1];
        let mut s = SourceState::default();
        for d in deltas {
            match apply(s, SourceChange::Adjust { delta: d }).unwrap() {
                Outcome::Applied(n) => s = n,
                Outcome::Stale => unreachable!(),
            }
        }
        assert_eq!(s.quantity, deltas.iter().sum::<i64>());
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    fn change() -> impl Strategy<Value = SourceChange> {
        prop_oneof![
            (any::<i64>(), proptest::option::of(any::<i64>()))
                .prop_map(|(quantity, as_of)| SourceChange::Set { quantity, as_of }),
            any::<i64>().prop_map(|delta| SourceChange::Adjust { delta }),
            (-MAX_QUANTITY..=MAX_QUANTITY).prop_map(|delta| SourceChange::Adjust { delta }),
        ]
    }

    proptest! {
        /// Whatever is asked, a source stays within 0..=MAX_QUANTITY, and a change applies
        /// exactly or not at all.
        #[test]
        fn a_source_stays_in_bounds(quantity in 0..=MAX_QUANTITY, as_of in proptest::option::of(any::<i64>()), change in change()) {
            let before = SourceState { quantity, as_of };
            match apply(before, change) {
                Ok(Outcome::Applied(after)) => {
                    prop_assert!((0..=MAX_QUANTITY).contains(&after.quantity));
                    match change {
                        SourceChange::Adjust { delta } => prop_assert_eq!(after.quantity, quantity + delta),
                        SourceChange::Set { quantity: q, .. } => prop_assert_eq!(after.quantity, q),
                    }
                }
                Ok(Outcome::Stale) => {
                    let SourceChange::Set { as_of: Some(new), .. } = change else { panic!("only a dated set is stale") };
                    prop_assert!(as_of.is_some_and(|old| new < old));
                }
                Err(_) => {}
            }
        }

        /// A sequence of changes applied one by one ends where their sum says, never below 0.
        #[test]
        fn adjustments_add_up(start in 0..1_000i64, deltas in proptest::collection::vec(-50..50i64, 0..50)) {
            let mut state = SourceState { quantity: start, as_of: None };
            let mut expected = start;
            for delta in deltas {
                match apply(state, SourceChange::Adjust { delta }) {
                    Ok(Outcome::Applied(next)) => { state = next; expected += delta; }
                    Ok(Outcome::Stale) => prop_assert!(false, "an adjustment is never stale"),
                    Err(_) => prop_assert!(expected + delta < 0),
                }
                prop_assert_eq!(state.quantity, expected);
                prop_assert!(state.quantity >= 0);
            }
        }

        /// What a channel is sent is never negative, never above what is available, and a
        /// larger buffer never sends more.
        #[test]
        fn the_pushed_figure_is_bounded(available in any::<i64>(), buffer in any::<i64>(), more in 0..1_000i64) {
            let sent = pushed_figure(available, buffer);
            prop_assert!(sent >= 0);
            prop_assert!(sent <= available.max(0));
            prop_assert!(pushed_figure(available, buffer.saturating_add(more)) <= sent);
        }
    }
}
