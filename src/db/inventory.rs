//! Queries over stock: per-SKU levels and per-source quantities, read and written in sets so a
//! batch of thousands of mutations costs a handful of statements.

use std::collections::HashMap;

use diesel::prelude::*;

use super::schema::{inventory_sources, stock_levels};
use super::{DbConn, CHUNK_ROWS};
use crate::domain::stock::{Level, SourceState};
use diesel::RunQueryDsl;

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = inventory_sources, treat_none_as_default_value = false)]
pub struct SourceRow {
    pub sku: String,
    pub source: String,
    pub quantity: i64,
    pub as_of: Option<i64>,
    pub updated_at: i64,
}

#[derive(Clone, Debug, Queryable, QueryableByName, Selectable, Insertable)]
#[diesel(table_name = stock_levels, treat_none_as_default_value = false)]
pub struct LevelRow {
    pub sku: String,
    pub on_hand: i64,
    pub allocated: i64,
    pub version: i64,
    pub updated_at: i64,
}

impl LevelRow {
    pub fn level(&self) -> Level {
        Level { on_hand: self.on_hand, allocated: self.allocated, version: self.version }
    }
}

/// The stock of a set of SKUs as read inside a write transaction.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    pub levels: HashMap<String, Level>,
    pub sources: HashMap<(String, String), SourceState>,
}

impl Snapshot {
    /// Takes in rows as read: each level by SKU, each source's quantity by (SKU, source).
    fn add(&mut self, levels: Vec<LevelRow>, sources: Vec<SourceRow>) {
        for row in levels {
            let level = row.level();
            self.levels.insert(row.sku, level);
        }
        for row in sources {
            self.sources.insert((row.sku, row.source), SourceState { quantity: row.quantity, as_of: row.as_of });
        }
    }

    /// The units of `sku` that `source` holds, never below 0: as many as a shipment can take
    /// off it. A shipment beyond them (from shelves whose count had not been reported yet)
    /// stops the count at 0, and the source's next absolute report sets the truth; refusing it
    /// would lose a shipment that has physically happened.
    pub fn held(&self, sku: &str, source: &str) -> i64 {
        self.sources.get(&(sku.to_string(), source.to_string())).map_or(0, |s| s.quantity.max(0))
    }
}

/// Reads, and on PostgreSQL locks (in SKU order, so two writers cannot deadlock), the stock of
/// `skus`. A SKU without a product is absent from `levels`.
pub fn load_for_update(conn: &mut DbConn, skus: &[&str]) -> QueryResult<Snapshot> {
    let mut sorted: Vec<&str> = skus.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut snap = Snapshot::default();
    let c = match conn {
        DbConn::Pg(c) => return locked_pg(c, sorted),
        DbConn::Sqlite(c) => c,
    };
    // SQLite has one writer at a time: the IMMEDIATE transaction is the lock.
    for chunk in sorted.chunks(CHUNK_ROWS) {
        let levels: Vec<LevelRow> =
            stock_levels::table.filter(stock_levels::sku.eq_any(chunk)).select(LevelRow::as_select()).load(c)?;
        let sources: Vec<SourceRow> = inventory_sources::table
            .filter(inventory_sources::sku.eq_any(chunk))
            .select(SourceRow::as_select())
            .load(c)?;
        snap.add(levels, sources);
    }
    Ok(snap)
}

/// PostgreSQL's read and lock, as two cached statements. The levels are locked in byte order of
/// SKU, so every writer locks in the same sequence and none can deadlock. The sources are read
/// only once those locks are held, by a statement of its own: one statement joining them would
/// read them from its own start, and a wait for another process's lock refreshes only the
/// locked rows, so it would see that process's levels with the sources from before it.
fn locked_pg(c: &mut diesel::PgConnection, sorted: Vec<&str>) -> QueryResult<Snapshot> {
    let levels: Vec<LevelRow> = super::prepared::Cached::new(
        "SELECT sku, on_hand, allocated, version, updated_at FROM stock_levels WHERE sku = ANY(?::text[]) \
         ORDER BY sku COLLATE \"C\" FOR UPDATE",
    )
    .bind(super::prepared::Bind::Texts(sorted.clone()))
    .load(c)?;
    let sources: Vec<SourceRow> = inventory_sources::table
        .filter(inventory_sources::sku.eq_any(&sorted))
        .select(SourceRow::as_select())
        .load(c)?;
    let mut snap = Snapshot::default();
    snap.add(levels, sources);
    Ok(snap)
}

/// The SKUs where `source` holds a non-zero quantity.
pub fn skus_held_by(conn: &mut DbConn, source: &str) -> QueryResult<Vec<String>> {
    let source = source.to_string();
    crate::per_backend!(conn, c => inventory_sources::table
        .filter(inventory_sources::source.eq(&source))
        .filter(inventory_sources::quantity.ne(0))
        .select(inventory_sources::sku)
        .order(inventory_sources::sku)
        .load(c))
}

/// One SKU's level and sources, or `None` if the product does not exist.
pub fn read(conn: &mut DbConn, sku: &str) -> QueryResult<Option<(Level, Vec<SourceRow>)>> {
    let level: Option<LevelRow> = stock_levels::table.find(sku).select(LevelRow::as_select()).first(conn).optional()?;
    let Some(level) = level else { return Ok(None) };
    let sources = inventory_sources::table
        .filter(inventory_sources::sku.eq(sku))
        .order(inventory_sources::source)
        .select(SourceRow::as_select())
        .load(conn)?;
    Ok(Some((level.level(), sources)))
}

/// Row-by-row `+delta` updates: the benchmark's "raw ceiling" for the same writes without
/// the actor (one statement per mutation, in the caller's transaction).
pub fn adjust_row_by_row(conn: &mut DbConn, sku: &str, source: &str, delta: i64, now: i64) -> QueryResult<()> {
    diesel::update(inventory_sources::table.find((sku, source)))
        .set((
            inventory_sources::quantity.eq(inventory_sources::quantity + delta),
            inventory_sources::updated_at.eq(now),
        ))
        .execute(conn)?;
    diesel::update(stock_levels::table.find(sku))
        .set((
            stock_levels::on_hand.eq(stock_levels::on_hand + delta),
            stock_levels::version.eq(stock_levels::version + 1),
            stock_levels::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Multi-row upserts for SQLite, which diesel's query builder cannot express there: one
/// statement per 200 rows instead of one per row (the hot path of every stock commit).
pub(super) mod sqlite {
    use diesel::sql_types::{BigInt, Nullable, Text};
    use diesel::sqlite::Sqlite;
    use diesel::{QueryResult, RunQueryDsl, SqliteConnection};

    use super::{LevelRow, SourceRow};

    const ROWS: usize = 200;

    fn values(columns: usize, rows: usize) -> String {
        let one = format!("({})", vec!["?"; columns].join(", "));
        vec![one; rows].join(", ")
    }

    pub fn upsert_sources(c: &mut SqliteConnection, rows: &[SourceRow]) -> QueryResult<()> {
        for chunk in rows.chunks(ROWS) {
            let sql = format!(
                "INSERT INTO inventory_sources (sku, source, quantity, as_of, updated_at) VALUES {} \
                 ON CONFLICT (sku, source) DO UPDATE SET quantity = excluded.quantity, \
                 as_of = excluded.as_of, updated_at = excluded.updated_at",
                values(5, chunk.len())
            );
            let mut q = diesel::sql_query(sql).into_boxed::<Sqlite>();
            for r in chunk {
                q = q
                    .bind::<Text, _>(&r.sku)
                    .bind::<Text, _>(&r.source)
                    .bind::<BigInt, _>(r.quantity)
                    .bind::<Nullable<BigInt>, _>(r.as_of)
                    .bind::<BigInt, _>(r.updated_at);
            }
            q.execute(c)?;
        }
        Ok(())
    }

    pub fn upsert_levels(c: &mut SqliteConnection, rows: &[LevelRow]) -> QueryResult<()> {
        for chunk in rows.chunks(ROWS) {
            let sql = format!(
                "INSERT INTO stock_levels (sku, on_hand, allocated, version, updated_at) VALUES {} \
                 ON CONFLICT (sku) DO UPDATE SET on_hand = excluded.on_hand, allocated = excluded.allocated, \
                 version = excluded.version, updated_at = excluded.updated_at",
                values(5, chunk.len())
            );
            let mut q = diesel::sql_query(sql).into_boxed::<Sqlite>();
            for r in chunk {
                q = q
                    .bind::<Text, _>(&r.sku)
                    .bind::<BigInt, _>(r.on_hand)
                    .bind::<BigInt, _>(r.allocated)
                    .bind::<BigInt, _>(r.version)
                    .bind::<BigInt, _>(r.updated_at);
            }
            q.execute(c)?;
        }
        Ok(())
    }
}

/// The available figure of every SKU channel `channel_id` lists.
pub fn availability_of_channel(conn: &mut DbConn, channel_id: i64) -> QueryResult<Vec<(String, i64)>> {
    use super::schema::channel_products;
    let listed: Vec<String> = channel_products::table
        .filter(channel_products::channel_id.eq(channel_id))
        .select(channel_products::sku)
        .load(conn)?;
    let mut figures = Vec::with_capacity(listed.len());
    for chunk in listed.chunks(CHUNK_ROWS) {
        let rows: Vec<(String, i64, i64)> = stock_levels::table
            .filter(stock_levels::sku.eq_any(chunk))
            .select((stock_levels::sku, stock_levels::on_hand, stock_levels::allocated))
            .load(conn)?;
        figures.extend(rows.into_iter().map(|(sku, on_hand, allocated)| (sku, on_hand.saturating_sub(allocated))));
    }
    Ok(figures)
}

/// Every SKU's available figure (on hand less allocated).
pub fn availability(conn: &mut DbConn) -> QueryResult<Vec<(String, i64)>> {
    let rows: Vec<(String, i64, i64)> =
        stock_levels::table.select((stock_levels::sku, stock_levels::on_hand, stock_levels::allocated)).load(conn)?;
    Ok(rows.into_iter().map(|(sku, on_hand, allocated)| (sku, on_hand.saturating_sub(allocated))).collect())
}
