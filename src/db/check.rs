//! Reads the books the invariant check compares, in one transaction (repeatable read on
//! PostgreSQL), so a check never sees half a stock transaction.

use std::collections::HashMap;

use diesel::prelude::*;

use super::schema::{channels, inventory_sources, order_lines, orders, outbox, stock_levels};
use super::{outbox as ob, DbConn};
use crate::domain::check::{Books, CheckedLine, PendingPush, StoredLevel};
use crate::domain::order::Status;

pub fn load(conn: &mut DbConn) -> QueryResult<Books> {
    conn.transaction(|conn| {
        if let DbConn::Pg(pg) = conn {
            diesel::sql_query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ").execute(pg)?;
        }
        read(conn)
    })
}

fn read(conn: &mut DbConn) -> QueryResult<Books> {
    let mut books = Books::default();
    let levels: Vec<(String, i64, i64)> =
        stock_levels::table.select((stock_levels::sku, stock_levels::on_hand, stock_levels::allocated)).load(conn)?;
    for (sku, on_hand, allocated) in levels {
        books.levels.insert(sku, StoredLevel { on_hand, allocated });
    }
    let sources: Vec<(String, i64)> =
        inventory_sources::table.select((inventory_sources::sku, inventory_sources::quantity)).load(conn)?;
    let mut totals: HashMap<String, i64> = HashMap::new();
    for (sku, q) in sources {
        let t = totals.entry(sku).or_default();
        *t = t.saturating_add(q);
    }
    books.source_totals = totals;
    let lines: Vec<(i64, String, String, i64, i64)> = order_lines::table
        .inner_join(orders::table)
        .select((orders::id, orders::status, order_lines::sku, order_lines::quantity, order_lines::allocated))
        .load(conn)?;
    books.lines = lines
        .into_iter()
        .map(|(order_id, status, sku, quantity, allocated)| CheckedLine {
            order_id,
            open: Status::parse(&status).is_some_and(Status::is_open),
            sku,
            quantity,
            allocated,
        })
        .collect();
    let buffers: HashMap<String, i64> = channels::table
        .select((channels::id, channels::stock_buffer))
        .load::<(i64, i64)>(conn)?
        .into_iter()
        .map(|(id, buffer)| (ob::channel_target(id), buffer))
        .collect();
    let pushes: Vec<(String, Option<String>, String)> = outbox::table
        .filter(outbox::kind.eq(ob::STOCK))
        .select((outbox::target, outbox::coalesce_key, outbox::payload))
        .load(conn)?;
    books.pushes = pushes
        .into_iter()
        .filter_map(|(target, sku, payload)| {
            Some(PendingPush {
                channel_id: target.strip_prefix("channel:")?.parse().ok()?,
                buffer: buffers.get(&target).copied().unwrap_or(0),
                sku: sku?,
                available: payload.trim().parse().ok()?,
            })
        })
        .collect();
    Ok(books)
}
