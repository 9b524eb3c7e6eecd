//! The order side of a stock transaction: importing a channel's orders (allocating each line
//! exactly once, by keeping on every line what it holds), and releasing or excluding an order.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use actix::Message;
use serde::Serialize;

use super::{Batch, InventoryError, Snapshot, Work};
use crate::db::channels::Channel;
use crate::db::orders::{self, LineRow, NewHistoryEntry, NewLine, OrderRow, OrderValues};
use crate::db::plugins::{self, Routable};
use crate::db::DbConn;
use crate::domain::ids::{ChannelId, OrderId};
use crate::domain::import::{self, Action, Plan, Policy};
use crate::domain::order::{self, ChannelOrder, HoldReason, Status};
use crate::domain::order_details::{Details, Personal, ShipmentFacts};
use crate::domain::source::Source;
use crate::domain::stock::{Level, SourceChange};

/// A page of a channel's orders, with the cursor to store once they are in.
#[derive(Debug, Message)]
#[rtype(result = "Result<ImportOutcome, InventoryError>")]
pub struct ImportOrders {
    pub channel_id: ChannelId,
    pub policy: Policy,
    /// The source units shipped on the channel come off (a routed order's: its plugin's).
    pub ships_from: Source,
    pub orders: Vec<ChannelOrder>,
    /// The channel's `updated_at` up to which everything has now been seen.
    pub cursor: Option<i64>,
    /// Queue every figure the channel lists once this import is written, whether it moved or
    /// not: the full sync that ends each cycle of a polling-cadence system (`cadence_ms`).
    pub resend: bool,
    /// The lease the importing channel actor holds, checked in the import's transaction (so a
    /// process that lost it moves no cursor); None for webhooks and on SQLite.
    pub fence: Option<crate::db::cluster::Fence>,
}

impl ImportOrders {
    pub fn for_channel(channel: &Channel, orders: Vec<ChannelOrder>, cursor: Option<i64>) -> ImportOrders {
        ImportOrders {
            channel_id: ChannelId(channel.id),
            policy: channel.import_policy(),
            ships_from: channel.ships_from(),
            orders,
            cursor,
            resend: false,
            fence: None,
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ImportOutcome {
    pub new: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Not imported: outside the channel's import filter.
    pub skipped: usize,
    pub on_hold: usize,
    /// Unpaid orders the channel reserves stock for: allocated, not yet workable.
    pub awaiting_payment: usize,
    /// First seen already shipped on the channel.
    pub fulfilled_on_channel: usize,
}

impl ImportOutcome {
    /// Each count by name, for the metrics.
    pub fn counts(&self) -> [(&'static str, usize); 6] {
        [
            ("new", self.new),
            ("updated", self.updated),
            ("on_hold", self.on_hold),
            ("awaiting_payment", self.awaiting_payment),
            ("fulfilled_on_channel", self.fulfilled_on_channel),
            ("skipped", self.skipped),
        ]
    }

    pub fn add(&mut self, o: &ImportOutcome) {
        self.new += o.new;
        self.updated += o.updated;
        self.unchanged += o.unchanged;
        self.skipped += o.skipped;
        self.on_hold += o.on_hold;
        self.awaiting_payment += o.awaiting_payment;
        self.fulfilled_on_channel += o.fulfilled_on_channel;
    }
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
    pub order_id: OrderId,
    pub kind: OrderActionKind,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OrderOutcome {
    pub status: Status,
    pub hold_reason: Option<HoldReason>,
}

/// What the batch's messages already hold in the database, read before the stock lock.
pub(super) struct Stored {
    /// SKUs named by the stored lines of the orders the batch touches (imports and actions),
    /// locked with the rest: a line the channel dropped must release stock on a SKU the
    /// incoming page may not name.
    pub skus: Vec<String>,
    /// Those orders, locked once the stock is (`db::orders::lock`).
    pub orders: Vec<i64>,
}

pub(super) fn stored(conn: &mut DbConn, batch: &[Work]) -> diesel::QueryResult<Stored> {
    let mut order_ids = acted_on(batch);
    let mut skus: Vec<String> = orders::lines_of(conn, &order_ids)?.into_iter().map(|l| l.sku).collect();
    for work in batch {
        if let Work::Import(m) = work {
            let ids: Vec<String> = m.orders.iter().map(|o| o.external_id.clone()).collect();
            for (_, (row, lines)) in orders::load_by_external(conn, m.channel_id.get(), &ids)? {
                order_ids.push(row.id);
                skus.extend(lines.into_iter().map(|l| l.sku));
            }
        }
    }
    Ok(Stored { skus, orders: order_ids })
}

/// The orders the batch's actions and shipments name (imports find theirs by external id).
fn acted_on(batch: &[Work]) -> Vec<i64> {
    batch
        .iter()
        .filter_map(|w| match w {
            Work::Order(a) => Some(a.order_id.get()),
            Work::Fulfil(f) => Some(f.order_id.get()),
            _ => None,
        })
        .collect()
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
        Some(level) => match level.allocated.checked_add(delta) {
            Some(allocated) => {
                level.allocated = allocated;
                moved.insert(sku.to_string());
                Ok(())
            }
            None => Err(diesel::result::Error::QueryBuilderError(
                format!("allocation of SKU {sku:?} would overflow ({} + {delta})", level.allocated).into(),
            )),
        },
        None => Err(diesel::result::Error::QueryBuilderError(
            format!("allocation change of {delta} for SKU {sku:?}, which this transaction did not lock").into(),
        )),
    }
}

fn available(levels: &HashMap<String, Level>, sku: &str) -> Option<i64> {
    levels.get(sku).map(Level::available)
}

fn event(order_id: i64, now: i64, kind: &str, detail: String) -> NewHistoryEntry {
    NewHistoryEntry { order_id, at: now, kind: kind.to_string(), detail }
}

/// Imports one page: each order is reconciled with what is stored by the pure import plan
/// (`domain::import`), and the plan is applied here — allocation, the ships-from source's
/// on-hand, rows, history, events, routing — with the cursor, in the same transaction.
/// New orders and their lines go in as multi-row inserts, and their events are rendered from
/// what was written (no read-back); orders already stored are updated one by one.
pub(super) fn apply_import(
    conn: &mut DbConn,
    batch: &mut Batch,
    msg: &ImportOrders,
    now: i64,
) -> diesel::QueryResult<ImportOutcome> {
    let Batch { snap, allocation_moved: moved, dirty_sources: dirty, shifted, routed, resend, locked_orders, .. } =
        batch;
    let channel_id = msg.channel_id.get();
    let ids: Vec<String> = msg.orders.iter().map(|o| o.external_id.clone()).collect();
    let mut existing = orders::load_by_external(conn, channel_id, &ids)?;
    // Most were locked with the stock (`stored`). One stored since by another process (an order
    // webhook reaches any process) is locked now, still after the stock, and read again: what
    // the plan starts from is then what this transaction writes over.
    let late: Vec<i64> = existing.values().map(|(row, _)| row.id).filter(|id| !locked_orders.contains(id)).collect();
    if !late.is_empty() {
        orders::lock(conn, &late)?;
        locked_orders.extend(late);
        existing = orders::load_by_external(conn, channel_id, &ids)?;
    }
    let mut outcome = ImportOutcome::default();
    // The channel takes its own stock when it sells and restores it on cancellation: follow
    // that in the figure Chorus last saw there, so its next push compares against the truth.
    let mut channel_shift: HashMap<String, i64> = HashMap::new();
    let mut channel_moved: BTreeSet<String> = BTreeSet::new();
    // A page that lists an order twice counts it once (the later copy wins).
    let mut last_index: HashMap<&str, usize> = HashMap::new();
    for (i, o) in msg.orders.iter().enumerate() {
        last_index.insert(o.external_id.as_str(), i);
    }
    // First every order's plan and stock moves, and the stored ones' updates; the new ones
    // are written together afterwards.
    let mut planned: Vec<Planned> = Vec::new();
    let mut to_insert: Vec<OrderValues> = Vec::new();
    for (i, incoming) in msg.orders.iter().enumerate() {
        if last_index.get(incoming.external_id.as_str()) != Some(&i) {
            continue;
        }
        let stored_rows = existing.remove(&incoming.external_id);
        let stored = match &stored_rows {
            Some((row, lines)) => Some(stored_order(row, lines)?),
            None => None,
        };
        let levels = &snap.levels;
        let plan = import::plan(incoming, stored.as_ref(), &msg.policy, &|s| levels.get(s).map(Level::available));
        match plan.action {
            Action::Skip => {
                outcome.skipped += 1;
                continue;
            }
            Action::Unchanged => {
                outcome.unchanged += 1;
                continue;
            }
            Action::Insert | Action::Update => {}
        }
        for (sku, delta) in &plan.allocation {
            allocate(&mut snap.levels, moved, sku, *delta)?;
        }
        let plugin_id = stored_rows.as_ref().and_then(|(row, _)| row.plugin_id);
        let source =
            plugin_id.map_or_else(|| msg.ships_from.clone(), |id| Source::Plugin(crate::domain::ids::PluginId(id)));
        move_on_hand(snap, dirty, &source, &plan.on_hand)?;
        let digest = order::digest(incoming);
        let target = match &stored_rows {
            None => {
                to_insert.push(values(channel_id, incoming, &plan, &digest, None, now));
                Target::New(to_insert.len() - 1)
            }
            Some((row, lines)) => {
                let next = values(channel_id, incoming, &plan, &digest, Some(row), now);
                // A plugin holding the order hears of a new address, method or units.
                let tell_plugin = plugin_id.is_some()
                    && !plan.cancel_at_plugin
                    && plan.status.is_open()
                    && shipment_facts_before(row, lines) != shipment_facts_after(&next, &plan);
                orders::update(conn, row.id, &next)?;
                if next.personal.is_some() {
                    // A redaction committed after this batch read the row wins (see keep_redacted).
                    orders::keep_redacted(conn, row.id)?;
                }
                Target::Stored { id: row.id, tell_plugin }
            }
        };
        for (sku, delta) in &plan.channel_shift {
            *channel_shift.entry(sku.clone()).or_default() += delta;
            channel_moved.insert(sku.clone());
        }
        outcome.add(&ImportOutcome {
            new: plan.counts.new,
            updated: plan.counts.updated,
            on_hold: plan.counts.on_hold,
            awaiting_payment: plan.counts.awaiting_payment,
            fulfilled_on_channel: plan.counts.fulfilled_on_channel,
            ..Default::default()
        });
        planned.push(Planned { incoming, plan, plugin_id, target });
    }
    let new_ids = orders::insert_many(conn, &to_insert)?;

    let mut events = Vec::new();
    let mut new_lines = Vec::new();
    let mut ready = Vec::new();
    // Events for subscribers, snapshotted once the page is written.
    let mut emitted: Vec<(i64, &'static str)> = Vec::new();
    for p in &planned {
        let id = match p.target {
            Target::New(k) => new_ids[k],
            Target::Stored { id, tell_plugin } => {
                if tell_plugin {
                    routed.extend(plugins::queue_update(conn, p.plugin_id, id, p.incoming.updated_at, now)?);
                }
                id
            }
        };
        for line in &p.plan.lines {
            match line.stored_id {
                Some(line_id) if line.changed => orders::write_line(conn, line_id, line)?,
                Some(_) => {}
                None => new_lines.push(NewLine::planned(id, line)),
            }
        }
        if p.plan.cancel_at_plugin {
            routed.extend(plugins::queue_cancel(conn, p.plugin_id, id, now)?);
        }
        if p.plan.route && p.plugin_id.is_none() {
            let skus = p.incoming.lines.iter().filter_map(|l| l.sku.as_deref()).collect();
            ready.push(Routable { order_id: id, channel_id, skus });
        }
        events.extend(p.plan.history.iter().map(|(kind, detail)| event(id, now, kind, detail.clone())));
        emitted.extend(p.plan.emit.iter().map(|kind| (id, *kind)));
    }
    let line_ids = orders::insert_lines_returning(conn, &new_lines)?;
    orders::add_events(conn, &events)?;
    let given = plugins::route_orders(conn, &ready, now)?;
    routed.extend(given.values().copied());
    let mut written = written_rows(to_insert, &new_ids, new_lines, &line_ids, &given);
    // Only orders with an event are rendered (a backlog of shipped orders announces nothing).
    let announced: HashSet<i64> = emitted.iter().map(|(id, _)| *id).collect();
    written.retain(|id, _| announced.contains(id));
    crate::db::snapshots::emit_orders_known(conn, &emitted, written, now)?;
    channel_shift.retain(|_, d| *d != 0);
    crate::db::channel_products::shift_channel_quantities(conn, channel_id, &channel_shift)?;
    // The channel gets Chorus's figure again once the batch has settled every SKU — every SKU
    // the channel moved, even where its moves cancel out in this page: a push may have
    // overwritten one of them in between (a channel without compare-and-set).
    shifted.extend(channel_moved.into_iter().map(|sku| (channel_id, sku)));
    if msg.resend {
        resend.insert(channel_id);
    }
    orders::advance_cursor(conn, channel_id, msg.cursor, outcome.new as i64, now)?;
    Ok(outcome)
}

/// An order of the page the import changes, between its plan and its writes.
struct Planned<'a> {
    incoming: &'a ChannelOrder,
    plan: Plan,
    plugin_id: Option<i64>,
    target: Target,
}

enum Target {
    /// Written with the page's other new orders: its place among them.
    New(usize),
    /// Updated in place.
    Stored { id: i64, tell_plugin: bool },
}

/// The new orders and their lines as they now stand in the database, by order id: what
/// reading them back would give.
fn written_rows(
    orders: Vec<OrderValues>,
    ids: &[i64],
    lines: Vec<NewLine>,
    line_ids: &[i64],
    routed_to: &HashMap<i64, i64>,
) -> HashMap<i64, (OrderRow, Vec<LineRow>)> {
    let place: HashMap<i64, usize> = ids.iter().enumerate().map(|(k, id)| (*id, k)).collect();
    let mut lines_of: Vec<Vec<LineRow>> = orders.iter().map(|_| Vec::new()).collect();
    // Lines added to orders already stored are not among them (those are read back).
    for (line, id) in lines.into_iter().zip(line_ids) {
        if let Some(k) = place.get(&line.order_id) {
            lines_of[*k].push(LineRow::written(*id, line));
        }
    }
    orders
        .into_iter()
        .zip(ids)
        .zip(lines_of)
        .map(|((values, id), lines)| {
            let plugin_id = routed_to.get(id).copied();
            (*id, (OrderRow::written(*id, values, plugin_id), lines))
        })
        .collect()
}

fn stored_order(row: &OrderRow, lines: &[LineRow]) -> diesel::QueryResult<import::StoredOrder> {
    let status = Status::parse(&row.status).ok_or_else(|| {
        diesel::result::Error::DeserializationError(
            format!("order {} has an unknown status {:?}", row.id, row.status).into(),
        )
    })?;
    Ok(import::StoredOrder {
        status,
        hold: row.hold_reason.as_deref().and_then(HoldReason::parse),
        channel_updated_at: row.channel_updated_at,
        digest: row.channel_digest.clone(),
        reserved: row.channel_reserved,
        lines: lines.iter().map(LineRow::stored).collect(),
    })
}

/// Moves the ships-from source's on-hand by the plan (units gone on the channel, returns).
/// Units the source never had cannot come off it (`Snapshot::held`), as with a plugin's
/// shipment.
fn move_on_hand(
    snap: &mut Snapshot,
    dirty: &mut HashSet<(String, String)>,
    source: &Source,
    deltas: &BTreeMap<String, i64>,
) -> diesel::QueryResult<()> {
    let source_name = source.to_string();
    let mut ops = Vec::new();
    for (sku, delta) in deltas {
        let wanted = *delta;
        let delta = if wanted < 0 { -(wanted.saturating_neg().min(snap.held(sku, &source_name))) } else { wanted };
        let Some(level) = snap.levels.get_mut(sku) else { continue };
        if delta != wanted {
            tracing::warn!(sku, source = %source_name, wanted, taken = delta,
                "the channel shipped more than the source holds; it stops at 0");
        }
        if delta == 0 {
            continue;
        }
        level.on_hand = level.on_hand.checked_add(delta).ok_or_else(|| {
            diesel::result::Error::QueryBuilderError(format!("on-hand of SKU {sku:?} would overflow").into())
        })?;
        ops.push((sku.clone(), source_name.clone(), SourceChange::Adjust { delta }));
    }
    super::apply_stock(snap, &ops, dirty)
        .map(|_| ())
        .map_err(|e| diesel::result::Error::QueryBuilderError(format!("moving on-hand for the channel: {e}").into()))
}

fn shipment_facts_before(row: &OrderRow, lines: &[LineRow]) -> ShipmentFacts {
    let units = lines.iter().map(|l| (l.external_id.clone(), l.sku.clone(), l.quantity)).collect();
    ShipmentFacts::new(&row.personal(), &row.details(), units)
}

fn shipment_facts_after(next: &OrderValues, plan: &Plan) -> ShipmentFacts {
    fn parse<T: serde::de::DeserializeOwned + Default>(json: &Option<String>) -> T {
        json.as_deref().and_then(|j| serde_json::from_str(j).ok()).unwrap_or_default()
    }
    let units = plan.lines.iter().map(|l| (l.external_id.clone(), l.sku.clone(), l.quantity)).collect();
    ShipmentFacts::new(&parse::<Personal>(&next.personal), &parse::<Details>(&next.details), units)
}

fn values(
    channel_id: i64,
    o: &ChannelOrder,
    plan: &Plan,
    digest: &str,
    stored: Option<&OrderRow>,
    now: i64,
) -> OrderValues {
    // A read that carries no whole order (Shopify, for now) keeps what an earlier one stored.
    let said_more = o.details != Details::default() || o.personal != Personal::default();
    let (number, details, personal, customer_email) = match stored {
        Some(row) if !said_more => {
            (row.number.clone(), row.details.clone(), row.personal.clone(), row.customer_email.clone())
        }
        _ if !said_more => (None, None, None, None),
        _ => (
            o.details.number.clone(),
            serde_json::to_string(&o.details).ok(),
            serde_json::to_string(&o.personal).ok(),
            o.personal.email_key(),
        ),
    };
    // A redacted order stays redacted whatever the channel sends again.
    let redacted = stored.is_some_and(|row| row.redacted_at.is_some());
    let (personal, customer_email) = if redacted { (None, None) } else { (personal, customer_email) };
    let imported_at = stored.map_or(now, |row| row.imported_at);
    OrderValues {
        channel_id,
        external_id: o.external_id.clone(),
        name: o.name.clone(),
        status: plan.status.as_str().to_string(),
        hold_reason: plan.hold.map(|h| h.as_str().to_string()),
        financial_status: o.financial.as_str().to_string(),
        fulfillment_status: o.fulfillment.as_str().to_string(),
        channel_created_at: o.created_at,
        channel_updated_at: o.updated_at,
        channel_digest: digest.to_string(),
        cancelled_at: o.cancelled_at,
        imported_at,
        updated_at: now,
        channel_reserved: plan.reserved,
        number,
        details,
        personal,
        customer_email,
    }
}

/// Release or exclude one order.
pub(super) fn apply_action(
    conn: &mut DbConn,
    batch: &mut Batch,
    action: &OrderAction,
    now: i64,
) -> diesel::QueryResult<Result<OrderOutcome, InventoryError>> {
    let Batch { snap, allocation_moved: moved, routed, .. } = batch;
    let levels = &mut snap.levels;
    let Some(row) = orders::find(conn, action.order_id.get())? else {
        return Ok(Err(InventoryError::OrderNotFound(action.order_id)));
    };
    let Some(status) = Status::parse(&row.status) else {
        return Ok(Err(InventoryError::OrderState(format!("order {} has an unknown status {:?}", row.id, row.status))));
    };
    // Read now, inside the transaction: earlier messages in this batch may have changed them.
    let lines = orders::lines_of(conn, &[row.id])?;
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
                orders::set_allocated(conn, line.id, 0)?;
            }
            orders::set_status(conn, row.id, Status::Excluded.as_str(), None, now)?;
            routed.extend(plugins::queue_cancel(conn, row.plugin_id, row.id, now)?);
            orders::add_events(
                conn,
                &[event(row.id, now, "excluded", "excluded by an operator; stock released".into())],
            )?;
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
            let as_channel_lines: Vec<order::ChannelLine> = lines
                .iter()
                .map(|l| order::ChannelLine {
                    external_id: l.external_id.clone(),
                    sku: (!l.sku.is_empty()).then(|| l.sku.clone()),
                    quantity: l.quantity,
                    fulfilled: l.fulfilled.max(l.shipped),
                    returned: 0,
                    written_off: 0,
                    product_id: l.product_id.clone(),
                    variant_id: l.variant_id.clone(),
                    details: Default::default(),
                })
                .collect();
            // Lines whose SKU has since been created now allocate; a line out of bounds never does.
            if as_channel_lines.iter().all(order::ChannelLine::is_valid) {
                for line in &lines {
                    let known = levels.contains_key(&line.sku);
                    let target = order::line_allocation(true, known, line.quantity, line.fulfilled.max(line.shipped));
                    if target != line.allocated {
                        allocate(levels, moved, &line.sku, target - line.allocated)?;
                        orders::set_allocated(conn, line.id, target)?;
                    }
                }
            }
            let hold = order::hold_reason(&as_channel_lines, |s| available(levels, s));
            let (status, kind, detail) = match hold {
                None => (Status::Imported, "released", "released from hold".to_string()),
                Some(h) => (Status::OnHold, "still_on_hold", format!("still on hold: {}", h.as_str())),
            };
            orders::set_status(conn, row.id, status.as_str(), hold.map(|h| h.as_str()), now)?;
            orders::add_events(conn, &[event(row.id, now, kind, detail)])?;
            if status == Status::Imported && row.plugin_id.is_none() {
                let skus = lines.iter().map(|l| l.sku.as_str()).filter(|s| !s.is_empty()).collect();
                let ready = [Routable { order_id: row.id, channel_id: row.channel_id, skus }];
                routed.extend(plugins::route_orders(conn, &ready, now)?.into_values());
            }
            crate::db::snapshots::emit_orders(conn, &[(row.id, "orders.updated")], now)?;
            Ok(Ok(OrderOutcome { status, hold_reason: hold }))
        }
    }
}
