//! Queries over the outbox: outbound work written in the transaction that caused it, drained by
//! the actor that owns its target, removed only once delivered. Stock pushes coalesce: one row
//! per (channel, SKU), whose payload a newer figure replaces.

use std::collections::{BTreeMap, BTreeSet};

use diesel::prelude::*;
use diesel::upsert::excluded;

use super::schema::{channel_products, channels, outbox};
use super::DbConn;

/// The outbox kind of a stock push; its payload is the SKU's `available` at commit time.
pub const STOCK: &str = "stock";
/// The outbox kind of a fulfilment to send to its order's channel; the payload is its id.
pub const FULFILMENT: &str = "fulfilment";

/// The outbox target a channel drains.
pub fn channel_target(channel_id: i64) -> String {
    format!("channel:{channel_id}")
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = outbox)]
pub struct OutboxRow {
    pub id: i64,
    pub target: String,
    pub kind: String,
    pub coalesce_key: Option<String>,
    pub payload: String,
    pub attempts: i32,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
}

#[derive(Insertable)]
#[diesel(table_name = outbox, treat_none_as_default_value = false)]
struct NewRow<'a> {
    target: String,
    kind: &'a str,
    coalesce_key: Option<&'a str>,
    payload: String,
    attempts: i32,
    next_attempt_at: i64,
    created_at: i64,
}

/// Queues a stock push of each SKU's new `available` to every enabled channel listing it, and
/// returns those channels. A pending push of the same SKU to the same channel takes the new
/// figure (its retry schedule is kept).
pub fn queue_stock_pushes(conn: &mut DbConn, figures: &[(String, i64)], now: i64) -> QueryResult<BTreeSet<i64>> {
    let mut queued = BTreeSet::new();
    for chunk in figures.chunks(super::CHUNK_ROWS) {
        let skus: Vec<&str> = chunk.iter().map(|(s, _)| s.as_str()).collect();
        let listed: Vec<(i64, String)> = channel_products::table
            .inner_join(channels::table)
            .filter(channels::enabled.eq(true))
            .filter(channel_products::sku.eq_any(&skus))
            .select((channel_products::channel_id, channel_products::sku))
            .load(conn)?;
        if listed.is_empty() {
            continue;
        }
        let by_sku: std::collections::HashMap<&str, i64> = chunk.iter().map(|(s, a)| (s.as_str(), *a)).collect();
        let rows: Vec<NewRow> = listed
            .iter()
            .filter_map(|(channel, sku)| {
                queued.insert(*channel);
                Some(NewRow {
                    target: channel_target(*channel),
                    kind: STOCK,
                    coalesce_key: Some(sku.as_str()),
                    payload: by_sku.get(sku.as_str())?.to_string(),
                    attempts: 0,
                    next_attempt_at: now,
                    created_at: now,
                })
            })
            .collect();
        upsert_coalesced(conn, &rows)?;
    }
    Ok(queued)
}

/// Queues a push of 0 to one channel for a SKU it lists but Chorus no longer keeps (the product
/// was deleted; the listing is kept as unlinked): the drain sends 0 to such listings.
pub fn queue_for_channel_unlisted(conn: &mut DbConn, channel_id: i64, sku: &str, now: i64) -> QueryResult<()> {
    let row = NewRow {
        target: channel_target(channel_id),
        kind: STOCK,
        coalesce_key: Some(sku),
        payload: "0".into(),
        attempts: 0,
        next_attempt_at: now,
        created_at: now,
    };
    upsert_coalesced(conn, std::slice::from_ref(&row))
}

/// Queues pushes of these figures to one channel, for the SKUs it lists: after the channel
/// moved its own figure (a sale or a cancellation there), so it shows Chorus's figure again
/// even when Chorus's `available` did not move (an order On Hold takes nothing).
pub fn queue_for_channel(conn: &mut DbConn, channel_id: i64, figures: &[(String, i64)], now: i64) -> QueryResult<()> {
    let skus: Vec<&str> = figures.iter().map(|(s, _)| s.as_str()).collect();
    let listed: std::collections::HashSet<String> = channel_products::table
        .filter(channel_products::channel_id.eq(channel_id))
        .filter(channel_products::sku.eq_any(&skus))
        .select(channel_products::sku)
        .load::<String>(conn)?
        .into_iter()
        .collect();
    let rows: Vec<NewRow> = figures
        .iter()
        .filter(|(sku, _)| listed.contains(sku))
        .map(|(sku, available)| NewRow {
            target: channel_target(channel_id),
            kind: STOCK,
            coalesce_key: Some(sku.as_str()),
            payload: available.to_string(),
            attempts: 0,
            next_attempt_at: now,
            created_at: now,
        })
        .collect();
    upsert_coalesced(conn, &rows)
}

/// Queues a push of the current figure for these listings of one channel (all of them when
/// `skus` is None): after linking, or when the channel's buffer changes.
pub fn queue_channel_listings(
    conn: &mut DbConn,
    channel_id: i64,
    skus: Option<&[String]>,
    now: i64,
) -> QueryResult<usize> {
    let skus: Vec<String> = match skus {
        Some(skus) => skus.to_vec(),
        None => channel_products::table
            .filter(channel_products::channel_id.eq(channel_id))
            .select(channel_products::sku)
            .load(conn)?,
    };
    if skus.is_empty() {
        return Ok(0);
    }
    // Lock the SKUs' stock rows (in the order every stock writer uses) and read them then: an
    // import committing meanwhile is waited for, so the figure queued is never older than it.
    let names: Vec<&str> = skus.iter().map(String::as_str).collect();
    let snap = super::inventory::load_for_update(conn, &names)?;
    let listed: std::collections::HashSet<String> = channel_products::table
        .filter(channel_products::channel_id.eq(channel_id))
        .filter(channel_products::sku.eq_any(&names))
        .select(channel_products::sku)
        .load::<String>(conn)?
        .into_iter()
        .collect();
    let rows: Vec<NewRow> = snap
        .levels
        .iter()
        .filter(|(sku, _)| listed.contains(*sku))
        .map(|(sku, level)| NewRow {
            target: channel_target(channel_id),
            kind: STOCK,
            coalesce_key: Some(sku.as_str()),
            payload: level.available().to_string(),
            attempts: 0,
            next_attempt_at: now,
            created_at: now,
        })
        .collect();
    upsert_coalesced(conn, &rows)?;
    Ok(rows.len())
}

fn upsert_coalesced(conn: &mut DbConn, rows: &[NewRow]) -> QueryResult<()> {
    // `created_at` moves with every write, so an entry rewritten with the same payload (e.g.
    // after the channel's buffer changed) still counts as new to the drain.
    let c = match conn {
        DbConn::Sqlite(c) => {
            for chunk in rows.chunks(super::CHUNK_ROWS / 8) {
                diesel::insert_into(outbox::table)
                    .values(chunk)
                    .on_conflict((outbox::target, outbox::coalesce_key))
                    .do_update()
                    .set((
                        outbox::payload.eq(excluded(outbox::payload)),
                        outbox::created_at.eq(excluded(outbox::created_at)),
                    ))
                    .execute(c)?;
            }
            return Ok(());
        }
        DbConn::Pg(c) => c,
    };
    // One cached statement a chunk: the rows go as one array a column.
    for chunk in rows.chunks(super::CHUNK_ROWS) {
        super::prepared::Cached::new(
            "INSERT INTO outbox (target, kind, coalesce_key, payload, attempts, next_attempt_at, created_at) \
                 SELECT target, kind, coalesce_key, payload, attempts::integer, next_attempt_at, created_at \
                 FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::bigint[], ?::bigint[], ?::bigint[]) \
                 AS r(target, kind, coalesce_key, payload, attempts, next_attempt_at, created_at) \
                 ON CONFLICT (target, coalesce_key) DO UPDATE \
                 SET payload = excluded.payload, created_at = excluded.created_at",
        )
        .texts(chunk, |r| &r.target)
        .texts(chunk, |r| r.kind)
        .null_texts(chunk, |r| r.coalesce_key)
        .texts(chunk, |r| &r.payload)
        .big_ints(chunk, |r| i64::from(r.attempts))
        .big_ints(chunk, |r| r.next_attempt_at)
        .big_ints(chunk, |r| r.created_at)
        .execute(c)?;
    }
    Ok(())
}

/// Queues one piece of work (not coalesced: `key` is unique, e.g. "fulfilment:7"); queueing the
/// same key again makes it due now, with a fresh retry schedule.
pub fn queue(conn: &mut DbConn, target: &str, kind: &str, key: &str, payload: &str, now: i64) -> QueryResult<()> {
    queue_many(conn, kind, &[(target.to_string(), key.to_string(), payload.to_string())], now)
}

/// [`queue`] for several (target, key, payload), a chunk to a statement. A (target, key) given
/// twice is queued once, with its last payload (one statement cannot upsert a row twice).
pub fn queue_many(conn: &mut DbConn, kind: &str, entries: &[(String, String, String)], now: i64) -> QueryResult<()> {
    let unique: BTreeMap<(&str, &str), &str> =
        entries.iter().map(|(target, key, payload)| ((target.as_str(), key.as_str()), payload.as_str())).collect();
    let rows: Vec<NewRow> = unique
        .into_iter()
        .map(|((target, key), payload)| NewRow {
            target: target.to_string(),
            kind,
            coalesce_key: Some(key),
            payload: payload.to_string(),
            attempts: 0,
            next_attempt_at: now,
            created_at: now,
        })
        .collect();
    crate::upsert_rows!(conn, rows, |chunk| diesel::insert_into(outbox::table)
        .values(chunk)
        .on_conflict((outbox::target, outbox::coalesce_key))
        .do_update()
        // A new `created_at` marks it as queued again: a sender that read the old one and
        // finishes meanwhile does not remove it (see `remove_delivered`).
        .set((outbox::next_attempt_at.eq(now), outbox::attempts.eq(0), outbox::created_at.eq(now))));
    Ok(())
}

/// Removes one entry outright (its work is done or given up).
pub fn remove(conn: &mut DbConn, id: i64) -> QueryResult<()> {
    diesel::delete(outbox::table.find(id)).execute(conn)?;
    Ok(())
}

/// Up to `limit` entries of `kind` for `target` that are due, oldest first.
pub fn due(conn: &mut DbConn, target: &str, kind: &str, now: i64, limit: i64) -> QueryResult<Vec<OutboxRow>> {
    outbox::table
        .filter(outbox::target.eq(target))
        .filter(outbox::kind.eq(kind))
        .filter(outbox::next_attempt_at.le(now))
        .order(outbox::id)
        .limit(limit)
        .select(OutboxRow::as_select())
        .load(conn)
}

/// When the next entry of any kind for `target` falls due, if any is waiting.
pub fn next_due_at(conn: &mut DbConn, target: &str) -> QueryResult<Option<i64>> {
    outbox::table.filter(outbox::target.eq(target)).select(diesel::dsl::min(outbox::next_attempt_at)).first(conn)
}

/// An entry as the drain read it: removed on delivery only if it is still exactly that.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seen {
    pub id: i64,
    pub payload: String,
    pub written_at: i64,
}

impl From<&OutboxRow> for Seen {
    fn from(r: &OutboxRow) -> Self {
        Seen { id: r.id, payload: r.payload.clone(), written_at: r.created_at }
    }
}

/// Removes delivered entries, each only if it was not rewritten since it was read (a newer
/// figure written meanwhile stays queued). Returns how many went.
pub fn remove_delivered(conn: &mut DbConn, delivered: &[Seen]) -> QueryResult<usize> {
    let mut n = 0;
    for s in delivered {
        n += diesel::delete(
            outbox::table.find(s.id).filter(outbox::payload.eq(&s.payload)).filter(outbox::created_at.eq(s.written_at)),
        )
        .execute(conn)?;
    }
    Ok(n)
}

/// Puts these entries off until `next_attempt_at` without counting a failure (the channel
/// answered; the moment was wrong).
pub fn defer(conn: &mut DbConn, ids: &[i64], why: &str, next_attempt_at: i64) -> QueryResult<()> {
    diesel::update(outbox::table.filter(outbox::id.eq_any(ids)))
        .set((outbox::last_error.eq(Some(why)), outbox::next_attempt_at.eq(next_attempt_at)))
        .execute(conn)?;
    Ok(())
}

/// Records a failed attempt on these entries and when to try them again.
pub fn postpone(conn: &mut DbConn, ids: &[i64], error: &str, next_attempt_at: i64) -> QueryResult<()> {
    let error: String = error.chars().take(1000).collect();
    diesel::update(outbox::table.filter(outbox::id.eq_any(ids)))
        .set((
            outbox::attempts.eq(outbox::attempts + 1),
            outbox::last_error.eq(Some(error)),
            outbox::next_attempt_at.eq(next_attempt_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// The most failed attempts among these entries.
pub fn max_attempts(conn: &mut DbConn, ids: &[i64]) -> QueryResult<i32> {
    let n: Option<i32> =
        outbox::table.filter(outbox::id.eq_any(ids)).select(diesel::dsl::max(outbox::attempts)).first(conn)?;
    Ok(n.unwrap_or(0))
}

/// Entries waiting for `target`.
pub fn depth(conn: &mut DbConn, target: &str) -> QueryResult<i64> {
    outbox::table.filter(outbox::target.eq(target)).count().get_result(conn)
}

/// What waits for `target`: how many entries, and since when the oldest figure or fulfilment
/// still waiting was written (ms).
#[derive(Clone, Copy, Debug, Default)]
pub struct Queue {
    pub depth: i64,
    pub oldest_at: Option<i64>,
}

pub fn queue_of(conn: &mut DbConn, target: &str) -> QueryResult<Queue> {
    let depth = depth(conn, target)?;
    let oldest_at =
        outbox::table.filter(outbox::target.eq(target)).select(diesel::dsl::min(outbox::created_at)).first(conn)?;
    Ok(Queue { depth, oldest_at })
}

/// Drops everything queued for `target` (its channel was deleted or disabled).
pub fn clear_target(conn: &mut DbConn, target: &str) -> QueryResult<usize> {
    diesel::delete(outbox::table.filter(outbox::target.eq(target))).execute(conn)
}

/// Up to `limit` entries of any kind for `target` that are due, oldest first.
pub fn due_any(conn: &mut DbConn, target: &str, now: i64, limit: i64) -> QueryResult<Vec<OutboxRow>> {
    outbox::table
        .filter(outbox::target.eq(target))
        .filter(outbox::next_attempt_at.le(now))
        .order(outbox::id)
        .limit(limit)
        .select(OutboxRow::as_select())
        .load(conn)
}

/// Every entry of `kind` for `target`, due or not, oldest first (at most `limit`).
pub fn pending(conn: &mut DbConn, target: &str, kind: &str, limit: i64) -> QueryResult<Vec<OutboxRow>> {
    outbox::table
        .filter(outbox::target.eq(target))
        .filter(outbox::kind.eq(kind))
        .order(outbox::id)
        .limit(limit)
        .select(OutboxRow::as_select())
        .load(conn)
}

/// Every target's queue at once: (target, depth, oldest entry's time).
pub fn queues(conn: &mut DbConn) -> QueryResult<Vec<(String, i64, Option<i64>)>> {
    outbox::table
        .group_by(outbox::target)
        .select((outbox::target, diesel::dsl::count_star(), diesel::dsl::min(outbox::created_at)))
        .load(conn)
}
