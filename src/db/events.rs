//! The event log: what happened, written in the transaction that made it happen, with a full
//! snapshot of the entity. Webhook actors read it in id order from their own cursor (so the log
//! is the outbox of the webhook flow: nothing is fanned out per subscriber at write time).

use diesel::prelude::*;

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
        NewEvent { kind: kind.to_string(), channel_id, subject, payload: payload.to_string(), created_at: now }
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
        DbConn::Pg(c) => {
            for chunk in rows.chunks(super::CHUNK_ROWS) {
                diesel::insert_into(events::table).values(chunk).execute(c)?;
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

/// The newest event id (a new subscription starts after it).
pub fn last_id(conn: &mut DbConn) -> QueryResult<i64> {
    Ok(events::table.select(diesel::dsl::max(events::id)).first::<Option<i64>>(conn)?.unwrap_or(0))
}

/// Up to `limit` events after `cursor` of these kinds (and this store, when given), id order.
/// On PostgreSQL only events of transactions older than every running one are read: ids are
/// taken before commit, so a lower id may commit after a higher one, and a cursor that moved
/// past it would skip it.
pub fn after(
    conn: &mut DbConn,
    cursor: i64,
    kinds: &[String],
    store: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<EventRow>> {
    let mut q = events::table
        .filter(events::id.gt(cursor))
        .filter(events::kind.eq_any(kinds))
        .order(events::id)
        .limit(limit)
        .select(EventRow::as_select())
        .into_boxed();
    if let Some(store) = store {
        q = q.filter(events::channel_id.eq(store));
    }
    if conn.kind() == super::DatabaseKind::Postgres {
        let settled = diesel::dsl::sql::<diesel::sql_types::BigInt>(
            "(SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint)",
        );
        q = q.filter(events::tx.lt(settled));
    }
    q.load(conn)
}

/// These events, by id.
pub fn by_ids(conn: &mut DbConn, ids: &[i64]) -> QueryResult<Vec<EventRow>> {
    events::table.filter(events::id.eq_any(ids)).order(events::id).select(EventRow::as_select()).load(conn)
}

/// Ids of the events since `since` (ms) a subscription takes, oldest first, at most `limit`.
pub fn ids_since(
    conn: &mut DbConn,
    since: i64,
    kinds: &[String],
    store: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<i64>> {
    let mut q = events::table
        .filter(events::created_at.ge(since))
        .filter(events::kind.eq_any(kinds))
        .order(events::id)
        .limit(limit)
        .select(events::id)
        .into_boxed();
    if let Some(store) = store {
        q = q.filter(events::channel_id.eq(store));
    }
    q.load(conn)
}
