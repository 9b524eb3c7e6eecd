//! Queries over fulfilments: what Chorus shipped for an order, line by line, and how far each
//! has got on the channel (`pending`, `sent`, `synced`, `failed`).

use diesel::prelude::*;

use super::schema::{fulfilment_lines, fulfilments, order_lines};
use super::DbConn;

#[derive(Clone, Debug, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = fulfilments)]
pub struct FulfilmentRow {
    pub id: i64,
    pub order_id: i64,
    pub channel_id: i64,
    pub source: String,
    pub status: String,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub tracking_url: Option<String>,
    pub channel_ref: Option<String>,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = fulfilment_lines, treat_none_as_default_value = false)]
pub struct FulfilmentLine {
    pub fulfilment_id: i64,
    pub order_line_id: i64,
    pub sku: String,
    pub quantity: i64,
}

#[derive(Clone, Debug, Insertable)]
#[diesel(table_name = fulfilments)]
pub struct NewFulfilment {
    pub order_id: i64,
    pub channel_id: i64,
    pub source: String,
    pub status: String,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub tracking_url: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub idempotency_key: Option<String>,
    pub request_digest: Option<String>,
}

/// The fulfilment `source` created under `key`, with the digest of the request it came with.
pub fn find_by_key(conn: &mut DbConn, source: &str, key: &str) -> QueryResult<Option<(i64, i64, Option<String>)>> {
    fulfilments::table
        .filter(fulfilments::source.eq(source))
        .filter(fulfilments::idempotency_key.eq(key))
        .select((fulfilments::id, fulfilments::channel_id, fulfilments::request_digest))
        .first(conn)
        .optional()
}

pub fn insert(conn: &mut DbConn, f: &NewFulfilment, lines: &[(i64, String, i64)]) -> QueryResult<i64> {
    let id: i64 = crate::per_backend!(conn, c => diesel::insert_into(fulfilments::table)
        .values(f)
        .returning(fulfilments::id)
        .get_result(c))?;
    let rows: Vec<FulfilmentLine> = lines
        .iter()
        .map(|(line, sku, q)| FulfilmentLine {
            fulfilment_id: id,
            order_line_id: *line,
            sku: sku.clone(),
            quantity: *q,
        })
        .collect();
    crate::upsert_rows!(conn, rows, |v| diesel::insert_into(fulfilment_lines::table).values(v));
    Ok(id)
}

pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<Option<(FulfilmentRow, Vec<FulfilmentLine>)>> {
    let Some(row) = fulfilments::table.find(id).select(FulfilmentRow::as_select()).first(conn).optional()? else {
        return Ok(None);
    };
    let lines = fulfilment_lines::table
        .filter(fulfilment_lines::fulfilment_id.eq(id))
        .order(fulfilment_lines::order_line_id)
        .select(FulfilmentLine::as_select())
        .load(conn)?;
    Ok(Some((row, lines)))
}

/// An order's fulfilments with their lines, oldest first.
pub fn of_order(conn: &mut DbConn, order_id: i64) -> QueryResult<Vec<(FulfilmentRow, Vec<FulfilmentLine>)>> {
    let rows: Vec<FulfilmentRow> = fulfilments::table
        .filter(fulfilments::order_id.eq(order_id))
        .order(fulfilments::id)
        .select(FulfilmentRow::as_select())
        .load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let lines: Vec<FulfilmentLine> = fulfilment_lines::table
        .filter(fulfilment_lines::fulfilment_id.eq_any(&ids))
        .order((fulfilment_lines::fulfilment_id, fulfilment_lines::order_line_id))
        .select(FulfilmentLine::as_select())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let mine = lines.iter().filter(|l| l.fulfilment_id == r.id).cloned().collect();
            (r, mine)
        })
        .collect())
}

/// Moves a fulfilment to `status`, recording the channel's reference or error, and
/// `fulfillments.updated` with it.
pub fn set_status(
    conn: &mut DbConn,
    id: i64,
    status: &str,
    channel_ref: Option<&str>,
    error: Option<&str>,
    now: i64,
) -> QueryResult<()> {
    conn.transaction(|c| {
        diesel::update(fulfilments::table.find(id))
            .set((
                fulfilments::status.eq(status),
                fulfilments::channel_ref.eq(channel_ref),
                fulfilments::last_error.eq(error),
                fulfilments::updated_at.eq(now),
            ))
            .execute(c)?;
        super::snapshots::emit_fulfilment(c, id, "fulfillments.updated", now)
    })
}

/// How long a sender holds a fulfilment it is sending before another may take it over (after
/// a crash, or from another Chorus process sharing the database).
pub const SEND_LEASE_MS: i64 = 15_000;

/// Claims the fulfilment for sending: true if it was pending, or `sent` by a sender whose
/// lease ran out. Two senders can never both hold it.
pub fn claim(conn: &mut DbConn, id: i64, now: i64) -> QueryResult<bool> {
    let n = diesel::update(
        fulfilments::table.find(id).filter(
            fulfilments::status
                .eq("pending")
                .or(fulfilments::status.eq("sent").and(fulfilments::updated_at.lt(now - SEND_LEASE_MS))),
        ),
    )
    .set((fulfilments::status.eq("sent"), fulfilments::updated_at.eq(now)))
    .execute(conn)?;
    Ok(n == 1)
}

/// Counts a failed attempt.
pub fn record_attempt(conn: &mut DbConn, id: i64, error: &str, now: i64) -> QueryResult<()> {
    diesel::update(fulfilments::table.find(id))
        .set((
            fulfilments::attempts.eq(fulfilments::attempts + 1),
            fulfilments::last_error.eq(Some(error)),
            fulfilments::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// The order becomes Synced once every line is shipped and every fulfilment confirmed;
/// until then it stays partially fulfilled.
pub fn settle_order(conn: &mut DbConn, order_id: i64, now: i64) -> QueryResult<()> {
    let lines = super::orders::lines_of(conn, &[order_id])?;
    let all_shipped = lines.iter().all(|l| l.shipped.max(l.fulfilled) >= l.quantity);
    let all_confirmed = of_order(conn, order_id)?.iter().all(|(f, _)| f.status == "synced");
    // Only a partially fulfilled order settles: one cancelled or excluded meanwhile stays so.
    let partially = super::orders::find(conn, order_id)?.is_some_and(|o| o.status == "partially_fulfilled");
    if all_shipped && all_confirmed && partially {
        super::orders::set_status(conn, order_id, "synced", None, now)?;
        super::orders::add_events(
            conn,
            &[super::orders::NewHistoryEntry {
                order_id,
                at: now,
                kind: "synced".into(),
                detail: "every line fulfilled and confirmed by the channel".into(),
            }],
        )?;
        super::snapshots::emit_orders(conn, &[(order_id, "orders.updated")], now)?;
    }
    Ok(())
}

/// Ships units on order lines: `shipped` up, `allocated` down by what the line held.
pub fn ship_line(conn: &mut DbConn, line_id: i64, shipped: i64, allocated: i64) -> QueryResult<()> {
    diesel::update(order_lines::table.find(line_id))
        .set((order_lines::shipped.eq(shipped), order_lines::allocated.eq(allocated)))
        .execute(conn)?;
    Ok(())
}

/// Fulfilments counted by status.
pub fn by_status(conn: &mut DbConn) -> QueryResult<Vec<(String, i64)>> {
    fulfilments::table.group_by(fulfilments::status).select((fulfilments::status, diesel::dsl::count_star())).load(conn)
}
