//! Blanking an order's personal data (customer, addresses, note) wherever Chorus holds it: the
//! order row, the event snapshots of the order, and what receivers answered to them. The
//! figures, lines and history stay, so stock remains explainable.

use diesel::prelude::*;
use serde_json::Value;

use super::orders::NewHistoryEntry;
use super::schema::{events, orders, transactions, webhook_deliveries};
use super::snapshots::order_subject;
use super::DbConn;

/// The keys of an order snapshot that identify a person.
const PERSONAL_KEYS: [&str; 4] = ["customer", "shipping_address", "billing_address", "note"];

/// Statuses after which Chorus has nothing left to do with an order.
pub const CLOSED: [&str; 4] = ["cancelled", "synced", "excluded", "fulfilled_on_channel"];

/// Blanks the personal keys of one event payload; None when it has none to blank.
fn blank(payload: &str) -> Option<String> {
    let mut v: Value = serde_json::from_str(payload).ok()?;
    let obj = v.as_object_mut()?;
    let mut changed = false;
    for key in PERSONAL_KEYS {
        if let Some(x) = obj.get_mut(key) {
            if !x.is_null() {
                *x = Value::Null;
                changed = true;
            }
        }
    }
    changed.then(|| v.to_string())
}

/// Redacts `ids` (already redacted ones again, harmlessly); returns how many orders were found.
pub fn redact(conn: &mut DbConn, ids: &[i64], now: i64) -> QueryResult<usize> {
    super::orders::lock(conn, ids)?;
    redact_locked(conn, ids, now)
}

/// [`redact`] of orders the transaction already holds locked.
fn redact_locked(conn: &mut DbConn, ids: &[i64], now: i64) -> QueryResult<usize> {
    let found: Vec<i64> = orders::table.filter(orders::id.eq_any(ids)).select(orders::id).load(conn)?;
    if found.is_empty() {
        return Ok(0);
    }
    diesel::update(orders::table.filter(orders::id.eq_any(&found)))
        .set((
            orders::personal.eq(None::<String>),
            orders::customer_email.eq(None::<String>),
            orders::redacted_at.eq(Some(now)),
        ))
        .execute(conn)?;
    let subjects: Vec<String> = found.iter().map(|id| order_subject(*id)).collect();
    let snapshots: Vec<(i64, String)> =
        events::table.filter(events::subject.eq_any(&subjects)).select((events::id, events::payload)).load(conn)?;
    let event_ids: Vec<i64> = snapshots.iter().map(|(id, _)| *id).collect();
    for (id, payload) in snapshots {
        if let Some(blanked) = blank(&payload) {
            diesel::update(events::table.find(id)).set(events::payload.eq(blanked)).execute(conn)?;
        }
    }
    // A receiver may have echoed what it was sent.
    for chunk in event_ids.chunks(super::CHUNK_ROWS) {
        diesel::update(webhook_deliveries::table.filter(webhook_deliveries::event_id.eq_any(chunk)))
            .set(webhook_deliveries::response.eq(""))
            .execute(conn)?;
    }
    // Calls about the order or its events (a plugin's or subscriber's failed answer may echo it).
    let about: Vec<String> =
        found.iter().map(|id| format!("order:{id}")).chain(event_ids.iter().map(|id| format!("event:{id}"))).collect();
    for chunk in about.chunks(super::CHUNK_ROWS) {
        diesel::update(transactions::table.filter(transactions::subject.eq_any(chunk)))
            .set(transactions::response.eq(""))
            .execute(conn)?;
    }
    let history: Vec<NewHistoryEntry> = found
        .iter()
        .map(|id| NewHistoryEntry {
            order_id: *id,
            at: now,
            kind: "redacted".into(),
            detail: "customer, addresses and note blanked".into(),
        })
        .collect();
    super::orders::add_events(conn, &history)?;
    Ok(found.len())
}

/// Redacts one order, in one write transaction (`write_tx`); false when there is no such order.
pub fn redact_order(conn: &mut DbConn, id: i64, now: i64) -> QueryResult<bool> {
    super::write_tx(conn, |conn| Ok(redact(conn, &[id], now)? > 0))
}

/// Redacts every order `email` placed on the channel, in one write transaction (`write_tx`); None when there is no
/// such channel, else the orders redacted.
pub fn redact_customer(conn: &mut DbConn, channel_id: i64, email: &str, now: i64) -> QueryResult<Option<Vec<i64>>> {
    super::write_tx(conn, |conn| {
        if super::channels::find(conn, channel_id)?.is_none() {
            return Ok(None);
        }
        let ids = of_customer(conn, channel_id, email)?;
        redact(conn, &ids, now)?;
        Ok(Some(ids))
    })
}

/// The orders of one channel placed by `email` (any case).
pub fn of_customer(conn: &mut DbConn, channel_id: i64, email: &str) -> QueryResult<Vec<i64>> {
    orders::table
        .filter(orders::channel_id.eq(channel_id))
        .filter(orders::customer_email.eq(email.trim().to_lowercase()))
        .select(orders::id)
        .load(conn)
}

/// Redacts up to `limit` orders closed before `before` (ms), in one write transaction (`write_tx`); how many.
pub fn redact_due(conn: &mut DbConn, before: i64, limit: i64, now: i64) -> QueryResult<usize> {
    super::write_tx(conn, |conn| {
        let ids = due(conn, before, limit)?;
        super::orders::lock(conn, &ids)?;
        // Only those still due once locked: an import may have reopened one in between.
        let still = due(conn, before, limit)?;
        let still: std::collections::HashSet<i64> = still.into_iter().collect();
        let ids: Vec<i64> = ids.into_iter().filter(|id| still.contains(id)).collect();
        redact_locked(conn, &ids, now)
    })
}

/// Up to `limit` closed orders last changed before `before` (ms) whose personal data is kept.
fn due(conn: &mut DbConn, before: i64, limit: i64) -> QueryResult<Vec<i64>> {
    orders::table
        .filter(orders::status.eq_any(CLOSED))
        .filter(orders::updated_at.lt(before))
        .filter(orders::redacted_at.is_null())
        .filter(orders::personal.is_not_null())
        .select(orders::id)
        .order(orders::id)
        .limit(limit)
        .load(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_personal_keys_are_blanked() {
        let payload =
            r#"{"id":1,"customer":{"email":"a@b.c"},"shipping_address":null,"note":"hi","totals":{"total_minor":5}}"#;
        let v: Value = serde_json::from_str(&blank(payload).unwrap()).unwrap();
        assert_eq!(v["customer"], Value::Null);
        assert_eq!(v["note"], Value::Null);
        assert_eq!(v["totals"]["total_minor"], 5);
        assert_eq!(blank(r#"{"id":1,"sku":"A"}"#), None);
    }
}
