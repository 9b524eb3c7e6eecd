//! The order side of a stock transaction: importing a channel's orders (allocating each line
//! exactly once, by keeping on every line what it holds), and releasing or excluding an order.

use std::collections::{BTreeSet, HashMap, HashSet};

use actix::Message;
use serde::Serialize;

use super::{InventoryError, Work};
use crate::db::orders::{self as q, LineRow, NewEvent, NewLine, OrderValues};
use crate::db::plugins::{self, Routable};
use crate::db::DbConn;
use crate::domain::order::{self, ChannelOrder, HoldReason, ImportFilter, Status};
use crate::domain::stock::Level;

/// A page of a channel's orders, with the cursor to store once they are in.
#[derive(Debug, Message)]
#[rtype(result = "Result<ImportOutcome, InventoryError>")]
pub struct ImportOrders {
    pub channel_id: i64,
    pub filter: ImportFilter,
    pub orders: Vec<ChannelOrder>,
    /// The channel's `updated_at` up to which everything has now been seen.
    pub cursor: Option<i64>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ImportOutcome {
    pub new: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Not imported: outside the channel's import filter.
    pub skipped: usize,
    pub on_hold: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderActionKind {
    /// Re-evaluate an order On Hold: it is imported if it can now be served.
    Release,
    /// Take an open order out of Chorus's hands; its stock is released.
    Exclude,
}

#[derive(Debug, Message)]
#[rtype(result = "Result<OrderOutcome, InventoryError>")]
pub struct OrderAction {
    pub order_id: i64,
    pub kind: OrderActionKind,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OrderOutcome {
    pub status: Status,
    pub hold_reason: Option<HoldReason>,
}

/// SKUs named by the stored lines of the orders this batch will touch (imports and actions),
/// read before the stock lock so they are locked with the rest: a line the channel dropped
/// must release stock on a SKU the incoming page may not name.
pub(super) fn stored_skus(conn: &mut DbConn, batch: &[Work]) -> diesel::QueryResult<Vec<String>> {
    let mut skus = Vec::new();
    let action_ids: Vec<i64> = batch
        .iter()
        .filter_map(|w| match w {
            Work::Order(a) => Some(a.order_id),
            Work::Fulfil(f) => Some(f.order_id),
            _ => None,
        })
        .collect();
    skus.extend(q::lines_of(conn, &action_ids)?.into_iter().map(|l| l.sku));
    for work in batch {
        if let Work::Import(m) = work {
            let ids: Vec<String> = m.orders.iter().map(|o| o.external_id.clone()).collect();
            for (_, (_, lines)) in q::load_by_external(conn, m.channel_id, &ids)? {
                skus.extend(lines.into_iter().map(|l| l.sku));
            }
        }
    }
    Ok(skus)
}

/// Moves a SKU's allocation. Every SKU with stock is locked before the batch starts; one that
/// is not would mean a figure changed without its row being written, so the batch fails.
pub(super) fn allocate(
    levels: &mut HashMap<String, Level>,
    moved: &mut HashSet<String>,
    sku: &str,
    delta: i64,
) -> diesel::QueryResult<()> {
    if delta == 0 {
        return Ok(());
    }
    match levels.get_mut(sku) {
        Some(level) => {
            level.allocated += delta;
            moved.insert(sku.to_string());
            Ok(())
        }
        None => Err(diesel::result::Error::QueryBuilderError(
            format!("allocation change of {delta} for SKU {sku:?}, which this transaction did not lock").into(),
        )),
    }
}

fn available(levels: &HashMap<String, Level>, sku: &str) -> Option<i64> {
    levels.get(sku).map(Level::available)
}

fn event(order_id: i64, now: i64, kind: &str, detail: String) -> NewEvent {
    NewEvent { order_id, at: now, kind: kind.to_string(), detail }
}

/// Imports one page: new orders are inserted and allocate, changed ones are updated (a
/// cancellation releases), unchanged re-fetches do nothing; the cursor moves in the same
/// transaction.
pub(super) fn apply_import(
    conn: &mut DbConn,
    levels: &mut HashMap<String, Level>,
    moved: &mut HashSet<String>,
    shifted: &mut Vec<(i64, String)>,
    routed: &mut BTreeSet<i64>,
    msg: &ImportOrders,
    now: i64,
) -> diesel::QueryResult<ImportOutcome> {
    let ids: Vec<String> = msg.orders.iter().map(|o| o.external_id.clone()).collect();
    let mut existing = q::load_by_external(conn, msg.channel_id, &ids)?;
    let mut outcome = ImportOutcome::default();
    let mut events = Vec::new();
    let mut new_lines = Vec::new();
    let mut ready = Vec::new();
    // Events for subscribers, snapshotted once the page is written.
    let mut emitted: Vec<(i64, &'static str)> = Vec::new();
    // The channel takes its own stock when it sells and restores it on cancellation: follow
    // that in the figure Chorus last saw there, so its next push compares against the truth.
    let mut channel_shift: HashMap<String, i64> = HashMap::new();
    // A page that lists an order twice counts it once (the later copy wins).
    let mut last_index: HashMap<&str, usize> = HashMap::new();
    for (i, o) in msg.orders.iter().enumerate() {
        last_index.insert(o.external_id.as_str(), i);
    }
    for (i, incoming) in msg.orders.iter().enumerate() {
        if last_index.get(incoming.external_id.as_str()) != Some(&i) {
            continue;
        }
        let digest = order::digest(incoming);
        match existing.remove(&incoming.external_id) {
            None => {
                if !order::admits(msg.filter, incoming) {
                    outcome.skipped += 1;
                    continue;
                }
                for line in &incoming.lines {
                    if let Some(sku) = &line.sku {
                        *channel_shift.entry(sku.clone()).or_default() -= line.quantity;
                        let known = levels.contains_key(sku);
                        allocate(
                            levels,
                            moved,
                            sku,
                            order::line_allocation(true, known, line.quantity, line.fulfilled),
                        )?;
                    }
                }
                let hold = order::hold_reason(&incoming.lines, |s| available(levels, s));
                let status = if hold.is_some() { Status::OnHold } else { Status::Imported };
                let id = q::insert(conn, &values(msg.channel_id, incoming, status, hold, &digest, now, now))?;
                if hold.is_none() {
                    let skus = incoming.lines.iter().filter_map(|l| l.sku.as_deref()).collect();
                    ready.push(Routable { order_id: id, channel_id: msg.channel_id, skus });
                }
                for line in &incoming.lines {
                    let sku = line.sku.clone().unwrap_or_default();
                    let known = levels.contains_key(&sku);
                    new_lines.push(NewLine {
                        order_id: id,
                        external_id: line.external_id.clone(),
                        sku,
                        quantity: line.quantity,
                        fulfilled: line.fulfilled,
                        allocated: order::line_allocation(true, known, line.quantity, line.fulfilled),
                    });
                }
                events.push(event(id, now, "imported", format!("imported from channel as {}", incoming.name)));
                emitted.push((id, "orders.received"));
                if let Some(reason) = hold {
                    emitted.push((id, "orders.on_hold"));
                    events.push(event(id, now, "on_hold", reason.as_str().to_string()));
                    outcome.on_hold += 1;
                }
                outcome.new += 1;
            }
            Some((row, lines)) => {
                let newer = incoming.updated_at > row.channel_updated_at
                    || (incoming.updated_at == row.channel_updated_at && digest != row.channel_digest);
                if !newer {
                    outcome.unchanged += 1;
                    continue;
                }
                let current = Status::parse(&row.status).unwrap_or(Status::Imported);
                let closing = order::closed_on_channel(incoming) && current.is_open();
                let status = if closing { Status::Cancelled } else { current };
                if closing {
                    routed.extend(plugins::queue_cancel(conn, row.plugin_id, row.id, now)?);
                    for line in incoming.lines.iter().filter(|l| l.sku.is_some()) {
                        *channel_shift.entry(line.sku.clone().unwrap_or_default()).or_default() += line.quantity;
                    }
                }
                let open = status.is_open();
                let mut by_external: HashMap<&str, &LineRow> =
                    lines.iter().map(|l| (l.external_id.as_str(), l)).collect();
                let mut lines_changed = false;
                for line in &incoming.lines {
                    let sku = line.sku.clone().unwrap_or_default();
                    let known = levels.contains_key(&sku);
                    let shipped = by_external.get(line.external_id.as_str()).map_or(0, |old| old.shipped);
                    // Units shipped through Chorus stay shipped, whatever the channel says yet.
                    let target = order::line_allocation(open, known, line.quantity, line.fulfilled.max(shipped));
                    match by_external.remove(line.external_id.as_str()) {
                        Some(old) => {
                            // Release what the line held on its old SKU, then hold the target on
                            // its current one (the same SKU, unless the channel changed it).
                            allocate(levels, moved, &old.sku, -old.allocated)?;
                            allocate(levels, moved, &sku, target)?;
                            if (old.sku.as_str(), old.quantity, old.fulfilled, old.allocated)
                                != (sku.as_str(), line.quantity, line.fulfilled, target)
                            {
                                lines_changed |= old.quantity != line.quantity || old.sku != sku;
                                q::update_line(conn, old.id, &sku, line.quantity, line.fulfilled, target)?;
                            }
                        }
                        None => {
                            lines_changed = true;
                            allocate(levels, moved, &sku, target)?;
                            new_lines.push(NewLine {
                                order_id: row.id,
                                external_id: line.external_id.clone(),
                                sku,
                                quantity: line.quantity,
                                fulfilled: line.fulfilled,
                                allocated: target,
                            });
                        }
                    }
                }
                // Lines the channel no longer lists (removed in an edit) hold nothing.
                for old in by_external.into_values() {
                    lines_changed = true;
                    allocate(levels, moved, &old.sku, -old.allocated)?;
                    q::update_line(conn, old.id, &old.sku, 0, old.fulfilled, 0)?;
                }
                let mut hold = row.hold_reason.as_deref().and_then(parse_hold);
                let mut status = status;
                if open && lines_changed {
                    hold = order::hold_reason(&incoming.lines, |s| available(levels, s)).or(hold);
                    if hold.is_some() && status == Status::Imported {
                        status = Status::OnHold;
                        outcome.on_hold += 1;
                        emitted.push((row.id, "orders.on_hold"));
                        events.push(event(row.id, now, "on_hold", hold.map(|h| h.as_str()).unwrap_or_default().into()));
                    }
                }
                if !status.is_open() {
                    hold = None;
                }
                q::update(
                    conn,
                    row.id,
                    &values(msg.channel_id, incoming, status, hold, &digest, row.imported_at, now),
                )?;
                emitted.push((row.id, "orders.updated"));
                events.push(event(
                    row.id,
                    now,
                    if closing { "cancelled" } else { "updated" },
                    if closing {
                        "cancelled on the channel; stock released".into()
                    } else {
                        "updated from channel".into()
                    },
                ));
                outcome.updated += 1;
            }
        }
    }
    q::insert_lines(conn, &new_lines)?;
    q::add_events(conn, &events)?;
    routed.extend(plugins::route_orders(conn, &ready, now)?);
    crate::db::snapshots::emit_orders(conn, &emitted, now)?;
    crate::db::channel_products::shift_channel_quantities(conn, msg.channel_id, &channel_shift)?;
    // The channel gets Chorus's figure again once the batch has settled every SKU.
    shifted.extend(channel_shift.into_keys().map(|sku| (msg.channel_id, sku)));
    q::advance_cursor(conn, msg.channel_id, msg.cursor, outcome.new as i64, now)?;
    Ok(outcome)
}

fn parse_hold(s: &str) -> Option<HoldReason> {
    match s {
        "insufficient_stock" => Some(HoldReason::InsufficientStock),
        "unknown_sku" => Some(HoldReason::UnknownSku),
        _ => None,
    }
}

fn values(
    channel_id: i64,
    o: &ChannelOrder,
    status: Status,
    hold: Option<HoldReason>,
    digest: &str,
    imported_at: i64,
    now: i64,
) -> OrderValues {
    OrderValues {
        channel_id,
        external_id: o.external_id.clone(),
        name: o.name.clone(),
        status: status.as_str().to_string(),
        hold_reason: hold.map(|h| h.as_str().to_string()),
        financial_status: o.financial.as_str().to_string(),
        fulfillment_status: o.fulfillment.as_str().to_string(),
        channel_created_at: o.created_at,
        channel_updated_at: o.updated_at,
        channel_digest: digest.to_string(),
        cancelled_at: o.cancelled_at,
        imported_at,
        updated_at: now,
    }
}

/// Release or exclude one order.
pub(super) fn apply_action(
    conn: &mut DbConn,
    levels: &mut HashMap<String, Level>,
    moved: &mut HashSet<String>,
    routed: &mut BTreeSet<i64>,
    action: &OrderAction,
    now: i64,
) -> diesel::QueryResult<Result<OrderOutcome, InventoryError>> {
    let Some(row) = q::find(conn, action.order_id)? else {
        return Ok(Err(InventoryError::OrderNotFound(action.order_id)));
    };
    let status = Status::parse(&row.status).unwrap_or(Status::Imported);
    // Read now, inside the transaction: earlier messages in this batch may have changed them.
    let lines = q::lines_of(conn, &[row.id])?;
    match action.kind {
        OrderActionKind::Exclude => {
            if !status.is_open() {
                return Ok(Err(InventoryError::OrderState(format!(
                    "order {} is {}; only open orders can be excluded",
                    row.id,
                    status.as_str()
                ))));
            }
            for line in &lines {
                allocate(levels, moved, &line.sku, -line.allocated)?;
                q::update_line(conn, line.id, &line.sku, line.quantity, line.fulfilled, 0)?;
            }
            q::set_status(conn, row.id, Status::Excluded.as_str(), None, now)?;
            routed.extend(plugins::queue_cancel(conn, row.plugin_id, row.id, now)?);
            q::add_events(conn, &[event(row.id, now, "excluded", "excluded by an operator; stock released".into())])?;
            crate::db::snapshots::emit_orders(conn, &[(row.id, "orders.excluded")], now)?;
            Ok(Ok(OrderOutcome { status: Status::Excluded, hold_reason: None }))
        }
        OrderActionKind::Release => {
            if status != Status::OnHold {
                return Ok(Err(InventoryError::OrderState(format!(
                    "order {} is {}, not on_hold",
                    row.id,
                    status.as_str()
                ))));
            }
            // Lines whose SKU has since been created now allocate.
            for line in &lines {
                let target =
                    order::line_allocation(true, levels.contains_key(&line.sku), line.quantity, line.fulfilled);
                if target != line.allocated {
                    allocate(levels, moved, &line.sku, target - line.allocated)?;
                    q::update_line(conn, line.id, &line.sku, line.quantity, line.fulfilled, target)?;
                }
            }
            let as_channel_lines: Vec<order::ChannelLine> = lines
                .iter()
                .map(|l| order::ChannelLine {
                    external_id: l.external_id.clone(),
                    sku: (!l.sku.is_empty()).then(|| l.sku.clone()),
                    quantity: l.quantity,
                    fulfilled: l.fulfilled,
                })
                .collect();
            let hold = order::hold_reason(&as_channel_lines, |s| available(levels, s));
            let (status, kind, detail) = match hold {
                None => (Status::Imported, "released", "released from hold".to_string()),
                Some(h) => (Status::OnHold, "still_on_hold", format!("still on hold: {}", h.as_str())),
            };
            q::set_status(conn, row.id, status.as_str(), hold.map(|h| h.as_str()), now)?;
            q::add_events(conn, &[event(row.id, now, kind, detail)])?;
            if status == Status::Imported && row.plugin_id.is_none() {
                let skus = lines.iter().map(|l| l.sku.as_str()).filter(|s| !s.is_empty()).collect();
                let ready = [Routable { order_id: row.id, channel_id: row.channel_id, skus }];
                routed.extend(plugins::route_orders(conn, &ready, now)?);
            }
            crate::db::snapshots::emit_orders(conn, &[(row.id, "orders.updated")], now)?;
            Ok(Ok(OrderOutcome { status, hold_reason: hold }))
        }
    }
}
