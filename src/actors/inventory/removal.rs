//! Deleting a product or a channel, in the stock transaction like every other write to stock:
//! nothing an import commits can slip between the check for open orders and the delete.

use actix::Message;

use super::{InventoryError, Snapshot};
use crate::db::{self, outbox, DbConn};
use crate::domain::ids::ChannelId;

/// Deletes a product with its stock, sources and channel data, unless open orders hold it. Each
/// channel that listed it is pushed a zero (the listing stays known, unlinked), so no channel
/// goes on selling stock Chorus no longer keeps.
#[derive(Debug, Message)]
#[rtype(result = "Result<(), InventoryError>")]
pub struct DeleteProduct {
    pub sku: String,
}

/// Deletes a channel, unless its open orders hold stock.
#[derive(Debug, Message)]
#[rtype(result = "Result<(), InventoryError>")]
pub struct DeleteChannel {
    pub channel_id: ChannelId,
}

pub(super) fn delete_product(
    conn: &mut DbConn,
    snap: &mut Snapshot,
    msg: &DeleteProduct,
    now: i64,
) -> diesel::QueryResult<Result<Vec<i64>, InventoryError>> {
    let Some(level) = snap.levels.get(&msg.sku).copied() else {
        return Ok(Err(InventoryError::UnknownSku(vec![msg.sku.clone()])));
    };
    if level.allocated != 0 {
        return Ok(Err(InventoryError::Held { sku: msg.sku.clone(), allocated: level.allocated }));
    }
    let mut channels = Vec::new();
    for listing in db::channel_products::list_for_sku(conn, &msg.sku)? {
        channels.push(listing.channel_id);
        db::unlinked::remember(
            conn,
            &db::unlinked::UnlinkedListing {
                channel_id: listing.channel_id,
                sku: listing.sku.clone(),
                listing_id: listing.listing_id.clone(),
                variant_id: listing.variant_id.clone(),
                inventory_item_id: listing.inventory_item_id.clone(),
                location_id: listing.location_id.clone(),
                channel_quantity: listing.channel_quantity,
                seen_at: now,
            },
        )?;
        outbox::queue_for_channel_unlisted(conn, listing.channel_id, &msg.sku, now)?;
    }
    db::products::delete_unchecked(conn, &msg.sku)?;
    snap.levels.remove(&msg.sku);
    snap.sources.retain(|(sku, _), _| *sku != msg.sku);
    Ok(Ok(channels))
}

pub(super) fn delete_channel(
    conn: &mut DbConn,
    msg: &DeleteChannel,
) -> diesel::QueryResult<Result<(), InventoryError>> {
    let id = msg.channel_id.get();
    if db::channels::find(conn, id)?.is_none() {
        return Ok(Err(InventoryError::ChannelNotFound(msg.channel_id)));
    }
    let open = db::channels::open_orders(conn, id)?;
    if open > 0 {
        return Ok(Err(InventoryError::ChannelHasOpenOrders { channel_id: msg.channel_id, open }));
    }
    db::channels::delete(conn, id)?;
    outbox::clear_target(conn, &outbox::channel_target(id))?;
    Ok(Ok(()))
}
