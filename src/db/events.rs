//! The event log: what happened, written in the transaction that made it happen, with a full
//! snapshot of the entity, for the webhook flow to deliver.

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

/// Appends one event; `subject` names the entity (e.g. "channel:3/sku:ABC").
pub fn record(
    conn: &mut DbConn,
    kind: &str,
    channel_id: Option<i64>,
    subject: &str,
    payload: &serde_json::Value,
    now: i64,
) -> QueryResult<()> {
    diesel::insert_into(events::table)
        .values((
            events::kind.eq(kind),
            events::channel_id.eq(channel_id),
            events::subject.eq(subject),
            events::payload.eq(payload.to_string()),
            events::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Events of one kind, oldest first (for tests and, later, delivery).
pub fn of_kind(conn: &mut DbConn, kind: &str, limit: i64) -> QueryResult<Vec<EventRow>> {
    events::table.filter(events::kind.eq(kind)).order(events::id).limit(limit).select(EventRow::as_select()).load(conn)
}
