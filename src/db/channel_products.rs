//! Queries over channel product data: per channel and SKU, the listing ids and what the
//! channel says about the item (image, price, size, weight, customs).

use diesel::prelude::*;

use super::schema::channel_products;
use super::DbConn;

#[derive(Clone, Debug, Default, PartialEq, Queryable, Selectable, Insertable, AsChangeset, serde::Serialize)]
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
    /// The stock figure the channel last showed for this listing (read from its catalogue, or
    /// confirmed by a push): Shopify's `changeFromQuantity`.
    pub channel_quantity: Option<i64>,
}

/// What saving channel product data did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Saved {
    Created,
    Updated,
    Unchanged,
}

/// Inserts or replaces the row (keeping the last figure seen on the channel when the row does
/// not carry one), in the caller's transaction: records `channels.products.created/updated`,
/// and queues a stock push when the listing is new or its ids changed, so the channel gets
/// Chorus's figure.
pub fn save(conn: &mut DbConn, row: &ChannelProduct, now: i64) -> QueryResult<Saved> {
    let old = find(conn, row.channel_id, &row.sku)?;
    let mut row = row.clone();
    row.channel_quantity = row.channel_quantity.or(old.as_ref().and_then(|o| o.channel_quantity));
    // The figure on the channel moves with every sale: not a change to the product data.
    let same = |o: &ChannelProduct| {
        ChannelProduct { updated_at: row.updated_at, channel_quantity: row.channel_quantity, ..o.clone() } == row
    };
    let saved = match &old {
        None => Saved::Created,
        Some(o) if same(o) => {
            if let (Some(q), true) = (row.channel_quantity, o.channel_quantity != row.channel_quantity) {
                set_channel_quantities(conn, row.channel_id, &[(row.sku.clone(), q)])?;
            }
            return Ok(Saved::Unchanged);
        }
        Some(_) => Saved::Updated,
    };
    crate::per_backend!(conn, c => diesel::insert_into(channel_products::table)
        .values(&row)
        .on_conflict((channel_products::channel_id, channel_products::sku))
        .do_update()
        .set(&row)
        .execute(c))?;
    super::unlinked::forget(conn, row.channel_id, &row.sku)?;
    let ids = |r: &ChannelProduct| {
        (r.listing_id.clone(), r.variant_id.clone(), r.inventory_item_id.clone(), r.location_id.clone())
    };
    let relisted = old.as_ref().is_none_or(|o| ids(o) != ids(&row));
    let kind = if saved == Saved::Created { "channels.products.created" } else { "channels.products.updated" };
    let subject = format!("channel:{}/sku:{}", row.channel_id, row.sku);
    let payload = super::to_json(&row)?;
    super::events::record(conn, kind, Some(row.channel_id), &subject, &payload, now)?;
    if relisted {
        super::outbox::queue_channel_listings(conn, row.channel_id, Some(std::slice::from_ref(&row.sku)), now)?;
    }
    Ok(saved)
}

pub fn find(conn: &mut DbConn, channel_id: i64, sku: &str) -> QueryResult<Option<ChannelProduct>> {
    channel_products::table.find((channel_id, sku)).select(ChannelProduct::as_select()).first(conn).optional()
}

/// The listings of one channel for these SKUs.
pub fn for_skus(conn: &mut DbConn, channel_id: i64, skus: &[&str]) -> QueryResult<Vec<ChannelProduct>> {
    channel_products::table
        .filter(channel_products::channel_id.eq(channel_id))
        .filter(channel_products::sku.eq_any(skus))
        .select(ChannelProduct::as_select())
        .load(conn)
}

/// Remembers the figures a channel now shows (after a confirmed push, or read from it).
pub fn set_channel_quantities(conn: &mut DbConn, channel_id: i64, figures: &[(String, i64)]) -> QueryResult<()> {
    for (sku, q) in figures {
        diesel::update(channel_products::table.find((channel_id, sku)))
            .set(channel_products::channel_quantity.eq(Some(*q)))
            .execute(conn)?;
    }
    Ok(())
}

/// Moves the figures Chorus last saw on a channel by what the channel did itself (its sales
/// take stock, its cancellations restore it). Unknown figures stay unknown.
pub fn shift_channel_quantities(
    conn: &mut DbConn,
    channel_id: i64,
    shifts: &std::collections::HashMap<String, i64>,
) -> QueryResult<()> {
    for (sku, delta) in shifts.iter().filter(|(_, d)| **d != 0) {
        diesel::update(channel_products::table.find((channel_id, sku)))
            .filter(channel_products::channel_quantity.is_not_null())
            .set(channel_products::channel_quantity.eq(channel_products::channel_quantity + *delta))
            .execute(conn)?;
    }
    Ok(())
}

pub fn list_for_sku(conn: &mut DbConn, sku: &str) -> QueryResult<Vec<ChannelProduct>> {
    channel_products::table
        .filter(channel_products::sku.eq(sku))
        .order(channel_products::channel_id)
        .select(ChannelProduct::as_select())
        .load(conn)
}

/// Stores what a channel's catalogue says about a listing; what it leaves out (e.g. a price set
/// by hand) is kept.
pub fn merge_listing(
    conn: &mut DbConn,
    channel_id: i64,
    l: &crate::domain::listing::Listing,
    now: i64,
) -> QueryResult<Saved> {
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
        price_minor: l.price.as_ref().map(|p| p.0).or(old.price_minor),
        price_currency: l.price.as_ref().map(|p| p.1.clone()).or(old.price_currency),
        weight_grams: l.weight_grams.or(old.weight_grams),
        length_mm: l.dimensions_mm.map(|d| d.0).or(old.length_mm),
        width_mm: l.dimensions_mm.map(|d| d.1).or(old.width_mm),
        height_mm: l.dimensions_mm.map(|d| d.2).or(old.height_mm),
        hs_code: pick(&l.hs_code, old.hs_code),
        country_of_origin: pick(&l.country_of_origin, old.country_of_origin),
        // The compare figure comes only from confirmed pushes, imported sales and reads made
        // right after an import: a catalogue figure may already count a sale Chorus has not
        // imported, and comparing against it would let a push overwrite that sale.
        channel_quantity: old.channel_quantity,
        updated_at: now,
        ..old
    };
    save(conn, &row, now)
}

/// Links the listings channels hold for these SKUs, now products, as if the catalogue had
/// been read again; returns the channels concerned.
pub fn link_unlinked(conn: &mut DbConn, skus: &[&str], now: i64) -> QueryResult<Vec<i64>> {
    let mut channels = Vec::new();
    for u in super::unlinked::with_skus(conn, skus)? {
        let listing = crate::domain::listing::Listing {
            sku: u.sku.clone(),
            listing_id: u.listing_id,
            variant_id: u.variant_id,
            inventory_item_id: u.inventory_item_id,
            location_id: u.location_id,
            channel_quantity: u.channel_quantity,
            ..Default::default()
        };
        merge_listing(conn, u.channel_id, &listing, now)?;
        channels.push(u.channel_id);
    }
    Ok(channels)
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

/// What putting a channel's product data came to.
pub enum Put {
    NoChannel,
    NoProduct,
    Saved { created: bool, row: Box<ChannelProduct> },
}

/// Saves one channel's data for one SKU in a write transaction of its own, once both exist.
pub fn put(conn: &mut DbConn, row: ChannelProduct) -> Result<Put, super::DbError> {
    super::write_tx(conn, |conn| {
        if super::channels::find(conn, row.channel_id)?.is_none() {
            return Ok(Put::NoChannel);
        }
        if super::products::find(conn, &row.sku)?.is_none() {
            return Ok(Put::NoProduct);
        }
        let saved = save(conn, &row, row.updated_at)?;
        let stored = find(conn, row.channel_id, &row.sku)?.unwrap_or(row);
        Ok(Put::Saved { created: saved == Saved::Created, row: Box::new(stored) })
    })
}
