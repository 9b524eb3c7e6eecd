//! The event log: what happened, written in the transaction that made it happen, with a full
//! snapshot of the entity. Webhook actors read it in `seq` order from their own cursor (so the
//! log is the outbox of the webhook flow: nothing is fanned out per subscriber at write time).
//! `seq` is given after commit by [`sequence`], so a late commit is never behind a cursor.

use diesel::prelude::*;
use diesel::sql_types::{Bool, Nullable, Text};

use super::schema::events;
use super::DbConn;

#[derive(Clone, Debug, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = events)]
pub struct EventRow {
    pub id: i64,
    pub kind: String,
    pub channel_id: Option<i64>,
    pub subject: String,
    pub payload: String,
    pub created_at: i64,
    /// Delivery order; None until sequenced.
    pub seq: Option<i64>,
}

/// An event to append.
#[derive(Clone, Debug, Insertable)]
#[diesel(table_name = events)]
pub struct NewEvent {
    pub kind: String,
    pub channel_id: Option<i64>,
    /// The entity, which also orders delivery: events of one subject reach a subscriber in the
    /// order they happened (e.g. "order:12" for an order and its fulfilments).
    pub subject: String,
    pub payload: String,
    pub created_at: i64,
}

impl NewEvent {
    pub fn new(kind: &str, channel_id: Option<i64>, subject: String, payload: &serde_json::Value, now: i64) -> Self {
        NewEvent::rendered(kind, channel_id, subject, payload.to_string(), now)
    }

    /// An event whose payload is already JSON text.
    pub fn rendered(kind: &str, channel_id: Option<i64>, subject: String, payload: String, now: i64) -> Self {
        NewEvent { kind: kind.to_string(), channel_id, subject, payload, created_at: now }
    }
}

/// Appends one event; `subject` names the entity (e.g. "channel:3/sku:ABC").
pub fn record(
    conn: &mut DbConn,
    kind: &str,
    channel_id: Option<i64>,
    subject: &str,
    payload: &serde_json::Value,
    now: i64,
) -> QueryResult<()> {
    record_many(conn, &[NewEvent::new(kind, channel_id, subject.to_string(), payload, now)])
}

/// Appends events in as few statements as the backend allows.
pub fn record_many(conn: &mut DbConn, rows: &[NewEvent]) -> QueryResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    match conn {
        // One cached statement (arrays keep its text fixed), its rows in the order given.
        DbConn::Pg(c) => {
            for chunk in rows.chunks(super::CHUNK_ROWS) {
                super::prepared::Cached::new(
                    "INSERT INTO events (kind, channel_id, subject, payload, created_at) \
                     SELECT kind, channel_id, subject, payload, created_at \
                     FROM unnest(?::text[], ?::bigint[], ?::text[], ?::text[], ?::bigint[]) \
                     WITH ORDINALITY AS r(kind, channel_id, subject, payload, created_at, n) ORDER BY n",
                )
                .texts(chunk, |e| &e.kind)
                .null_big_ints(chunk, |e| e.channel_id)
                .texts(chunk, |e| &e.subject)
                .texts(chunk, |e| &e.payload)
                .big_ints(chunk, |e| e.created_at)
                .execute(c)?;
            }
        }
        DbConn::Sqlite(c) => {
            for chunk in rows.chunks(super::CHUNK_ROWS / 4) {
                diesel::insert_into(events::table).values(chunk).execute(c)?;
            }
        }
    }
    Ok(())
}

/// Events of one kind, oldest first (for tests and diagnostics).
pub fn of_kind(conn: &mut DbConn, kind: &str, limit: i64) -> QueryResult<Vec<EventRow>> {
    events::table.filter(events::kind.eq(kind)).order(events::id).limit(limit).select(EventRow::as_select()).load(conn)
}

/// The kinds of the events sequenced after position `after`.
pub fn kinds_after(conn: &mut DbConn, after: i64) -> QueryResult<Vec<String>> {
    events::table.filter(events::seq.gt(after)).select(events::kind).distinct().load(conn)
}

/// The newest sequenced position (a new subscription starts after it).
pub fn last_seq(conn: &mut DbConn) -> QueryResult<i64> {
    Ok(events::table.select(diesel::dsl::max(events::seq)).first::<Option<i64>>(conn)?.unwrap_or(0))
}

/// Gives committed events their delivery position, in id order, after every position given so
/// far; returns how many. One sequencer at a time (an advisory lock on PostgreSQL; SQLite has
/// one writer). Events still uncommitted are not visible here and get a later position when
/// they are: so a reader's cursor over `seq` never passes an event it has not seen.
pub fn sequence(conn: &mut DbConn) -> QueryResult<usize> {
    const ASSIGN: &str = "UPDATE events SET seq = s.base + s.rn \
        FROM (SELECT id, row_number() OVER (ORDER BY id) AS rn, \
                     (SELECT COALESCE(MAX(seq), 0) FROM events) AS base \
              FROM events WHERE seq IS NULL ORDER BY id LIMIT 50000) AS s \
        WHERE events.id = s.id";
    let pending: Option<i64> = events::table.filter(events::seq.is_null()).select(events::id).first(conn).optional()?;
    if pending.is_none() {
        return Ok(0);
    }
    super::write_tx(conn, |c| {
        if c.kind() == super::DatabaseKind::Postgres {
            diesel::sql_query("SELECT pg_advisory_xact_lock(727001)").execute(c)?;
        }
        diesel::sql_query(ASSIGN).execute(c)
    })
}

/// Up to `limit` sequenced events after position `cursor` of these kinds (and this store, when
/// given), in delivery order.
pub fn after(
    conn: &mut DbConn,
    cursor: i64,
    kinds: &[String],
    store: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<EventRow>> {
    let mut q = events::table
        .filter(events::seq.gt(cursor))
        .filter(events::kind.eq_any(kinds))
        .order(events::seq)
        .limit(limit)
        .select(EventRow::as_select())
        .into_boxed();
    if let Some(store) = store {
        q = q.filter(in_store(store));
    }
    q.load(conn)
}

/// What a subscription scoped to one store takes: the store's own events, and the stock
/// changes (`inventory.updated`, which belong to no store) of the SKUs listed on it.
type StoreFilter = Box<dyn BoxableExpression<events::table, <DbConn as Connection>::Backend, SqlType = Nullable<Bool>>>;

fn in_store(store: i64) -> StoreFilter {
    use super::schema::channel_products as listings;
    let listed_subjects = listings::table
        .filter(listings::channel_id.eq(store))
        .select(diesel::dsl::sql::<Text>("'sku:'").concat(listings::sku));
    Box::new(
        events::channel_id.eq(store).or(events::channel_id
            .is_null()
            .and(events::kind.eq(STOCK_EVENT))
            .and(events::subject.eq_any(listed_subjects))
            .nullable()),
    )
}

/// The stock change event, the one kind that belongs to no store.
const STOCK_EVENT: &str = "inventory.updated";

/// These events, by id.
pub fn by_ids(conn: &mut DbConn, ids: &[i64]) -> QueryResult<Vec<EventRow>> {
    events::table.filter(events::id.eq_any(ids)).order(events::id).select(EventRow::as_select()).load(conn)
}

/// Ids of the events since `since` (ms) up to position `upto` a subscription takes, in delivery
/// order, at most `limit`.
pub fn ids_since(
    conn: &mut DbConn,
    since: i64,
    upto: i64,
    kinds: &[String],
    store: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<i64>> {
    let mut q = events::table
        .filter(events::created_at.ge(since))
        .filter(events::seq.le(upto))
        .filter(events::kind.eq_any(kinds))
        .order(events::seq)
        .limit(limit)
        .select(events::id)
        .into_boxed();
    if let Some(store) = store {
        q = q.filter(in_store(store));
    }
    q.load(conn)
}

/// Deletes up to `limit` events older than `before` (ms) that every enabled subscription has
/// passed, and delivery log rows older than `before`; returns how many events went. Replays
/// reach back only as far as this keeps.
pub fn prune(conn: &mut DbConn, before: i64, limit: i64) -> QueryResult<usize> {
    use super::schema::{webhook_deliveries, webhook_subscriptions as subs};
    let slowest: Option<i64> =
        subs::table.filter(subs::enabled.eq(true)).select(diesel::dsl::min(subs::event_cursor)).first(conn)?;
    let passed = match slowest {
        Some(cursor) => cursor,
        None => last_seq(conn)?,
    };
    let ids: Vec<i64> = events::table
        .filter(events::created_at.lt(before))
        .filter(events::seq.le(passed))
        .order(events::id)
        .limit(limit)
        .select(events::id)
        .load(conn)?;
    let gone = diesel::delete(events::table.filter(events::id.eq_any(&ids))).execute(conn)?;
    let old_log: Vec<i64> = webhook_deliveries::table
        .filter(webhook_deliveries::attempted_at.lt(before))
        .limit(limit)
        .select(webhook_deliveries::id)
        .load(conn)?;
    diesel::delete(webhook_deliveries::table.filter(webhook_deliveries::id.eq_any(&old_log))).execute(conn)?;
    Ok(gone)
}

/// The newest events about `subject` (e.g. `sku:ABC`), newest first.
pub fn recent_about(conn: &mut DbConn, subject: &str, limit: i64) -> QueryResult<Vec<EventRow>> {
    events::table
        .filter(events::subject.eq(subject))
        .order(events::id.desc())
        .limit(limit)
        .select(EventRow::as_select())
        .load(conn)
}
