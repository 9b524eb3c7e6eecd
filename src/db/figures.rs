//! The writes that close a stock transaction: the sources' and levels' new figures, their
//! `inventory.updated` events and the stock pushes to every channel listing a SKU whose
//! `available` moved. On PostgreSQL they are one cached statement (one round trip); on SQLite,
//! in-process, the same writes one after another.

use std::collections::BTreeSet;

use diesel::sql_types::BigInt;
use diesel::{PgConnection, QueryResult, QueryableByName, RunQueryDsl};

use super::events::{record_many, NewEvent};
use super::inventory::{sqlite, LevelRow, SourceRow};
use super::outbox::{queue_stock_pushes, STOCK};
use super::prepared::{Bind, Cached};
use super::DbConn;

/// What one stock transaction writes.
pub struct Figures<'a> {
    pub sources: &'a [SourceRow],
    pub levels: &'a [LevelRow],
    pub events: &'a [NewEvent],
    /// Each SKU whose `available` moved, with the new figure.
    pub available: &'a [(String, i64)],
}

/// Writes `figures` and returns the channels given a push.
pub fn write(conn: &mut DbConn, figures: &Figures, now: i64) -> QueryResult<BTreeSet<i64>> {
    match conn {
        DbConn::Pg(c) => write_pg(c, figures, now),
        DbConn::Sqlite(c) => {
            sqlite::upsert_sources(c, figures.sources)?;
            sqlite::upsert_levels(c, figures.levels)?;
            record_many(conn, figures.events)?;
            queue_stock_pushes(conn, figures.available, now)
        }
    }
}

#[derive(QueryableByName)]
struct Pushed {
    #[diesel(sql_type = BigInt)]
    channel_id: i64,
}

/// Each part is a data-modifying CTE over its own table, so none sees another's rows; every
/// one runs whether or not the final `SELECT` reads it. The push's target is
/// [`super::outbox::channel_target`]'s `channel:<id>`, and a pending push of the same SKU to
/// the same channel takes the new figure, as in [`queue_stock_pushes`].
const WRITE_PG: &str = "WITH sources AS (\
       INSERT INTO inventory_sources (sku, source, quantity, as_of, updated_at) \
       SELECT * FROM unnest(?::text[], ?::text[], ?::bigint[], ?::bigint[], ?::bigint[]) \
       ON CONFLICT (sku, source) DO UPDATE SET quantity = excluded.quantity, as_of = excluded.as_of, \
         updated_at = excluded.updated_at), \
     levels AS (\
       INSERT INTO stock_levels (sku, on_hand, allocated, version, updated_at) \
       SELECT * FROM unnest(?::text[], ?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[]) \
       ON CONFLICT (sku) DO UPDATE SET on_hand = excluded.on_hand, allocated = excluded.allocated, \
         version = excluded.version, updated_at = excluded.updated_at), \
     events AS (\
       INSERT INTO events (kind, channel_id, subject, payload, created_at) \
       SELECT kind, channel_id, subject, payload, created_at \
       FROM unnest(?::text[], ?::bigint[], ?::text[], ?::text[], ?::bigint[]) WITH ORDINALITY \
         AS r(kind, channel_id, subject, payload, created_at, n) ORDER BY n), \
     listed AS (\
       SELECT cp.channel_id, cp.sku, a.available FROM unnest(?::text[], ?::bigint[]) AS a(sku, available) \
       JOIN channel_products cp ON cp.sku = a.sku JOIN channels ch ON ch.id = cp.channel_id AND ch.enabled), \
     pushes AS (\
       INSERT INTO outbox (target, kind, coalesce_key, payload, attempts, next_attempt_at, created_at) \
       SELECT 'channel:' || channel_id, ?, sku, available::text, 0, ?, ? FROM listed \
       ON CONFLICT (target, coalesce_key) DO UPDATE SET payload = excluded.payload, created_at = excluded.created_at) \
     SELECT DISTINCT channel_id FROM listed";

fn write_pg(c: &mut PgConnection, f: &Figures, now: i64) -> QueryResult<BTreeSet<i64>> {
    if f.sources.is_empty() && f.levels.is_empty() && f.events.is_empty() && f.available.is_empty() {
        return Ok(BTreeSet::new());
    }
    let pushed: Vec<Pushed> = Cached::new(WRITE_PG)
        .texts(f.sources, |r| &r.sku)
        .texts(f.sources, |r| &r.source)
        .big_ints(f.sources, |r| r.quantity)
        .null_big_ints(f.sources, |r| r.as_of)
        .big_ints(f.sources, |r| r.updated_at)
        .texts(f.levels, |r| &r.sku)
        .big_ints(f.levels, |r| r.on_hand)
        .big_ints(f.levels, |r| r.allocated)
        .big_ints(f.levels, |r| r.version)
        .big_ints(f.levels, |r| r.updated_at)
        .texts(f.events, |e| &e.kind)
        .null_big_ints(f.events, |e| e.channel_id)
        .texts(f.events, |e| &e.subject)
        .texts(f.events, |e| &e.payload)
        .big_ints(f.events, |e| e.created_at)
        .texts(f.available, |(sku, _)| sku)
        .big_ints(f.available, |(_, available)| *available)
        .bind(Bind::Text(STOCK))
        .bind(Bind::BigInt(now))
        .bind(Bind::BigInt(now))
        .load(c)?;
    Ok(pushed.into_iter().map(|p| p.channel_id).collect())
}
