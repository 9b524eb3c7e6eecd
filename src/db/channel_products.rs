//! Queries over channel product data: per channel and SKU, the listing ids and what the
//! channel says about the item (image, price, size, weight, customs).

use diesel::prelude::*;

use super::schema::channel_products;
use super::DbConn;

#[derive(Clone, Debug, Default, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = channel_products, treat_none_as_null = true)]
pub struct ChannelProduct {
    pub channel_id: i64,
    pub sku: String,
    pub listing_id: Option<String>,
    pub variant_id: Option<String>,
    pub inventory_item_id: Option<String>,
    pub location_id: Option<String>,
    pub image_url: Option<String>,
    pub price_minor: Option<i64>,
    pub price_currency: Option<String>,
    pub weight_grams: Option<i64>,
    pub length_mm: Option<i64>,
    pub width_mm: Option<i64>,
    pub height_mm: Option<i64>,
    pub hs_code: Option<String>,
    pub country_of_origin: Option<String>,
    pub customs_description: Option<String>,
    pub declared_value_minor: Option<i64>,
    pub declared_value_currency: Option<String>,
    pub updated_at: i64,
}

/// Inserts or replaces the row; returns whether it was new (for created/updated events).
pub fn upsert(conn: &mut DbConn, row: &ChannelProduct) -> QueryResult<bool> {
    let existed = find(conn, row.channel_id, &row.sku)?.is_some();
    crate::per_backend!(conn, c => diesel::insert_into(channel_products::table)
        .values(row)
        .on_conflict((channel_products::channel_id, channel_products::sku))
        .do_update()
        .set(row)
        .execute(c))?;
    Ok(!existed)
}

pub fn find(conn: &mut DbConn, channel_id: i64, sku: &str) -> QueryResult<Option<ChannelProduct>> {
    channel_products::table.find((channel_id, sku)).select(ChannelProduct::as_select()).first(conn).optional()
}

pub fn list_for_sku(conn: &mut DbConn, sku: &str) -> QueryResult<Vec<ChannelProduct>> {
    channel_products::table
        .filter(channel_products::sku.eq(sku))
        .order(channel_products::channel_id)
        .select(ChannelProduct::as_select())
        .load(conn)
}

/// Stores what a channel's catalogue says about a listing; what it leaves out (e.g. a price set
/// by hand) is kept. Returns whether the row was new.
pub fn merge_listing(
    conn: &mut DbConn,
    channel_id: i64,
    l: &crate::connectors::Listing,
    now: i64,
) -> QueryResult<bool> {
    let old = find(conn, channel_id, &l.sku)?.unwrap_or_default();
    let pick = |new: &Option<String>, old: Option<String>| new.clone().or(old);
    let row = ChannelProduct {
        channel_id,
        sku: l.sku.clone(),
        listing_id: pick(&l.listing_id, old.listing_id),
        variant_id: pick(&l.variant_id, old.variant_id),
        inventory_item_id: pick(&l.inventory_item_id, old.inventory_item_id),
        location_id: pick(&l.location_id, old.location_id),
        image_url: pick(&l.image_url, old.image_url),
        weight_grams: l.weight_grams.or(old.weight_grams),
        length_mm: l.dimensions_mm.map(|d| d.0).or(old.length_mm),
        width_mm: l.dimensions_mm.map(|d| d.1).or(old.width_mm),
        height_mm: l.dimensions_mm.map(|d| d.2).or(old.height_mm),
        hs_code: pick(&l.hs_code, old.hs_code),
        country_of_origin: pick(&l.country_of_origin, old.country_of_origin),
        updated_at: now,
        ..old
    };
    upsert(conn, &row)
}

/// A page of one channel's product data in SKU order, after `after`.
pub fn list_for_channel(
    conn: &mut DbConn,
    channel_id: i64,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<ChannelProduct>> {
    let mut q = channel_products::table
        .filter(channel_products::channel_id.eq(channel_id))
        .order(channel_products::sku)
        .limit(limit)
        .select(ChannelProduct::as_select())
        .into_boxed();
    if let Some(after) = after {
        q = q.filter(channel_products::sku.gt(after.to_string()));
    }
    q.load(conn)
}
