//! Queries over orders, their lines and history, and each channel's import state.

use std::collections::HashMap;

use diesel::prelude::*;

use super::schema::{channel_state, inbound_webhooks, order_events, order_lines, orders};
use super::DbConn;
mod unnest;
use crate::domain::order_details::{Details, LineDetails, Personal};

#[derive(Clone, Debug, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = orders)]
pub struct OrderRow {
    pub id: i64,
    pub channel_id: i64,
    pub external_id: String,
    pub name: String,
    pub status: String,
    pub hold_reason: Option<String>,
    pub financial_status: String,
    pub fulfillment_status: String,
    pub channel_created_at: i64,
    pub channel_updated_at: i64,
    pub channel_digest: String,
    pub cancelled_at: Option<i64>,
    pub imported_at: i64,
    pub updated_at: i64,
    /// The plugin (fulfilment centre) the order was routed to.
    pub plugin_id: Option<i64>,
    pub channel_reserved: bool,
    /// The channel's order number (`1001`).
    pub number: Option<String>,
    /// `Details` as JSON.
    pub details: Option<String>,
    /// `Personal` as JSON: personal data, blanked by a redaction.
    pub personal: Option<String>,
    /// The customer's email, lower-cased, to find their orders.
    pub customer_email: Option<String>,
    /// When the personal data was blanked.
    pub redacted_at: Option<i64>,
}

impl OrderRow {
    /// The row a fresh insert of `v` (given `id`) stored, routed to `plugin_id`.
    pub fn written(id: i64, v: OrderValues, plugin_id: Option<i64>) -> OrderRow {
        OrderRow {
            id,
            channel_id: v.channel_id,
            external_id: v.external_id,
            name: v.name,
            status: v.status,
            hold_reason: v.hold_reason,
            financial_status: v.financial_status,
            fulfillment_status: v.fulfillment_status,
            channel_created_at: v.channel_created_at,
            channel_updated_at: v.channel_updated_at,
            channel_digest: v.channel_digest,
            cancelled_at: v.cancelled_at,
            imported_at: v.imported_at,
            updated_at: v.updated_at,
            plugin_id,
            channel_reserved: v.channel_reserved,
            number: v.number,
            details: v.details,
            personal: v.personal,
            customer_email: v.customer_email,
            redacted_at: None,
        }
    }

    pub fn details(&self) -> Details {
        self.details.as_deref().and_then(|d| serde_json::from_str(d).ok()).unwrap_or_default()
    }
    pub fn personal(&self) -> Personal {
        self.personal.as_deref().and_then(|d| serde_json::from_str(d).ok()).unwrap_or_default()
    }
}

#[derive(Clone, Debug, Insertable, AsChangeset)]
#[diesel(table_name = orders, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct OrderValues {
    pub channel_id: i64,
    pub external_id: String,
    pub name: String,
    pub status: String,
    pub hold_reason: Option<String>,
    pub financial_status: String,
    pub fulfillment_status: String,
    pub channel_created_at: i64,
    pub channel_updated_at: i64,
    pub channel_digest: String,
    pub cancelled_at: Option<i64>,
    pub imported_at: i64,
    pub updated_at: i64,
    pub channel_reserved: bool,
    pub number: Option<String>,
    pub details: Option<String>,
    pub personal: Option<String>,
    pub customer_email: Option<String>,
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = order_lines)]
pub struct LineRow {
    pub id: i64,
    pub order_id: i64,
    pub external_id: String,
    pub sku: String,
    pub quantity: i64,
    pub fulfilled: i64,
    pub allocated: i64,
    /// Units shipped through Chorus's own fulfilments.
    pub shipped: i64,
    /// Units taken off the ships-from source because the channel reported them gone.
    pub channel_out: i64,
    /// Units the channel restocked after shipping, put back on the source.
    pub returned: i64,
    /// Units refunded without restock.
    pub written_off: i64,
    /// The channel's ids of the product and variant sold.
    pub product_id: Option<String>,
    pub variant_id: Option<String>,
    /// `LineDetails` as JSON; None when the channel said nothing more.
    pub details: Option<String>,
}

/// Line details as stored: None for nothing beyond the counts.
pub fn line_details_json(d: &LineDetails) -> Option<String> {
    (*d != LineDetails::default()).then(|| serde_json::to_string(d).unwrap_or_default())
}

impl LineRow {
    /// The row a fresh insert of `l` (given `id`) stored; nothing shipped through Chorus yet.
    pub fn written(id: i64, l: NewLine) -> LineRow {
        LineRow {
            id,
            order_id: l.order_id,
            external_id: l.external_id,
            sku: l.sku,
            quantity: l.quantity,
            fulfilled: l.fulfilled,
            allocated: l.allocated,
            shipped: 0,
            channel_out: l.channel_out,
            returned: l.returned,
            written_off: l.written_off,
            product_id: l.product_id,
            variant_id: l.variant_id,
            details: l.details,
        }
    }

    /// Title and money, as the channel gave them (empty when it did not).
    pub fn details(&self) -> LineDetails {
        self.details.as_deref().and_then(|d| serde_json::from_str(d).ok()).unwrap_or_default()
    }

    /// The line as the import plan reads it.
    pub fn stored(&self) -> crate::domain::import::StoredLine {
        crate::domain::import::StoredLine {
            id: self.id,
            external_id: self.external_id.clone(),
            sku: self.sku.clone(),
            quantity: self.quantity,
            fulfilled: self.fulfilled,
            allocated: self.allocated,
            shipped: self.shipped,
            channel_out: self.channel_out,
            returned: self.returned,
            written_off: self.written_off,
            product_id: self.product_id.clone(),
            variant_id: self.variant_id.clone(),
            details: self.details(),
        }
    }
}

#[derive(Clone, Debug, Insertable)]
#[diesel(table_name = order_lines, treat_none_as_default_value = false)]
pub struct NewLine {
    pub order_id: i64,
    pub external_id: String,
    pub sku: String,
    pub quantity: i64,
    pub fulfilled: i64,
    pub allocated: i64,
    pub channel_out: i64,
    pub returned: i64,
    pub written_off: i64,
    pub product_id: Option<String>,
    pub variant_id: Option<String>,
    pub details: Option<String>,
}

impl NewLine {
    pub fn planned(order_id: i64, l: &crate::domain::import::LinePlan) -> NewLine {
        NewLine {
            order_id,
            external_id: l.external_id.clone(),
            sku: l.sku.clone(),
            quantity: l.quantity,
            fulfilled: l.fulfilled,
            allocated: l.allocated,
            channel_out: l.channel_out,
            returned: l.returned,
            written_off: l.written_off,
            product_id: l.product_id.clone(),
            variant_id: l.variant_id.clone(),
            details: line_details_json(&l.details),
        }
    }
}

/// One entry of an order's history (what happened to it, when), to append. (Not an event for
/// webhook subscribers: those are `db::events::NewEvent`.)
#[derive(Clone, Debug, Insertable)]
#[diesel(table_name = order_events, treat_none_as_default_value = false)]
pub struct NewHistoryEntry {
    pub order_id: i64,
    pub at: i64,
    pub kind: String,
    pub detail: String,
}

/// One entry of an order's history, as stored.
#[derive(Clone, Debug, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = order_events)]
pub struct HistoryRow {
    #[serde(skip)]
    pub id: i64,
    #[serde(skip)]
    pub order_id: i64,
    pub at: i64,
    pub kind: String,
    pub detail: String,
}

#[derive(Clone, Debug, Default, Queryable, Selectable)]
#[diesel(table_name = channel_state)]
pub struct ChannelStateRow {
    pub channel_id: i64,
    pub cursor_updated_at: Option<i64>,
    pub last_poll_at: Option<i64>,
    pub last_success_at: Option<i64>,
    pub last_error: Option<String>,
    pub orders_imported: i64,
    pub last_push_at: Option<i64>,
    pub last_push_error: Option<String>,
    pub pushes_sent: i64,
    /// JSON `{"id", "name"}`: the location the channel manages, as last read.
    pub location: Option<String>,
}

/// The orders of one channel with these external ids, with their lines.
pub fn load_by_external(
    conn: &mut DbConn,
    channel_id: i64,
    external_ids: &[String],
) -> QueryResult<HashMap<String, (OrderRow, Vec<LineRow>)>> {
    let mut out = HashMap::new();
    // A page may list an order twice; each stored order is read once (a probe per listed id
    // would return it twice, and its lines only with the first).
    let mut unique: Vec<&str> = external_ids.iter().map(String::as_str).collect();
    unique.sort_unstable();
    unique.dedup();
    for chunk in unique.chunks(super::CHUNK_ROWS) {
        let rows: Vec<OrderRow> = match conn {
            // One probe of the unique key per id. The planner's statistics lag far behind a
            // channel's first import of its backlog; from them it would read every order of the
            // channel for each page (the page's time growing with the orders stored).
            // Not a cached statement: a prepared `SELECT *` fails ("cached plan must not change
            // result type") on every connection that holds it once a newer process's migration
            // adds a column to orders.
            DbConn::Pg(c) => diesel::sql_query(
                "SELECT o.* FROM unnest($2::text[]) AS k(external_id) CROSS JOIN LATERAL \
                 (SELECT * FROM orders WHERE orders.channel_id = $1 AND orders.external_id = k.external_id \
                 LIMIT 1) AS o",
            )
            .bind::<diesel::sql_types::BigInt, _>(channel_id)
            .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(chunk)
            .load(c)?,
            DbConn::Sqlite(c) => orders::table
                .filter(orders::channel_id.eq(channel_id))
                .filter(orders::external_id.eq_any(chunk))
                .select(OrderRow::as_select())
                .load(c)?,
        };
        let lines = lines_of(conn, &rows.iter().map(|o| o.id).collect::<Vec<_>>())?;
        let mut by_order: HashMap<i64, Vec<LineRow>> = HashMap::new();
        for l in lines {
            by_order.entry(l.order_id).or_default().push(l);
        }
        for o in rows {
            let lines = by_order.remove(&o.id).unwrap_or_default();
            out.insert(o.external_id.clone(), (o, lines));
        }
    }
    Ok(out)
}

/// Locks these orders' rows until the transaction ends, so what is read of them next is what
/// this transaction writes over. Every change of an order on PostgreSQL takes this lock before
/// reading what it changes (the InventoryActor's batches, a channel confirming a fulfilment, a
/// plugin accepting an order, a redaction): without it, an import that read an order just
/// before its fulfilment was confirmed wrote its old status back over `synced`. Taken in id
/// order, so two lockers never wait for each other in a circle. `FOR NO KEY UPDATE`, the lock
/// an `UPDATE` takes anyway, leaves rows that point at the order (lines, history) insertable.
/// On SQLite the IMMEDIATE transaction already holds the whole database.
pub fn lock(conn: &mut DbConn, order_ids: &[i64]) -> QueryResult<()> {
    if let DbConn::Pg(c) = conn {
        let mut ids = order_ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        for chunk in ids.chunks(super::CHUNK_ROWS) {
            orders::table
                .filter(orders::id.eq_any(chunk))
                .order(orders::id)
                .select(orders::id)
                .for_no_key_update()
                .load::<i64>(c)?;
        }
    }
    Ok(())
}

pub fn lines_of(conn: &mut DbConn, order_ids: &[i64]) -> QueryResult<Vec<LineRow>> {
    let mut all = Vec::new();
    for chunk in order_ids.chunks(super::CHUNK_ROWS) {
        let mut part: Vec<LineRow> = order_lines::table
            .filter(order_lines::order_id.eq_any(chunk))
            .order(order_lines::id)
            .select(LineRow::as_select())
            .load(conn)?;
        all.append(&mut part);
    }
    Ok(all)
}

/// Inserts orders a chunk to a statement (`INSERT … VALUES (…), (…) RETURNING …`) and gives
/// their ids in the order of `values`. Each order is one channel's once (the unique key the
/// returned rows are matched by).
pub fn insert_many(conn: &mut DbConn, values: &[OrderValues]) -> QueryResult<Vec<i64>> {
    let mut returned: Vec<(i64, i64, String)> = Vec::with_capacity(values.len());
    match conn {
        DbConn::Pg(c) => {
            for chunk in values.chunks(super::CHUNK_ROWS) {
                returned.extend(unnest::insert_orders(c, chunk)?);
            }
        }
        DbConn::Sqlite(_) => crate::returning_rows!(conn, values, returned, |chunk| diesel::insert_into(orders::table)
            .values(chunk)
            .returning((orders::id, orders::channel_id, orders::external_id))),
    }
    ids_in_order(returned, values.iter().map(|v| (v.channel_id, v.external_id.clone())))
}

/// The ids a multi-row insert returned with each row's unique key, in the order of `keys`.
fn ids_in_order(returned: Vec<(i64, i64, String)>, keys: impl Iterator<Item = (i64, String)>) -> QueryResult<Vec<i64>> {
    let by_key: HashMap<(i64, String), i64> = returned.into_iter().map(|(id, a, b)| ((a, b), id)).collect();
    keys.map(|k| by_key.get(&k).copied().ok_or(diesel::result::Error::NotFound)).collect()
}

pub fn update(conn: &mut DbConn, id: i64, values: &OrderValues) -> QueryResult<()> {
    diesel::update(orders::table.find(id)).set(values).execute(conn).map(|_| ())
}

pub fn set_status(conn: &mut DbConn, id: i64, status: &str, hold_reason: Option<&str>, now: i64) -> QueryResult<()> {
    diesel::update(orders::table.find(id))
        .set((orders::status.eq(status), orders::hold_reason.eq(hold_reason), orders::updated_at.eq(now)))
        .execute(conn)
        .map(|_| ())
}

/// Inserts lines a chunk to a statement and gives their ids in the order of `lines` (matched
/// by each line's unique order and external id).
pub fn insert_lines_returning(conn: &mut DbConn, lines: &[NewLine]) -> QueryResult<Vec<i64>> {
    let mut returned: Vec<(i64, i64, String)> = Vec::with_capacity(lines.len());
    match conn {
        DbConn::Pg(c) => {
            for chunk in lines.chunks(super::CHUNK_ROWS) {
                returned.extend(unnest::insert_lines(c, chunk)?);
            }
        }
        DbConn::Sqlite(_) => {
            crate::returning_rows!(conn, lines, returned, |chunk| diesel::insert_into(order_lines::table)
                .values(chunk)
                .returning((order_lines::id, order_lines::order_id, order_lines::external_id)))
        }
    }
    ids_in_order(returned, lines.iter().map(|l| (l.order_id, l.external_id.clone())))
}

pub fn set_allocated(conn: &mut DbConn, id: i64, allocated: i64) -> QueryResult<()> {
    diesel::update(order_lines::table.find(id)).set(order_lines::allocated.eq(allocated)).execute(conn).map(|_| ())
}

/// Writes a planned line over its stored row.
/// Blanks the personal data again if the order was redacted: run after an update in the same
/// transaction, it sees a redaction that committed after the update's values were read (under
/// PostgreSQL's read committed it waits for the row), so an import never brings them back.
pub fn keep_redacted(conn: &mut DbConn, id: i64) -> QueryResult<()> {
    // On SQLite the import's transaction holds the write lock from its start (`write_tx`), so no
    // redaction can commit between its read and its update: nothing to do on the hot path.
    if matches!(conn, DbConn::Sqlite(_)) {
        return Ok(());
    }
    diesel::update(orders::table.find(id).filter(orders::redacted_at.is_not_null()))
        .set((orders::personal.eq(None::<String>), orders::customer_email.eq(None::<String>)))
        .execute(conn)?;
    Ok(())
}

pub fn write_line(conn: &mut DbConn, id: i64, l: &crate::domain::import::LinePlan) -> QueryResult<()> {
    diesel::update(order_lines::table.find(id))
        .set((
            order_lines::sku.eq(&l.sku),
            order_lines::quantity.eq(l.quantity),
            order_lines::fulfilled.eq(l.fulfilled),
            order_lines::allocated.eq(l.allocated),
            order_lines::channel_out.eq(l.channel_out),
            order_lines::returned.eq(l.returned),
            order_lines::written_off.eq(l.written_off),
            order_lines::product_id.eq(&l.product_id),
            order_lines::variant_id.eq(&l.variant_id),
            order_lines::details.eq(line_details_json(&l.details)),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn add_events(conn: &mut DbConn, events: &[NewHistoryEntry]) -> QueryResult<()> {
    crate::upsert_rows!(conn, events, |v| diesel::insert_into(order_events::table).values(v));
    Ok(())
}

pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<Option<OrderRow>> {
    orders::table.find(id).select(OrderRow::as_select()).first(conn).optional()
}

pub fn events_of(conn: &mut DbConn, order_id: i64) -> QueryResult<Vec<HistoryRow>> {
    order_events::table
        .filter(order_events::order_id.eq(order_id))
        .order(order_events::id)
        .select(HistoryRow::as_select())
        .load(conn)
}

/// A page of orders, newest id last, after `after_id`, optionally filtered.
/// What `GET /api/v1/orders` filters by.
#[derive(Clone, Debug, Default)]
pub struct ListFilter {
    pub channel_id: Option<i64>,
    pub status: Option<String>,
    /// Lower-cased.
    pub customer_email: Option<String>,
    /// The channel's order number (`1001`) or name (`#1001`).
    pub number: Option<String>,
    pub hold_reason: Option<String>,
    /// The channel's creation time, from and before (ms).
    pub created_from: Option<i64>,
    pub created_before: Option<i64>,
}

pub fn list(conn: &mut DbConn, f: &ListFilter, after_id: Option<i64>, limit: i64) -> QueryResult<Vec<OrderRow>> {
    let mut q = orders::table.select(OrderRow::as_select()).order(orders::id).limit(limit).into_boxed();
    if let Some(c) = f.channel_id {
        q = q.filter(orders::channel_id.eq(c));
    }
    if let Some(s) = &f.status {
        q = q.filter(orders::status.eq(s.clone()));
    }
    if let Some(e) = &f.customer_email {
        q = q.filter(orders::customer_email.eq(e.clone()));
    }
    if let Some(n) = &f.number {
        q = q.filter(orders::number.eq(n.clone()).or(orders::name.eq(n.clone()).nullable()));
    }
    if let Some(r) = &f.hold_reason {
        q = q.filter(orders::hold_reason.eq(r.clone()));
    }
    if let Some(from) = f.created_from {
        q = q.filter(orders::channel_created_at.ge(from));
    }
    if let Some(before) = f.created_before {
        q = q.filter(orders::channel_created_at.lt(before));
    }
    if let Some(a) = after_id {
        q = q.filter(orders::id.gt(a));
    }
    q.load(conn)
}

/// How many orders have this status.
pub fn count_with_status(conn: &mut DbConn, status: &str) -> QueryResult<i64> {
    orders::table.filter(orders::status.eq(status)).count().get_result(conn)
}

pub fn channel_state(conn: &mut DbConn, channel_id: i64) -> QueryResult<ChannelStateRow> {
    Ok(channel_state::table
        .find(channel_id)
        .select(ChannelStateRow::as_select())
        .first(conn)
        .optional()?
        .unwrap_or(ChannelStateRow { channel_id, ..Default::default() }))
}

/// Moves the import cursor forward (never back) and counts new orders; in the import's
/// transaction.
pub fn advance_cursor(
    conn: &mut DbConn,
    channel_id: i64,
    cursor: Option<i64>,
    imported: i64,
    now: i64,
) -> QueryResult<()> {
    let current = channel_state(conn, channel_id)?;
    let cursor = match (current.cursor_updated_at, cursor) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    let values = (
        channel_state::channel_id.eq(channel_id),
        channel_state::cursor_updated_at.eq(cursor),
        channel_state::last_success_at.eq(Some(now)),
        channel_state::orders_imported.eq(current.orders_imported + imported),
    );
    crate::per_backend!(conn, c => diesel::insert_into(channel_state::table)
        .values(values)
        .on_conflict(channel_state::channel_id)
        .do_update()
        .set(values)
        .execute(c))?;
    Ok(())
}

/// Records a poll's outcome (time, and the error or its absence).
pub fn record_poll(conn: &mut DbConn, channel_id: i64, error: Option<&str>, now: i64) -> QueryResult<()> {
    let values = (
        channel_state::channel_id.eq(channel_id),
        channel_state::last_poll_at.eq(Some(now)),
        channel_state::last_error.eq(error),
    );
    crate::per_backend!(conn, c => diesel::insert_into(channel_state::table)
        .values(values)
        .on_conflict(channel_state::channel_id)
        .do_update()
        .set((channel_state::last_poll_at.eq(Some(now)), channel_state::last_error.eq(error)))
        .execute(c))?;
    Ok(())
}

/// Records the location the channel manages (JSON `{"id", "name"}`).
pub fn record_location(conn: &mut DbConn, channel_id: i64, location: &str) -> QueryResult<()> {
    let values = (channel_state::channel_id.eq(channel_id), channel_state::location.eq(Some(location)));
    crate::per_backend!(conn, c => diesel::insert_into(channel_state::table)
        .values(values)
        .on_conflict(channel_state::channel_id)
        .do_update()
        .set(channel_state::location.eq(Some(location)))
        .execute(c))?;
    Ok(())
}

/// Records a stock push's outcome: figures confirmed, and the error or its absence.
pub fn record_push(conn: &mut DbConn, channel_id: i64, sent: i64, error: Option<&str>, now: i64) -> QueryResult<()> {
    let values = (
        channel_state::channel_id.eq(channel_id),
        channel_state::last_push_at.eq(Some(now)),
        channel_state::last_push_error.eq(error),
        channel_state::pushes_sent.eq(sent),
    );
    crate::per_backend!(conn, c => diesel::insert_into(channel_state::table)
        .values(values)
        .on_conflict(channel_state::channel_id)
        .do_update()
        .set((
            channel_state::last_push_at.eq(Some(now)),
            channel_state::last_push_error.eq(error),
            channel_state::pushes_sent.eq(channel_state::pushes_sent + sent),
        ))
        .execute(c))?;
    Ok(())
}

/// Remembers a webhook id; false if it was seen before.
pub fn first_sighting(conn: &mut DbConn, channel_id: i64, webhook_id: &str, now: i64) -> QueryResult<bool> {
    let n = crate::per_backend!(conn, c => diesel::insert_into(inbound_webhooks::table)
        .values((
            inbound_webhooks::channel_id.eq(channel_id),
            inbound_webhooks::webhook_id.eq(webhook_id),
            inbound_webhooks::received_at.eq(now),
        ))
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(n == 1)
}

/// Forgets how far a channel's import got, so the next poll re-reads its orders (after the
/// import filter widens; re-reading is harmless, as imports are idempotent).
pub fn reset_cursor(conn: &mut DbConn, channel_id: i64) -> QueryResult<()> {
    diesel::update(channel_state::table.find(channel_id))
        .set(channel_state::cursor_updated_at.eq(None::<i64>))
        .execute(conn)
        .map(|_| ())
}

pub fn find_many(conn: &mut DbConn, ids: &[i64]) -> QueryResult<Vec<OrderRow>> {
    orders::table.filter(orders::id.eq_any(ids)).select(OrderRow::as_select()).load(conn)
}

/// Orders on hold, counted by reason.
pub fn holds(conn: &mut DbConn) -> QueryResult<Vec<(Option<String>, i64)>> {
    orders::table
        .filter(orders::status.eq("on_hold"))
        .group_by(orders::hold_reason)
        .select((orders::hold_reason, diesel::dsl::count_star()))
        .load(conn)
}

/// Orders that went on hold for `reason` at any time (from their history, so an order since
/// released or cancelled still counts), as (orders, units ordered).
pub fn ever_held(conn: &mut DbConn, reason: &str) -> QueryResult<(i64, i64)> {
    let ids: Vec<i64> = order_events::table
        .filter(order_events::kind.eq("on_hold").and(order_events::detail.eq(reason)))
        .select(order_events::order_id)
        .distinct()
        .load(conn)?;
    let mut units = 0i64;
    for chunk in ids.chunks(1000) {
        let quantities: Vec<i64> =
            order_lines::table.filter(order_lines::order_id.eq_any(chunk)).select(order_lines::quantity).load(conn)?;
        units = quantities.into_iter().fold(units, i64::saturating_add);
    }
    Ok((ids.len() as i64, units))
}

/// The orders that went on hold for `reason` at any time, as (channel id, external id).
pub fn ever_held_ids(conn: &mut DbConn, reason: &str) -> QueryResult<Vec<(i64, String)>> {
    let held = order_events::table
        .filter(order_events::kind.eq("on_hold").and(order_events::detail.eq(reason)))
        .select(order_events::order_id);
    orders::table.filter(orders::id.eq_any(held)).select((orders::channel_id, orders::external_id)).load(conn)
}

/// Every order by status, with the units ordered: (status, orders, units).
pub fn tally_by_status(conn: &mut DbConn) -> QueryResult<Vec<(String, i64, i64)>> {
    let lines: Vec<(i64, String, i64)> = order_lines::table
        .inner_join(orders::table)
        .select((orders::id, orders::status, order_lines::quantity))
        .load(conn)?;
    let mut by_status: std::collections::BTreeMap<String, (std::collections::BTreeSet<i64>, i64)> = Default::default();
    for (id, status, quantity) in lines {
        let entry = by_status.entry(status).or_default();
        entry.0.insert(id);
        entry.1 = entry.1.saturating_add(quantity);
    }
    Ok(by_status.into_iter().map(|(s, (ids, units))| (s, ids.len() as i64, units)).collect())
}

/// Every order of `channel_id` as (external id, status).
pub fn statuses_of_channel(conn: &mut DbConn, channel_id: i64) -> QueryResult<Vec<(String, String)>> {
    orders::table.filter(orders::channel_id.eq(channel_id)).select((orders::external_id, orders::status)).load(conn)
}
