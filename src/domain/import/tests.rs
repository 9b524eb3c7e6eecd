//! The table of import cases: each incoming order against what Chorus stored.

use super::*;
use crate::domain::order::{ChannelLine, Financial, Fulfillment};

const SINCE: i64 = 1_000;

fn policy() -> Policy {
    Policy { filter: ImportFilter::default(), reserve_unpaid: true, tracked_since: SINCE }
}

fn line(id: &str, sku: &str, quantity: i64, fulfilled: i64) -> ChannelLine {
    ChannelLine {
        external_id: id.into(),
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

fn order(financial: Financial, lines: Vec<ChannelLine>) -> ChannelOrder {
    let fulfilled = lines.iter().all(|l| l.fulfilled >= l.quantity);
    ChannelOrder {
        external_id: "o1".into(),
        name: "#1".into(),
        financial,
        fulfillment: if fulfilled { Fulfillment::Fulfilled } else { Fulfillment::Unfulfilled },
        cancelled_at: None,
        created_at: 2_000,
        updated_at: 2_000,
        reserved: true,
        lines,
        details: Default::default(),
        personal: Default::default(),
    }
}

/// A, B known with 10 available; anything else unknown.
fn stock(sku: &str) -> Option<i64> {
    matches!(sku, "A" | "B").then_some(10)
}

fn stored_from(p: &Plan, incoming: &ChannelOrder) -> StoredOrder {
    StoredOrder {
        status: p.status,
        hold: p.hold,
        channel_updated_at: incoming.updated_at,
        digest: order::digest(incoming),
        reserved: p.reserved,
        lines: p
            .lines
            .iter()
            .enumerate()
            .map(|(i, l)| StoredLine {
                id: l.stored_id.unwrap_or(i as i64 + 1),
                external_id: l.external_id.clone(),
                sku: l.sku.clone(),
                quantity: l.quantity,
                fulfilled: l.fulfilled,
                allocated: l.allocated,
                shipped: 0,
                channel_out: l.channel_out,
                returned: l.returned,
                written_off: l.written_off,
                product_id: l.product_id.clone(),
                variant_id: l.variant_id.clone(),
                details: l.details.clone(),
            })
            .collect(),
    }
}

fn later(mut o: ChannelOrder) -> ChannelOrder {
    o.updated_at += 1_000;
    o
}

fn map(pairs: &[(&str, i64)]) -> BTreeMap<String, i64> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

#[test]
fn new_paid_order_allocates_and_is_received() {
    let o = order(Financial::Paid, vec![line("1", "A", 3, 0)]);
    let p = plan(&o, None, &policy(), &stock);
    assert_eq!((p.action, p.status, p.hold), (Action::Insert, Status::Imported, None));
    assert_eq!(p.allocation, map(&[("A", 3)]));
    assert!(p.on_hand.is_empty());
    assert_eq!(p.channel_shift, map(&[("A", -3)]));
    assert_eq!(p.emit, vec!["orders.received"]);
    assert!(p.route);
    assert_eq!(p.counts.new, 1);
}

#[test]
fn a_refetch_changes_nothing() {
    let o = order(Financial::Paid, vec![line("1", "A", 3, 0)]);
    let first = plan(&o, None, &policy(), &stock);
    let again = plan(&o, Some(&stored_from(&first, &o)), &policy(), &stock);
    assert_eq!(again.action, Action::Unchanged);
    assert!(again.allocation.is_empty() && again.on_hand.is_empty());
}

#[test]
fn edited_quantity_moves_the_difference() {
    let o = order(Financial::Paid, vec![line("1", "A", 3, 0)]);
    let first = plan(&o, None, &policy(), &stock);
    let edited = later(order(Financial::Paid, vec![line("1", "A", 1, 0)]));
    let p = plan(&edited, Some(&stored_from(&first, &o)), &policy(), &stock);
    assert_eq!(p.action, Action::Update);
    assert_eq!(p.allocation, map(&[("A", -2)]));
    assert_eq!(p.channel_shift, map(&[("A", 2)]));
    assert_eq!(p.emit, vec!["orders.updated"]);
}

#[test]
fn unpaid_reserved_order_allocates_then_is_imported_once_when_paid() {
    let o = order(Financial::Pending, vec![line("1", "A", 2, 0)]);
    let first = plan(&o, None, &policy(), &stock);
    assert_eq!(first.status, Status::AwaitingPayment);
    assert_eq!(first.allocation, map(&[("A", 2)]));
    assert!(first.emit.is_empty() && !first.route);
    assert_eq!((first.counts.new, first.counts.awaiting_payment), (0, 1));
    let paid = later(order(Financial::Paid, vec![line("1", "A", 2, 0)]));
    let p = plan(&paid, Some(&stored_from(&first, &o)), &policy(), &stock);
    assert_eq!(p.status, Status::Imported);
    assert!(p.allocation.values().all(|d| *d == 0), "no double count: {:?}", p.allocation);
    assert!(p.channel_shift.values().all(|d| *d == 0));
    assert_eq!(p.emit, vec!["orders.received"]);
    assert!(p.route);
    assert_eq!(p.counts.new, 1);
}

#[test]
fn unpaid_order_voided_releases() {
    let o = order(Financial::Pending, vec![line("1", "A", 2, 0)]);
    let first = plan(&o, None, &policy(), &stock);
    let mut voided = later(o.clone());
    voided.financial = Financial::Voided;
    let p = plan(&voided, Some(&stored_from(&first, &o)), &policy(), &stock);
    assert_eq!(p.status, Status::Cancelled);
    assert_eq!(p.allocation, map(&[("A", -2)]));
}

#[test]
fn unpaid_order_the_channel_does_not_reserve_is_skipped_and_reservation_can_be_off() {
    let mut o = order(Financial::Pending, vec![line("1", "A", 2, 0)]);
    o.reserved = false;
    assert_eq!(plan(&o, None, &policy(), &stock).action, Action::Skip);
    o.reserved = true;
    let off = Policy { reserve_unpaid: false, ..policy() };
    assert_eq!(plan(&o, None, &off, &stock).action, Action::Skip);
}

#[test]
fn unpaid_order_back_to_unreserved_releases_but_stays_awaiting() {
    let o = order(Financial::Pending, vec![line("1", "A", 2, 0)]);
    let first = plan(&o, None, &policy(), &stock);
    let mut pending = later(o.clone());
    pending.reserved = false;
    let p = plan(&pending, Some(&stored_from(&first, &o)), &policy(), &stock);
    assert_eq!(p.status, Status::AwaitingPayment);
    assert_eq!(p.allocation, map(&[("A", -2)]));
    assert_eq!(p.channel_shift, map(&[("A", 2)]));
}

#[test]
fn shipped_on_the_channel_leaves_available_still() {
    let o = order(Financial::Paid, vec![line("1", "A", 3, 0)]);
    let first = plan(&o, None, &policy(), &stock);
    let shipped = later(order(Financial::Paid, vec![line("1", "A", 3, 3)]));
    let p = plan(&shipped, Some(&stored_from(&first, &o)), &policy(), &stock);
    assert_eq!(p.status, Status::FulfilledOnChannel);
    assert_eq!(p.allocation, map(&[("A", -3)]));
    assert_eq!(p.on_hand, map(&[("A", -3)]));
    assert!(p.channel_shift.is_empty(), "the channel's figure does not move at shipment");
    assert_eq!(p.lines[0].channel_out, 3);
}

#[test]
fn partial_shipment_on_the_channel_works_line_by_line() {
    let o = order(Financial::Paid, vec![line("1", "A", 3, 0), line("2", "B", 2, 0)]);
    let first = plan(&o, None, &policy(), &stock);
    let partly = later(order(Financial::Paid, vec![line("1", "A", 3, 1), line("2", "B", 2, 0)]));
    let p = plan(&partly, Some(&stored_from(&first, &o)), &policy(), &stock);
    assert_eq!(p.status, Status::Imported);
    assert_eq!(p.allocation, map(&[("A", -1)]));
    assert_eq!(p.on_hand, map(&[("A", -1)]));
}

#[test]
fn units_chorus_shipped_are_not_taken_twice() {
    let o = order(Financial::Paid, vec![line("1", "A", 3, 0)]);
    let first = plan(&o, None, &policy(), &stock);
    let mut stored = stored_from(&first, &o);
    stored.status = Status::PartiallyFulfilled;
    stored.lines[0].shipped = 3;
    stored.lines[0].allocated = 0;
    let confirmed = later(order(Financial::Paid, vec![line("1", "A", 3, 3)]));
    let p = plan(&confirmed, Some(&stored), &policy(), &stock);
    assert!(p.on_hand.is_empty() && p.allocation.is_empty());
    assert_eq!(p.status, Status::PartiallyFulfilled, "Chorus's own fulfilment settles it");
}

#[test]
fn an_order_already_shipped_when_first_seen_takes_on_hand_if_recent() {
    let o = order(Financial::Paid, vec![line("1", "A", 2, 2)]);
    let p = plan(&o, None, &policy(), &stock);
    assert_eq!((p.action, p.status), (Action::Insert, Status::FulfilledOnChannel));
    assert_eq!(p.on_hand, map(&[("A", -2)]));
    assert!(p.allocation.is_empty());
    let mut old = o.clone();
    old.created_at = SINCE - 1;
    assert_eq!(plan(&old, None, &policy(), &stock).action, Action::Skip);
}

#[test]
fn cancelled_releases_and_tells_the_plugin() {
    let o = order(Financial::Paid, vec![line("1", "A", 3, 0)]);
    let first = plan(&o, None, &policy(), &stock);
    let mut c = later(o.clone());
    c.cancelled_at = Some(3_000);
    let p = plan(&c, Some(&stored_from(&first, &o)), &policy(), &stock);
    assert_eq!(p.status, Status::Cancelled);
    assert_eq!(p.allocation, map(&[("A", -3)]));
    assert!(p.on_hand.is_empty());
    assert_eq!(p.channel_shift, map(&[("A", 3)]));
    assert!(p.cancel_at_plugin);
}

#[test]
fn cancelled_without_restock_writes_units_off() {
    let o = order(Financial::Paid, vec![line("1", "A", 3, 0)]);
    let first = plan(&o, None, &policy(), &stock);
    let mut c = later(order(Financial::Paid, vec![ChannelLine { written_off: 3, ..line("1", "A", 0, 0) }]));
    c.cancelled_at = Some(3_000);
    let p = plan(&c, Some(&stored_from(&first, &o)), &policy(), &stock);
    assert_eq!(p.status, Status::Cancelled);
    assert_eq!(p.allocation, map(&[("A", -3)]));
    assert_eq!(p.on_hand, map(&[("A", -3)]), "available does not move");
    assert!(p.channel_shift.is_empty(), "the channel keeps them out too");
}

#[test]
fn refund_with_restock_after_shipping_puts_units_back() {
    let o = order(Financial::Paid, vec![line("1", "A", 3, 3)]);
    let first = plan(&o, None, &policy(), &stock);
    let returned = later(order(Financial::Paid, vec![ChannelLine { returned: 1, ..line("1", "A", 2, 2) }]));
    let p = plan(&returned, Some(&stored_from(&first, &o)), &policy(), &stock);
    assert_eq!(p.on_hand, map(&[("A", 1)]));
    assert!(p.allocation.is_empty());
    assert_eq!(p.channel_shift, map(&[("A", 1)]));
}

#[test]
fn refund_without_restock_after_shipping_changes_nothing() {
    let o = order(Financial::Paid, vec![line("1", "A", 3, 3)]);
    let first = plan(&o, None, &policy(), &stock);
    let refunded = later(order(Financial::Paid, vec![ChannelLine { written_off: 1, ..line("1", "A", 2, 2) }]));
    let p = plan(&refunded, Some(&stored_from(&first, &o)), &policy(), &stock);
    assert!(p.on_hand.is_empty() && p.allocation.is_empty() && p.channel_shift.is_empty());
}

#[test]
fn refund_before_shipping_with_restock_releases_without_restock_writes_off() {
    let o = order(Financial::Paid, vec![line("1", "A", 3, 0)]);
    let first = plan(&o, None, &policy(), &stock);
    let stored = stored_from(&first, &o);
    let restocked = later(order(Financial::Paid, vec![line("1", "A", 2, 0)]));
    let p = plan(&restocked, Some(&stored), &policy(), &stock);
    assert_eq!(p.allocation, map(&[("A", -1)]));
    assert!(p.on_hand.is_empty());
    let kept = later(order(Financial::Paid, vec![ChannelLine { written_off: 1, ..line("1", "A", 2, 0) }]));
    let p = plan(&kept, Some(&stored), &policy(), &stock);
    assert_eq!(p.allocation, map(&[("A", -1)]));
    assert_eq!(p.on_hand, map(&[("A", -1)]));
}

#[test]
fn fully_refunded_order_is_closed() {
    let o = order(Financial::Paid, vec![line("1", "A", 3, 0)]);
    let first = plan(&o, None, &policy(), &stock);
    let refunded = later(order(Financial::Refunded, vec![line("1", "A", 0, 0)]));
    let p = plan(&refunded, Some(&stored_from(&first, &o)), &policy(), &stock);
    assert_eq!(p.status, Status::Cancelled);
    assert_eq!(p.allocation, map(&[("A", -3)]));
}

#[test]
fn sku_changed_moves_the_allocation() {
    let o = order(Financial::Paid, vec![line("1", "A", 2, 0)]);
    let first = plan(&o, None, &policy(), &stock);
    let changed = later(order(Financial::Paid, vec![line("1", "B", 2, 0)]));
    let p = plan(&changed, Some(&stored_from(&first, &o)), &policy(), &stock);
    assert_eq!(p.allocation, map(&[("A", -2), ("B", 2)]));
}

#[test]
fn unknown_sku_holds_and_allocates_what_it_can() {
    let o = order(Financial::Paid, vec![line("1", "A", 1, 0), line("2", "ZZZ", 1, 0)]);
    let p = plan(&o, None, &policy(), &stock);
    assert_eq!((p.status, p.hold), (Status::OnHold, Some(HoldReason::UnknownSku)));
    assert_eq!(p.allocation, map(&[("A", 1)]));
    assert_eq!(p.emit, vec!["orders.received", "orders.on_hold"]);
    assert!(!p.route);
}

#[test]
fn short_stock_holds() {
    let o = order(Financial::Paid, vec![line("1", "A", 11, 0)]);
    let p = plan(&o, None, &policy(), &stock);
    assert_eq!((p.status, p.hold), (Status::OnHold, Some(HoldReason::InsufficientStock)));
    assert_eq!(p.allocation, map(&[("A", 11)]));
}

#[test]
fn invalid_quantity_holds_and_moves_nothing() {
    let o = order(Financial::Paid, vec![line("1", "A", i64::MAX, 0), line("2", "B", 1, 0)]);
    let p = plan(&o, None, &policy(), &stock);
    assert_eq!((p.status, p.hold), (Status::OnHold, Some(HoldReason::InvalidQuantity)));
    assert!(p.allocation.is_empty() && p.on_hand.is_empty() && p.channel_shift.is_empty());
    // The same line again, however often, moves nothing either.
    let again = later(o.clone());
    let p2 = plan(&again, Some(&stored_from(&p, &o)), &policy(), &stock);
    assert!(p2.allocation.is_empty() && p2.on_hand.is_empty());
    assert_eq!(p2.hold, Some(HoldReason::InvalidQuantity));
    let negative = order(Financial::Paid, vec![line("1", "A", -1, 0)]);
    assert_eq!(plan(&negative, None, &policy(), &stock).hold, Some(HoldReason::InvalidQuantity));
}

#[test]
fn an_order_edited_out_of_bounds_releases_what_it_held() {
    let o = order(Financial::Paid, vec![line("1", "A", 2, 0)]);
    let first = plan(&o, None, &policy(), &stock);
    let bad = later(order(Financial::Paid, vec![line("1", "A", 2_000_000_000, 0)]));
    let p = plan(&bad, Some(&stored_from(&first, &o)), &policy(), &stock);
    assert_eq!((p.status, p.hold), (Status::OnHold, Some(HoldReason::InvalidQuantity)));
    assert_eq!(p.allocation, map(&[("A", -2)]));
}

#[test]
fn a_wider_filter_makes_an_awaiting_order_workable_without_a_change() {
    let o = order(Financial::Pending, vec![line("1", "A", 2, 0)]);
    let first = plan(&o, None, &policy(), &stock);
    let wide = Policy { filter: ImportFilter { unpaid: true, fulfilled: false }, ..policy() };
    let p = plan(&o, Some(&stored_from(&first, &o)), &wide, &stock);
    assert_eq!((p.action, p.status), (Action::Update, Status::Imported));
    assert!(p.allocation.is_empty());
    assert_eq!(plan(&o, Some(&stored_from(&first, &o)), &policy(), &stock).action, Action::Unchanged);
}

#[test]
fn an_order_closed_before_chorus_saw_it_records_units_gone_meanwhile() {
    let mut o = order(Financial::Paid, vec![ChannelLine { written_off: 2, ..line("1", "A", 0, 0) }]);
    o.cancelled_at = Some(2_500);
    let p = plan(&o, None, &policy(), &stock);
    assert_eq!((p.action, p.status), (Action::Insert, Status::Cancelled));
    assert_eq!(p.on_hand, map(&[("A", -2)]));
    assert!(p.allocation.is_empty());
    let mut restocked = order(Financial::Paid, vec![line("1", "A", 0, 0)]);
    restocked.cancelled_at = Some(2_500);
    assert_eq!(plan(&restocked, None, &policy(), &stock).action, Action::Skip);
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Reading an order again — unchanged, or re-dated with the same content — moves no
        /// stock: import is exactly once whatever the order holds.
        #[test]
        fn reading_an_order_again_moves_nothing(
            lines in proptest::collection::vec((0..6i64, 0..6i64, 0..3usize), 1..5),
            paid in any::<bool>(),
        ) {
            let lines: Vec<ChannelLine> = lines
                .iter()
                .enumerate()
                .map(|(i, (q, f, s))| line(&i.to_string(), ["A", "B", "Z"][*s], *q, (*f).min(*q)))
                .collect();
            let o = order(if paid { Financial::Paid } else { Financial::Pending }, lines);
            let first = plan(&o, None, &policy(), &stock);
            prop_assume!(first.action == Action::Insert);
            let stored = stored_from(&first, &o);
            let again = plan(&o, Some(&stored), &policy(), &stock);
            prop_assert_eq!(again.action, Action::Unchanged);
            let redated = plan(&later(o.clone()), Some(&stored), &policy(), &stock);
            prop_assert!(redated.allocation.values().all(|v| *v == 0), "{:?}", redated.allocation);
            prop_assert!(redated.on_hand.values().all(|v| *v == 0), "{:?}", redated.on_hand);
        }
    }
}
