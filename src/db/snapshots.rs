//! Events with full snapshots, written in the caller's transaction: the entity as the admin API
//! shows it (the same view types), so a subscriber sees what `GET` would return.

use std::collections::HashMap;

use diesel::prelude::*;
use serde_json::{json, Value};

use super::events::{record_many, NewEvent};
use super::orders::{LineRow, OrderRow};
use super::DbConn;
use crate::views::fulfilments::FulfilmentView;
use crate::views::orders::OrderView;

/// The ordering subject of an order and everything that happens to it.
pub fn order_subject(order_id: i64) -> String {
    format!("order:{order_id}")
}

/// Records `kind` for each order, with the order and its lines as they are now.
pub fn emit_orders(conn: &mut DbConn, kinds: &[(i64, &str)], now: i64) -> QueryResult<()> {
    emit_orders_known(conn, kinds, HashMap::new(), now)
}

/// As [`emit_orders`], with some orders' rows already in hand (just written by the caller's
/// transaction, so current): only the others are read back.
pub fn emit_orders_known(
    conn: &mut DbConn,
    kinds: &[(i64, &str)],
    known: HashMap<i64, (OrderRow, Vec<LineRow>)>,
    now: i64,
) -> QueryResult<()> {
    if kinds.is_empty() {
        return Ok(());
    }
    // Rendered straight to text: the payload is stored as text, and a `Value` in between
    // would build every snapshot twice.
    let mut views: HashMap<i64, (i64, String)> = HashMap::new();
    for (id, (o, lines)) in known {
        let channel = o.channel_id;
        views.insert(id, (channel, to_text(&OrderView::new(o, Some(lines), None))?));
    }
    let mut ids: Vec<i64> = kinds.iter().map(|(id, _)| *id).filter(|id| !views.contains_key(id)).collect();
    ids.sort_unstable();
    ids.dedup();
    for chunk in ids.chunks(super::CHUNK_ROWS) {
        let orders = super::orders::find_many(conn, chunk)?;
        let mut lines: HashMap<i64, Vec<super::orders::LineRow>> = HashMap::new();
        for l in super::orders::lines_of(conn, chunk)? {
            lines.entry(l.order_id).or_default().push(l);
        }
        for o in orders {
            let (id, channel) = (o.id, o.channel_id);
            let view = OrderView::new(o, Some(lines.remove(&id).unwrap_or_default()), None);
            views.insert(id, (channel, to_text(&view)?));
        }
    }
    let rows: Vec<NewEvent> = kinds
        .iter()
        .filter_map(|(id, kind)| {
            let (channel, view) = views.get(id)?;
            Some(NewEvent::rendered(kind, Some(*channel), order_subject(*id), view.clone(), now))
        })
        .collect();
    record_many(conn, &rows)
}

/// Records `kind` for a fulfilment, with its lines.
pub fn emit_fulfilment(conn: &mut DbConn, id: i64, kind: &str, now: i64) -> QueryResult<()> {
    let Some((row, lines)) = super::fulfilments::find(conn, id)? else { return Ok(()) };
    let (order_id, channel) = (row.order_id, row.channel_id);
    let view = super::to_json(&FulfilmentView::new(row, lines))?;
    record_many(conn, &[NewEvent::new(kind, Some(channel), order_subject(order_id), &view, now)])
}

/// Records `kind` for products.
pub fn emit_products(
    conn: &mut DbConn,
    products: &[super::products::Product],
    kind: &str,
    now: i64,
) -> QueryResult<()> {
    // Rendered and written a chunk at a time: a 100,000-SKU bulk never holds all its events.
    for chunk in products.chunks(EVENTS_PER_WRITE) {
        let rows: Vec<NewEvent> = chunk
            .iter()
            .map(|p| {
                let view = json!({
                    "sku": p.sku,
                    "title": p.title,
                    "created_at": crate::views::time(p.created_at),
                    "updated_at": crate::views::time(p.updated_at),
                });
                NewEvent::new(kind, None, format!("sku:{}", p.sku), &view, now)
            })
            .collect();
        record_many(conn, &rows)?;
    }
    Ok(())
}

/// Events rendered and written together by the bulk emitters.
const EVENTS_PER_WRITE: usize = 1_000;

/// A SKU's stock after a change, as `GET /api/v1/inventory/{sku}` shows it.
pub struct StockSnapshot<'a> {
    pub sku: &'a str,
    pub on_hand: i64,
    pub allocated: i64,
    pub available: i64,
    pub version: i64,
    pub sources: Vec<(&'a str, i64)>,
}

/// The `inventory.updated` event of each SKU whose figures moved, rendered to be written with
/// them (see [`super::figures::write`]).
pub fn inventory_events(changed: &[StockSnapshot], now: i64) -> Vec<NewEvent> {
    changed
        .iter()
        .map(|s| {
            let sources: serde_json::Map<String, Value> =
                s.sources.iter().map(|(name, q)| (name.to_string(), json!(q))).collect();
            let view = json!({
                "sku": s.sku,
                "on_hand": s.on_hand,
                "allocated": s.allocated,
                "available": s.available,
                "version": s.version,
                "sources": sources,
            });
            NewEvent::new("inventory.updated", None, format!("sku:{}", s.sku), &view, now)
        })
        .collect()
}

fn to_text<T: serde::Serialize>(value: &T) -> QueryResult<String> {
    serde_json::to_string(value).map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))
}
