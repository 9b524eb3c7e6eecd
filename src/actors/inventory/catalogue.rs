//! Storing a channel's catalogue read, in the stock transaction: listings whose SKU Chorus knows
//! become channel product data (a new one queues a push of Chorus's figure), the rest are kept
//! as unlinked.

use actix::Message;

use super::InventoryError;
use crate::connectors::Listing;
use crate::db::{self, DbConn};

#[derive(Debug, Message)]
#[rtype(result = "Result<usize, InventoryError>")]
pub struct StoreCatalogue {
    pub channel_id: crate::domain::ids::ChannelId,
    pub listings: Vec<Listing>,
}

/// Returns how many listings are linked to products.
pub(super) fn apply(
    conn: &mut DbConn,
    msg: &StoreCatalogue,
    now: i64,
) -> diesel::QueryResult<Result<usize, InventoryError>> {
    let skus: Vec<&str> = msg.listings.iter().map(|l| l.sku.as_str()).collect();
    let known: std::collections::HashSet<String> = db::products::existing(conn, &skus)?.into_iter().collect();
    let mut linked = 0;
    for listing in &msg.listings {
        if known.contains(&listing.sku) {
            db::channel_products::merge_listing(conn, msg.channel_id.get(), listing, now)?;
            linked += 1;
        } else {
            db::unlinked::remember(conn, &unlinked(msg.channel_id.get(), listing, now))?;
        }
    }
    db::unlinked::forget_unseen(conn, msg.channel_id.get(), now)?;
    Ok(Ok(linked))
}

fn unlinked(channel_id: i64, l: &Listing, now: i64) -> db::unlinked::UnlinkedListing {
    db::unlinked::UnlinkedListing {
        channel_id,
        sku: l.sku.clone(),
        listing_id: l.listing_id.clone(),
        variant_id: l.variant_id.clone(),
        inventory_item_id: l.inventory_item_id.clone(),
        location_id: l.location_id.clone(),
        channel_quantity: l.channel_quantity,
        seen_at: now,
    }
}
