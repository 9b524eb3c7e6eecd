//! Queries over unlinked listings: a channel's listings whose SKU is not a Chorus product yet.

use diesel::prelude::*;

use super::schema::unlinked_listings;
use super::DbConn;

#[derive(Clone, Debug, Default, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = unlinked_listings, treat_none_as_null = true)]
pub struct UnlinkedListing {
    pub channel_id: i64,
    pub sku: String,
    pub listing_id: Option<String>,
    pub variant_id: Option<String>,
    pub inventory_item_id: Option<String>,
    pub location_id: Option<String>,
    pub channel_quantity: Option<i64>,
    pub seen_at: i64,
}

pub fn remember(conn: &mut DbConn, row: &UnlinkedListing) -> QueryResult<()> {
    crate::per_backend!(conn, c => diesel::insert_into(unlinked_listings::table)
        .values(row)
        .on_conflict((unlinked_listings::channel_id, unlinked_listings::sku))
        .do_update()
        .set(row)
        .execute(c))?;
    Ok(())
}

/// Drops the channel's unlinked listings not seen since `before` (gone from its catalogue).
pub fn forget_unseen(conn: &mut DbConn, channel_id: i64, before: i64) -> QueryResult<usize> {
    diesel::delete(
        unlinked_listings::table
            .filter(unlinked_listings::channel_id.eq(channel_id))
            .filter(unlinked_listings::seen_at.lt(before)),
    )
    .execute(conn)
}

/// The listing is linked now.
pub fn forget(conn: &mut DbConn, channel_id: i64, sku: &str) -> QueryResult<()> {
    diesel::delete(unlinked_listings::table.find((channel_id, sku))).execute(conn)?;
    Ok(())
}

/// Unlinked listings with these SKUs, on any channel (to link when the products appear).
pub fn with_skus(conn: &mut DbConn, skus: &[&str]) -> QueryResult<Vec<UnlinkedListing>> {
    let mut out = Vec::new();
    for chunk in skus.chunks(super::CHUNK_ROWS) {
        out.extend(
            unlinked_listings::table
                .filter(unlinked_listings::sku.eq_any(chunk))
                .select(UnlinkedListing::as_select())
                .load(conn)?,
        );
    }
    Ok(out)
}

/// A page of one channel's unlinked listings in SKU order, after `after`.
pub fn list_for_channel(
    conn: &mut DbConn,
    channel_id: i64,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<UnlinkedListing>> {
    let mut q = unlinked_listings::table
        .filter(unlinked_listings::channel_id.eq(channel_id))
        .order(unlinked_listings::sku)
        .limit(limit)
        .select(UnlinkedListing::as_select())
        .into_boxed();
    if let Some(after) = after {
        q = q.filter(unlinked_listings::sku.gt(after.to_string()));
    }
    q.load(conn)
}

/// The channel's unlinked listings with these SKUs.
pub fn for_skus(conn: &mut DbConn, channel_id: i64, skus: &[&str]) -> QueryResult<Vec<UnlinkedListing>> {
    if skus.is_empty() {
        return Ok(Vec::new());
    }
    unlinked_listings::table
        .filter(unlinked_listings::channel_id.eq(channel_id))
        .filter(unlinked_listings::sku.eq_any(skus))
        .select(UnlinkedListing::as_select())
        .load(conn)
}

impl UnlinkedListing {
    /// As a channel listing with no product data: what a push needs to reach it.
    pub fn into_channel_product(self) -> super::channel_products::ChannelProduct {
        super::channel_products::ChannelProduct {
            channel_id: self.channel_id,
            sku: self.sku,
            listing_id: self.listing_id,
            variant_id: self.variant_id,
            inventory_item_id: self.inventory_item_id,
            location_id: self.location_id,
            channel_quantity: self.channel_quantity,
            ..Default::default()
        }
    }
}
