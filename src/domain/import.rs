//! The import rules as a plan: how an incoming channel order reconciles with what Chorus has
//! stored — what each line allocates, what leaves or returns to the shelf, which status and hold
//! follow, what the history and subscribers hear. Pure: the stock transaction applies the plan.

use std::collections::BTreeMap;

use super::order::{self, ChannelOrder, HoldReason, ImportFilter, Status};
use super::order_details::LineDetails;

/// One stored line, as the plan needs it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StoredLine {
    pub id: i64,
    pub external_id: String,
    pub sku: String,
    pub quantity: i64,
    pub fulfilled: i64,
    pub allocated: i64,
    /// Shipped through Chorus's own fulfilments (already off the source's on-hand).
    pub shipped: i64,
    /// Taken off the ships-from source for units the channel reported gone.
    pub channel_out: i64,
    /// Put back on the ships-from source for units the channel restocked after shipping.
    pub returned: i64,
    pub written_off: i64,
    /// The channel's ids of the product and variant sold (kept when a later read omits them).
    pub product_id: Option<String>,
    pub variant_id: Option<String>,
    /// Title and money (kept when a later read omits them).
    pub details: LineDetails,
}

/// The stored order the incoming one is reconciled with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredOrder {
    pub status: Status,
    pub hold: Option<HoldReason>,
    pub channel_updated_at: i64,
    pub digest: String,
    /// Whether the channel counted it against its stock when last seen.
    pub reserved: bool,
    pub lines: Vec<StoredLine>,
}

/// The channel's settings that decide what an order does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    pub filter: ImportFilter,
    /// Allocate for unpaid orders the channel already reserves stock for.
    pub reserve_unpaid: bool,
    /// When Chorus started keeping this channel (ms): orders created before then are history,
    /// already in the figures Chorus was given, so what they shipped moves no stock.
    pub tracked_since: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Outside what Chorus keeps: not stored.
    Skip,
    /// A re-fetch with nothing new.
    Unchanged,
    Insert,
    Update,
}

/// One line after the plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinePlan {
    /// The stored line it updates; None for a new line.
    pub stored_id: Option<i64>,
    pub external_id: String,
    /// Empty when the channel names no SKU.
    pub sku: String,
    pub quantity: i64,
    pub fulfilled: i64,
    pub allocated: i64,
    pub channel_out: i64,
    pub returned: i64,
    pub written_off: i64,
    /// The channel's ids of the product and variant sold (kept when a later read omits them).
    pub product_id: Option<String>,
    pub variant_id: Option<String>,
    pub details: LineDetails,
    /// Whether the stored row must be written.
    pub changed: bool,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub new: usize,
    pub updated: usize,
    pub on_hold: usize,
    pub awaiting_payment: usize,
    pub fulfilled_on_channel: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    pub action: Action,
    pub status: Status,
    pub hold: Option<HoldReason>,
    pub reserved: bool,
    pub lines: Vec<LinePlan>,
    /// Net allocation change per SKU.
    pub allocation: BTreeMap<String, i64>,
    /// Net change of the ships-from source's on-hand per SKU (shipped on the channel: down;
    /// restocked returns: up).
    pub on_hand: BTreeMap<String, i64>,
    /// How the channel's own stock figure moved for this order (its sale, its restock), so the
    /// figure Chorus compares against follows it.
    pub channel_shift: BTreeMap<String, i64>,
    /// Order history entries: (kind, detail).
    pub history: Vec<(&'static str, String)>,
    /// Webhook events, in order.
    pub emit: Vec<&'static str>,
    /// Became workable and not on hold: offer it to the plugins.
    pub route: bool,
    /// Closed while open: a plugin holding it must be told.
    pub cancel_at_plugin: bool,
    pub counts: Counts,
}

impl Plan {
    fn skip(action: Action) -> Plan {
        Plan {
            action,
            status: Status::Imported,
            hold: None,
            reserved: false,
            lines: Vec::new(),
            allocation: BTreeMap::new(),
            on_hand: BTreeMap::new(),
            channel_shift: BTreeMap::new(),
            history: Vec::new(),
            emit: Vec::new(),
            route: false,
            cancel_at_plugin: false,
            counts: Counts::default(),
        }
    }

    fn add(map: &mut BTreeMap<String, i64>, sku: &str, delta: i64) {
        if delta != 0 && !sku.is_empty() {
            *map.entry(sku.to_string()).or_default() += delta;
        }
    }
}

/// Units the channel holds against its own stock for a line: live units while it reserves
/// the order, and whatever it wrote off; a closed order keeps only what shipped or was
/// written off.
fn channel_held(reserved: bool, closed: bool, quantity: i64, fulfilled: i64, written_off: i64) -> i64 {
    match (reserved, closed) {
        (true, false) => quantity.saturating_add(written_off),
        (true, true) => fulfilled.saturating_add(written_off),
        (false, _) => written_off,
    }
}

/// Reconciles `incoming` with `stored`. `available` answers for SKUs Chorus knows (None:
/// unknown) with the figure before this order.
pub fn plan(
    incoming: &ChannelOrder,
    stored: Option<&StoredOrder>,
    policy: &Policy,
    available: &dyn Fn(&str) -> Option<i64>,
) -> Plan {
    let digest = order::digest(incoming);
    let closed = order::closed_on_channel(incoming);
    let valid = incoming.lines.iter().all(|l| l.is_valid());
    let fully_fulfilled =
        incoming.lines.iter().any(|l| l.quantity > 0) && incoming.lines.iter().all(|l| l.fulfilled >= l.quantity);
    let tracked = incoming.created_at >= policy.tracked_since;
    let admitted = order::admits(policy.filter, incoming);

    // Where the order stands after this import, and how it got there.
    let (action, mut status, becomes_workable) = match stored {
        None => {
            if admitted {
                (Action::Insert, Status::Imported, true)
            } else if !closed && incoming.reserved && fully_fulfilled && tracked {
                (Action::Insert, Status::FulfilledOnChannel, false)
            } else if !closed && incoming.reserved && policy.reserve_unpaid && !fully_fulfilled {
                (Action::Insert, Status::AwaitingPayment, false)
            } else if closed && tracked && incoming.lines.iter().any(|l| l.fulfilled + l.written_off > 0) {
                // Closed before Chorus saw it, but units left the shop meanwhile (shipped, or
                // cancelled without restock): recorded so they come off on-hand.
                (Action::Insert, Status::Cancelled, false)
            } else {
                return Plan::skip(Action::Skip);
            }
        }
        Some(s) => {
            let newer = incoming.updated_at > s.channel_updated_at
                || (incoming.updated_at == s.channel_updated_at && digest != s.digest);
            // A wider import filter makes an awaiting order workable without the channel changing it.
            let promoted = s.status == Status::AwaitingPayment && admitted;
            if !newer && !promoted {
                return Plan::skip(Action::Unchanged);
            }
            if closed && s.status.is_open() {
                (Action::Update, Status::Cancelled, false)
            } else if s.status == Status::AwaitingPayment && admitted {
                (Action::Update, Status::Imported, true)
            } else {
                (Action::Update, s.status, false)
            }
        }
    };
    let mut plan = Plan::skip(action);
    plan.reserved = incoming.reserved;
    let was = stored.map(|s| s.status);
    let was_reserved = stored.is_some_and(|s| s.reserved);
    let was_closed = was.is_some_and(|s| matches!(s, Status::Cancelled));
    // What the lines may hold: nothing once closed, nothing for an unpaid order the channel no
    // longer reserves (WooCommerce back to `pending`), nothing for a line out of bounds.
    let holds_stock = status.is_open() && valid && (status != Status::AwaitingPayment || incoming.reserved);

    let mut by_external: BTreeMap<&str, &StoredLine> = BTreeMap::new();
    if let Some(s) = stored {
        by_external = s.lines.iter().map(|l| (l.external_id.as_str(), l)).collect();
    }
    let mut lines_changed = stored.is_none();
    let (mut out_moved, mut returned_moved) = (0i64, 0i64);
    for line in &incoming.lines {
        let sku = line.sku.clone().unwrap_or_default();
        let known = !sku.is_empty() && available(&sku).is_some();
        let old = by_external.remove(line.external_id.as_str());
        let base = old.cloned().unwrap_or_default();
        let counts = valid && known;
        let allocated =
            if holds_stock && known { (line.quantity - line.fulfilled.max(base.shipped)).max(0) } else { 0 };
        // Units gone per the channel, less what Chorus shipped itself; never given back
        // except as a return the channel itself restocked.
        let channel_out = if counts {
            let gone = line.fulfilled.saturating_add(line.written_off).saturating_add(line.returned);
            (gone - base.shipped).max(base.channel_out).max(0)
        } else {
            base.channel_out
        };
        let returned = if counts { line.returned.max(base.returned) } else { base.returned };
        Plan::add(&mut plan.allocation, &base.sku, -base.allocated);
        Plan::add(&mut plan.allocation, &sku, allocated);
        if tracked || stored.is_some() {
            let taken = channel_out - base.channel_out;
            Plan::add(&mut plan.on_hand, &sku, returned - base.returned - taken);
            out_moved += taken;
            returned_moved += returned - base.returned;
        }
        if valid {
            let before = channel_held(was_reserved, was_closed, base.quantity, base.fulfilled, base.written_off);
            let after = channel_held(incoming.reserved, closed, line.quantity, line.fulfilled, line.written_off);
            let before = if stored.is_some() && old.is_some() { before } else { 0 };
            if stored.is_some() || tracked {
                Plan::add(&mut plan.channel_shift, &sku, before - after);
            }
        }
        let next = LinePlan {
            stored_id: old.map(|o| o.id),
            external_id: line.external_id.clone(),
            sku: sku.clone(),
            quantity: line.quantity,
            fulfilled: line.fulfilled,
            allocated,
            channel_out,
            returned,
            written_off: line.written_off,
            product_id: line.product_id.clone().or_else(|| old.and_then(|o| o.product_id.clone())),
            variant_id: line.variant_id.clone().or_else(|| old.and_then(|o| o.variant_id.clone())),
            details: match old {
                Some(o) if line.details == LineDetails::default() => o.details.clone(),
                _ => line.details.clone(),
            },
            changed: true,
        };
        if let Some(o) = old {
            lines_changed |= o.quantity != line.quantity || o.sku != sku;
            let same = (o.sku.as_str(), o.quantity, o.fulfilled, o.allocated, o.channel_out, o.returned, o.written_off)
                == (sku.as_str(), line.quantity, line.fulfilled, allocated, channel_out, returned, line.written_off)
                && (&o.product_id, &o.variant_id) == (&next.product_id, &next.variant_id)
                && o.details == next.details;
            plan.lines.push(LinePlan { changed: !same, ..next });
        } else {
            lines_changed = true;
            plan.lines.push(next);
        }
    }
    // Lines the channel no longer lists (removed in an edit) hold nothing.
    for old in by_external.into_values() {
        lines_changed = true;
        Plan::add(&mut plan.allocation, &old.sku, -old.allocated);
        plan.lines.push(LinePlan {
            stored_id: Some(old.id),
            external_id: old.external_id.clone(),
            sku: old.sku.clone(),
            quantity: 0,
            fulfilled: old.fulfilled,
            allocated: 0,
            channel_out: old.channel_out,
            returned: old.returned,
            written_off: old.written_off,
            product_id: old.product_id.clone(),
            variant_id: old.variant_id.clone(),
            details: old.details.clone(),
            changed: true,
        });
    }

    // Every live unit shipped, some of them on the channel: the order is done there.
    let all_shipped = plan.lines.iter().all(|l| {
        let shipped = stored.and_then(|s| s.lines.iter().find(|o| Some(o.id) == l.stored_id)).map_or(0, |o| o.shipped);
        l.fulfilled.max(shipped) >= l.quantity
    });
    let any_out = plan.lines.iter().any(|l| l.channel_out > 0);
    if valid && status.is_open() && fully_fulfilled && all_shipped && any_out {
        status = Status::FulfilledOnChannel;
    }

    // Holds: a line out of bounds always; stock and SKU checks when an order becomes workable
    // or its lines change.
    let mut hold = stored.and_then(|s| s.hold);
    let workable = status.is_open() && status != Status::AwaitingPayment;
    if !valid && status.is_open() {
        hold = Some(HoldReason::InvalidQuantity);
    } else if workable && (becomes_workable || lines_changed) {
        let after = |sku: &str| {
            available(sku).map(|a| {
                a + plan.on_hand.get(sku).copied().unwrap_or(0) - plan.allocation.get(sku).copied().unwrap_or(0)
            })
        };
        let needing = plan.lines.iter().filter(|l| l.allocated > 0 || (l.sku.is_empty() && l.quantity > l.fulfilled));
        let fresh = order::hold_for(needing.map(|l| (!l.sku.is_empty()).then_some(l.sku.as_str())), after);
        // Lines naming SKUs Chorus does not know allocate nothing: they still need a hold.
        let unknown =
            plan.lines.iter().any(|l| l.quantity > l.fulfilled && !l.sku.is_empty() && available(&l.sku).is_none());
        let fresh = if unknown { Some(HoldReason::UnknownSku) } else { fresh };
        hold = if becomes_workable { fresh } else { fresh.or(hold) };
    }
    if !status.is_open() {
        hold = None;
    }
    let went_on_hold = hold.is_some() && matches!(status, Status::Imported | Status::AwaitingPayment);
    if went_on_hold {
        status = Status::OnHold;
    }

    // History and events.
    let name = &incoming.name;
    match (stored, status) {
        (None, Status::AwaitingPayment) => {
            plan.history.push(("awaiting_payment", format!("read from channel as {name}: unpaid, stock reserved")));
            plan.counts.awaiting_payment += 1;
        }
        (None, Status::FulfilledOnChannel) => {
            plan.history.push(("fulfilled_on_channel", format!("read from channel as {name}: already shipped there")));
            plan.counts.fulfilled_on_channel += 1;
        }
        (None, Status::Cancelled) => {
            plan.history.push(("cancelled", format!("read from channel as {name}: already closed there")));
        }
        (None, _) => {
            plan.history.push(("imported", format!("imported from channel as {name}")));
            plan.emit.push("orders.received");
            plan.counts.new += 1;
        }
        (Some(_), _) if becomes_workable => {
            plan.history.push(("paid", "paid on the channel: imported".into()));
            plan.emit.push("orders.received");
            plan.counts.new += 1;
        }
        (Some(_), Status::Cancelled) if was.is_some_and(Status::is_open) => {
            plan.history.push(("cancelled", "cancelled on the channel; stock released".into()));
            plan.emit.push("orders.updated");
            plan.cancel_at_plugin = true;
            plan.counts.updated += 1;
        }
        (Some(_), Status::FulfilledOnChannel) if was != Some(Status::FulfilledOnChannel) => {
            plan.history.push(("fulfilled_on_channel", "shipped on the channel, not through Chorus".into()));
            plan.emit.push("orders.updated");
            plan.counts.updated += 1;
        }
        (Some(_), _) => {
            plan.history.push(("updated", "updated from channel".into()));
            plan.emit.push("orders.updated");
            plan.counts.updated += 1;
        }
    }
    if out_moved > 0 {
        plan.history.push(("shipped_on_channel", format!("{out_moved} units gone per the channel: off on-hand")));
    }
    if returned_moved > 0 {
        plan.history.push(("returned", format!("{returned_moved} units restocked by the channel: back on-hand")));
    }
    if went_on_hold {
        let reason = hold.map(HoldReason::as_str).unwrap_or_default();
        plan.history.push(("on_hold", reason.to_string()));
        plan.emit.push("orders.on_hold");
        plan.counts.on_hold += 1;
    }
    for map in [&mut plan.allocation, &mut plan.on_hand, &mut plan.channel_shift] {
        map.retain(|_, d| *d != 0);
    }
    plan.route = becomes_workable && status == Status::Imported;
    plan.status = status;
    plan.hold = hold;
    plan
}

#[cfg(test)]
mod tests;
