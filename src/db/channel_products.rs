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
    channel_products::table
        .find((channel_id, sku))
        .select(ChannelProduct::as_select())
        .first(conn)
        .optional()
}

pub fn list_for_sku(conn: &mut DbConn, sku: &str) -> QueryResult<Vec<ChannelProduct>> {
    channel_products::table
        .filter(channel_products::sku.eq(sku))
        .order(channel_products::channel_id)
        .select(ChannelProduct::as_select())
        .load(conn)
}
