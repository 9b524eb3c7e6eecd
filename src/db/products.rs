//! Queries over products (and the stock row each product is born with).

use diesel::prelude::*;

use super::schema::{products, stock_levels};
use super::{write_tx, DbConn, CHUNK_ROWS};

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = products, treat_none_as_default_value = false)]
pub struct Product {
    pub sku: String,
    pub title: String,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Insertable)]
#[diesel(table_name = stock_levels, treat_none_as_default_value = false)]
struct NewStockRow<'a> {
    sku: &'a str,
    on_hand: i64,
    allocated: i64,
    version: i64,
    updated_at: i64,
}

/// Creates a product with an empty stock row. A duplicate SKU is a unique violation.
/// Creates the product with no stock, and links any channel listing already waiting for its
/// SKU; returns the product and the channels whose listings it linked.
pub fn insert(conn: &mut DbConn, sku: &str, title: &str, now: i64) -> QueryResult<(Product, Vec<i64>)> {
    let product = Product { sku: sku.into(), title: title.into(), created_at: now, updated_at: now };
    write_tx(conn, |conn| {
        diesel::insert_into(products::table).values(&product).execute(conn)?;
        diesel::insert_into(stock_levels::table)
            .values(NewStockRow { sku, on_hand: 0, allocated: 0, version: 0, updated_at: now })
            .execute(conn)?;
        let linked = super::channel_products::link_unlinked(conn, &[sku], now)?;
        super::snapshots::emit_products(conn, std::slice::from_ref(&product), "products.created", now)?;
        Ok((product.clone(), linked))
    })
}

/// Creates the SKUs that do not exist yet (title = SKU); returns those it created.
/// Runs inside the caller's transaction.
pub fn insert_missing(conn: &mut DbConn, skus: &[&str], now: i64) -> QueryResult<Vec<String>> {
    let existing: std::collections::HashSet<String> = existing(conn, skus)?.into_iter().collect();
    let mut fresh: Vec<&str> = skus.iter().copied().filter(|s| !existing.contains(*s)).collect();
    fresh.sort_unstable();
    fresh.dedup();
    let rows: Vec<Product> = fresh
        .iter()
        .map(|s| Product { sku: s.to_string(), title: s.to_string(), created_at: now, updated_at: now })
        .collect();
    let stock: Vec<NewStockRow> =
        fresh.iter().map(|s| NewStockRow { sku: s, on_hand: 0, allocated: 0, version: 0, updated_at: now }).collect();
    crate::upsert_rows!(conn, rows, |v| diesel::insert_into(products::table).values(v).on_conflict_do_nothing());
    crate::upsert_rows!(conn, stock, |v| diesel::insert_into(stock_levels::table).values(v).on_conflict_do_nothing());
    super::snapshots::emit_products(conn, &rows, "products.created", now)?;
    Ok(fresh.into_iter().map(str::to_string).collect())
}

pub fn find(conn: &mut DbConn, sku: &str) -> QueryResult<Option<Product>> {
    products::table.find(sku).select(Product::as_select()).first(conn).optional()
}

/// A page of products in SKU order, starting after `after`.
pub fn list(conn: &mut DbConn, after: Option<&str>, limit: i64) -> QueryResult<Vec<Product>> {
    let mut query = products::table.select(Product::as_select()).order(products::sku).limit(limit).into_boxed();
    if let Some(after) = after {
        query = query.filter(products::sku.gt(after.to_string()));
    }
    query.load(conn)
}

/// Which of `skus` exist. Runs inside the caller's transaction.
pub fn existing(conn: &mut DbConn, skus: &[&str]) -> QueryResult<Vec<String>> {
    let mut found = Vec::with_capacity(skus.len());
    for chunk in skus.chunks(CHUNK_ROWS) {
        let mut part: Vec<String> = products::table
            .select(products::sku)
            .filter(products::sku.eq_any(chunk.iter().map(|s| s.to_string()).collect::<Vec<_>>()))
            .load(conn)?;
        found.append(&mut part);
    }
    Ok(found)
}

/// Renames the product, recording `products.updated`.
pub fn update_title(conn: &mut DbConn, sku: &str, title: &str, now: i64) -> QueryResult<Product> {
    conn.transaction(|c| {
        let n = diesel::update(products::table.find(sku))
            .set((products::title.eq(title), products::updated_at.eq(now)))
            .execute(c)?;
        if n == 0 {
            return Err(diesel::result::Error::NotFound);
        }
        let product = products::table.find(sku).select(Product::as_select()).first(c)?;
        super::snapshots::emit_products(c, std::slice::from_ref(&product), "products.updated", now)?;
        Ok(product)
    })
}

/// Deletes a product with its stock, sources and channel data (cascading); the caller — the
/// InventoryActor's transaction — has checked that no open order holds it.
pub fn delete_unchecked(conn: &mut DbConn, sku: &str) -> QueryResult<usize> {
    diesel::delete(products::table.find(sku)).execute(conn)
}

/// A product found by [`search`]: (sku, title, on hand, allocated); no level before any stock.
pub type Found = (String, String, Option<i64>, Option<i64>);

/// Products whose SKU or title contains `needle` (any case), by SKU, with their stock level.
pub fn search(conn: &mut DbConn, needle: &str, limit: i64) -> QueryResult<Vec<Found>> {
    let pattern = format!("%{}%", needle.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
    let mut q = products::table
        .left_join(stock_levels::table)
        .select((products::sku, products::title, stock_levels::on_hand.nullable(), stock_levels::allocated.nullable()))
        .order(products::sku)
        .limit(limit)
        .into_boxed();
    if !needle.is_empty() {
        q = q.filter(
            crate::db::lower(products::sku).like(pattern.to_lowercase()).escape('\\').or(crate::db::lower(
                products::title,
            )
            .like(pattern.to_lowercase())
            .escape('\\')),
        );
    }
    q.load(conn)
}
